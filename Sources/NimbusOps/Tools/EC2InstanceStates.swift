public import NimbusAgents
public import NimbusCore

/// `ec2.start_instances`, `ec2.stop_instances` and `ec2.terminate_instances`: start, stop or terminate the
/// instances named by id. One type, three registered tools: the operations differ only in their names, and
/// terminating is a deletion (an instance cannot be brought back), so it asks like one.
public struct EC2ChangeInstanceStates: OpsTool {
    /// What the tool does to the instances.
    public enum Change: String, Sendable, CaseIterable {
        case start, stop, terminate

        var operation: String {
            switch self {
            case .start: "StartInstances"
            case .stop: "StopInstances"
            case .terminate: "TerminateInstances"
            }
        }
        /// The output member listing the state changes.
        var outputMember: String {
            switch self {
            case .start: "StartingInstances"
            case .stop: "StoppingInstances"
            case .terminate: "TerminatingInstances"
            }
        }
        var pastTense: String {
            switch self {
            case .start: "Started"
            case .stop: "Stopped"
            case .terminate: "Terminated"
            }
        }
        /// The states an instance can be in for the change to do something ("stop the instances tagged env=dev"
        /// looks up only those).
        public var fromStates: [String] {
            switch self {
            case .start: ["stopped"]
            case .stop: ["running", "pending"]
            case .terminate: ["running", "pending", "stopping", "stopped"]
            }
        }
    }

    public struct Input: ToolInput {
        public var instanceIDs: [String]

        enum CodingKeys: String, CodingKey { case instanceIDs = "instance_ids" }

        public static let schema = ToolSchema.object(
            [
                "instance_ids": ToolSchema.array(
                    "The instances.", of: ToolSchema.string("i-…", pattern: "^i-[0-9a-f]+$"), minItems: 1)
            ], required: ["instance_ids"])
    }

    public let change: Change
    public var name: String { "ec2.\(change.rawValue)_instances" }
    public var summary: String { "\(change.rawValue.capitalized) EC2 instances by id" }
    public var access: ToolAccess { change == .terminate ? .delete : .write }
    public var actions: [String] { ["ec2:\(change.operation)"] }

    public init(_ change: Change) {
        self.change = change
    }

    public func describe(_ input: Input) -> String {
        "\(change.rawValue) \(Report.plural(input.instanceIDs.count, "instance")): "
            + input.instanceIDs.joined(separator: ", ")
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let output = try await environment.aws(context).call(
            "ec2", change.operation, ["InstanceIds": .array(input.instanceIDs.map(JSONValue.string))])
        let changes: [JSONValue] = (output[change.outputMember]?.arrayValue ?? []).map { change in
            [
                "id": change["InstanceId"] ?? .null, "previous": change["PreviousState"]?["Name"] ?? .null,
                "current": change["CurrentState"]?["Name"] ?? .null,
            ]
        }
        return ["count": .int(changes.count), "changes": .array(changes)]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let changes = result["changes"]?.arrayValue ?? []
        return Report.list(
            "\(change.pastTense) \(Report.plural(changes.count, "instance")):",
            changes.map {
                "\($0["id"]?.stringValue ?? "?"): \($0["previous"]?.stringValue ?? "?") → \($0["current"]?.stringValue ?? "?")"
            })
    }
}
