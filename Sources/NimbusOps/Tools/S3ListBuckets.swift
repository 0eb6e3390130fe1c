import NimbusAWS
public import NimbusAgents
public import NimbusCore

/// `s3.list_buckets`: every bucket of the account, optionally with its tags.
public struct S3ListBuckets: OpsTool {
    public struct Input: ToolInput {
        public var includeTags: Bool?

        enum CodingKeys: String, CodingKey { case includeTags = "include_tags" }

        public static let schema = ToolSchema.object([
            "include_tags": ToolSchema.boolean("Also read each bucket's tags.")
        ])
    }

    public let name = "s3.list_buckets"
    public let summary = "List the account's S3 buckets with their creation dates, and optionally their tags"
    public let access = ToolAccess.read
    public let actions = ["s3:ListBuckets", "s3:GetBucketTagging"]

    public init() {}

    public func actions(for input: Input) -> [String] {
        input.includeTags == true ? actions : ["s3:ListBuckets"]
    }

    public func describe(_ input: Input) -> String {
        input.includeTags == true ? "list S3 buckets with their tags" : "list S3 buckets"
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let aws = environment.aws(context)
        let output = try await aws.call("s3", "ListBuckets")
        var buckets: [JSONValue] = []
        for bucket in output["Buckets"]?.arrayValue ?? [] {
            guard let name = bucket["Name"]?.stringValue else { continue }
            var entry: [String: JSONValue] = ["name": .string(name), "created": bucket["CreationDate"] ?? .null]
            if input.includeTags == true {
                do {
                    let tagging = try await aws.call("s3", "GetBucketTagging", ["Bucket": .string(name)])
                    entry["tags"] = Report.tagMap(tagging["TagSet"])
                } catch let error as AWSError where error.code == "NoSuchTagSet" {
                    entry["tags"] = .object([:])
                } catch let error as AWSError where error.code == "NoSuchBucket" {
                    // Deleted between the listing and this call: it is no longer there to list.
                    continue
                }
            }
            buckets.append(.object(entry))
        }
        return ["count": .int(buckets.count), "buckets": .array(buckets)]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let buckets = result["buckets"]?.arrayValue ?? []
        let lines = buckets.map { bucket -> String in
            var line = bucket["name"]?.stringValue ?? "?"
            if let created = bucket["created"]?.stringValue { line += "  (created \(created))" }
            if let tags = bucket["tags"]?.objectValue, !tags.isEmpty {
                line +=
                    "  tags: "
                    + tags.keys.sorted().map { "\($0)=\(tags[$0]?.stringValue ?? "")" }.joined(separator: ", ")
            }
            return line
        }
        return Report.list("\(Report.plural(buckets.count, "S3 bucket")):", lines)
    }
}
