import NimbusHCL

extension ServiceFamily {
    /// An Aurora PostgreSQL or MySQL cluster: private, a writer and readers in several zones, encrypted with KMS,
    /// TLS-only, backed up, protected from deletion, with its master password managed by Secrets Manager, IAM
    /// authentication, enhanced monitoring, Performance Insights and its logs in encrypted log groups; optionally
    /// Serverless v2 and (MySQL) backtrack.
    public static let aurora = ServiceFamily(
        id: "aurora",
        title: "Aurora cluster",
        summary:
            "private multi-AZ Aurora PostgreSQL or MySQL cluster, KMS-encrypted and TLS-only, with its master password in Secrets Manager, backups, deletion protection, IAM authentication, monitoring and exported logs; optional Serverless v2 and backtrack",
        keywords: [
            "aurora", "aurora cluster", "aurora db cluster", "aurora database", "aurora db", "amazon aurora",
            "aurora serverless", "rds aurora", "aurora rds", "db cluster", "database cluster",
        ],
        features: [
            FamilyFeature(
                id: "encryption", title: "KMS encryption", keywords: ["kms", "encryption", "encrypted", "tls", "ssl"],
                enabledByDefault: true),
            FamilyFeature(
                id: "backups", title: "automated backups",
                keywords: ["backup", "backups", "point-in-time recovery", "pitr", "snapshots"], enabledByDefault: true),
            FamilyFeature(
                id: "deletion-protection", title: "deletion protection",
                keywords: ["deletion protection", "protected"], enabledByDefault: true),
            FamilyFeature(
                id: "multi-az", title: "a writer and readers in several zones",
                keywords: [
                    "multi-az", "multi az", "high availability", "highly available", "ha", "failover", "standby",
                    "reader", "readers", "read replica", "read replicas", "replica", "replicas", "cluster",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "iam-auth", title: "IAM database authentication",
                keywords: ["iam authentication", "iam auth", "iam database authentication"], enabledByDefault: true),
            FamilyFeature(
                id: "monitoring", title: "enhanced monitoring, Performance Insights and exported logs",
                keywords: [
                    "monitoring", "enhanced monitoring", "performance insights", "logging", "logs", "audit",
                    "audit logs",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "serverless", title: "Serverless v2 instances that scale with the load",
                keywords: [
                    "serverless", "serverless v2", "serverless-v2", "serverlessv2", "autoscaling capacity",
                    "scales to zero", "acu", "acus",
                ]),
            FamilyFeature(
                id: "backtrack", title: "backtrack (Aurora MySQL): rewinding the cluster in place",
                keywords: ["backtrack", "backtracking", "rewind"]),
        ],
        questions: [
            ClarificationQuestion(
                key: "engine", question: "Which Aurora engine: postgres or mysql?", choices: ["postgres", "mysql"],
                synonyms: [
                    "postgresql": "postgres", "pg": "postgres", "psql": "postgres", "aurora-postgresql": "postgres",
                    "aurora-postgres": "postgres", "my-sql": "mysql", "aurora-mysql": "mysql",
                ])
        ],
        plan: AuroraPlan.make)
}

/// The plan behind ``ServiceFamily/aurora``.
enum AuroraPlan {
    struct Engine {
        var name: String
        var title: String
        var port: Int
        var versions: [String]
        var defaultVersion: String
        var logExports: [String]
        /// Cluster parameters that refuse clear-text connections and log what an audit needs.
        var parameters: [(String, String)]
    }

    static let engines: [String: Engine] = [
        "postgres": Engine(
            name: "aurora-postgresql", title: "Aurora PostgreSQL", port: 5432, versions: ["14", "15", "16", "17"],
            defaultVersion: "16", logExports: ["postgresql"],
            parameters: [
                ("rds.force_ssl", "1"), ("log_connections", "1"), ("log_disconnections", "1"),
                ("log_statement", "ddl"), ("log_min_duration_statement", "1000"),
            ]),
        "mysql": Engine(
            name: "aurora-mysql", title: "Aurora MySQL", port: 3306, versions: ["8.0"], defaultVersion: "8.0",
            logExports: ["audit", "error", "slowquery"],
            parameters: [
                ("require_secure_transport", "ON"), ("server_audit_logging", "1"),
                ("server_audit_events", "CONNECT,QUERY_DCL,QUERY_DDL"), ("slow_query_log", "1"),
                ("long_query_time", "1"), ("log_output", "FILE"),
            ]),
    ]

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let question = ServiceFamily.aurora.questions[0]
        guard let answer = requirements.answers["engine"], let choice = question.choice(for: answer),
            let engine = engines[choice]
        else {
            throw ModuleRequestError.badAnswer(
                "engine", value: requirements.answers["engine"] ?? "(no answer)", choices: question.choices)
        }
        let multiAZ = requirements.has("multi-az")
        let serverless = requirements.has("serverless")
        // Backtrack exists for Aurora MySQL only; a PostgreSQL cluster relies on point-in-time restore.
        let backtrack = requirements.has("backtrack") && choice == "mysql"

        let resources: [Block] = [
            try P.kmsKey(
                description: .template("Encryption of Aurora cluster ", .value(P.ref("var.name"))),
                serviceStatements: [try P.logsUseStatement()]),
            try Block(
                "resource", "aws_cloudwatch_log_group", "this",
                comments: ["Made before the cluster so its exported logs are encrypted and expire."]
            ) {
                try Attribute("for_each", .call("toset", P.strings(engine.logExports)))
                try Attribute(
                    "name",
                    .template("/aws/rds/cluster/", .value(try P.ref("var.name")), "/", .value(P.ref("each.value"))))
                try Attribute("retention_in_days", P.ref("var.log_retention_days"))
                try Attribute("kms_key_id", P.ref("local.kms_key_arn"))
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_db_subnet_group", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("subnet_ids", P.ref("var.subnet_ids"))
                try Attribute("tags", P.ref("local.tags"))
            },
            try DataParts.clientSecurityGroup(
                suffix: "db", what: .template("Aurora cluster ", .value(try P.ref("var.name"))),
                port: .number(engine.port), clients: "Database clients"),
            try Block("resource", "aws_rds_cluster_parameter_group", "this") {
                try Attribute(
                    "name_prefix", .template(.value(try P.ref("var.name")), "-"),
                    comments: ["A prefix, so a major upgrade makes the new family's group before the old one goes."])
                try Attribute("family", P.ref("data.aws_rds_engine_version.this.parameter_group_family"))
                try Attribute("description", .template("Parameters of Aurora cluster ", .value(P.ref("var.name"))))
                for (name, value) in engine.parameters { try P.databaseParameter(name, value) }
                try Attribute("tags", P.ref("local.tags"))
                try Block("lifecycle") { try Attribute("create_before_destroy", .bool(true)) }
            },
            try P.serviceRole("monitoring", suffix: "aurora-monitoring", trust: "monitoring_assume"),
            try P.managedPolicyAttachment(
                "monitoring", role: "monitoring", policy: "service-role/AmazonRDSEnhancedMonitoringRole"),
            try Block("resource", "aws_rds_cluster", "this") {
                try Attribute("cluster_identifier", P.ref("var.name"))
                try Attribute("engine", .string(engine.name))
                try Attribute(
                    "engine_version", P.ref("data.aws_rds_engine_version.this.version_actual"),
                    comments: ["The default minor version of engine_version; minor versions upgrade automatically."])
                try Attribute("engine_mode", .string("provisioned"))
                try Attribute("port", .number(engine.port))
                try Attribute("database_name", P.ref("var.database_name"))
                try Attribute("master_username", P.ref("var.master_username"))
                try Attribute(
                    "manage_master_user_password", .bool(true),
                    comments: ["The password lives in Secrets Manager, never in state or variables."])
                try Attribute("master_user_secret_kms_key_id", P.ref("local.kms_key_arn"))
                try Attribute("db_subnet_group_name", P.ref("aws_db_subnet_group.this.name"))
                try Attribute("vpc_security_group_ids", .list([try P.ref("aws_security_group.this.id")]))
                try Attribute("db_cluster_parameter_group_name", P.ref("aws_rds_cluster_parameter_group.this.name"))
                try Attribute("storage_encrypted", .bool(true))
                try Attribute("kms_key_id", P.ref("local.kms_key_arn"))
                try Attribute("iam_database_authentication_enabled", .bool(true))
                try Attribute("deletion_protection", .bool(true))
                try Attribute("backup_retention_period", P.ref("var.backup_retention_days"))
                try Attribute("preferred_backup_window", .string("03:00-04:00"))
                try Attribute("preferred_maintenance_window", .string("sun:04:30-sun:05:30"))
                try Attribute("copy_tags_to_snapshot", .bool(true))
                try Attribute("skip_final_snapshot", .bool(false))
                try Attribute("final_snapshot_identifier", .template(.value(try P.ref("var.name")), "-final"))
                try Attribute("delete_automated_backups", .bool(false))
                try Attribute("enabled_cloudwatch_logs_exports", P.strings(engine.logExports))
                if backtrack {
                    try Attribute(
                        "backtrack_window", .binary(.multiply, try P.ref("var.backtrack_hours"), .number(3600)))
                }
                if serverless {
                    try Block("serverlessv2_scaling_configuration") {
                        try Attribute("min_capacity", P.ref("var.min_capacity"))
                        try Attribute("max_capacity", P.ref("var.max_capacity"))
                    }
                }
                try Attribute("tags", P.ref("local.tags"))
                try Attribute("depends_on", .list([try P.ref("aws_cloudwatch_log_group.this")]))
            },
            try Block(
                "resource", "aws_rds_cluster_instance", "this",
                comments: [
                    "The first instance is the writer; the others are readers that take over if it fails."
                ]
            ) {
                try Attribute("count", P.ref("var.instance_count"))
                try Attribute(
                    "identifier",
                    .template(
                        .value(try P.ref("var.name")), "-",
                        .value(.binary(.add, try P.ref("count.index"), .number(1)))))
                try Attribute("cluster_identifier", P.ref("aws_rds_cluster.this.id"))
                try Attribute("engine", P.ref("aws_rds_cluster.this.engine"))
                try Attribute("engine_version", P.ref("aws_rds_cluster.this.engine_version"))
                try Attribute("instance_class", serverless ? .string("db.serverless") : try P.ref("var.instance_class"))
                try Attribute("db_subnet_group_name", P.ref("aws_db_subnet_group.this.name"))
                try Attribute("publicly_accessible", .bool(false))
                try Attribute("auto_minor_version_upgrade", .bool(true))
                try Attribute("ca_cert_identifier", .string("rds-ca-rsa2048-g1"))
                try Attribute("monitoring_interval", .number(60))
                try Attribute("monitoring_role_arn", P.ref("aws_iam_role.monitoring.arn"))
                try Attribute("performance_insights_enabled", .bool(true))
                try Attribute("performance_insights_kms_key_id", P.ref("local.kms_key_arn"))
                try Attribute("performance_insights_retention_period", .number(7))
                try Attribute("copy_tags_to_snapshot", .bool(true))
                try Attribute("preferred_maintenance_window", .string("sun:04:30-sun:05:30"))
                try Attribute("tags", P.ref("local.tags"))
                try Attribute("depends_on", .list([try P.ref("aws_iam_role_policy_attachment.monitoring")]))
            },
        ]

        var variables: [VariableSpec] =
            [
                try P.nameVariable(
                    description:
                        "Identifier of the cluster (its instances add -1, -2…) and name of its subnet group, security group and log groups.",
                    pattern: "^[a-z][a-z0-9-]{0,49}$",
                    rule: "1-50 lower-case letters, digits and hyphens, starting with a letter"),
                try P.choiceVariable(
                    "engine_version",
                    description:
                        "Major \(engine.title) version; the region's default minor version of it is used, and minor versions upgrade automatically.",
                    default: engine.defaultVersion, choices: engine.versions),
            ]
            + (try P.databaseVariables(createdIn: "cluster")) + [
                try P.numberVariable(
                    "instance_count",
                    description: multiAZ
                        ? "Instances: a writer and readers, placed in different zones of the subnets."
                        : "Instances: a writer and any readers.",
                    default: multiAZ ? 2 : 1, minimum: multiAZ ? 2 : 1, maximum: 16)
            ]
        if serverless {
            let minimum = try P.ref("var.min_capacity")
            let maximum = try P.ref("var.max_capacity")
            variables += [
                VariableSpec(
                    "min_capacity", type: "number",
                    description:
                        "Fewest Aurora capacity units (ACUs, about 2 GiB of memory each) an instance scales down to.",
                    default: try .number(0.5),
                    validations: [
                        (
                            .binary(
                                .and, .binary(.greaterOrEqual, minimum, .number(0)),
                                .binary(.lessOrEqual, minimum, .number(256))),
                            "min_capacity must be between 0 and 256 ACUs."
                        ),
                        (
                            .binary(
                                .equal, .binary(.modulo, .binary(.multiply, minimum, .number(2)), .number(1)),
                                .number(0)),
                            "min_capacity must be a multiple of 0.5."
                        ),
                    ]),
                VariableSpec(
                    "max_capacity", type: "number",
                    description: "Most Aurora capacity units an instance scales up to.", default: .number(16),
                    validations: [
                        (
                            .binary(
                                .and, .binary(.greaterOrEqual, maximum, .number(1)),
                                .binary(.lessOrEqual, maximum, .number(256))),
                            "max_capacity must be between 1 and 256 ACUs."
                        ),
                        (
                            .binary(
                                .equal, .binary(.modulo, .binary(.multiply, maximum, .number(2)), .number(1)),
                                .number(0)),
                            "max_capacity must be a multiple of 0.5."
                        ),
                    ]),
            ]
        } else {
            variables.append(
                VariableSpec(
                    "instance_class", type: "string", description: "Instance class of every instance.",
                    default: .string("db.r7g.large"),
                    validations: [
                        (
                            try .call("startswith", P.ref("var.instance_class"), .string("db.")),
                            "instance_class must be an RDS instance class such as db.r7g.large."
                        )
                    ]))
        }
        variables.append(
            try P.numberVariable(
                "backup_retention_days", description: "Days automated backups (point-in-time restore) are kept.",
                default: 14, minimum: 7, maximum: 35))
        if backtrack {
            variables.append(
                try P.numberVariable(
                    "backtrack_hours", description: "Hours the cluster can be rewound (backtracked) in place.",
                    default: 24, minimum: 1, maximum: 72))
        }
        variables += try P.networkVariables()
        variables += try DataParts.clientVariables()
        variables += [
            try P.kmsKeyVariable("storage, Performance Insights, the master password and the logs"),
            try P.logRetentionVariable(),
            P.tagsVariable(),
        ]

        let outputs: [OutputSpec] = [
            OutputSpec(
                "endpoint", description: "Writer endpoint (host name).",
                value: try P.ref("aws_rds_cluster.this.endpoint")),
            OutputSpec(
                "reader_endpoint", description: "Reader endpoint, spreading connections over the readers.",
                value: try P.ref("aws_rds_cluster.this.reader_endpoint")),
            OutputSpec("port", description: "Database port.", value: try P.ref("aws_rds_cluster.this.port")),
            OutputSpec("cluster_arn", description: "ARN of the cluster.", value: try P.ref("aws_rds_cluster.this.arn")),
            OutputSpec(
                "cluster_resource_id", description: "Resource id of the cluster, for rds-db:connect IAM policies.",
                value: try P.ref("aws_rds_cluster.this.cluster_resource_id")),
            OutputSpec(
                "master_user_secret_arn", description: "Secrets Manager secret holding the administrator's password.",
                value: try P.ref("aws_rds_cluster.this.master_user_secret.0.secret_arn")),
            OutputSpec(
                "security_group_id", description: "Security group of the cluster.",
                value: try P.ref("aws_security_group.this.id")),
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key of the cluster.", value: try P.ref("local.kms_key_arn")),
        ]

        var notes = [
            "Not publicly accessible; only `allowed_security_group_ids` and `allowed_cidr_blocks` (never 0.0.0.0/0) reach port \(engine.port).",
            "Storage, snapshots, Performance Insights, the master password (managed in Secrets Manager) and the exported logs are encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given).",
            choice == "postgres"
                ? "`rds.force_ssl` refuses clear-text connections; connections, disconnections, DDL and statements slower than a second are logged."
                : "`require_secure_transport` refuses clear-text connections; the audit log (connections, DDL, DCL), the error log and the slow-query log are exported.",
            "Automated backups (point-in-time restore) are kept `backup_retention_days` (7 to 35); a final snapshot is taken on deletion and deletion protection is on.",
            "IAM database authentication, enhanced monitoring (60 s), Performance Insights and automatic minor upgrades are on; the engine runs the region's default minor version of `engine_version`.",
            multiAZ
                ? "Multi-AZ: `instance_count` (at least two) instances in different zones; a reader takes over when the writer fails."
                : "Single instance unless `instance_count` adds readers.",
        ]
        if serverless {
            notes.append(
                "Serverless v2: every instance scales between `min_capacity` and `max_capacity` ACUs with the load.")
        }
        if backtrack {
            notes.append("Backtrack: the cluster can be rewound in place up to `backtrack_hours` hours.")
        } else if requirements.has("backtrack") {
            notes.append(
                "Backtrack exists for Aurora MySQL only; this PostgreSQL cluster relies on point-in-time restore.")
        }

        var optOuts: [PolicyOptOut] = [
            PolicyOptOut(
                "CKV2_AWS_8",
                reason:
                    "Aurora's own automated backups and point-in-time restore are on (`backup_retention_days`); to keep copies longer or in another region, select the cluster by tag in an AWS Backup plan (the backup family)."
            )
        ]
        if choice == "mysql" && !backtrack {
            optOuts.append(
                PolicyOptOut(
                    "CKV_AWS_326",
                    reason:
                        "backtrack rewinds the whole cluster in place and is billed for the changes it keeps; point-in-time restore covers recovery; ask for `backtrack` to turn it on."
                ))
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: try P.commonDataSources() + [
                try P.assumeRoleDocument(
                    "monitoring_assume", services: ["monitoring.rds.amazonaws.com"], onlyThisAccount: true),
                try Block(
                    "data", "aws_rds_engine_version", "this",
                    comments: ["The region's default minor version of the major version asked for."]
                ) {
                    try Attribute("engine", .string(engine.name))
                    try Attribute("version", P.ref("var.engine_version"))
                    try Attribute("default_only", .bool(true))
                },
            ],
            outputs: outputs,
            exampleInputs: [("name", .string(requirements.name)), P.exampleVPC, P.exampleSubnets],
            securityNotes: notes, optOuts: optOuts)
    }
}
