public import NimbusAgents
public import NimbusCore

/// `ec2.describe_instances`: instances by id, tags, state or any EC2 filter, with their names and tags.
public struct EC2DescribeInstances: OpsTool {
    public struct Input: ToolInput {
        public var instanceIDs: [String]?
        public var tags: [String: String]?
        public var states: [String]?
        public var filters: [String: [String]]?

        enum CodingKeys: String, CodingKey {
            case tags, states, filters
            case instanceIDs = "instance_ids"
        }

        public static let schema = ToolSchema.object([
            "instance_ids": ToolSchema.array("Only these instances.", of: ToolSchema.string("i-…", pattern: "^i-")),
            "tags": ToolSchema.map(
                "Only instances with these tags (key → value; * matches any value).", of: ["type": "string"]),
            "states": ToolSchema.array(
                "Only instances in these states.",
                of: ToolSchema.string(
                    "A state.", oneOf: ["pending", "running", "shutting-down", "terminated", "stopping", "stopped"])),
            "filters": ToolSchema.map(
                "Any EC2 DescribeInstances filters (name → values).",
                of: ["type": "array", "items": ["type": "string"]]),
        ])
    }

    public let name = "ec2.describe_instances"
    public let summary = "Describe EC2 instances (by id, tags, state or filters) with their state, type, names and tags"
    public let access = ToolAccess.read
    public let actions = ["ec2:DescribeInstances"]

    public init() {}

    public func describe(_ input: Input) -> String {
        var parts = ["describe EC2 instances"]
        if let ids = input.instanceIDs { parts.append(ids.joined(separator: ", ")) }
        if let tags = input.tags, !tags.isEmpty {
            parts.append("tagged " + tags.keys.sorted().map { "\($0)=\(tags[$0]!)" }.joined(separator: ", "))
        }
        if let states = input.states { parts.append("that are " + states.joined(separator: " or ")) }
        return parts.joined(separator: " ")
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        var filters: [JSONValue] = []
        for (key, value) in (input.tags ?? [:]).sorted(by: { $0.key < $1.key }) {
            filters.append(["Name": .string("tag:\(key)"), "Values": [.string(value)]])
        }
        if let states = input.states, !states.isEmpty {
            filters.append(["Name": "instance-state-name", "Values": .array(states.map(JSONValue.string))])
        }
        for (name, values) in (input.filters ?? [:]).sorted(by: { $0.key < $1.key }) {
            filters.append(["Name": .string(name), "Values": .array(values.map(JSONValue.string))])
        }
        var parameters: [String: JSONValue] = [:]
        if !filters.isEmpty { parameters["Filters"] = .array(filters) }
        if let ids = input.instanceIDs, !ids.isEmpty { parameters["InstanceIds"] = .array(ids.map(JSONValue.string)) }
        let (pages, truncated) = try await environment.aws(context).pages(
            "ec2", "DescribeInstances", .object(parameters), maxPages: 10)
        var instances: [JSONValue] = []
        for page in pages {
            for reservation in page["Reservations"]?.arrayValue ?? [] {
                for instance in reservation["Instances"]?.arrayValue ?? [] {
                    instances.append(Self.summary(of: instance))
                }
            }
        }
        return [
            "count": .int(instances.count), "instances": .array(instances),
            "instance_ids": .array(instances.compactMap { $0["id"] }), "truncated": .bool(truncated),
        ]
    }

    /// The fields people and models need, under plain names; absent fields are null.
    static func summary(of instance: JSONValue) -> JSONValue {
        let tags = Report.tagMap(instance["Tags"])
        var entry: [String: JSONValue] = ["tags": tags, "name": tags["Name"] ?? .null]
        entry["state"] = instance["State"]?["Name"] ?? .null
        let fields: [(String, String)] = [
            ("id", "InstanceId"), ("type", "InstanceType"), ("private_ip", "PrivateIpAddress"),
            ("public_ip", "PublicIpAddress"), ("launched", "LaunchTime"), ("vpc_id", "VpcId"),
            ("subnet_id", "SubnetId"),
        ]
        for (name, field) in fields { entry[name] = instance[field] ?? .null }
        return .object(entry)
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let instances = result["instances"]?.arrayValue ?? []
        let lines = instances.map { instance -> String in
            var line = "\(instance["id"]?.stringValue ?? "?")  \(instance["state"]?.stringValue ?? "?")"
            line += "  \(instance["type"]?.stringValue ?? "")"
            if let name = instance["name"]?.stringValue { line += "  \(name)" }
            let tags = instance["tags"]?.objectValue ?? [:]
            let others = tags.keys.sorted().filter { $0 != "Name" }
            if !others.isEmpty {
                line += "  tags: " + others.map { "\($0)=\(tags[$0]?.stringValue ?? "")" }.joined(separator: ", ")
            }
            return line
        }
        return Report.list("\(Report.plural(instances.count, "EC2 instance")):", lines)
    }
}
