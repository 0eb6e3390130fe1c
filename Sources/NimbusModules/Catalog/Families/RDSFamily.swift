import NimbusHCL

extension ServiceFamily {
    /// An RDS PostgreSQL or MySQL instance: private, multi-AZ, encrypted with KMS, TLS-only, backed up, protected
    /// from deletion, with IAM authentication, enhanced monitoring, Performance Insights and its logs in encrypted
    /// log groups; optionally a read replica.
    public static let rds = ServiceFamily(
        id: "rds",
        title: "RDS database",
        summary:
            "private multi-AZ RDS PostgreSQL or MySQL instance, KMS-encrypted and TLS-only, with backups, deletion protection, IAM authentication, monitoring and exported logs; optional read replica",
        keywords: [
            "rds", "database", "db", "relational database", "sql database", "rds instance", "db instance",
            "database instance",
        ],
        features: [
            FamilyFeature(
                id: "encryption", title: "KMS encryption", keywords: ["kms", "encryption", "encrypted", "tls", "ssl"],
                enabledByDefault: true),
            FamilyFeature(
                id: "backups", title: "automated backups",
                keywords: ["backup", "backups", "point-in-time recovery", "snapshots"], enabledByDefault: true),
            FamilyFeature(
                id: "deletion-protection", title: "deletion protection",
                keywords: ["deletion protection", "protected"], enabledByDefault: true),
            FamilyFeature(
                id: "multi-az", title: "multi-AZ standby",
                keywords: [
                    "multi-az", "multi az", "high availability", "highly available", "ha", "standby", "failover",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "iam-auth", title: "IAM database authentication",
                keywords: ["iam authentication", "iam auth", "iam database authentication"], enabledByDefault: true),
            FamilyFeature(
                id: "monitoring", title: "enhanced monitoring, Performance Insights and exported logs",
                keywords: ["monitoring", "performance insights", "logging", "logs", "audit"], enabledByDefault: true),
            FamilyFeature(
                id: "read-replica", title: "a read replica",
                keywords: ["read replica", "replica", "read-replica", "replicas", "replication", "read scaling"]),
        ],
        questions: [
            ClarificationQuestion(
                key: "engine", question: "Which database engine: postgres or mysql?", choices: ["postgres", "mysql"],
                synonyms: ["postgresql": "postgres", "pg": "postgres", "psql": "postgres", "my-sql": "mysql"])
        ],
        plan: RDSPlan.make)
}

/// The plan behind ``ServiceFamily/rds``.
enum RDSPlan {
    struct Engine {
        var name: String
        var port: Int
        var versions: [String]
        var defaultVersion: String
        var logExports: [String]
        /// Parameters that make the server refuse clear-text connections and log what an audit needs.
        var parameters: [(String, String)]
    }

    static let engines: [String: Engine] = [
        "postgres": Engine(
            name: "postgres", port: 5432, versions: ["14", "15", "16", "17"], defaultVersion: "16",
            logExports: ["postgresql", "upgrade"],
            parameters: [
                ("rds.force_ssl", "1"), ("log_connections", "1"), ("log_disconnections", "1"),
                ("log_statement", "ddl"), ("log_min_duration_statement", "1000"),
            ]),
        "mysql": Engine(
            name: "mysql", port: 3306, versions: ["8.0", "8.4"], defaultVersion: "8.0",
            logExports: ["error", "general", "slowquery"],
            parameters: [
                ("require_secure_transport", "1"), ("slow_query_log", "1"), ("long_query_time", "1"),
                ("general_log", "1"),
            ]),
    ]

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let question = ServiceFamily.rds.questions[0]
        guard let answer = requirements.answers["engine"], let choice = question.choice(for: answer),
            let engine = engines[choice]
        else {
            throw ModuleRequestError.badAnswer(
                "engine", value: requirements.answers["engine"] ?? "(no answer)", choices: question.choices)
        }
        let multiAZ = requirements.has("multi-az")
        let replica = requirements.has("read-replica")
        let instanceIDs: [HCLExpression] =
            [try P.ref("var.name")] + (replica ? [.template(.value(try P.ref("var.name")), "-replica")] : [])

        /// Settings the primary and the replica share: encryption, placement, monitoring, protection.
        func shared() throws -> [BodyItem] {
            let body = try Body {
                try Attribute("instance_class", P.ref("var.instance_class"))
                try Attribute("storage_encrypted", .bool(true))
                try Attribute("kms_key_id", P.ref("local.kms_key_arn"))
                try Attribute("vpc_security_group_ids", .list([try P.ref("aws_security_group.this.id")]))
                try Attribute("parameter_group_name", P.ref("aws_db_parameter_group.this.name"))
                try Attribute("publicly_accessible", .bool(false))
                try Attribute("multi_az", .bool(multiAZ))
                try Attribute("backup_retention_period", P.ref("var.backup_retention_days"))
                try Attribute("copy_tags_to_snapshot", .bool(true))
                try Attribute("deletion_protection", .bool(true))
                try Attribute("iam_database_authentication_enabled", .bool(true))
                try Attribute("auto_minor_version_upgrade", .bool(true))
                try Attribute("ca_cert_identifier", .string("rds-ca-rsa2048-g1"))
                try Attribute("monitoring_interval", .number(60))
                try Attribute("monitoring_role_arn", P.ref("aws_iam_role.monitoring.arn"))
                try Attribute("performance_insights_enabled", .bool(true))
                try Attribute("performance_insights_kms_key_id", P.ref("local.kms_key_arn"))
                try Attribute("performance_insights_retention_period", .number(7))
                try Attribute("enabled_cloudwatch_logs_exports", P.strings(engine.logExports))
            }
            return body.items
        }

        var resources: [Block] = [
            try P.kmsKey(
                description: .template("Encryption of RDS instance ", .value(P.ref("var.name"))),
                serviceStatements: [try P.logsUseStatement()]),
            try Block(
                "resource", "aws_cloudwatch_log_group", "this",
                comments: ["Made before the instance so its exported logs are encrypted and expire."]
            ) {
                try Attribute(
                    "for_each",
                    .call(
                        "toset",
                        .forList(
                            "pair", in: .call("setproduct", .list(instanceIDs), P.strings(engine.logExports)),
                            yield: .template(
                                "/aws/rds/instance/", .value(try P.ref("pair.0")), "/", .value(try P.ref("pair.1"))))))
                try Attribute("name", P.ref("each.value"))
                try Attribute("retention_in_days", P.ref("var.log_retention_days"))
                try Attribute("kms_key_id", P.ref("local.kms_key_arn"))
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_db_subnet_group", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("subnet_ids", P.ref("var.subnet_ids"))
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block(
                "resource", "aws_security_group", "this",
                comments: [
                    "Only the given security groups and private networks reach the database port; nothing leaves."
                ]
            ) {
                try Attribute("name", .template(.value(P.ref("var.name")), "-db"))
                try Attribute("description", .template("Database ", .value(P.ref("var.name"))))
                try Attribute("vpc_id", P.ref("var.vpc_id"))
                try Block("ingress") {
                    try Attribute("description", .string("Database clients"))
                    try Attribute("from_port", .number(engine.port))
                    try Attribute("to_port", .number(engine.port))
                    try Attribute("protocol", .string("tcp"))
                    try Attribute("security_groups", P.ref("var.allowed_security_group_ids"))
                    try Attribute("cidr_blocks", P.ref("var.allowed_cidr_blocks"))
                }
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_db_parameter_group", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("family", .template("\(engine.name)", .value(try P.ref("var.engine_version"))))
                for (name, value) in engine.parameters { try P.databaseParameter(name, value) }
                try Attribute("tags", P.ref("local.tags"))
                try Block("lifecycle") { try Attribute("create_before_destroy", .bool(true)) }
            },
            try P.serviceRole("monitoring", suffix: "rds-monitoring", trust: "monitoring_assume"),
            try P.managedPolicyAttachment(
                "monitoring", role: "monitoring", policy: "service-role/AmazonRDSEnhancedMonitoringRole"),
            try Block("resource", "aws_db_instance", "this") {
                try Attribute("identifier", P.ref("var.name"))
                try Attribute("engine", .string(engine.name))
                try Attribute("engine_version", P.ref("var.engine_version"))
                try Attribute("port", .number(engine.port))
                try Attribute("db_name", P.ref("var.database_name"))
                try Attribute("username", P.ref("var.master_username"))
                try Attribute(
                    "manage_master_user_password", .bool(true),
                    comments: ["The password lives in Secrets Manager, never in state or variables."])
                try Attribute("master_user_secret_kms_key_id", P.ref("local.kms_key_arn"))
                try Attribute("allocated_storage", P.ref("var.allocated_storage"))
                try Attribute("max_allocated_storage", P.ref("var.max_allocated_storage"))
                try Attribute("storage_type", .string("gp3"))
                try Attribute("db_subnet_group_name", P.ref("aws_db_subnet_group.this.name"))
                try shared()
                try Attribute("backup_window", .string("03:00-04:00"))
                try Attribute("maintenance_window", .string("sun:04:30-sun:05:30"))
                try Attribute("skip_final_snapshot", .bool(false))
                try Attribute("final_snapshot_identifier", .template(.value(try P.ref("var.name")), "-final"))
                try Attribute("delete_automated_backups", .bool(false))
                try Attribute("tags", P.ref("local.tags"))
                try Attribute(
                    "depends_on",
                    .list([
                        try P.ref("aws_cloudwatch_log_group.this"),
                        try P.ref("aws_iam_role_policy_attachment.monitoring"),
                    ]))
            },
        ]
        if replica {
            resources.append(
                try Block(
                    "resource", "aws_db_instance", "replica",
                    comments: ["Same engine, storage and credentials as the primary, which it follows."]
                ) {
                    try Attribute("identifier", .template(.value(try P.ref("var.name")), "-replica"))
                    try Attribute("replicate_source_db", P.ref("aws_db_instance.this.identifier"))
                    try shared()
                    try Attribute("skip_final_snapshot", .bool(true))
                    try Attribute("tags", P.ref("local.tags"))
                    try Attribute("depends_on", .list([try P.ref("aws_cloudwatch_log_group.this")]))
                })
        }

        var variables: [VariableSpec] =
            [
                try P.nameVariable(
                    description:
                        "Identifier of the instance and name of its subnet group, parameter group and security group.",
                    pattern: "^[a-z][a-z0-9-]{0,54}$",
                    rule: "1-55 lower-case letters, digits and hyphens, starting with a letter"),
                try P.choiceVariable(
                    "engine_version",
                    description: "Major \(engine.name) version (minor versions upgrade automatically).",
                    default: engine.defaultVersion, choices: engine.versions),
                VariableSpec(
                    "instance_class", type: "string", description: "Instance class.", default: .string("db.t4g.medium"),
                    validations: [
                        (
                            try .call("startswith", P.ref("var.instance_class"), .string("db.")),
                            "instance_class must be an RDS instance class such as db.t4g.medium."
                        )
                    ]),
            ]
            + (try P.databaseVariables(createdIn: "instance")) + [
                try P.numberVariable(
                    "allocated_storage", description: "Initial storage in GiB.", default: 20, minimum: 20,
                    maximum: 65536),
                try P.numberVariable(
                    "max_allocated_storage", description: "Storage autoscaling ceiling in GiB.", default: 100,
                    minimum: 20,
                    maximum: 65536),
                try P.numberVariable(
                    "backup_retention_days", description: "Days automated backups are kept.", default: 14, minimum: 7,
                    maximum: 35),
            ]
        variables += try P.networkVariables()
        variables += [
            VariableSpec(
                "allowed_security_group_ids", type: "list(string)",
                description: "Security groups of the clients that may connect.", default: .list([])),
            try P.privateCIDRsVariable(
                "allowed_cidr_blocks", description: "Private networks that may connect (never 0.0.0.0/0).",
                default: .list([])),
            try P.kmsKeyVariable("storage, Performance Insights, the master password and the logs"),
            try P.logRetentionVariable(),
            P.tagsVariable(),
        ]

        var outputs: [OutputSpec] = [
            OutputSpec(
                "endpoint", description: "Address and port of the primary.",
                value: try P.ref("aws_db_instance.this.endpoint")),
            OutputSpec(
                "address", description: "Host name of the primary.", value: try P.ref("aws_db_instance.this.address")),
            OutputSpec("port", description: "Database port.", value: try P.ref("aws_db_instance.this.port")),
            OutputSpec(
                "instance_arn", description: "ARN of the primary.", value: try P.ref("aws_db_instance.this.arn")),
            OutputSpec(
                "master_user_secret_arn", description: "Secrets Manager secret holding the administrator's password.",
                value: try P.ref("aws_db_instance.this.master_user_secret.0.secret_arn")),
            OutputSpec(
                "security_group_id", description: "Security group of the database.",
                value: try P.ref("aws_security_group.this.id")),
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key of the database.", value: try P.ref("local.kms_key_arn")
            ),
        ]
        if replica {
            outputs.append(
                OutputSpec(
                    "replica_endpoint", description: "Address and port of the read replica.",
                    value: try P.ref("aws_db_instance.replica.endpoint")))
        }

        var notes = [
            "Not publicly accessible; only `allowed_security_group_ids` and `allowed_cidr_blocks` (never 0.0.0.0/0) reach port \(engine.port).",
            "Storage, Performance Insights, the master password (managed in Secrets Manager) and the exported logs are encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given).",
            engine.name == "postgres"
                ? "`rds.force_ssl` refuses clear-text connections; connections, disconnections, DDL and statements slower than a second are logged."
                : "`require_secure_transport` refuses clear-text connections; the error, general and slow-query logs are exported.",
            "Automated backups are kept `backup_retention_days` (7 to 35); a final snapshot is taken on deletion and deletion protection is on.",
            "IAM database authentication, enhanced monitoring (60 s), Performance Insights and automatic minor upgrades are on.",
        ]
        notes.append(
            multiAZ
                ? "Multi-AZ: a synchronous standby in another zone takes over on failure."
                : "Single-AZ: no standby.")
        if replica {
            notes.append("A read replica, encrypted and monitored like the primary, serves reads.")
        }

        var optOuts: [PolicyOptOut] = []
        if !multiAZ {
            optOuts.append(
                PolicyOptOut(
                    "CKV_AWS_157",
                    reason: "multi-AZ was turned off for this module; ask for `multi-AZ` to get a standby."))
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: try P.commonDataSources() + [
                try P.assumeRoleDocument(
                    "monitoring_assume", services: ["monitoring.rds.amazonaws.com"], onlyThisAccount: true)
            ],
            outputs: outputs,
            exampleInputs: [("name", .string(requirements.name)), P.exampleVPC, P.exampleSubnets],
            securityNotes: notes, optOuts: optOuts)
    }
}
