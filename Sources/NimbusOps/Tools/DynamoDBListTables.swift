public import NimbusAgents
public import NimbusCore

/// `dynamodb.list_tables`: the DynamoDB tables of the region.
public struct DynamoDBListTables: OpsTool {
    public struct Input: ToolInput {
        public static let schema = ToolSchema.empty
    }

    public let name = "dynamodb.list_tables"
    public let summary = "List DynamoDB tables"
    public let access = ToolAccess.read
    public let actions = ["dynamodb:ListTables"]

    public init() {}

    public func describe(_ input: Input) -> String { "list DynamoDB tables" }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let (pages, _) = try await environment.aws(context).pages("dynamodb", "ListTables")
        let tables = pages.flatMap { $0["TableNames"]?.arrayValue ?? [] }
        return ["count": .int(tables.count), "tables": .array(tables)]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let tables = result["tables"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return Report.list("\(Report.plural(tables.count, "DynamoDB table")):", tables)
    }
}

/// Plain JSON to DynamoDB's typed attribute values and back.
enum DynamoValues {
    /// A plain value as an attribute value; `type` (S, N, B) forces the type a key attribute needs.
    static func marshal(_ value: JSONValue, type: String? = nil) -> JSONValue {
        switch (type, value) {
        case ("S", _): return ["S": .string(value.stringValue ?? value.jsonText)]
        case ("N", _): return ["N": .string(value.stringValue ?? value.jsonText)]
        case ("B", _): return ["B": .string(value.stringValue ?? value.jsonText)]
        case (_, .string(let text)): return ["S": .string(text)]
        case (_, .int), (_, .double): return ["N": .string(value.jsonText)]
        case (_, .bool(let flag)): return ["BOOL": .bool(flag)]
        case (_, .null): return ["NULL": true]
        case (_, .array(let elements)): return ["L": .array(elements.map { marshal($0) })]
        case (_, .object(let members)): return ["M": .object(members.mapValues { marshal($0) })]
        }
    }

    /// An attribute value as plain JSON.
    static func unmarshal(_ value: JSONValue) -> JSONValue {
        guard case .object(let members) = value, let (type, inner) = members.first else { return value }
        switch type {
        case "S", "B": return inner
        case "N":
            let text = inner.stringValue ?? ""
            if let integer = Int(text) { return .int(integer) }
            return Double(text).map(JSONValue.double) ?? .string(text)
        case "BOOL": return inner
        case "NULL": return .null
        case "L": return .array((inner.arrayValue ?? []).map(unmarshal))
        case "M": return .object((inner.objectValue ?? [:]).mapValues(unmarshal))
        case "SS", "BS": return inner
        case "NS": return .array((inner.arrayValue ?? []).map { unmarshal(["N": $0]) })
        default: return value
        }
    }

    static func item(_ value: JSONValue?) -> JSONValue {
        .object((value?.objectValue ?? [:]).mapValues(unmarshal))
    }

    /// The key attributes of a table and their types (HASH first), from DescribeTable.
    static func keySchema(_ aws: AuditedAWS, table: String) async throws -> [(name: String, type: String)] {
        let described = try await aws.call("dynamodb", "DescribeTable", ["TableName": .string(table)])
        let types = Dictionary(
            (described["Table"]?["AttributeDefinitions"]?.arrayValue ?? []).compactMap { definition in
                definition["AttributeName"]?.stringValue.map { ($0, definition["AttributeType"]?.stringValue ?? "S") }
            }, uniquingKeysWith: { first, _ in first })
        let keys = described["Table"]?["KeySchema"]?.arrayValue ?? []
        return keys.sorted {
            ($0["KeyType"]?.stringValue ?? "") == "HASH" && ($1["KeyType"]?.stringValue ?? "") != "HASH"
        }
        .compactMap { key in key["AttributeName"]?.stringValue.map { ($0, types[$0] ?? "S") } }
    }
}
