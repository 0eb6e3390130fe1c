public import NimbusAgents
public import NimbusCore

/// `dynamodb.scan`: the first items of a table, at most `limit`: a bounded look, never a full-table read.
public struct DynamoDBScan: OpsTool {
    public struct Input: ToolInput {
        public var table: String
        public var limit: Int?

        public static let schema = ToolSchema.object(
            [
                "table": ToolSchema.string("The table's name.", minLength: 1),
                "limit": ToolSchema.integer("At most this many items (default 25).", minimum: 1, maximum: 100),
            ], required: ["table"])
    }

    public let name = "dynamodb.scan"
    public let summary = "Read the first items of a DynamoDB table (bounded scan)"
    public let access = ToolAccess.read
    public let actions = ["dynamodb:Scan"]

    public init() {}

    public func describe(_ input: Input) -> String {
        "scan DynamoDB table \(input.table) (at most \(input.limit ?? 25) items)"
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let output = try await environment.aws(context).call(
            "dynamodb", "Scan", ["TableName": .string(input.table), "Limit": .int(input.limit ?? 25)])
        let items = (output["Items"]?.arrayValue ?? []).map(DynamoValues.item)
        return [
            "table": .string(input.table), "count": .int(items.count), "items": .array(items),
            "truncated": .bool(output["LastEvaluatedKey"] != nil),
        ]
    }

    public func report(_ result: JSONValue, input: Input) -> String { DynamoItems.report(result, table: input.table) }
}
