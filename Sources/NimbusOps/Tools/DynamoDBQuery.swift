public import NimbusAgents
public import NimbusCore

/// `dynamodb.query`: the items with one partition key value, at most `limit` of them.
public struct DynamoDBQuery: OpsTool {
    public struct Input: ToolInput {
        public var table: String
        public var partitionKey: JSONValue
        public var limit: Int?

        enum CodingKeys: String, CodingKey {
            case table, limit
            case partitionKey = "partition_key"
        }

        public static let schema = ToolSchema.object(
            [
                "table": ToolSchema.string("The table's name.", minLength: 1),
                "partition_key": ["type": ["string", "number"], "description": "The partition key's value."],
                "limit": ToolSchema.integer("At most this many items (default 25).", minimum: 1, maximum: 100),
            ], required: ["table", "partition_key"])
    }

    public let name = "dynamodb.query"
    public let summary = "Query a DynamoDB table for the items with one partition key value (bounded)"
    public let access = ToolAccess.read
    public let actions = ["dynamodb:DescribeTable", "dynamodb:Query"]

    public init() {}

    public func describe(_ input: Input) -> String {
        "query DynamoDB table \(input.table) for partition key \(input.partitionKey.jsonText) (at most \(input.limit ?? 25))"
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let aws = environment.aws(context)
        guard let partition = try await DynamoValues.keySchema(aws, table: input.table).first else {
            throw AgentError.invalidArguments(tool: name, problems: ["table \(input.table) has no key schema"])
        }
        let limit = input.limit ?? 25
        let output = try await aws.call(
            "dynamodb", "Query",
            [
                "TableName": .string(input.table), "KeyConditionExpression": "#k = :v",
                "ExpressionAttributeNames": ["#k": .string(partition.name)],
                "ExpressionAttributeValues": [":v": DynamoValues.marshal(input.partitionKey, type: partition.type)],
                "Limit": .int(limit),
            ])
        let items = (output["Items"]?.arrayValue ?? []).map(DynamoValues.item)
        return [
            "table": .string(input.table), "count": .int(items.count), "items": .array(items),
            "truncated": .bool(output["LastEvaluatedKey"] != nil),
        ]
    }

    public func report(_ result: JSONValue, input: Input) -> String { DynamoItems.report(result, table: input.table) }
}

/// The report the bounded reads share.
enum DynamoItems {
    static func report(_ result: JSONValue, table: String) -> String {
        let items = result["items"]?.arrayValue ?? []
        var heading = "\(Report.plural(items.count, "item")) from \(table)"
        if result["truncated"]?.boolValue == true { heading += " (more not shown)" }
        return Report.list(heading + ":", items.map(\.jsonText), limit: 25)
    }
}
