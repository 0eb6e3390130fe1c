public import NimbusAgents
public import NimbusCore

/// `sqs.list_queues`: the queue URLs, optionally by name prefix. The example of docs/ops.md, "Adding a tool".
public struct SQSListQueues: OpsTool {
    public struct Input: ToolInput {
        public var prefix: String?
        public static let schema = ToolSchema.object([
            "prefix": ToolSchema.string("Only queues whose name starts with this.")
        ])
    }

    public let name = "sqs.list_queues"
    public let summary = "List SQS queues, optionally those whose name starts with a prefix"
    public let access = ToolAccess.read
    public let actions = ["sqs:ListQueues"]

    public init() {}

    public func describe(_ input: Input) -> String {
        input.prefix.map { "list SQS queues named \($0)…" } ?? "list SQS queues"
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        var parameters: JSONValue = [:]
        if let prefix = input.prefix { parameters["QueueNamePrefix"] = .string(prefix) }
        let listed = try await environment.aws(context).call("sqs", "ListQueues", parameters)
        return ["queues": listed["QueueUrls"] ?? []]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let queues = result["queues"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return (["\(queues.count) SQS queue\(queues.count == 1 ? "" : "s"):"] + queues.map { "  " + $0 })
            .joined(separator: "\n")
    }
}
