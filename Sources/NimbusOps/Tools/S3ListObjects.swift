public import NimbusAgents
public import NimbusCore

/// `s3.list_objects`: the objects under a bucket and prefix, with sizes; recursive, or one level with folders.
public struct S3ListObjects: OpsTool {
    public struct Input: ToolInput {
        public var bucket: String
        public var prefix: String?
        public var recursive: Bool?
        public var maxKeys: Int?

        enum CodingKeys: String, CodingKey {
            case bucket, prefix, recursive
            case maxKeys = "max_keys"
        }

        public static let schema = ToolSchema.object(
            [
                "bucket": ToolSchema.string("The bucket name.", minLength: 1),
                "prefix": ToolSchema.string("Only keys starting with this prefix (a folder ends with /)."),
                "recursive": ToolSchema.boolean("List every key below the prefix (default) or one level with folders."),
                "max_keys": ToolSchema.integer("At most this many keys (default 1000).", minimum: 1, maximum: 100_000),
            ], required: ["bucket"])
    }

    public let name = "s3.list_objects"
    public let summary = "List the objects in an S3 bucket under a prefix, with their sizes"
    public let access = ToolAccess.read
    public let actions = ["s3:ListObjectsV2"]

    public init() {}

    public func describe(_ input: Input) -> String {
        let scope = input.recursive == false ? "one level of" : "objects in"
        return "list \(scope) s3://\(input.bucket)/\(input.prefix ?? "")"
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let limit = input.maxKeys ?? 1000
        var parameters: [String: JSONValue] = ["Bucket": .string(input.bucket), "MaxKeys": .int(min(limit, 1000))]
        if let prefix = input.prefix, !prefix.isEmpty { parameters["Prefix"] = .string(prefix) }
        if input.recursive == false { parameters["Delimiter"] = "/" }
        let (pages, more) = try await environment.aws(context).pages(
            "s3", "ListObjectsV2", .object(parameters), maxPages: max(1, (limit + 999) / 1000))
        var objects: [JSONValue] = []
        var folders: [JSONValue] = []
        var total = 0
        for page in pages {
            for object in page["Contents"]?.arrayValue ?? [] where objects.count < limit {
                let size = object["Size"]?.intValue ?? 0
                total += size
                objects.append([
                    "key": object["Key"] ?? .null, "size": .int(size), "modified": object["LastModified"] ?? .null,
                ])
            }
            folders += (page["CommonPrefixes"]?.arrayValue ?? []).compactMap { $0["Prefix"] }
        }
        let truncated = more || objects.count >= limit && pages.last?["IsTruncated"]?.boolValue == true
        return [
            "bucket": .string(input.bucket), "prefix": .string(input.prefix ?? ""), "count": .int(objects.count),
            "total_bytes": .int(total), "objects": .array(objects), "folders": .array(folders),
            "truncated": .bool(truncated),
        ]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let objects = result["objects"]?.arrayValue ?? []
        let folders = result["folders"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let place = "s3://\(input.bucket)/\(input.prefix ?? "")"
        var lines = folders.map { "\($0)  (folder)" }
        lines += objects.map { object in
            "\(object["key"]?.stringValue ?? "?")  \(Report.bytes(object["size"]?.intValue ?? 0))"
        }
        var heading = "\(Report.plural(objects.count, "object")) in \(place)"
        heading += " (\(Report.bytes(result["total_bytes"]?.intValue ?? 0)))"
        if !folders.isEmpty { heading += ", \(Report.plural(folders.count, "folder"))" }
        if result["truncated"]?.boolValue == true { heading += ", more not listed" }
        return Report.list(heading + ":", lines)
    }
}
