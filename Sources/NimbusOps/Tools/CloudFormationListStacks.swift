public import NimbusAgents
public import NimbusCore

/// `cloudformation.list_stacks`: stacks that exist (deleted ones left out), with their status.
public struct CloudFormationListStacks: OpsTool {
    public struct Input: ToolInput {
        public static let schema = ToolSchema.empty
    }

    public let name = "cloudformation.list_stacks"
    public let summary = "List CloudFormation stacks with their status"
    public let access = ToolAccess.read
    public let actions = ["cloudformation:ListStacks"]

    public init() {}

    public func describe(_ input: Input) -> String { "list CloudFormation stacks" }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let (pages, _) = try await environment.aws(context).pages("cloudformation", "ListStacks")
        let stacks: [JSONValue] = pages.flatMap { $0["StackSummaries"]?.arrayValue ?? [] }
            .filter { $0["StackStatus"]?.stringValue != "DELETE_COMPLETE" }
            .map { stack in
                [
                    "name": stack["StackName"] ?? .null, "status": stack["StackStatus"] ?? .null,
                    "created": stack["CreationTime"] ?? .null, "id": stack["StackId"] ?? .null,
                ]
            }
        return ["count": .int(stacks.count), "stacks": .array(stacks)]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let stacks = result["stacks"]?.arrayValue ?? []
        return Report.list(
            "\(Report.plural(stacks.count, "CloudFormation stack")):",
            stacks.map { "\($0["name"]?.stringValue ?? "?")  \($0["status"]?.stringValue ?? "")" })
    }
}
