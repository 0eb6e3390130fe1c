import NimbusAWS
public import NimbusAgents
public import NimbusCore

/// `s3.create_bucket`: a new bucket, in the client's region unless another is named.
public struct S3CreateBucket: OpsTool {
    public struct Input: ToolInput {
        public var bucket: String
        public var region: String?

        public static let schema = ToolSchema.object(
            [
                "bucket": ToolSchema.string(
                    "The new bucket's name: 3-63 lower-case letters, digits, dots and dashes.",
                    pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"),
                "region": ToolSchema.string("The bucket's region (default: the request's region)."),
            ], required: ["bucket"])
    }

    public let name = "s3.create_bucket"
    public let summary = "Create an S3 bucket"
    public let access = ToolAccess.write
    public let actions = ["s3:CreateBucket"]

    public init() {}

    public func describe(_ input: Input) -> String {
        "create bucket \(input.bucket)" + (input.region.map { " in \($0)" } ?? "")
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let aws = environment.aws(context)
        let region = input.region ?? aws.region ?? "us-east-1"
        var parameters: [String: JSONValue] = ["Bucket": .string(input.bucket)]
        // us-east-1 is the one region that refuses an explicit location constraint.
        if region != "us-east-1" { parameters["CreateBucketConfiguration"] = ["LocationConstraint": .string(region)] }
        do {
            let output = try await aws.call("s3", "CreateBucket", .object(parameters))
            return [
                "bucket": .string(input.bucket), "region": .string(region), "location": output["Location"] ?? .null,
            ]
        } catch let error as AWSError where error.code == "BucketAlreadyOwnedByYou" && context.mayHaveRunBefore {
            // An earlier attempt of this very step created it before the process stopped.
            return ["bucket": .string(input.bucket), "region": .string(region), "location": .null]
        }
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        "Created bucket \(input.bucket) in \(result["region"]?.stringValue ?? "?")."
    }
}
