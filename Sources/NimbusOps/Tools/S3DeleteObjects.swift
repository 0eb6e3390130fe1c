public import NimbusAgents
public import NimbusCore

/// `s3.delete_objects`: named keys, or every object under a prefix, deleted in batches of 1000.
public struct S3DeleteObjects: OpsTool {
    public struct Input: ToolInput {
        public var bucket: String
        public var keys: [String]?
        public var prefix: String?

        public static let schema = ToolSchema.object(
            [
                "bucket": ToolSchema.string("The bucket name.", minLength: 1),
                "keys": ToolSchema.array(
                    "The keys to delete.", of: ToolSchema.string("A key.", minLength: 1), minItems: 1),
                "prefix": ToolSchema.string("Delete every object whose key starts with this ('' is the whole bucket)."),
            ], required: ["bucket"])
    }

    public let name = "s3.delete_objects"
    public let summary = "Delete S3 objects: the keys named, or everything under a prefix"
    public let access = ToolAccess.delete
    public let actions = ["s3:DeleteObjects", "s3:ListObjectsV2"]

    public init() {}

    public func actions(for input: Input) -> [String] {
        input.prefix == nil ? ["s3:DeleteObjects"] : actions
    }

    public func validate(_ input: Input) throws {
        if (input.keys == nil) == (input.prefix == nil) {
            throw AgentError.invalidArguments(tool: name, problems: ["give either keys or prefix, not both or neither"])
        }
    }

    public func describe(_ input: Input) -> String {
        if let keys = input.keys {
            let shown = keys.prefix(5).map { "s3://\(input.bucket)/\($0)" }.joined(separator: ", ")
            return "delete \(Report.plural(keys.count, "object")): \(shown)\(keys.count > 5 ? ", …" : "")"
        }
        let prefix = input.prefix ?? ""
        return prefix.isEmpty
            ? "delete every object in s3://\(input.bucket)" : "delete every object under s3://\(input.bucket)/\(prefix)"
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let aws = environment.aws(context)
        var keys = input.keys ?? []
        if let prefix = input.prefix {
            var parameters: [String: JSONValue] = ["Bucket": .string(input.bucket)]
            if !prefix.isEmpty { parameters["Prefix"] = .string(prefix) }
            let (pages, _) = try await aws.pages("s3", "ListObjectsV2", .object(parameters), maxPages: 100)
            keys = pages.flatMap { $0["Contents"]?.arrayValue ?? [] }.compactMap { $0["Key"]?.stringValue }
        }
        var deleted: [String] = []
        var errors: [JSONValue] = []
        var start = 0
        while start < keys.count {
            let batch = keys[start..<min(start + 1000, keys.count)]
            start += 1000
            let output = try await aws.call(
                "s3", "DeleteObjects",
                [
                    "Bucket": .string(input.bucket),
                    "Delete": ["Objects": .array(batch.map { ["Key": .string($0)] }), "Quiet": false],
                ])
            deleted += (output["Deleted"]?.arrayValue ?? []).compactMap { $0["Key"]?.stringValue }
            errors += (output["Errors"]?.arrayValue ?? []).map {
                ["key": $0["Key"] ?? .null, "code": $0["Code"] ?? .null, "message": $0["Message"] ?? .null]
            }
        }
        return [
            "bucket": .string(input.bucket), "deleted": .array(deleted.map(JSONValue.string)),
            "count": .int(deleted.count), "errors": .array(errors),
        ]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let deleted = result["deleted"]?.arrayValue?.compactMap(\.stringValue) ?? []
        var text = Report.list(
            "Deleted \(Report.plural(deleted.count, "object")) from s3://\(input.bucket).", deleted, limit: 20)
        let errors = result["errors"]?.arrayValue ?? []
        if !errors.isEmpty {
            text +=
                "\n"
                + Report.list(
                    "\(Report.plural(errors.count, "object")) could not be deleted:",
                    errors.map {
                        "\($0["key"]?.stringValue ?? "?"): \($0["code"]?.stringValue ?? "") \($0["message"]?.stringValue ?? "")"
                    })
        }
        return text
    }
}
