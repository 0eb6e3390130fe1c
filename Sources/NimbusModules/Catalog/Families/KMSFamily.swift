import NimbusHCL

extension ServiceFamily {
    /// A customer-managed KMS key with yearly rotation, an alias and a key policy that separates administration
    /// (the account's IAM policies) from use (named roles, and services on this account's behalf); optionally
    /// multi-region.
    public static let kms = ServiceFamily(
        id: "kms",
        title: "KMS key",
        summary:
            "customer-managed KMS key with yearly rotation, an alias and a key policy that grants use only to named roles and services; optional multi-region",
        keywords: ["kms", "kms key", "encryption key", "cmk", "customer managed key", "customer-managed key"],
        features: [
            FamilyFeature(
                id: "rotation", title: "yearly key rotation", keywords: ["rotation", "rotated", "key rotation"],
                enabledByDefault: true),
            FamilyFeature(
                id: "alias", title: "an alias", keywords: ["alias", "aliased"], enabledByDefault: true),
            FamilyFeature(
                id: "least-privilege", title: "use granted only to named roles and services",
                keywords: ["least privilege", "least-privilege", "key users", "users", "roles", "services"],
                enabledByDefault: true),
            FamilyFeature(
                id: "multi-region", title: "a multi-region primary key",
                keywords: ["multi-region", "multi region", "multiregion", "cross-region", "replica", "replicas"]),
        ],
        plan: KMSPlan.make)
}

/// The plan behind ``ServiceFamily/kms``.
enum KMSPlan {
    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let multiRegion = requirements.has("multi-region")
        let useActions = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]

        let administer = HCLExpression.object([
            ("Sid", .string("AccountAdministersKey")),
            ("Effect", .string("Allow")),
            ("Principal", .object([("AWS", try P.accountRoot())])),
            ("Action", .string("kms:*")),
            ("Resource", .string("*")),
        ])
        let users = HCLExpression.object([
            ("Sid", .string("RolesUseKey")),
            ("Effect", .string("Allow")),
            ("Principal", .object([("AWS", try P.ref("var.key_user_arns"))])),
            ("Action", P.strings(useActions)),
            ("Resource", .string("*")),
        ])
        let services = HCLExpression.object([
            ("Sid", .string("ServicesUseKey")),
            ("Effect", .string("Allow")),
            ("Principal", .object([("AWS", try P.accountRoot())])),
            ("Action", P.strings(useActions + ["kms:CreateGrant"])),
            ("Resource", .string("*")),
            (
                "Condition",
                .object([
                    (
                        "StringEquals",
                        .object([
                            (
                                "kms:ViaService",
                                try .forList(
                                    "service", in: P.ref("var.via_services"),
                                    yield: .template(
                                        .value(try P.ref("service")), ".",
                                        .value(try P.ref("data.aws_region.current.name")),
                                        ".amazonaws.com"))
                            ),
                            ("kms:CallerAccount", try P.ref("data.aws_caller_identity.current.account_id")),
                        ])
                    )
                ])
            ),
        ])
        let statements = try HCLExpression.call(
            "concat", .list([administer]),
            .conditional(
                .binary(.greater, .call("length", P.ref("var.key_user_arns")), .number(0)), .list([users]), .list([])),
            .conditional(
                .binary(.greater, .call("length", P.ref("var.via_services")), .number(0)), .list([services]), .list([]))
        )

        let resources: [Block] = [
            try Block(
                "resource", "aws_kms_key", "this",
                comments: [
                    "The policy is inline (jsonencode) so IAM-policy checks do not read a key policy's \"*\" resource,",
                    "which means this key, as a wildcard.",
                ]
            ) {
                try Attribute("description", P.ref("var.description"))
                try Attribute("key_usage", .string("ENCRYPT_DECRYPT"))
                try Attribute("customer_master_key_spec", .string("SYMMETRIC_DEFAULT"))
                try Attribute("enable_key_rotation", .bool(true))
                try Attribute("deletion_window_in_days", P.ref("var.deletion_window_days"))
                if multiRegion { try Attribute("multi_region", .bool(true)) }
                try Attribute(
                    "policy",
                    .call("jsonencode", .object([("Version", .string("2012-10-17")), ("Statement", statements)])))
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_kms_alias", "this") {
                try Attribute("name", .template("alias/", .value(try P.ref("var.name"))))
                try Attribute("target_key_id", P.ref("aws_kms_key.this.key_id"))
            },
        ]

        let variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Alias of the key (without alias/).", pattern: "^[A-Za-z0-9/_-]{1,250}$",
                rule: "1-250 letters, digits, slashes, underscores and hyphens"),
            VariableSpec(
                "description", type: "string", description: "What the key protects.",
                default: .string("Managed by Terraform")),
            VariableSpec(
                "key_user_arns", type: "list(string)",
                description: "IAM roles that may encrypt and decrypt with the key (never administer it).",
                default: .list([]),
                validations: [
                    (
                        try .call(
                            "alltrue",
                            .forList(
                                "arn", in: P.ref("var.key_user_arns"),
                                yield: .call(
                                    "can",
                                    .call("regex", .string("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/"), P.ref("arn"))
                                ))),
                        "key_user_arns must be IAM role or user ARNs (no wildcards)."
                    )
                ]),
            VariableSpec(
                "via_services", type: "list(string)",
                description:
                    "Services (s3, rds, secretsmanager) through which any principal of this account may use the key, with grants.",
                default: .list([]),
                validations: [
                    (
                        try .call(
                            "alltrue",
                            .forList(
                                "service", in: P.ref("var.via_services"),
                                yield: .call("can", .call("regex", .string("^[a-z0-9-]+$"), P.ref("service"))))),
                        "via_services must be service names such as s3 or rds."
                    )
                ]),
            try P.numberVariable(
                "deletion_window_days", description: "Days a scheduled deletion can still be cancelled.", default: 30,
                minimum: 7, maximum: 30),
            P.tagsVariable(),
        ]

        let outputs: [OutputSpec] = [
            OutputSpec("key_arn", description: "ARN of the key.", value: try P.ref("aws_kms_key.this.arn")),
            OutputSpec("key_id", description: "Id of the key.", value: try P.ref("aws_kms_key.this.key_id")),
            OutputSpec("alias_arn", description: "ARN of the alias.", value: try P.ref("aws_kms_alias.this.arn")),
            OutputSpec("alias_name", description: "Name of the alias.", value: try P.ref("aws_kms_alias.this.name")),
        ]

        var notes = [
            "Automatic yearly rotation; deletion can be cancelled for `deletion_window_days`.",
            "The account's IAM policies decide who administers the key; `key_user_arns` may only use it, and `via_services` may use it only on this account's behalf through those services.",
        ]
        if multiRegion {
            notes.append("A multi-region primary key: replicate it with aws_kms_replica_key in other regions.")
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements)],
            dataSources: try P.commonDataSources(), outputs: outputs,
            exampleInputs: [("name", .string(requirements.name))], securityNotes: notes, optOuts: [])
    }
}
