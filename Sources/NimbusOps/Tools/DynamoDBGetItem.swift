public import NimbusAgents
public import NimbusCore

/// `dynamodb.get_item`: one item by its key, written as plain JSON (`{"pk": "order#1"}`); the key's types come
/// from the table.
public struct DynamoDBGetItem: OpsTool {
    public struct Input: ToolInput {
        public var table: String
        public var key: [String: JSONValue]

        public static let schema = ToolSchema.object(
            [
                "table": ToolSchema.string("The table's name.", minLength: 1),
                "key": ToolSchema.map(
                    "The item's full key as plain JSON: attribute → value.", of: ["type": ["string", "number"]]),
            ], required: ["table", "key"])
    }

    public let name = "dynamodb.get_item"
    public let summary = "Get one DynamoDB item by its key"
    public let access = ToolAccess.read
    public let actions = ["dynamodb:DescribeTable", "dynamodb:GetItem"]

    public init() {}

    public func describe(_ input: Input) -> String {
        "get the item \(JSONValue.object(input.key).jsonText) from DynamoDB table \(input.table)"
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let aws = environment.aws(context)
        let schema = try await DynamoValues.keySchema(aws, table: input.table)
        var key: [String: JSONValue] = [:]
        for (attribute, type) in schema {
            guard let value = input.key[attribute] else {
                throw AgentError.invalidArguments(
                    tool: name,
                    problems: [
                        "the key of \(input.table) is \(schema.map(\.name).joined(separator: " + ")); '\(attribute)' is missing"
                    ])
            }
            key[attribute] = DynamoValues.marshal(value, type: type)
        }
        let output = try await aws.call(
            "dynamodb", "GetItem", ["TableName": .string(input.table), "Key": .object(key)])
        let found = output["Item"] != nil
        return [
            "table": .string(input.table), "found": .bool(found),
            "item": found ? DynamoValues.item(output["Item"]) : .null,
        ]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        guard result["found"]?.boolValue == true else {
            return "No item with key \(JSONValue.object(input.key).jsonText) in \(input.table)."
        }
        return "Item from \(input.table):\n" + (result["item"]?.prettyJSONText ?? "")
    }
}
