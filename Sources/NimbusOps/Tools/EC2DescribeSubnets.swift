public import NimbusAgents
public import NimbusCore

/// `ec2.describe_subnets`: subnets, optionally of one VPC, with CIDR, zone and free addresses.
public struct EC2DescribeSubnets: OpsTool {
    public struct Input: ToolInput {
        public var vpcID: String?
        public var subnetIDs: [String]?

        enum CodingKeys: String, CodingKey {
            case vpcID = "vpc_id"
            case subnetIDs = "subnet_ids"
        }

        public static let schema = ToolSchema.object([
            "vpc_id": ToolSchema.string("Only subnets of this VPC.", pattern: "^vpc-"),
            "subnet_ids": ToolSchema.array(
                "Only these subnets.", of: ToolSchema.string("subnet-…", pattern: "^subnet-")),
        ])
    }

    public let name = "ec2.describe_subnets"
    public let summary = "Describe subnets (optionally of one VPC) with CIDR, availability zone and free addresses"
    public let access = ToolAccess.read
    public let actions = ["ec2:DescribeSubnets"]

    public init() {}

    public func describe(_ input: Input) -> String { "describe subnets" + (input.vpcID.map { " of \($0)" } ?? "") }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        var parameters: [String: JSONValue] = [:]
        if let vpc = input.vpcID { parameters["Filters"] = [["Name": "vpc-id", "Values": [.string(vpc)]]] }
        if let ids = input.subnetIDs, !ids.isEmpty { parameters["SubnetIds"] = .array(ids.map(JSONValue.string)) }
        let (pages, _) = try await environment.aws(context).pages("ec2", "DescribeSubnets", .object(parameters))
        let subnets: [JSONValue] = pages.flatMap { $0["Subnets"]?.arrayValue ?? [] }.map { subnet in
            [
                "id": subnet["SubnetId"] ?? .null, "vpc_id": subnet["VpcId"] ?? .null,
                "cidr": subnet["CidrBlock"] ?? .null, "zone": subnet["AvailabilityZone"] ?? .null,
                "available_ips": subnet["AvailableIpAddressCount"] ?? .null,
                "name": Report.tagMap(subnet["Tags"])["Name"] ?? .null,
            ]
        }
        return ["count": .int(subnets.count), "subnets": .array(subnets)]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let subnets = result["subnets"]?.arrayValue ?? []
        return Report.list(
            "\(Report.plural(subnets.count, "subnet")):",
            subnets.map { subnet in
                "\(subnet["id"]?.stringValue ?? "?")  \(subnet["vpc_id"]?.stringValue ?? "")  "
                    + "\(subnet["cidr"]?.stringValue ?? "")  \(subnet["zone"]?.stringValue ?? "")  "
                    + "\(subnet["available_ips"]?.intValue ?? 0) free"
            })
    }
}
