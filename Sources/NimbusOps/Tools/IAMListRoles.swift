public import NimbusAgents
public import NimbusCore

/// `iam.list_roles`: the account's IAM roles.
public struct IAMListRoles: OpsTool {
    public struct Input: ToolInput {
        public var pathPrefix: String?

        enum CodingKeys: String, CodingKey { case pathPrefix = "path_prefix" }

        public static let schema = ToolSchema.object([
            "path_prefix": ToolSchema.string("Only roles under this path (/service-role/).", pattern: "^/")
        ])
    }

    public let name = "iam.list_roles"
    public let summary = "List IAM roles with their descriptions"
    public let access = ToolAccess.read
    public let actions = ["iam:ListRoles"]

    public init() {}

    public func describe(_ input: Input) -> String {
        "list IAM roles" + (input.pathPrefix.map { " under \($0)" } ?? "")
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        var parameters: [String: JSONValue] = [:]
        if let prefix = input.pathPrefix { parameters["PathPrefix"] = .string(prefix) }
        let (pages, _) = try await environment.aws(context).pages("iam", "ListRoles", .object(parameters))
        let roles: [JSONValue] = pages.flatMap { $0["Roles"]?.arrayValue ?? [] }.map { role in
            [
                "name": role["RoleName"] ?? .null, "arn": role["Arn"] ?? .null, "created": role["CreateDate"] ?? .null,
                "description": role["Description"] ?? .null,
            ]
        }
        return ["count": .int(roles.count), "roles": .array(roles)]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let roles = result["roles"]?.arrayValue ?? []
        return Report.list(
            "\(Report.plural(roles.count, "IAM role")):",
            roles.map { role in
                var line = "\(role["name"]?.stringValue ?? "?")  \(role["arn"]?.stringValue ?? "")"
                if let description = role["description"]?.stringValue, !description.isEmpty {
                    line += "  \(description)"
                }
                return line
            })
    }
}
