import Foundation
public import NimbusAgents
public import NimbusCore

/// `iam.get_policy_document`: a managed policy's current document (by ARN or name), or a role's inline policy.
public struct IAMGetPolicyDocument: OpsTool {
    public struct Input: ToolInput {
        public var policy: String
        public var role: String?

        public static let schema = ToolSchema.object(
            [
                "policy": ToolSchema.string(
                    "A managed policy's ARN or name, or an inline policy's name.", minLength: 1),
                "role": ToolSchema.string("For an inline policy: the role it belongs to."),
            ], required: ["policy"])
    }

    public let name = "iam.get_policy_document"
    public let summary = "Show an IAM policy's document: a managed policy by ARN or name, or a role's inline policy"
    public let access = ToolAccess.read
    public let actions = ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicies", "iam:GetRolePolicy"]

    public init() {}

    public func actions(for input: Input) -> [String] {
        if input.role != nil { return ["iam:GetRolePolicy"] }
        return input.policy.hasPrefix("arn:")
            ? ["iam:GetPolicy", "iam:GetPolicyVersion"] : ["iam:ListPolicies", "iam:GetPolicy", "iam:GetPolicyVersion"]
    }

    public func describe(_ input: Input) -> String {
        input.role.map { "show inline policy \(input.policy) of role \($0)" }
            ?? "show the document of policy \(input.policy)"
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let aws = environment.aws(context)
        if let role = input.role {
            let output = try await aws.call(
                "iam", "GetRolePolicy", ["RoleName": .string(role), "PolicyName": .string(input.policy)])
            return [
                "name": .string(input.policy), "role": .string(role),
                "document": Self.document(output["PolicyDocument"]),
            ]
        }
        var arn = input.policy
        if !arn.hasPrefix("arn:") {
            let (pages, _) = try await aws.pages("iam", "ListPolicies", ["Scope": "All"], maxPages: 50)
            let match = pages.flatMap { $0["Policies"]?.arrayValue ?? [] }.first {
                $0["PolicyName"]?.stringValue == input.policy
            }
            guard let found = match?["Arn"]?.stringValue else {
                throw AgentError.invalidArguments(
                    tool: name, problems: ["there is no managed policy named '\(input.policy)'"])
            }
            arn = found
        }
        let policy = try await aws.call("iam", "GetPolicy", ["PolicyArn": .string(arn)])
        let version = policy["Policy"]?["DefaultVersionId"]?.stringValue ?? "v1"
        let output = try await aws.call(
            "iam", "GetPolicyVersion", ["PolicyArn": .string(arn), "VersionId": .string(version)])
        return [
            "name": policy["Policy"]?["PolicyName"] ?? .null, "arn": .string(arn), "version": .string(version),
            "document": Self.document(output["PolicyVersion"]?["Document"]),
        ]
    }

    /// IAM returns documents URL-encoded; they are JSON underneath.
    static func document(_ value: JSONValue?) -> JSONValue {
        guard let text = value?.stringValue else { return value ?? .null }
        let decoded = text.removingPercentEncoding ?? text
        return (try? JSONValue(parsing: decoded)) ?? .string(decoded)
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let title = result["arn"]?.stringValue ?? input.policy
        return "Policy \(title)\(result["version"]?.stringValue.map { " (\($0))" } ?? ""):\n"
            + (result["document"]?.prettyJSONText ?? "")
    }
}
