import NimbusHCL

extension ServiceFamily {
    /// An AWS Backup plan: a vault encrypted with KMS, a daily rule, a selection of the resources that carry the
    /// plan's tag, and a role with the AWS managed backup and restore policies; optionally weekly and monthly
    /// rules, copies to a vault in another region, a vault lock and notifications.
    public static let backup = ServiceFamily(
        id: "backup",
        title: "AWS Backup plan",
        summary:
            "AWS Backup plan with a KMS-encrypted vault, daily backups of the resources carrying its tag and a role with the AWS managed backup policies; optional weekly and monthly rules, cross-region copies, vault lock and notifications",
        keywords: [
            "aws backup", "aws backup plan", "backup plan", "backup vault", "backup", "backup schedule",
            "backup rule",
        ],
        features: [
            FamilyFeature(
                id: "encryption", title: "a KMS-encrypted vault", keywords: ["kms", "encryption", "encrypted"],
                enabledByDefault: true),
            FamilyFeature(
                id: "daily", title: "daily backups",
                keywords: ["daily", "daily backups", "daily rule", "nightly", "schedule", "scheduled"],
                enabledByDefault: true),
            FamilyFeature(
                id: "tag-selection", title: "resources selected by tag",
                keywords: ["tag", "tags", "tagged", "tag-based", "tagged resources", "selection", "by tag"],
                enabledByDefault: true),
            FamilyFeature(
                id: "long-term", title: "weekly and monthly backups kept longer",
                keywords: [
                    "weekly", "monthly", "weekly backups", "monthly backups", "long-term retention",
                    "long term retention", "long-term",
                ]),
            FamilyFeature(
                id: "cross-region-copy", title: "copies to a vault in another region",
                keywords: [
                    "cross-region", "cross region", "cross-region copy", "cross-region copies", "copy", "copies",
                    "another region", "disaster recovery", "dr",
                ]),
            FamilyFeature(
                id: "vault-lock", title: "a vault lock (WORM)",
                keywords: ["vault lock", "vault-lock", "locked vault", "worm", "immutable", "immutability"]),
            FamilyFeature(
                id: "notifications", title: "vault notifications to an encrypted SNS topic",
                keywords: [
                    "notifications", "notification", "notify", "sns", "sns topic", "topic", "email", "e-mail",
                    "alerts",
                ]),
        ],
        plan: BackupPlan.make)
}

/// The plan behind ``ServiceFamily/backup``.
enum BackupPlan {
    static let notificationEvents = [
        "BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED", "RESTORE_JOB_COMPLETED", "RECOVERY_POINT_MODIFIED",
        "S3_BACKUP_OBJECT_FAILED", "S3_RESTORE_OBJECT_FAILED",
    ]

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let longTerm = requirements.has("long-term")
        let copies = requirements.has("cross-region-copy")
        let lock = requirements.has("vault-lock")
        let notifications = requirements.has("notifications")
        let vaultName = try P.ref("aws_backup_vault.this.name")
        let topicARN = try P.ref("aws_sns_topic.this.arn")

        /// A rule into the vault, kept `retention` days, copied to the other region's vault when asked.
        func rule(_ name: String, schedule: String, retention: String) throws -> Block {
            try Block("rule") {
                try Attribute("rule_name", .string(name))
                try Attribute("target_vault_name", vaultName)
                try Attribute("schedule", P.ref(schedule))
                try Attribute("schedule_expression_timezone", P.ref("var.schedule_timezone"))
                try Attribute("start_window", .number(60))
                try Attribute("completion_window", .number(480))
                try Block("lifecycle") { try Attribute("delete_after", P.ref(retention)) }
                if copies {
                    try Block("copy_action") {
                        try Attribute("destination_vault_arn", P.ref("var.destination_vault_arn"))
                        try Block("lifecycle") { try Attribute("delete_after", P.ref(retention)) }
                    }
                }
                try Attribute(
                    "recovery_point_tags",
                    .call("merge", try P.ref("local.tags"), .object([("BackupRule", .string(name))])))
            }
        }

        var serviceStatements: [HCLExpression] = []
        if notifications {
            serviceStatements.append(
                P.serviceUseStatement(
                    sid: "BackupPublishesEncryptedNotifications", service: .string("backup.amazonaws.com")))
        }
        let retentions = try
            (["var.daily_retention_days"]
            + (longTerm ? ["var.weekly_retention_days", "var.monthly_retention_days"] : [])).map { try P.ref($0) }
        var resources: [Block] = [
            try P.kmsKey(
                description: .template("Encryption of backup vault ", .value(P.ref("var.name"))),
                serviceStatements: serviceStatements),
            try Block(
                "resource", "aws_backup_vault", "this",
                comments: [
                    "Recovery points are encrypted with the key; a vault holding recovery points is not deleted."
                ]
            ) {
                try Attribute("name", P.ref("var.name"))
                try Attribute("kms_key_arn", P.ref("local.kms_key_arn"))
                try Attribute("force_destroy", .bool(false))
                try Attribute("tags", P.ref("local.tags"))
            },
        ]
        if lock {
            resources.append(
                try Block(
                    "resource", "aws_backup_vault_lock_configuration", "this",
                    comments: [
                        "Governance: only principals allowed backup:DeleteBackupVaultLockConfiguration can lift it.",
                        "Compliance: after changeable_for_days nobody can, not even the root user.",
                    ]
                ) {
                    try Attribute("backup_vault_name", vaultName)
                    try Attribute("min_retention_days", P.ref("var.lock_min_retention_days"))
                    try Attribute("max_retention_days", P.ref("var.lock_max_retention_days"))
                    try Attribute(
                        "changeable_for_days",
                        .conditional(
                            .binary(.equal, try P.ref("var.lock_mode"), .string("compliance")),
                            try P.ref("var.lock_changeable_for_days"), .null))
                    try Block("lifecycle") {
                        try Block("precondition") {
                            try Attribute(
                                "condition",
                                .binary(
                                    .and,
                                    .binary(
                                        .lessOrEqual, try P.ref("var.lock_min_retention_days"),
                                        try .call("min", .list(retentions), expandingLast: true)),
                                    .binary(
                                        .greaterOrEqual, try P.ref("var.lock_max_retention_days"),
                                        try .call("max", .list(retentions), expandingLast: true))))
                            try Attribute(
                                "error_message",
                                .string(
                                    "Every rule's retention must lie between lock_min_retention_days and lock_max_retention_days, or its backups fail."
                                ))
                        }
                    }
                })
        }
        resources.append(
            try Block("resource", "aws_backup_plan", "this") {
                try Attribute("name", P.ref("var.name"))
                try rule("daily", schedule: "var.daily_schedule", retention: "var.daily_retention_days")
                if longTerm {
                    try rule("weekly", schedule: "var.weekly_schedule", retention: "var.weekly_retention_days")
                    try rule("monthly", schedule: "var.monthly_schedule", retention: "var.monthly_retention_days")
                }
                try Attribute("tags", P.ref("local.tags"))
            })
        resources += [
            try P.serviceRole("this", suffix: "backup", trust: "backup_assume"),
            try P.managedPolicyAttachment(
                "backup", role: "this", policy: "service-role/AWSBackupServiceRolePolicyForBackup"),
            try P.managedPolicyAttachment(
                "restores", role: "this", policy: "service-role/AWSBackupServiceRolePolicyForRestores"),
            try P.managedPolicyAttachment("s3_backup", role: "this", policy: "AWSBackupServiceRolePolicyForS3Backup"),
            try P.managedPolicyAttachment("s3_restore", role: "this", policy: "AWSBackupServiceRolePolicyForS3Restore"),
            try Block(
                "resource", "aws_backup_selection", "this",
                comments: ["Every resource of a supported type that carries the tag <selection_tag_key> = <name>."]
            ) {
                try Attribute("name", P.ref("var.name"))
                try Attribute("plan_id", P.ref("aws_backup_plan.this.id"))
                try Attribute("iam_role_arn", P.ref("aws_iam_role.this.arn"))
                try Block("selection_tag") {
                    try Attribute("type", .string("STRINGEQUALS"))
                    try Attribute("key", P.ref("var.selection_tag_key"))
                    try Attribute("value", P.ref("var.name"))
                }
                try Attribute(
                    "depends_on",
                    .list([
                        try P.ref("aws_iam_role_policy_attachment.backup"),
                        try P.ref("aws_iam_role_policy_attachment.s3_backup"),
                    ]))
            },
        ]
        resources.append(
            try Block(
                "resource", "aws_backup_selection", "resources",
                comments: ["The resources named by ARN, whatever their tags (made only when resource_arns names some)."]
            ) {
                try Attribute(
                    "count", P.countIf(.binary(.greater, try .call("length", P.ref("var.resource_arns")), .number(0))))
                try Attribute("name", .template(.value(try P.ref("var.name")), "-resources"))
                try Attribute("plan_id", P.ref("aws_backup_plan.this.id"))
                try Attribute("iam_role_arn", P.ref("aws_iam_role.this.arn"))
                try Attribute("resources", P.ref("var.resource_arns"))
                try Attribute(
                    "depends_on",
                    .list([
                        try P.ref("aws_iam_role_policy_attachment.backup"),
                        try P.ref("aws_iam_role_policy_attachment.s3_backup"),
                    ]))
            })
        if notifications {
            resources += [
                try Block("resource", "aws_sns_topic", "this") {
                    try Attribute("name", .template(.value(try P.ref("var.name")), "-backup-events"))
                    try Attribute("kms_master_key_id", P.ref("local.kms_key_arn"))
                    try Attribute("tags", P.ref("local.tags"))
                },
                try Block("resource", "aws_sns_topic_policy", "this") {
                    try Attribute("arn", topicARN)
                    try Attribute("policy", P.ref("data.aws_iam_policy_document.topic.json"))
                },
                try Block("resource", "aws_backup_vault_notifications", "this") {
                    try Attribute("backup_vault_name", vaultName)
                    try Attribute("sns_topic_arn", topicARN)
                    try Attribute("backup_vault_events", P.ref("var.notification_events"))
                    try Attribute("depends_on", .list([try P.ref("aws_sns_topic_policy.this")]))
                },
                try P.emailSubscriptions(topicARN: topicARN),
            ]
        }

        var dataSources =
            try P.commonDataSources() + [
                try P.assumeRoleDocument("backup_assume", services: ["backup.amazonaws.com"])
            ]
        if notifications {
            dataSources.append(
                try Block("data", "aws_iam_policy_document", "topic") {
                    try Block("statement") {
                        try Attribute("sid", .string("BackupPublishes"))
                        try Attribute("actions", P.strings(["SNS:Publish"]))
                        try Attribute("resources", .list([topicARN]))
                        try Block("principals") {
                            try Attribute("type", .string("Service"))
                            try Attribute("identifiers", P.strings(["backup.amazonaws.com"]))
                        }
                    }
                    try P.denyInsecureTransport(actions: ["SNS:Publish"], resources: [topicARN])
                })
        }

        func scheduleVariable(_ name: String, _ what: String, _ value: String) throws -> VariableSpec {
            VariableSpec(
                name, type: "string", description: "When the \(what) backups start (a cron() expression).",
                default: .string(value),
                validations: [
                    (
                        try .call("can", .call("regex", .string("^cron\\(.+\\)$"), P.ref("var.\(name)"))),
                        "\(name) must be a cron(...) expression."
                    )
                ])
        }

        var variables: [VariableSpec] = [
            try P.nameVariable(
                description:
                    "Name of the vault, the plan and its selection; resources tagged <selection_tag_key> = <name> are backed up.",
                pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$",
                rule: "2-40 letters, digits, hyphens and underscores, starting with a letter or digit"),
            VariableSpec(
                "selection_tag_key", type: "string",
                description: "Tag whose value must be the plan's name for a resource to be backed up.",
                default: .string("backup-plan"),
                validations: [
                    (
                        .binary(.greater, try .call("length", P.ref("var.selection_tag_key")), .number(0)),
                        "selection_tag_key must not be empty."
                    )
                ]),
            VariableSpec(
                "resource_arns", type: "list(string)",
                description:
                    "ARNs of resources backed up as well, whatever their tags (a database, a file system, a table…).",
                default: .list([]),
                validations: [
                    (
                        try .call(
                            "alltrue",
                            .forList(
                                "arn", in: P.ref("var.resource_arns"),
                                yield: .call("startswith", P.ref("arn"), .string("arn:")))),
                        "resource_arns must be ARNs."
                    )
                ]),
            try scheduleVariable("daily_schedule", "daily", "cron(0 3 * * ? *)"),
            try P.numberVariable(
                "daily_retention_days", description: "Days daily recovery points are kept.", default: 35, minimum: 1,
                maximum: 36500),
            VariableSpec(
                "schedule_timezone", type: "string", description: "Time zone of the schedules (IANA name).",
                default: .string("Etc/UTC")),
        ]
        if longTerm {
            variables += [
                try scheduleVariable("weekly_schedule", "weekly", "cron(0 4 ? * SUN *)"),
                try P.numberVariable(
                    "weekly_retention_days", description: "Days weekly recovery points are kept.", default: 90,
                    minimum: 1, maximum: 36500),
                try scheduleVariable("monthly_schedule", "monthly", "cron(0 5 1 * ? *)"),
                try P.numberVariable(
                    "monthly_retention_days", description: "Days monthly recovery points are kept.", default: 365,
                    minimum: 1, maximum: 36500),
            ]
        }
        if copies {
            variables.append(
                VariableSpec(
                    "destination_vault_arn", type: "string",
                    description:
                        "Vault in another region (or account) that receives a copy of every recovery point; its access policy and key must admit this account.",
                    validations: [
                        (
                            try .call(
                                "can",
                                .call(
                                    "regex", .string("^arn:aws[a-z-]*:backup:[a-z0-9-]+:[0-9]{12}:backup-vault:.+$"),
                                    P.ref("var.destination_vault_arn"))),
                            "destination_vault_arn must be an AWS Backup vault ARN."
                        )
                    ]))
        }
        if lock {
            variables += [
                try P.choiceVariable(
                    "lock_mode",
                    description:
                        "governance (privileged principals can still lift the lock) or compliance (nobody can, once changeable_for_days have passed).",
                    default: "governance", choices: ["governance", "compliance"]),
                try P.numberVariable(
                    "lock_min_retention_days",
                    description: "Shortest retention a recovery point in the vault may have.",
                    default: 7, minimum: 1, maximum: 36500),
                try P.numberVariable(
                    "lock_max_retention_days",
                    description: "Longest retention a recovery point in the vault may have (at least the rules').",
                    default: 3650, minimum: 1, maximum: 36500),
                try P.numberVariable(
                    "lock_changeable_for_days",
                    description: "Compliance mode: days the lock can still be changed or removed before it is final.",
                    default: 3, minimum: 3, maximum: 36500),
            ]
        }
        if notifications {
            var emails = try P.emailAddressesVariable("Addresses told of the vault's events (each must confirm).")
            emails.defaultValue = .list([])
            variables += [
                VariableSpec(
                    "notification_events", type: "list(string)", description: "Vault events sent to the topic.",
                    default: P.strings(notificationEvents),
                    validations: [
                        (
                            .binary(.greater, try .call("length", P.ref("var.notification_events")), .number(0)),
                            "notification_events must name at least one event."
                        )
                    ]),
                emails,
            ]
        }
        variables += [
            try P.kmsKeyVariable("the vault's recovery points\(notifications ? " and the topic" : "")"),
            P.tagsVariable(),
        ]

        var outputs: [OutputSpec] = [
            OutputSpec("vault_arn", description: "ARN of the vault.", value: try P.ref("aws_backup_vault.this.arn")),
            OutputSpec("vault_name", description: "Name of the vault.", value: vaultName),
            OutputSpec("plan_id", description: "Id of the plan.", value: try P.ref("aws_backup_plan.this.id")),
            OutputSpec("plan_arn", description: "ARN of the plan.", value: try P.ref("aws_backup_plan.this.arn")),
            OutputSpec(
                "selection_tag", description: "Tag to put on a resource to back it up with this plan.",
                value: .object([("key", try P.ref("var.selection_tag_key")), ("value", try P.ref("var.name"))])),
            OutputSpec(
                "role_arn", description: "Role AWS Backup uses to back up and restore.",
                value: try P.ref("aws_iam_role.this.arn")),
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key of the vault.", value: try P.ref("local.kms_key_arn")),
        ]
        if notifications {
            outputs.append(OutputSpec("topic_arn", description: "SNS topic of the vault's events.", value: topicARN))
        }

        var notes = [
            "Recovery points are encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given); the vault is not destroyed while it holds any.",
            "Daily backups at `daily_schedule` are kept `daily_retention_days` (35 by default) and tagged with the module's tags.",
            "Only resources tagged `<selection_tag_key> = <name>`, and those `resource_arns` names, are backed up, so nothing is backed up (or billed) by surprise.",
            "AWS Backup works through its own role, with the AWS managed backup and restore policies only (including S3's).",
        ]
        if longTerm {
            notes.append(
                "Weekly and monthly backups are kept `weekly_retention_days` (90) and `monthly_retention_days` (365).")
        }
        if copies {
            notes.append(
                "Every recovery point is copied to `destination_vault_arn` (another region) and kept there as long; that vault's access policy and key must admit this account."
            )
        }
        if lock {
            notes.append(
                "The vault is locked (`lock_mode`): recovery points cannot be deleted or their retention shortened below `lock_min_retention_days`; in compliance mode the lock becomes final after `lock_changeable_for_days`."
            )
        }
        if notifications {
            notes.append(
                "Vault events (`notification_events`) go to an SNS topic encrypted with the key, to which only AWS Backup may publish, and only over TLS."
            )
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: dataSources, outputs: outputs,
            exampleInputs: [("name", .string(requirements.name))]
                + (copies
                    ? [
                        (
                            "destination_vault_arn",
                            .string("arn:aws:backup:eu-central-1:111122223333:backup-vault:\(requirements.name)-copies")
                        )
                    ] : []),
            securityNotes: notes, optOuts: [])
    }
}
