public import NimbusAgents
public import NimbusCore

/// `cloudformation.list_stack_resources`: what a stack made: logical and physical ids, types, status.
public struct CloudFormationListStackResources: OpsTool {
    public struct Input: ToolInput {
        public var stack: String

        public static let schema = ToolSchema.object(
            ["stack": ToolSchema.string("The stack's name or id.", minLength: 1)], required: ["stack"])
    }

    public let name = "cloudformation.list_stack_resources"
    public let summary = "List the resources of a CloudFormation stack"
    public let access = ToolAccess.read
    public let actions = ["cloudformation:ListStackResources"]

    public init() {}

    public func describe(_ input: Input) -> String { "list the resources of stack \(input.stack)" }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let (pages, _) = try await environment.aws(context).pages(
            "cloudformation", "ListStackResources", ["StackName": .string(input.stack)])
        let resources: [JSONValue] = pages.flatMap { $0["StackResourceSummaries"]?.arrayValue ?? [] }.map { resource in
            [
                "logical_id": resource["LogicalResourceId"] ?? .null,
                "physical_id": resource["PhysicalResourceId"] ?? .null, "type": resource["ResourceType"] ?? .null,
                "status": resource["ResourceStatus"] ?? .null,
            ]
        }
        return ["stack": .string(input.stack), "count": .int(resources.count), "resources": .array(resources)]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let resources = result["resources"]?.arrayValue ?? []
        return Report.list(
            "\(Report.plural(resources.count, "resource")) in stack \(input.stack):",
            resources.map {
                "\($0["logical_id"]?.stringValue ?? "?")  \($0["type"]?.stringValue ?? "")  "
                    + "\($0["physical_id"]?.stringValue ?? "-")  \($0["status"]?.stringValue ?? "")"
            })
    }
}
