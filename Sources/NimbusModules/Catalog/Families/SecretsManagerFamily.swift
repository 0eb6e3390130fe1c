import NimbusHCL

extension ServiceFamily {
    /// A Secrets Manager secret encrypted with a customer-managed KMS key, behind a resource policy that refuses
    /// requests without TLS and from other accounts, with a recovery window and no value in the Terraform state;
    /// optionally rotated by a Lambda function, started with a generated password, replicated to other regions,
    /// and readable by named principals of other accounts.
    public static let secretsManager = ServiceFamily(
        id: "secrets-manager",
        title: "Secrets Manager secret",
        summary:
            "Secrets Manager secret encrypted with a customer-managed KMS key, a resource policy refusing requests without TLS and from other accounts, a recovery window and no value in state; optional rotation by a Lambda function, a generated password, replicas in other regions and cross-account readers",
        keywords: ["secrets manager", "secret", "secretsmanager", "secrets manager secret", "secret store"],
        features: [
            FamilyFeature(
                id: "encryption", title: "KMS encryption with a customer-managed key",
                keywords: ["kms", "encryption", "encrypted", "cmk", "customer-managed key"], enabledByDefault: true),
            FamilyFeature(
                id: "resource-policy", title: "a resource policy refusing requests without TLS and from other accounts",
                keywords: [
                    "resource policy", "tls", "https", "ssl", "tls-only", "secure transport", "same account",
                    "account only", "block public policy",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "rotation", title: "rotation by a Lambda function",
                keywords: [
                    "rotation", "rotated", "rotate", "rotating", "automatic rotation", "auto-rotation",
                    "rotation lambda", "rotation function",
                ]),
            FamilyFeature(
                id: "generated-password", title: "a generated password as the first value",
                keywords: [
                    "generated password", "random password", "generated value", "generated", "random", "password",
                ]),
            FamilyFeature(
                id: "replicas", title: "replicas in other regions",
                keywords: [
                    "replica", "replicas", "replication", "replicated", "multi-region", "multi region", "cross-region",
                    "disaster recovery",
                ]),
            FamilyFeature(
                id: "cross-account", title: "read access for principals of other accounts",
                keywords: ["cross-account", "cross account", "another account", "other account", "shared", "sharing"]),
        ],
        plan: SecretsManagerPlan.make)
}

/// The plan behind ``ServiceFamily/secretsManager``.
enum SecretsManagerPlan {
    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let rotation = requirements.has("rotation")
        let generated = requirements.has("generated-password")
        let replicas = requirements.has("replicas")
        let crossAccount = requirements.has("cross-account")
        let secretARN = try P.ref("aws_secretsmanager_secret.this.arn")
        let account = try P.ref("data.aws_caller_identity.current.account_id")

        /// Lets the other accounts' readers decrypt, only through Secrets Manager in `region`.
        func crossAccountKeyStatement(region: HCLExpression) throws -> HCLExpression {
            .object([
                ("Sid", .string("OtherAccountsDecryptThroughSecretsManager")),
                ("Effect", .string("Allow")),
                ("Principal", .object([("AWS", try P.ref("var.cross_account_principal_arns"))])),
                ("Action", P.strings(["kms:Decrypt", "kms:DescribeKey"])),
                ("Resource", .string("*")),
                (
                    "Condition",
                    .object([
                        (
                            "StringEquals",
                            .object([("kms:ViaService", .template("secretsmanager.", .value(region), ".amazonaws.com"))]
                            )
                        )
                    ])
                ),
            ])
        }

        var key = try P.kmsKey(
            description: .template("Encryption of the secret ", .value(P.ref("var.name"))),
            serviceStatements: crossAccount
                ? [try crossAccountKeyStatement(region: P.ref("data.aws_region.current.name"))] : [])
        if replicas {
            // A multi-region key, so each replica region gets a replica of the same key.
            if let index = key.body.items.firstIndex(where: {
                if case .attribute(let attribute) = $0 { return attribute.name == "enable_key_rotation" }
                return false
            }) {
                key.body.items.insert(.attribute(try Attribute("multi_region", .bool(true))), at: index)
            }
        }
        var resources: [Block] = [key]
        if replicas {
            var statements: [HCLExpression] = [
                .object([
                    ("Sid", .string("AccountAdministersKey")),
                    ("Effect", .string("Allow")),
                    ("Principal", .object([("AWS", try P.accountRoot())])),
                    ("Action", .string("kms:*")),
                    ("Resource", .string("*")),
                ])
            ]
            if crossAccount { statements.append(try crossAccountKeyStatement(region: P.ref("each.value"))) }
            resources.append(
                try Block(
                    "resource", "aws_kms_replica_key", "replica",
                    comments: ["The module's key, replicated to each replica region (made only with the module's key)."]
                ) {
                    try Attribute(
                        "for_each",
                        .conditional(
                            try P.isNull("var.kms_key_arn"), try .call("toset", P.ref("var.replica_regions")),
                            try .call("toset", .list([]))))
                    try Attribute("region", P.ref("each.value"))
                    try Attribute("primary_key_arn", P.ref("aws_kms_key.this.0.arn"))
                    try Attribute(
                        "description", .template("Encryption of the replica of the secret ", .value(P.ref("var.name"))))
                    try Attribute("deletion_window_in_days", .number(30))
                    try Attribute(
                        "policy",
                        .call(
                            "jsonencode",
                            .object([("Version", .string("2012-10-17")), ("Statement", .list(statements))])))
                    try Attribute("tags", P.ref("local.tags"))
                })
        }

        resources.append(
            try Block("resource", "aws_secretsmanager_secret", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("description", P.ref("var.description"))
                try Attribute("kms_key_id", P.ref("local.kms_key_arn"))
                try Attribute(
                    "recovery_window_in_days", P.ref("var.recovery_window_days"),
                    comments: ["A deleted secret can be restored for this many days."])
                if replicas {
                    try Attribute("force_overwrite_replica_secret", .bool(false))
                    try Block("dynamic", "replica") {
                        try Attribute("for_each", .call("toset", try P.ref("var.replica_regions")))
                        try Block("content") {
                            try Attribute("region", P.ref("replica.value"))
                            try Attribute(
                                "kms_key_id",
                                .conditional(
                                    try P.isNull("var.kms_key_arn"),
                                    try P.ref("aws_kms_replica_key.replica").index(try P.ref("replica.value"))
                                        .attribute("arn"),
                                    try .call(
                                        "lookup", P.ref("var.replica_kms_key_arns"), P.ref("replica.value"), .null)))
                        }
                    }
                }
                try Attribute("tags", P.ref("local.tags"))
                if replicas {
                    try Block("lifecycle") {
                        try Block("precondition") {
                            try Attribute(
                                "condition",
                                .binary(
                                    .or, try P.isNull("var.kms_key_arn"),
                                    try .call(
                                        "alltrue",
                                        .forList(
                                            "region", in: P.ref("var.replica_regions"),
                                            yield: .call(
                                                "contains", .call("keys", P.ref("var.replica_kms_key_arns")),
                                                P.ref("region"))))))
                            try Attribute(
                                "error_message",
                                .string(
                                    "With kms_key_arn given, replica_kms_key_arns must name a key for every replica region."
                                ))
                        }
                    }
                }
            })
        resources.append(
            try Block(
                "resource", "aws_secretsmanager_secret_policy", "this",
                comments: ["Refuses requests without TLS and from other accounts; public policies are blocked."]
            ) {
                try Attribute("secret_arn", secretARN)
                try Attribute("policy", P.ref("data.aws_iam_policy_document.secret.json"))
                try Attribute("block_public_policy", .bool(true))
            })
        if generated {
            resources.append(
                try Block(
                    "resource", "aws_secretsmanager_secret_version", "initial",
                    comments: [
                        "The first value only: rotation or people change it afterwards, and Terraform leaves it be."
                    ]
                ) {
                    try Attribute("secret_id", P.ref("aws_secretsmanager_secret.this.id"))
                    try Attribute(
                        "secret_string", P.ref("data.aws_secretsmanager_random_password.this.random_password"))
                    try Block("lifecycle") { try Attribute("ignore_changes", .list([try P.ref("secret_string")])) }
                })
        }
        if rotation {
            resources += [
                try Block(
                    "resource", "aws_lambda_permission", "rotation",
                    comments: ["Secrets Manager may invoke the rotation function for this secret only."]
                ) {
                    try Attribute("statement_id_prefix", .string("SecretsManagerRotation-"))
                    try Attribute("action", .string("lambda:InvokeFunction"))
                    try Attribute("function_name", P.ref("var.rotation_lambda_arn"))
                    try Attribute("principal", .string("secretsmanager.amazonaws.com"))
                    try Attribute("source_arn", secretARN)
                    try Attribute("source_account", account)
                },
                try Block("resource", "aws_secretsmanager_secret_rotation", "this") {
                    try Attribute("secret_id", P.ref("aws_secretsmanager_secret.this.id"))
                    try Attribute("rotation_lambda_arn", P.ref("var.rotation_lambda_arn"))
                    try Attribute(
                        "rotate_immediately", .bool(generated),
                        comments: generated
                            ? ["The generated first value is rotated away at once."]
                            : ["The first rotation waits a period, so there is time to store a first value."])
                    try Block("rotation_rules") {
                        try Attribute("automatically_after_days", P.ref("var.rotation_days"))
                    }
                    try Attribute(
                        "depends_on",
                        .list(
                            [try P.ref("aws_lambda_permission.rotation")]
                                + (generated ? [try P.ref("aws_secretsmanager_secret_version.initial")] : [])))
                },
            ]
        }

        // The resource policy.
        let accounts: HCLExpression =
            crossAccount
            ? try .call(
                "distinct",
                .call(
                    "concat", .list([account]),
                    .forList(
                        "arn", in: P.ref("var.cross_account_principal_arns"),
                        yield: HCLExpression.call("split", .string(":"), P.ref("arn")).index(.number(4)))))
            : .list([account])
        var dataSources = try P.commonDataSources()
        dataSources.append(
            try Block("data", "aws_iam_policy_document", "secret") {
                try P.denyInsecureTransport(actions: ["secretsmanager:*"], resources: [secretARN])
                try Block("statement") {
                    try Attribute("sid", .string("DenyOtherAccounts"))
                    try Attribute("effect", .string("Deny"))
                    try Attribute("actions", P.strings(["secretsmanager:*"]))
                    try Attribute("resources", .list([secretARN]))
                    try Block("principals") {
                        try Attribute("type", .string("*"))
                        try Attribute("identifiers", P.strings(["*"]))
                    }
                    try Block("condition") {
                        try Attribute("test", .string("StringNotEquals"))
                        try Attribute("variable", .string("aws:PrincipalAccount"))
                        try Attribute("values", accounts)
                    }
                    try Block(
                        "condition", comments: ["AWS services acting for the secret (replication) are not refused."]
                    ) {
                        try Attribute("test", .string("BoolIfExists"))
                        try Attribute("variable", .string("aws:PrincipalIsAWSService"))
                        try Attribute("values", P.strings(["false"]))
                    }
                }
                if crossAccount {
                    try Block("statement") {
                        try Attribute("sid", .string("OtherAccountsRead"))
                        try Attribute(
                            "actions", P.strings(["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]))
                        try Attribute("resources", .list([secretARN]))
                        try Block("principals") {
                            try Attribute("type", .string("AWS"))
                            try Attribute("identifiers", P.ref("var.cross_account_principal_arns"))
                        }
                    }
                }
            })
        if generated {
            dataSources.append(
                try Block("data", "aws_secretsmanager_random_password", "this") {
                    try Attribute("password_length", P.ref("var.password_length"))
                    try Attribute("exclude_characters", P.ref("var.password_exclude_characters"))
                    try Attribute("require_each_included_type", .bool(true))
                })
        }

        // Variables.
        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the secret (paths such as app/prod/db are fine).",
                pattern: "^[A-Za-z0-9/_+=.@-]{1,512}$",
                rule: "1-512 letters, digits and /_+=.@- characters"),
            VariableSpec(
                "description", type: "string", description: "What the secret holds (never the value).",
                default: .string("Managed by Terraform")),
            try P.numberVariable(
                "recovery_window_days", description: "Days a deleted secret can still be restored.", default: 30,
                minimum: 7, maximum: 30),
            try P.kmsKeyVariable(
                "the secret\(replicas ? " (replicas use replica_kms_key_arns when it is given)" : "")"),
        ]
        if rotation {
            variables += [
                VariableSpec(
                    "rotation_lambda_arn", type: "string",
                    description:
                        "Lambda function that rotates the secret (an AWS rotation template or your own); its role needs secretsmanager:GetSecretValue, PutSecretValue, UpdateSecretVersionStage and DescribeSecret on the secret and kms:Decrypt and kms:GenerateDataKey on the key.",
                    validations: [
                        (
                            try .call(
                                "can",
                                .call(
                                    "regex", .string("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:"),
                                    P.ref("var.rotation_lambda_arn"))),
                            "rotation_lambda_arn must be a Lambda function ARN."
                        )
                    ]),
                try P.numberVariable(
                    "rotation_days", description: "Days between rotations (at most 90).", default: 30, minimum: 1,
                    maximum: 90),
            ]
        }
        if generated {
            variables += [
                try P.numberVariable(
                    "password_length", description: "Length of the generated password.", default: 32, minimum: 16,
                    maximum: 4096),
                VariableSpec(
                    "password_exclude_characters", type: "string",
                    description: "Characters the generated password leaves out (those that break URLs and shells).",
                    default: .string("\"'@/\\`")),
            ]
        }
        if replicas {
            variables += [
                VariableSpec(
                    "replica_regions", type: "list(string)",
                    description: "Other regions the secret is replicated to (not the provider's own).",
                    validations: [
                        (
                            .binary(.greater, try .call("length", P.ref("var.replica_regions")), .number(0)),
                            "replica_regions must name at least one region."
                        ),
                        (
                            try .call(
                                "alltrue",
                                .forList(
                                    "region", in: P.ref("var.replica_regions"),
                                    yield: .call(
                                        "can", .call("regex", .string("^[a-z]{2}(-[a-z]+)+-[0-9]$"), P.ref("region"))))),
                            "replica_regions must be region names such as eu-central-1."
                        ),
                    ]),
                VariableSpec(
                    "replica_kms_key_arns", type: "map(string)",
                    description:
                        "KMS key of each replica region, when kms_key_arn is given (the module replicates its own key otherwise).",
                    default: .object([(String, HCLExpression)]()),
                    validations: [
                        (
                            try .call(
                                "alltrue",
                                .forList(
                                    "arn", in: .call("values", P.ref("var.replica_kms_key_arns")),
                                    yield: .call("can", .call("regex", .string("^arn:aws[a-z-]*:kms:"), P.ref("arn"))))),
                            "replica_kms_key_arns must map regions to KMS key ARNs."
                        )
                    ]),
            ]
        }
        if crossAccount {
            variables.append(
                VariableSpec(
                    "cross_account_principal_arns", type: "list(string)",
                    description:
                        "Roles, users or accounts (root) of other accounts that may read the secret; they also need the secret and the key in their own IAM policies.",
                    validations: [
                        (
                            .binary(
                                .greater, try .call("length", P.ref("var.cross_account_principal_arns")), .number(0)),
                            "cross_account_principal_arns must name at least one principal."
                        ),
                        (
                            try .call(
                                "alltrue",
                                .forList(
                                    "arn", in: P.ref("var.cross_account_principal_arns"),
                                    yield: .call(
                                        "can",
                                        .call(
                                            "regex", .string("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$"),
                                            P.ref("arn"))))),
                            "cross_account_principal_arns must be IAM role, user or account root ARNs."
                        ),
                    ]))
        }
        variables.append(P.tagsVariable())

        // Outputs.
        var outputs: [OutputSpec] = [
            OutputSpec("secret_arn", description: "ARN of the secret.", value: secretARN),
            OutputSpec(
                "secret_name", description: "Name of the secret.",
                value: try P.ref("aws_secretsmanager_secret.this.name")),
            OutputSpec(
                "kms_key_arn",
                description: "ARN of the KMS key; readers need kms:Decrypt on it (through Secrets Manager).",
                value: try P.ref("local.kms_key_arn")),
        ]
        if replicas {
            outputs.append(
                OutputSpec(
                    "replica_kms_key_arns", description: "KMS key of each replica, by region.",
                    value: .conditional(
                        try P.isNull("var.kms_key_arn"),
                        try .forObject(
                            key: "region", value: "key", in: P.ref("aws_kms_replica_key.replica"),
                            yieldKey: P.ref("region"), value: P.ref("key.arn")),
                        try P.ref("var.replica_kms_key_arns"))))
        }
        if generated {
            outputs.append(
                OutputSpec(
                    "initial_version_id", description: "Version of the generated first value (not the value).",
                    value: try P.ref("aws_secretsmanager_secret_version.initial.version_id")))
        }

        // Documentation.
        var notes = [
            "Encrypted with a customer-managed KMS key (a new key with yearly rotation unless `kms_key_arn` is given), never the AWS managed aws/secretsmanager key.",
            "The resource policy refuses requests not made over TLS and requests from principals of other accounts\(crossAccount ? " but `cross_account_principal_arns`" : ""); public policies are blocked.",
            "A deleted secret can be restored for `recovery_window_days` (7 to 30).",
            generated
                ? "The first value is a generated password (`password_length` characters of every kind); it is in the Terraform state, as the generated value and the first version, so keep the state encrypted and access to it narrow. Later values (rotation, people) are not: Terraform ignores them."
                : "No value is written by Terraform, so none is in the state: store the first value with `aws secretsmanager put-secret-value`\(rotation ? " (or let the rotation function create it)" : ""); outputs never hold it.",
        ]
        if rotation {
            notes.append(
                "Rotated every `rotation_days` (at most 90) by `rotation_lambda_arn`, which Secrets Manager may invoke for this secret only (source ARN and account)."
            )
        }
        if replicas {
            notes.append(
                "Replicated to `replica_regions`, each encrypted with a replica of the module's multi-region key (or the key `replica_kms_key_arns` names); needs hashicorp/aws 6.0 or later for the replica keys' per-resource `region`."
            )
        }
        if crossAccount {
            notes.append(
                "Principals in `cross_account_principal_arns` may read the secret and decrypt it, but only through Secrets Manager (kms:ViaService); their own accounts must grant them the same."
            )
        }

        var optOuts: [PolicyOptOut] = []
        if !rotation {
            optOuts.append(
                PolicyOptOut(
                    "CKV2_AWS_57",
                    reason:
                        "rotation needs a function that changes the credential where it is used, which depends on what the secret is for; ask for `rotation` and give rotation_lambda_arn."
                ))
        }

        var example: [(name: String, value: HCLExpression)] = [("name", .string("\(requirements.name)/app"))]
        if rotation {
            example.append(
                ("rotation_lambda_arn", .string("arn:aws:lambda:eu-west-1:111122223333:function:rotate-app-secret")))
        }
        if replicas { example.append(("replica_regions", P.strings(["eu-central-1"]))) }
        if crossAccount {
            example.append(
                ("cross_account_principal_arns", P.strings(["arn:aws:iam::444455556666:role/app-reader"])))
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: dataSources, outputs: outputs, providers: replicas ? [EdgeParts.awsRegional] : [.aws],
            exampleInputs: example, securityNotes: notes, optOuts: optOuts)
    }
}
