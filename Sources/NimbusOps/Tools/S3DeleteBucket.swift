public import NimbusAgents
public import NimbusCore

/// `s3.delete_bucket`: an empty bucket (S3 refuses to delete one with objects; delete them first).
public struct S3DeleteBucket: OpsTool {
    public struct Input: ToolInput {
        public var bucket: String

        public static let schema = ToolSchema.object(
            ["bucket": ToolSchema.string("The bucket name.", minLength: 1)], required: ["bucket"])
    }

    public let name = "s3.delete_bucket"
    public let summary = "Delete an empty S3 bucket"
    public let access = ToolAccess.delete
    public let actions = ["s3:DeleteBucket"]

    public init() {}

    public func describe(_ input: Input) -> String { "delete bucket \(input.bucket)" }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        _ = try await environment.aws(context).call("s3", "DeleteBucket", ["Bucket": .string(input.bucket)])
        return ["bucket": .string(input.bucket), "deleted": true]
    }

    public func report(_ result: JSONValue, input: Input) -> String { "Deleted bucket \(input.bucket)." }
}
