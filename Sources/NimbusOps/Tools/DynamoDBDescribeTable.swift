public import NimbusAgents
public import NimbusCore

/// `dynamodb.describe_table`: a table's keys, indexes, size and status.
public struct DynamoDBDescribeTable: OpsTool {
    public struct Input: ToolInput {
        public var table: String

        public static let schema = ToolSchema.object(
            ["table": ToolSchema.string("The table's name.", minLength: 1)], required: ["table"])
    }

    public let name = "dynamodb.describe_table"
    public let summary = "Describe a DynamoDB table: keys, indexes, item count, size, status"
    public let access = ToolAccess.read
    public let actions = ["dynamodb:DescribeTable"]

    public init() {}

    public func describe(_ input: Input) -> String { "describe DynamoDB table \(input.table)" }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let table =
            try await environment.aws(context).call("dynamodb", "DescribeTable", ["TableName": .string(input.table)])[
                "Table"] ?? .null
        let types = Dictionary(
            (table["AttributeDefinitions"]?.arrayValue ?? []).compactMap { definition in
                definition["AttributeName"]?.stringValue.map { ($0, definition["AttributeType"] ?? .null) }
            }, uniquingKeysWith: { first, _ in first })
        let keys: [JSONValue] = (table["KeySchema"]?.arrayValue ?? []).map { key in
            let name = key["AttributeName"]?.stringValue ?? "?"
            return ["name": .string(name), "role": key["KeyType"] ?? .null, "type": types[name] ?? .null]
        }
        let indexes =
            ((table["GlobalSecondaryIndexes"]?.arrayValue ?? []) + (table["LocalSecondaryIndexes"]?.arrayValue ?? []))
            .compactMap { $0["IndexName"] }
        return [
            "name": table["TableName"] ?? .null, "status": table["TableStatus"] ?? .null,
            "item_count": table["ItemCount"] ?? .null, "size_bytes": table["TableSizeBytes"] ?? .null,
            "billing_mode": table["BillingModeSummary"]?["BillingMode"] ?? "PROVISIONED", "keys": .array(keys),
            "indexes": .array(indexes), "arn": table["TableArn"] ?? .null,
        ]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let keys = (result["keys"]?.arrayValue ?? []).map {
            "\($0["name"]?.stringValue ?? "?") (\($0["role"]?.stringValue ?? "?"), \($0["type"]?.stringValue ?? "?"))"
        }
        var lines = [
            "status: \(result["status"]?.stringValue ?? "-")",
            "keys: " + keys.joined(separator: ", "),
            "items: \(result["item_count"]?.intValue ?? 0), \(Report.bytes(result["size_bytes"]?.intValue ?? 0))",
            "billing: \(result["billing_mode"]?.stringValue ?? "-")",
        ]
        let indexes = result["indexes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if !indexes.isEmpty { lines.append("indexes: " + indexes.joined(separator: ", ")) }
        return Report.list("DynamoDB table \(input.table):", lines)
    }
}
