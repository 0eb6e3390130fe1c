import NimbusHCL

extension ServiceFamily {
    /// A VPC with private subnets across availability zones, flow logs to an encrypted log group and a locked
    /// default security group; optionally public subnets and NAT gateways (one, or one per zone).
    public static let vpc = ServiceFamily(
        id: "vpc",
        title: "VPC",
        summary:
            "VPC with private subnets across availability zones, encrypted flow logs and a closed default security group; optional public subnets and NAT",
        keywords: ["vpc", "network", "networking", "virtual private cloud", "subnets"],
        features: [
            FamilyFeature(
                id: "nat-per-az", title: "a NAT gateway per availability zone",
                keywords: [
                    "nat per az", "nat gateway per az", "nat per availability zone",
                    "nat gateway per availability zone", "ha nat", "highly available nat", "nat in each az",
                    "nat gateways in each az",
                ]),
            FamilyFeature(
                id: "nat", title: "a NAT gateway", keywords: ["nat", "nat gateway", "internet access", "egress"]),
            FamilyFeature(
                id: "public-subnets", title: "public subnets",
                keywords: ["public subnet", "public", "internet gateway", "igw"]),
            FamilyFeature(
                id: "two-azs", title: "two availability zones",
                keywords: ["two az", "2 az", "two availability zone", "2 availability zone"]),
            FamilyFeature(
                id: "three-azs", title: "three availability zones (the default)",
                keywords: ["three az", "3 az", "three availability zone", "3 availability zone"]),
            FamilyFeature(
                id: "multi-az", title: "subnets across availability zones",
                keywords: [
                    "multi-az", "multi az", "across azs", "across availability zone", "az", "availability zone",
                    "private subnet", "private",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "flow-logs", title: "flow logs",
                keywords: ["flow log", "vpc flow log", "flow logging", "logging", "log", "audit"],
                enabledByDefault: true),
            FamilyFeature(
                id: "default-security-group", title: "closed default security group",
                keywords: ["default security group", "locked down", "lockdown"], enabledByDefault: true),
        ],
        plan: VPCPlan.make)
}

/// The plan behind ``ServiceFamily/vpc``.
enum VPCPlan {
    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let natPerAZ = requirements.has("nat-per-az")
        let nat = natPerAZ || requirements.has("nat")
        let publicSubnets = nat || requirements.has("public-subnets")
        let azCount = requirements.has("two-azs") ? 2 : 3
        let vpcID = try P.ref("aws_vpc.this.id")
        let azCountExpression = try HCLExpression.call("length", P.ref("local.azs"))
        let countIndex = try P.ref("count.index")
        let azAtIndex = try P.ref("local.azs").index(countIndex)

        func named(_ suffix: TemplatePiece...) throws -> HCLExpression {
            let name = HCLExpression.template(
                suffix.reduce(into: [TemplatePiece.value(try P.ref("var.name"))]) { $0.append($1) })
            return try .call("merge", P.ref("local.tags"), .object([("Name", name)]))
        }

        var resources: [Block] = [
            try Block("resource", "aws_vpc", "this") {
                try Attribute("cidr_block", P.ref("var.cidr_block"))
                try Attribute("enable_dns_support", .bool(true))
                try Attribute("enable_dns_hostnames", .bool(true))
                try Attribute("tags", try named())
            },
            try Block(
                "resource", "aws_default_security_group", "this",
                comments: ["No rules: nothing may use the default group by accident."]
            ) {
                try Attribute("vpc_id", vpcID)
                try Attribute("tags", try named("-default-closed"))
            },
            try Block("resource", "aws_subnet", "private") {
                try Attribute("count", azCountExpression)
                try Attribute("vpc_id", vpcID)
                try Attribute(
                    "cidr_block",
                    .call("cidrsubnet", P.ref("var.cidr_block"), P.ref("var.subnet_newbits"), countIndex))
                try Attribute("availability_zone", azAtIndex)
                try Attribute("map_public_ip_on_launch", .bool(false))
                try Attribute("tags", try named("-private-", .value(azAtIndex)))
            },
            try Block("resource", "aws_route_table", "private") {
                try Attribute("count", azCountExpression)
                try Attribute("vpc_id", vpcID)
                try Attribute("tags", try named("-private-", .value(azAtIndex)))
            },
            try Block("resource", "aws_route_table_association", "private") {
                try Attribute("count", azCountExpression)
                try Attribute("subnet_id", P.ref("aws_subnet.private").index(countIndex).attribute("id"))
                try Attribute("route_table_id", P.ref("aws_route_table.private").index(countIndex).attribute("id"))
            },
        ]
        if publicSubnets {
            resources += [
                try Block(
                    "resource", "aws_subnet", "public",
                    comments: [
                        "No automatic public addresses: only what asks for one (a NAT gateway, a load balancer) gets one."
                    ]
                ) {
                    try Attribute("count", azCountExpression)
                    try Attribute("vpc_id", vpcID)
                    try Attribute(
                        "cidr_block",
                        .call(
                            "cidrsubnet", P.ref("var.cidr_block"), P.ref("var.subnet_newbits"),
                            .binary(.add, countIndex, azCountExpression)))
                    try Attribute("availability_zone", azAtIndex)
                    try Attribute("map_public_ip_on_launch", .bool(false))
                    try Attribute("tags", try named("-public-", .value(azAtIndex)))
                },
                try Block("resource", "aws_internet_gateway", "this") {
                    try Attribute("vpc_id", vpcID)
                    try Attribute("tags", try named())
                },
                try Block("resource", "aws_route_table", "public") {
                    try Attribute("vpc_id", vpcID)
                    try Attribute("tags", try named("-public"))
                },
                try Block("resource", "aws_route", "public_internet") {
                    try Attribute("route_table_id", P.ref("aws_route_table.public.id"))
                    try Attribute("destination_cidr_block", .string("0.0.0.0/0"))
                    try Attribute("gateway_id", P.ref("aws_internet_gateway.this.id"))
                },
                try Block("resource", "aws_route_table_association", "public") {
                    try Attribute("count", azCountExpression)
                    try Attribute("subnet_id", P.ref("aws_subnet.public").index(countIndex).attribute("id"))
                    try Attribute("route_table_id", P.ref("aws_route_table.public.id"))
                },
            ]
        }
        if nat {
            let natCount = natPerAZ ? azCountExpression : .number(1)
            let natForZone =
                natPerAZ
                ? try P.ref("aws_nat_gateway.this").index(countIndex).attribute("id")
                : try P.ref("aws_nat_gateway.this.0.id")
            resources += [
                try Block("resource", "aws_eip", "nat") {
                    try Attribute("count", natCount)
                    try Attribute("domain", .string("vpc"))
                    try Attribute("tags", try named("-nat-", .value(azAtIndex)))
                },
                try Block("resource", "aws_nat_gateway", "this") {
                    try Attribute("count", natCount)
                    try Attribute("allocation_id", P.ref("aws_eip.nat").index(countIndex).attribute("id"))
                    try Attribute("subnet_id", P.ref("aws_subnet.public").index(countIndex).attribute("id"))
                    try Attribute("tags", try named("-", .value(azAtIndex)))
                    try Attribute("depends_on", .list([try P.ref("aws_internet_gateway.this")]))
                },
                try Block(
                    "resource", "aws_route", "private_nat",
                    comments: [
                        natPerAZ
                            ? "Each zone leaves through its own NAT gateway." : "Every zone shares one NAT gateway."
                    ]
                ) {
                    try Attribute("count", azCountExpression)
                    try Attribute("route_table_id", P.ref("aws_route_table.private").index(countIndex).attribute("id"))
                    try Attribute("destination_cidr_block", .string("0.0.0.0/0"))
                    try Attribute("nat_gateway_id", natForZone)
                },
            ]
        }
        resources += [
            try P.kmsKey(
                description: .template("Encryption of the flow logs of VPC ", .value(P.ref("var.name"))),
                serviceStatements: [try P.logsUseStatement()]),
            try P.logGroup("flow_logs", name: .template("/aws/vpc/", .value(P.ref("var.name")), "/flow-logs")),
            try P.serviceRole("flow_logs", suffix: "flow-logs", trust: "flow_logs_assume"),
            try Block("resource", "aws_iam_role_policy", "flow_logs") {
                try Attribute("name", .string("write-flow-logs"))
                try Attribute("role", P.ref("aws_iam_role.flow_logs.id"))
                try Attribute("policy", P.ref("data.aws_iam_policy_document.flow_logs.json"))
            },
            try Block("resource", "aws_flow_log", "this") {
                try Attribute("vpc_id", vpcID)
                try Attribute("traffic_type", .string("ALL"))
                try Attribute("log_destination_type", .string("cloud-watch-logs"))
                try Attribute("log_destination", P.ref("aws_cloudwatch_log_group.flow_logs.arn"))
                try Attribute("iam_role_arn", P.ref("aws_iam_role.flow_logs.arn"))
                try Attribute("max_aggregation_interval", .number(60))
                try Attribute("tags", P.ref("local.tags"))
            },
        ]

        let dataSources: [Block] =
            try P.commonDataSources() + [
                try Block("data", "aws_availability_zones", "available") {
                    try Attribute("state", .string("available"))
                    // Regional zones only: Local and Wavelength Zones are opt-in and lack most services.
                    try Block("filter") {
                        try Attribute("name", .string("opt-in-status"))
                        try Attribute("values", P.strings(["opt-in-not-required"]))
                    }
                },
                try P.assumeRoleDocument(
                    "flow_logs_assume", services: ["vpc-flow-logs.amazonaws.com"], onlyThisAccount: true),
                try Block("data", "aws_iam_policy_document", "flow_logs") {
                    try P.statement(
                        sid: "WriteFlowLogs",
                        actions: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        resources: [.template(.value(try P.ref("aws_cloudwatch_log_group.flow_logs.arn")), ":*")])
                },
            ]

        let variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the VPC and prefix of its resources' names.", pattern: "^[a-z][a-z0-9-]{0,47}$",
                rule: "1-48 lower-case letters, digits and hyphens, starting with a letter"),
            VariableSpec(
                "cidr_block", type: "string", description: "IPv4 range of the VPC.", default: .string("10.0.0.0/16"),
                validations: [
                    (
                        try .call("can", .call("cidrhost", P.ref("var.cidr_block"), .number(0))),
                        "cidr_block must be an IPv4 CIDR block."
                    )
                ]),
            try P.numberVariable(
                "az_count", description: "Availability zones the subnets are spread across.", default: azCount,
                minimum: 2, maximum: 6),
            try P.numberVariable(
                "subnet_newbits",
                description: "Bits added to the VPC's prefix for each subnet (4 makes /20 subnets of a /16).",
                default: 4, minimum: 1, maximum: 12),
            try P.kmsKeyVariable("the flow logs"),
            try P.logRetentionVariable(),
            P.tagsVariable(),
        ]

        let locals: [LocalSpec] = [
            try P.tagsLocal(requirements),
            try P.kmsKeyLocal(),
            LocalSpec(
                "azs",
                try .call(
                    "slice", P.ref("data.aws_availability_zones.available.names"), .number(0), P.ref("var.az_count"))),
        ]

        var outputs: [OutputSpec] = [
            OutputSpec("vpc_id", description: "Id of the VPC.", value: vpcID),
            OutputSpec(
                "vpc_cidr_block", description: "IPv4 range of the VPC.", value: try P.ref("aws_vpc.this.cidr_block")),
            OutputSpec(
                "availability_zones", description: "Zones the subnets are in, in subnet order.",
                value: try P.ref("local.azs")),
            OutputSpec(
                "private_subnet_ids", description: "Ids of the private subnets, one per zone.",
                value: try P.ref("aws_subnet.private").splat("id")),
            OutputSpec(
                "private_route_table_ids", description: "Ids of the private route tables, one per zone.",
                value: try P.ref("aws_route_table.private").splat("id")),
            OutputSpec(
                "flow_log_group_name", description: "Log group that receives the flow logs.",
                value: try P.ref("aws_cloudwatch_log_group.flow_logs.name")),
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key that encrypts the flow logs.",
                value: try P.ref("local.kms_key_arn")),
        ]
        if publicSubnets {
            outputs.append(
                OutputSpec(
                    "public_subnet_ids", description: "Ids of the public subnets, one per zone.",
                    value: try P.ref("aws_subnet.public").splat("id")))
        }
        if nat {
            outputs.append(
                OutputSpec(
                    "nat_public_ips", description: "Public addresses the private subnets leave through.",
                    value: try P.ref("aws_eip.nat").splat("public_ip")))
        }

        var notes = [
            "Private subnets in `az_count` availability zones, with no automatic public addresses.",
            "Flow logs of all traffic go to a CloudWatch log group encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given), kept `log_retention_days`.",
            "The flow-log role may only write to its own log group.",
            "The default security group has no rules, so nothing can use it by accident.",
        ]
        if publicSubnets {
            notes.append(
                "Public subnets route to an internet gateway but do not give instances public addresses automatically."
            )
        }
        if nat {
            notes.append(
                natPerAZ
                    ? "Each zone's private subnet leaves through its own NAT gateway, so losing a zone does not cut the others off."
                    : "The private subnets share one NAT gateway (cheaper; ask for `NAT per AZ` to survive the loss of its zone)."
            )
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: locals, dataSources: dataSources, outputs: outputs,
            exampleInputs: [("name", .string(requirements.name))], securityNotes: notes,
            optOuts: [
                PolicyOptOut(
                    "CKV_AWS_394",
                    reason:
                        "zone names differ per region and account, so the module cannot pin them; it takes the first `az_count` regional zones in name order, and AWS names a new zone after the existing ones, so existing subnets do not move."
                )
            ])
    }
}
