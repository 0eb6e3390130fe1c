public import NimbusAgents
public import NimbusCore

/// `ec2.describe_vpcs`: VPCs with their CIDR blocks, state and names.
public struct EC2DescribeVPCs: OpsTool {
    public struct Input: ToolInput {
        public var vpcIDs: [String]?
        public var tags: [String: String]?

        enum CodingKeys: String, CodingKey {
            case tags
            case vpcIDs = "vpc_ids"
        }

        public static let schema = ToolSchema.object([
            "vpc_ids": ToolSchema.array("Only these VPCs.", of: ToolSchema.string("vpc-…", pattern: "^vpc-")),
            "tags": ToolSchema.map("Only VPCs with these tags.", of: ["type": "string"]),
        ])
    }

    public let name = "ec2.describe_vpcs"
    public let summary = "Describe VPCs with their CIDR blocks, state and names"
    public let access = ToolAccess.read
    public let actions = ["ec2:DescribeVpcs"]

    public init() {}

    public func describe(_ input: Input) -> String {
        "describe VPCs" + (input.vpcIDs.map { " " + $0.joined(separator: ", ") } ?? "")
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        var parameters: [String: JSONValue] = [:]
        if let ids = input.vpcIDs, !ids.isEmpty { parameters["VpcIds"] = .array(ids.map(JSONValue.string)) }
        if let tags = input.tags, !tags.isEmpty {
            parameters["Filters"] = .array(
                tags.sorted { $0.key < $1.key }.map {
                    ["Name": .string("tag:\($0.key)"), "Values": [.string($0.value)]]
                })
        }
        let (pages, _) = try await environment.aws(context).pages("ec2", "DescribeVpcs", .object(parameters))
        let vpcs: [JSONValue] = pages.flatMap { $0["Vpcs"]?.arrayValue ?? [] }.map { vpc in
            let tags = Report.tagMap(vpc["Tags"])
            return [
                "id": vpc["VpcId"] ?? .null, "cidr": vpc["CidrBlock"] ?? .null, "state": vpc["State"] ?? .null,
                "default": vpc["IsDefault"] ?? false, "name": tags["Name"] ?? .null, "tags": tags,
            ]
        }
        return ["count": .int(vpcs.count), "vpcs": .array(vpcs)]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let vpcs = result["vpcs"]?.arrayValue ?? []
        return Report.list(
            "\(Report.plural(vpcs.count, "VPC")):",
            vpcs.map { vpc in
                var line =
                    "\(vpc["id"]?.stringValue ?? "?")  \(vpc["cidr"]?.stringValue ?? "")  \(vpc["state"]?.stringValue ?? "")"
                if vpc["default"]?.boolValue == true { line += "  (default)" }
                if let name = vpc["name"]?.stringValue { line += "  \(name)" }
                return line
            })
    }
}
