import NimbusHCL

extension ServiceFamily {
    /// An EC2 instance in a private subnet with its own security group, IMDSv2, an encrypted root volume, detailed
    /// monitoring and an instance role reached through Session Manager rather than SSH.
    public static let ec2 = ServiceFamily(
        id: "ec2",
        title: "EC2 instance",
        summary:
            "EC2 instance with its own security group, IMDSv2, KMS-encrypted volumes, detailed monitoring and a Session Manager role; no public address",
        keywords: ["ec2", "instance", "virtual machine", "vm", "server", "ec2 instance"],
        features: [
            FamilyFeature(
                id: "security-group", title: "its own security group",
                keywords: ["security group", "firewall", "sg"], enabledByDefault: true),
            FamilyFeature(
                id: "imdsv2", title: "IMDSv2 only", keywords: ["imdsv2", "imds", "metadata"], enabledByDefault: true),
            FamilyFeature(
                id: "encryption", title: "KMS-encrypted volumes", keywords: ["kms", "encryption", "encrypted", "ebs"],
                enabledByDefault: true),
            FamilyFeature(
                id: "monitoring", title: "detailed monitoring", keywords: ["monitoring", "monitored", "cloudwatch"],
                enabledByDefault: true),
            FamilyFeature(
                id: "ssm", title: "Session Manager access (no SSH)",
                keywords: ["ssm", "session manager", "systems manager", "no ssh"], enabledByDefault: true),
            FamilyFeature(
                id: "data-volume", title: "an encrypted data volume",
                keywords: ["data volume", "data disk", "extra volume", "extra disk", "ebs volume", "volume", "disk"]),
            FamilyFeature(
                id: "termination-protection", title: "termination protection",
                keywords: ["termination protection", "deletion protection", "protected"]),
        ],
        plan: EC2Plan.make)
}

/// The plan behind ``ServiceFamily/ec2``.
enum EC2Plan {
    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let dataVolume = requirements.has("data-volume")
        let protected = requirements.has("termination-protection")

        var resources: [Block] = [
            try P.kmsKey(
                description: .template("Encryption of the volumes of instance ", .value(P.ref("var.name")))),
            try P.serviceRole("this", suffix: "instance", trust: "assume"),
            try P.managedPolicyAttachment("ssm", role: "this", policy: "AmazonSSMManagedInstanceCore"),
            try Block("resource", "aws_iam_instance_profile", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("role", P.ref("aws_iam_role.this.name"))
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block(
                "resource", "aws_security_group", "this",
                comments: [
                    "Ingress only from the networks given; egress only HTTPS (updates, AWS APIs, Session Manager)."
                ]
            ) {
                try Attribute("name", P.ref("var.name"))
                try Attribute("description", .template("Instance ", .value(P.ref("var.name"))))
                try Attribute("vpc_id", P.ref("var.vpc_id"))
                try Block("dynamic", "ingress") {
                    try Attribute("for_each", P.ref("var.ingress_rules"))
                    try Block("content") {
                        try Attribute("description", P.ref("ingress.key"))
                        try Attribute("from_port", P.ref("ingress.value.port"))
                        try Attribute("to_port", P.ref("ingress.value.port"))
                        try Attribute("protocol", .string("tcp"))
                        try Attribute("cidr_blocks", P.ref("ingress.value.cidr_blocks"))
                    }
                }
                try P.httpsEgress("HTTPS out")
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_instance", "this") {
                try Attribute("ami", P.ref("var.ami_id"))
                try Attribute("instance_type", P.ref("var.instance_type"))
                try Attribute("subnet_id", P.ref("var.subnet_id"))
                try Attribute("vpc_security_group_ids", .list([try P.ref("aws_security_group.this.id")]))
                try Attribute("iam_instance_profile", P.ref("aws_iam_instance_profile.this.name"))
                try Attribute("associate_public_ip_address", .bool(false))
                try Attribute("monitoring", .bool(true))
                try Attribute("ebs_optimized", .bool(true))
                if protected { try Attribute("disable_api_termination", .bool(true)) }
                try Block("metadata_options") {
                    try Attribute("http_endpoint", .string("enabled"))
                    try Attribute("http_tokens", .string("required"))
                    try Attribute("http_put_response_hop_limit", .number(1))
                }
                try Block("root_block_device") {
                    try Attribute("volume_type", .string("gp3"))
                    try Attribute("volume_size", P.ref("var.root_volume_size"))
                    try Attribute("encrypted", .bool(true))
                    try Attribute("kms_key_id", P.ref("local.kms_key_arn"))
                    try Attribute("delete_on_termination", .bool(true))
                }
                try Attribute("tags", .call("merge", P.ref("local.tags"), .object([("Name", try P.ref("var.name"))])))
            },
        ]
        if dataVolume {
            resources += [
                try Block("resource", "aws_ebs_volume", "data") {
                    try Attribute("availability_zone", P.ref("aws_instance.this.availability_zone"))
                    try Attribute("size", P.ref("var.data_volume_size"))
                    try Attribute("type", .string("gp3"))
                    try Attribute("encrypted", .bool(true))
                    try Attribute("kms_key_id", P.ref("local.kms_key_arn"))
                    try Attribute(
                        "tags",
                        .call(
                            "merge", P.ref("local.tags"),
                            .object([("Name", .template(.value(try P.ref("var.name")), "-data"))])))
                },
                try Block("resource", "aws_volume_attachment", "data") {
                    try Attribute("device_name", .string("/dev/sdf"))
                    try Attribute("volume_id", P.ref("aws_ebs_volume.data.id"))
                    try Attribute("instance_id", P.ref("aws_instance.this.id"))
                },
            ]
        }

        let ingressType = "map(object({ port = number, cidr_blocks = list(string) }))"
        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the instance and its role, profile and security group.",
                pattern: "^[a-z][a-z0-9-]{0,47}$",
                rule: "1-48 lower-case letters, digits and hyphens, starting with a letter"),
            VariableSpec(
                "ami_id", type: "string", description: "AMI the instance boots from.",
                validations: [
                    (
                        try .call("can", .call("regex", .string("^ami-[0-9a-f]+$"), P.ref("var.ami_id"))),
                        "ami_id must be an AMI id."
                    )
                ]),
            VariableSpec(
                "instance_type", type: "string", description: "Instance type.", default: .string("t3.micro"),
                validations: [
                    (
                        try .call(
                            "can", .call("regex", .string("^[a-z][a-z0-9-]*\\.[a-z0-9]+$"), P.ref("var.instance_type"))),
                        "instance_type must look like t3.micro."
                    )
                ]),
            VariableSpec(
                "vpc_id", type: "string", description: "VPC of the instance's security group.",
                validations: [
                    (
                        try .call("can", .call("regex", .string("^vpc-"), P.ref("var.vpc_id"))),
                        "vpc_id must be a VPC id."
                    )
                ]),
            VariableSpec(
                "subnet_id", type: "string", description: "Private subnet the instance is placed in.",
                validations: [
                    (
                        try .call("can", .call("regex", .string("^subnet-"), P.ref("var.subnet_id"))),
                        "subnet_id must be a subnet id."
                    )
                ]),
            VariableSpec(
                "ingress_rules", type: ingressType,
                description:
                    "TCP ports the instance accepts, by description, each from private CIDR blocks (never 0.0.0.0/0 or ::/0).",
                default: .object([(String, HCLExpression)]()),
                validations: [
                    (
                        .unary(
                            .not,
                            try .call(
                                "anytrue",
                                .forList(
                                    "rule", in: .call("values", P.ref("var.ingress_rules")),
                                    yield: .binary(
                                        .or, .call("contains", P.ref("rule.cidr_blocks"), .string("0.0.0.0/0")),
                                        .call("contains", P.ref("rule.cidr_blocks"), .string("::/0")))))),
                        "ingress_rules may not accept traffic from the whole internet (0.0.0.0/0 or ::/0); put a load balancer in front."
                    ),
                    (
                        try .call(
                            "alltrue",
                            .forList(
                                "rule", in: .call("values", P.ref("var.ingress_rules")),
                                yield: .binary(
                                    .and, .binary(.greaterOrEqual, P.ref("rule.port"), .number(1)),
                                    .binary(.lessOrEqual, P.ref("rule.port"), .number(65535))))),
                        "ingress_rules ports must be between 1 and 65535."
                    ),
                ]),
            P.egressVariable("Where the instance may open HTTPS connections (package mirrors, AWS APIs)."),
            try P.numberVariable(
                "root_volume_size", description: "Size of the root volume in GiB.", default: 20, minimum: 8,
                maximum: 16384),
            try P.kmsKeyVariable("the instance's volumes"),
            P.tagsVariable(),
        ]
        if dataVolume {
            variables.append(
                try P.numberVariable(
                    "data_volume_size", description: "Size of the data volume in GiB.", default: 100, minimum: 1,
                    maximum: 16384))
        }

        var outputs: [OutputSpec] = [
            OutputSpec("instance_id", description: "Id of the instance.", value: try P.ref("aws_instance.this.id")),
            OutputSpec(
                "private_ip", description: "Private address of the instance.",
                value: try P.ref("aws_instance.this.private_ip")),
            OutputSpec(
                "security_group_id", description: "Id of the instance's security group.",
                value: try P.ref("aws_security_group.this.id")),
            OutputSpec(
                "role_name", description: "Name of the instance role, for attaching more policies.",
                value: try P.ref("aws_iam_role.this.name")),
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key that encrypts the volumes.",
                value: try P.ref("local.kms_key_arn")),
        ]
        if dataVolume {
            outputs.append(
                OutputSpec(
                    "data_volume_id", description: "Id of the data volume.", value: try P.ref("aws_ebs_volume.data.id"))
            )
        }

        var notes = [
            "No public address; reach the instance with Session Manager (the role has `AmazonSSMManagedInstanceCore`) instead of SSH.",
            "The instance metadata service requires IMDSv2 session tokens, with a hop limit of 1.",
            "Volumes are encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given).",
            "The security group accepts only the `ingress_rules` given, never from 0.0.0.0/0 or ::/0, and sends only HTTPS.",
            "Detailed monitoring and EBS optimisation are on.",
        ]
        if protected { notes.append("Termination protection is on: turn it off before destroying the instance.") }

        let dataSources: [Block] =
            try P.commonDataSources() + [try P.assumeRoleDocument("assume", services: ["ec2.amazonaws.com"])]

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: dataSources, outputs: outputs,
            exampleInputs: [
                ("name", .string(requirements.name)), ("ami_id", .string("ami-0123456789abcdef0")),
                P.exampleVPC, ("subnet_id", .string("subnet-0123456789abcdef0")),
            ], securityNotes: notes, optOuts: [])
    }
}
