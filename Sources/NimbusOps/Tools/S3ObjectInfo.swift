import NimbusAWS
public import NimbusAgents
public import NimbusCore

/// `s3.object_info`: one object's size, type, dates, metadata and tags.
public struct S3ObjectInfo: OpsTool {
    public struct Input: ToolInput {
        public var uri: String

        public static let schema = ToolSchema.object(
            ["uri": ToolSchema.string("The object as s3://bucket/key.", pattern: "^s3://[^/]+/.+")],
            required: ["uri"])
    }

    public let name = "s3.object_info"
    public let summary = "Show one S3 object's size, content type, last change, metadata and tags"
    public let access = ToolAccess.read
    public let actions = ["s3:HeadObject", "s3:GetObjectTagging"]

    public init() {}

    public func validate(_ input: Input) throws { _ = try S3URI.parse(input.uri, field: "uri", tool: name) }

    public func describe(_ input: Input) -> String { "show details of \(input.uri)" }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let uri = try S3URI.parse(input.uri, field: "uri", tool: name)
        let aws = environment.aws(context)
        let location: JSONValue = ["Bucket": .string(uri.bucket), "Key": .string(uri.key)]
        let head = try await aws.call("s3", "HeadObject", location)
        var tags: JSONValue = .object([:])
        do {
            tags = Report.tagMap(try await aws.call("s3", "GetObjectTagging", location)["TagSet"])
        } catch let error as AWSError where error.statusCode == 404 || error.code == "NoSuchTagSet" {
            tags = .object([:])
        }
        return [
            "bucket": .string(uri.bucket), "key": .string(uri.key), "size": head["ContentLength"] ?? .null,
            "content_type": head["ContentType"] ?? .null, "modified": head["LastModified"] ?? .null,
            "etag": head["ETag"] ?? .null, "storage_class": head["StorageClass"] ?? "STANDARD",
            "metadata": head["Metadata"] ?? .object([:]), "tags": tags,
        ]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        var lines = [
            "size: \(Report.bytes(result["size"]?.intValue ?? 0))",
            "type: \(result["content_type"]?.stringValue ?? "-")",
            "modified: \(result["modified"]?.stringValue ?? "-")",
            "storage class: \(result["storage_class"]?.stringValue ?? "-")",
        ]
        if let tags = result["tags"]?.objectValue, !tags.isEmpty {
            lines.append(
                "tags: " + tags.keys.sorted().map { "\($0)=\(tags[$0]?.stringValue ?? "")" }.joined(separator: ", "))
        }
        return Report.list("\(input.uri):", lines)
    }
}
