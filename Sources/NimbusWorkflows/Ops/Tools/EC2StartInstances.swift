public import NimbusAgents
public import NimbusCore

/// `ec2.start_instances`: starts the instances named by id.
public struct EC2StartInstances: OpsTool {
    public struct Input: ToolInput {
        public var instanceIDs: [String]

        enum CodingKeys: String, CodingKey { case instanceIDs = "instance_ids" }

        public static let schema = ToolSchema.object(
            [
                "instance_ids": ToolSchema.array(
                    "The instances to start.", of: ToolSchema.string("i-…", pattern: "^i-[0-9a-f]+$"), minItems: 1)
            ], required: ["instance_ids"])
    }

    public let name = "ec2.start_instances"
    public let summary = "Start EC2 instances by id"
    public let access = ToolAccess.write
    public let actions = ["ec2:StartInstances"]

    public init() {}

    public func describe(_ input: Input) -> String {
        "start \(Report.plural(input.instanceIDs.count, "instance")): \(input.instanceIDs.joined(separator: ", "))"
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let output = try await environment.aws(context).call(
            "ec2", "StartInstances", ["InstanceIds": .array(input.instanceIDs.map(JSONValue.string))])
        let changes: [JSONValue] = (output["StartingInstances"]?.arrayValue ?? []).map { change in
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
            "Started \(Report.plural(changes.count, "instance")):",
            changes.map {
                "\($0["id"]?.stringValue ?? "?"): \($0["previous"]?.stringValue ?? "?") → \($0["current"]?.stringValue ?? "?")"
            })
    }
}
