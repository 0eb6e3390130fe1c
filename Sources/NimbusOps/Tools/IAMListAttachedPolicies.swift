public import NimbusAgents
public import NimbusCore

/// `iam.list_attached_policies`: the managed policies attached to a role or a user, and its inline policy names.
public struct IAMListAttachedPolicies: OpsTool {
    public struct Input: ToolInput {
        public var role: String?
        public var user: String?

        public static let schema = ToolSchema.object([
            "role": ToolSchema.string("The role's name.", minLength: 1),
            "user": ToolSchema.string("The user's name.", minLength: 1),
        ])
    }

    public let name = "iam.list_attached_policies"
    public let summary = "List the policies attached to an IAM role or user (managed and inline)"
    public let access = ToolAccess.read
    public let actions = [
        "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:ListAttachedUserPolicies", "iam:ListUserPolicies",
    ]

    public init() {}

    public func actions(for input: Input) -> [String] {
        input.role != nil
            ? ["iam:ListAttachedRolePolicies", "iam:ListRolePolicies"]
            : ["iam:ListAttachedUserPolicies", "iam:ListUserPolicies"]
    }

    public func validate(_ input: Input) throws {
        if (input.role == nil) == (input.user == nil) {
            throw AgentError.invalidArguments(tool: name, problems: ["name either a role or a user"])
        }
    }

    public func describe(_ input: Input) -> String {
        input.role.map { "list the policies of role \($0)" } ?? "list the policies of user \(input.user ?? "?")"
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let aws = environment.aws(context)
        let (kind, name, attached, inline, key): (String, String, String, String, String) =
            if let role = input.role {
                ("role", role, "ListAttachedRolePolicies", "ListRolePolicies", "RoleName")
            } else {
                ("user", input.user ?? "", "ListAttachedUserPolicies", "ListUserPolicies", "UserName")
            }
        let (attachedPages, _) = try await aws.pages("iam", attached, [key: .string(name)])
        let (inlinePages, _) = try await aws.pages("iam", inline, [key: .string(name)])
        let managed: [JSONValue] = attachedPages.flatMap { $0["AttachedPolicies"]?.arrayValue ?? [] }.map {
            ["name": $0["PolicyName"] ?? .null, "arn": $0["PolicyArn"] ?? .null]
        }
        let inlineNames = inlinePages.flatMap { $0["PolicyNames"]?.arrayValue ?? [] }
        return [kind: .string(name), "attached": .array(managed), "inline": .array(inlineNames)]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let principal = input.role.map { "role \($0)" } ?? "user \(input.user ?? "?")"
        var lines = (result["attached"]?.arrayValue ?? []).map {
            "\($0["name"]?.stringValue ?? "?")  \($0["arn"]?.stringValue ?? "")"
        }
        lines += (result["inline"]?.arrayValue ?? []).compactMap(\.stringValue).map { "\($0)  (inline)" }
        return Report.list("\(Report.plural(lines.count, "policy", "policies")) on \(principal):", lines)
    }
}
