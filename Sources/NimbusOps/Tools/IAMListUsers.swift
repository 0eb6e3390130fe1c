public import NimbusAgents
public import NimbusCore

/// `iam.list_users`: the account's IAM users.
public struct IAMListUsers: OpsTool {
    public struct Input: ToolInput {
        public static let schema = ToolSchema.empty
    }

    public let name = "iam.list_users"
    public let summary = "List IAM users"
    public let access = ToolAccess.read
    public let actions = ["iam:ListUsers"]

    public init() {}

    public func describe(_ input: Input) -> String { "list IAM users" }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let (pages, _) = try await environment.aws(context).pages("iam", "ListUsers")
        let users: [JSONValue] = pages.flatMap { $0["Users"]?.arrayValue ?? [] }.map { user in
            ["name": user["UserName"] ?? .null, "arn": user["Arn"] ?? .null, "created": user["CreateDate"] ?? .null]
        }
        return ["count": .int(users.count), "users": .array(users)]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let users = result["users"]?.arrayValue ?? []
        return Report.list(
            "\(Report.plural(users.count, "IAM user")):",
            users.map { "\($0["name"]?.stringValue ?? "?")  \($0["arn"]?.stringValue ?? "")" })
    }
}
