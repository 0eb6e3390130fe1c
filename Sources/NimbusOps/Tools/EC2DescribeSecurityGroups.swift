public import NimbusAgents
public import NimbusCore

/// `ec2.describe_security_groups`: security groups with their inbound rules in words.
public struct EC2DescribeSecurityGroups: OpsTool {
    public struct Input: ToolInput {
        public var vpcID: String?
        public var groupIDs: [String]?
        public var names: [String]?

        enum CodingKeys: String, CodingKey {
            case names
            case vpcID = "vpc_id"
            case groupIDs = "group_ids"
        }

        public static let schema = ToolSchema.object([
            "vpc_id": ToolSchema.string("Only groups of this VPC.", pattern: "^vpc-"),
            "group_ids": ToolSchema.array("Only these groups.", of: ToolSchema.string("sg-…", pattern: "^sg-")),
            "names": ToolSchema.array("Only groups with these names.", of: ToolSchema.string("A group name.")),
        ])
    }

    public let name = "ec2.describe_security_groups"
    public let summary = "Describe security groups and their inbound rules"
    public let access = ToolAccess.read
    public let actions = ["ec2:DescribeSecurityGroups"]

    public init() {}

    public func describe(_ input: Input) -> String {
        "describe security groups" + (input.vpcID.map { " of \($0)" } ?? "")
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        var filters: [JSONValue] = []
        if let vpc = input.vpcID { filters.append(["Name": "vpc-id", "Values": [.string(vpc)]]) }
        if let names = input.names, !names.isEmpty {
            filters.append(["Name": "group-name", "Values": .array(names.map(JSONValue.string))])
        }
        var parameters: [String: JSONValue] = [:]
        if !filters.isEmpty { parameters["Filters"] = .array(filters) }
        if let ids = input.groupIDs, !ids.isEmpty { parameters["GroupIds"] = .array(ids.map(JSONValue.string)) }
        let (pages, _) = try await environment.aws(context).pages("ec2", "DescribeSecurityGroups", .object(parameters))
        let groups: [JSONValue] = pages.flatMap { $0["SecurityGroups"]?.arrayValue ?? [] }.map { group in
            let inbound = (group["IpPermissions"]?.arrayValue ?? []).flatMap(Self.rules)
            return [
                "id": group["GroupId"] ?? .null, "name": group["GroupName"] ?? .null,
                "description": group["Description"] ?? .null, "vpc_id": group["VpcId"] ?? .null,
                "inbound": .array(inbound.map(JSONValue.string)),
            ]
        }
        return ["count": .int(groups.count), "groups": .array(groups)]
    }

    /// `tcp 22 from 0.0.0.0/0` for each source of a permission.
    static func rules(_ permission: JSONValue) -> [String] {
        let proto = permission["IpProtocol"]?.stringValue ?? "?"
        let protocolName = proto == "-1" ? "all traffic" : proto
        var ports = ""
        if let from = permission["FromPort"]?.intValue, let to = permission["ToPort"]?.intValue, proto != "-1" {
            ports = from == to ? " \(from)" : " \(from)-\(to)"
        }
        var sources = (permission["IpRanges"]?.arrayValue ?? []).compactMap { $0["CidrIp"]?.stringValue }
        sources += (permission["Ipv6Ranges"]?.arrayValue ?? []).compactMap { $0["CidrIpv6"]?.stringValue }
        sources += (permission["UserIdGroupPairs"]?.arrayValue ?? []).compactMap { $0["GroupId"]?.stringValue }
        return sources.map { "\(protocolName)\(ports) from \($0)" }
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let groups = result["groups"]?.arrayValue ?? []
        return Report.list(
            "\(Report.plural(groups.count, "security group")):",
            groups.map { group in
                let rules = group["inbound"]?.arrayValue?.compactMap(\.stringValue) ?? []
                return "\(group["id"]?.stringValue ?? "?")  \(group["name"]?.stringValue ?? "")  "
                    + (rules.isEmpty ? "no inbound rules" : "inbound: " + rules.joined(separator: "; "))
            })
    }
}
