public import NimbusAgents
public import NimbusCore

/// `sts.get_caller_identity`: who the credentials in use are: account, ARN, user id.
public struct STSCallerIdentity: OpsTool {
    public struct Input: ToolInput {
        public static let schema = ToolSchema.empty
    }

    public let name = "sts.get_caller_identity"
    public let summary = "Show who the AWS credentials in use belong to: account, ARN and user id"
    public let access = ToolAccess.read
    public let actions = ["sts:GetCallerIdentity"]

    public init() {}

    public func describe(_ input: Input) -> String { "show who the credentials belong to" }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let aws = environment.aws(context)
        let identity = try await aws.call("sts", "GetCallerIdentity")
        return [
            "account": identity["Account"] ?? .null, "arn": identity["Arn"] ?? .null,
            "user_id": identity["UserId"] ?? .null, "profile": .string(aws.client.profileName),
            "region": aws.region.map(JSONValue.string) ?? .null,
        ]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        "You are \(result["arn"]?.stringValue ?? "?") in account \(result["account"]?.stringValue ?? "?")"
            + " (profile \(result["profile"]?.stringValue ?? "?"), region \(result["region"]?.stringValue ?? "none"))."
    }
}
