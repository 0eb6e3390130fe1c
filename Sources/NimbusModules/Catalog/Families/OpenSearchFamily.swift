import NimbusHCL

extension ServiceFamily {
    /// An OpenSearch domain inside a VPC: encrypted at rest with KMS and between nodes, HTTPS only with TLS 1.2 or
    /// later, fine-grained access control with an IAM master user, an access policy limited to the account, its
    /// audit, slow and application logs in encrypted log groups, data nodes spread over zones and three dedicated
    /// master nodes.
    public static let opensearch = ServiceFamily(
        id: "opensearch",
        title: "OpenSearch domain",
        summary:
            "OpenSearch domain in private subnets, KMS-encrypted at rest and node-to-node, HTTPS-only (TLS 1.2+), with fine-grained access control, an account-only access policy, encrypted audit, slow and application logs, zone awareness and dedicated master nodes",
        keywords: [
            "opensearch", "opensearch domain", "opensearch cluster", "opensearch service", "amazon opensearch service",
            "elasticsearch", "elasticsearch domain", "elasticsearch cluster", "search domain", "search cluster",
        ],
        features: [
            FamilyFeature(
                id: "encryption", title: "KMS encryption at rest, node-to-node encryption and HTTPS only",
                keywords: [
                    "kms", "encryption", "encrypted", "encryption at rest", "node-to-node encryption",
                    "node to node encryption", "tls", "https", "ssl",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "private", title: "VPC access only",
                keywords: ["private", "vpc access", "vpc-only", "internal"], enabledByDefault: true),
            FamilyFeature(
                id: "fine-grained-access", title: "fine-grained access control with an IAM master user",
                keywords: [
                    "fine-grained access control", "fine grained access control", "fine-grained access", "fgac",
                    "access control", "iam", "master user",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "logging", title: "audit, slow and application logs in encrypted log groups",
                keywords: [
                    "logging", "logs", "log", "audit", "audit logs", "audit logging", "slow logs", "slow log",
                    "application logs", "error logs",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "zone-awareness", title: "data nodes spread over two or three zones",
                keywords: [
                    "zone awareness", "zone-aware", "zone aware", "multi-az", "multi az", "high availability",
                    "highly available", "ha",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "dedicated-masters", title: "three dedicated master nodes",
                keywords: [
                    "dedicated masters", "dedicated master", "dedicated master nodes", "master nodes", "masters",
                    "dedicated cluster manager", "cluster manager",
                ],
                enabledByDefault: true),
        ],
        plan: OpenSearchPlan.make)
}

/// The plan behind ``ServiceFamily/opensearch``.
enum OpenSearchPlan {
    /// Log group key → OpenSearch log type.
    static let logTypes: [(String, String)] = [
        ("audit", "AUDIT_LOGS"), ("index-slow", "INDEX_SLOW_LOGS"), ("search-slow", "SEARCH_SLOW_LOGS"),
        ("application", "ES_APPLICATION_LOGS"),
    ]

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let zoneAware = requirements.has("zone-awareness")
        let masters = requirements.has("dedicated-masters")
        let account = try P.ref("data.aws_caller_identity.current.account_id")
        let region = try P.ref("data.aws_region.current.name")
        let domainARN = try P.arn("es:", .value(region), ":", .value(account), ":domain/", .value(P.ref("var.name")))
        let domainPaths = try P.arn(
            "es:", .value(region), ":", .value(account), ":domain/", .value(P.ref("var.name")), "/*")
        let logGroups = try P.ref("aws_cloudwatch_log_group.this")

        let resources: [Block] = [
            try P.kmsKey(
                description: .template("Encryption of OpenSearch domain ", .value(P.ref("var.name"))),
                serviceStatements: [try P.logsUseStatement()]),
            try Block(
                "resource", "aws_cloudwatch_log_group", "this",
                comments: ["Slow logs record only what the indices' slow-log thresholds select."]
            ) {
                try Attribute("for_each", .call("toset", P.strings(logTypes.map(\.0))))
                try Attribute(
                    "name",
                    .template("/aws/opensearch/", .value(try P.ref("var.name")), "/", .value(P.ref("each.value"))))
                try Attribute("retention_in_days", P.ref("var.log_retention_days"))
                try Attribute("kms_key_id", P.ref("local.kms_key_arn"))
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block(
                "resource", "aws_cloudwatch_log_resource_policy", "this",
                comments: ["Lets OpenSearch write to the domain's log groups, for this domain only."]
            ) {
                try Attribute("policy_name", .template(.value(try P.ref("var.name")), "-opensearch-logs"))
                try Attribute("policy_document", P.ref("data.aws_iam_policy_document.logs.json"))
            },
            try DataParts.clientSecurityGroup(
                suffix: "search", what: .template("OpenSearch domain ", .value(try P.ref("var.name"))),
                port: .number(443), clients: "HTTPS clients"),
            try Block("resource", "aws_opensearch_domain", "this") {
                try Attribute("domain_name", P.ref("var.name"))
                try Attribute("engine_version", P.ref("var.engine_version"))
                try Block("cluster_config") {
                    try Attribute("instance_type", P.ref("var.instance_type"))
                    try Attribute("instance_count", P.ref("local.instance_count"))
                    try Attribute("zone_awareness_enabled", .bool(zoneAware))
                    if zoneAware {
                        try Block("zone_awareness_config") {
                            try Attribute("availability_zone_count", P.ref("local.zone_count"))
                        }
                    }
                    try Attribute("dedicated_master_enabled", .bool(masters))
                    if masters {
                        try Attribute("dedicated_master_type", P.ref("var.dedicated_master_type"))
                        try Attribute("dedicated_master_count", .number(3))
                    }
                }
                try Block("ebs_options") {
                    try Attribute("ebs_enabled", .bool(true))
                    try Attribute("volume_type", .string("gp3"))
                    try Attribute("volume_size", P.ref("var.volume_size"))
                }
                try Block("vpc_options") {
                    try Attribute("subnet_ids", P.ref("local.subnet_ids"))
                    try Attribute("security_group_ids", .list([try P.ref("aws_security_group.this.id")]))
                }
                try Block("encrypt_at_rest") {
                    try Attribute("enabled", .bool(true))
                    try Attribute("kms_key_id", P.ref("local.kms_key_arn"))
                }
                try Block("node_to_node_encryption") { try Attribute("enabled", .bool(true)) }
                try Block("domain_endpoint_options") {
                    try Attribute("enforce_https", .bool(true))
                    try Attribute("tls_security_policy", .string("Policy-Min-TLS-1-2-PFS-2023-10"))
                }
                try Block(
                    "advanced_security_options",
                    comments: [
                        "Fine-grained access control: an IAM master user, no internal users, no anonymous access."
                    ]
                ) {
                    try Attribute("enabled", .bool(true))
                    try Attribute("anonymous_auth_enabled", .bool(false))
                    try Attribute("internal_user_database_enabled", .bool(false))
                    try Block("master_user_options") { try Attribute("master_user_arn", P.ref("var.master_user_arn")) }
                }
                try Attribute("access_policies", P.ref("data.aws_iam_policy_document.access.json"))
                for (key, type) in logTypes {
                    try Block("log_publishing_options") {
                        try Attribute(
                            "cloudwatch_log_group_arn", logGroups.index(.string(key)).attribute("arn"))
                        try Attribute("log_type", .string(type))
                        try Attribute("enabled", .bool(true))
                    }
                }
                try Block("software_update_options") { try Attribute("auto_software_update_enabled", .bool(true)) }
                try Block("off_peak_window_options") {
                    try Attribute("enabled", .bool(true))
                    try Block("off_peak_window") {
                        try Block("window_start_time") {
                            try Attribute("hours", .number(2))
                            try Attribute("minutes", .number(0))
                        }
                    }
                }
                try Attribute("tags", P.ref("local.tags"))
                try Attribute("depends_on", .list([try P.ref("aws_cloudwatch_log_resource_policy.this")]))
                try Block("lifecycle") {
                    try Block("precondition") {
                        try Attribute(
                            "condition",
                            .binary(
                                .equal,
                                .binary(.modulo, try P.ref("local.instance_count"), try P.ref("local.zone_count")),
                                .number(0)))
                        try Attribute(
                            "error_message",
                            .string(
                                "instance_count must be a multiple of the number of zones (subnets, at most three)."))
                    }
                }
            },
        ]

        let dataSources =
            try P.commonDataSources() + [
                try Block("data", "aws_iam_policy_document", "access") {
                    try Block("statement") {
                        try Attribute("sid", .string("AccountPrincipals"))
                        try Attribute("actions", P.strings(["es:ESHttp*"]))
                        try Attribute("resources", .list([domainPaths]))
                        try Block("principals") {
                            try Attribute("type", .string("AWS"))
                            try Attribute(
                                "identifiers", .list([try P.accountRoot()]),
                                comments: [
                                    "This account's principals whose IAM policies allow it; fine-grained access control decides the rest."
                                ])
                        }
                    }
                },
                try Block("data", "aws_iam_policy_document", "logs") {
                    try Block("statement") {
                        try Attribute("sid", .string("OpenSearchWritesLogs"))
                        try Attribute("actions", P.strings(["logs:CreateLogStream", "logs:PutLogEvents"]))
                        try Attribute(
                            "resources",
                            .forList(
                                "group", in: logGroups,
                                yield: .template(.value(try P.ref("group.arn")), ":*")))
                        try Block("principals") {
                            try Attribute("type", .string("Service"))
                            try Attribute("identifiers", P.strings(["es.amazonaws.com"]))
                        }
                        try Block("condition") {
                            try Attribute("test", .string("StringEquals"))
                            try Attribute("variable", .string("aws:SourceAccount"))
                            try Attribute("values", .list([account]))
                        }
                        try Block("condition") {
                            try Attribute("test", .string("ArnLike"))
                            try Attribute("variable", .string("aws:SourceArn"))
                            try Attribute("values", .list([domainARN]))
                        }
                    }
                },
            ]

        let zoneCount: HCLExpression =
            zoneAware ? try .call("min", .call("length", P.ref("var.subnet_ids")), .number(3)) : .number(1)
        let locals = [
            try P.tagsLocal(requirements), try P.kmsKeyLocal(),
            LocalSpec("zone_count", zoneCount),
            LocalSpec("subnet_ids", try .call("slice", P.ref("var.subnet_ids"), .number(0), P.ref("local.zone_count"))),
            LocalSpec(
                "instance_count",
                .conditional(
                    try P.isNull("var.instance_count"), try P.ref("local.zone_count"), try P.ref("var.instance_count"))),
        ]

        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the domain; also names its security group, log groups and log policy.",
                pattern: "^[a-z][a-z0-9-]{2,27}$",
                rule: "3-28 lower-case letters, digits and hyphens, starting with a letter"),
            VariableSpec(
                "engine_version", type: "string", description: "OpenSearch version (OpenSearch_<major>.<minor>).",
                default: .string("OpenSearch_2.19"),
                validations: [
                    (
                        try .call(
                            "can", .call("regex", .string("^OpenSearch_[0-9]+\\.[0-9]+$"), P.ref("var.engine_version"))),
                        "engine_version must be an OpenSearch version such as OpenSearch_2.19."
                    )
                ]),
            VariableSpec(
                "instance_type", type: "string", description: "Instance type of the data nodes.",
                default: .string("r7g.large.search"),
                validations: [
                    (
                        try .call("endswith", P.ref("var.instance_type"), .string(".search")),
                        "instance_type must be an OpenSearch instance type such as r7g.large.search."
                    )
                ]),
            VariableSpec(
                "instance_count", type: "number",
                description: zoneAware
                    ? "Data nodes, a multiple of the zones used; one per zone when null."
                    : "Data nodes; one when null.",
                default: .null,
                validations: [
                    (
                        .conditional(
                            try P.isNull("var.instance_count"), .bool(true),
                            .binary(
                                .and, .binary(.greaterOrEqual, try P.ref("var.instance_count"), .number(1)),
                                .binary(.lessOrEqual, try P.ref("var.instance_count"), .number(80)))),
                        "instance_count must be between 1 and 80."
                    )
                ]),
        ]
        if masters {
            variables.append(
                VariableSpec(
                    "dedicated_master_type", type: "string", description: "Instance type of the three master nodes.",
                    default: .string("m7g.large.search"),
                    validations: [
                        (
                            try .call("endswith", P.ref("var.dedicated_master_type"), .string(".search")),
                            "dedicated_master_type must be an OpenSearch instance type such as m7g.large.search."
                        )
                    ]))
        }
        variables += [
            try P.numberVariable(
                "volume_size", description: "gp3 storage of each data node, in GiB.", default: 100, minimum: 10,
                maximum: 24576),
            VariableSpec(
                "master_user_arn", type: "string",
                description:
                    "IAM role (or user) that is the fine-grained access control master user: it maps other principals to OpenSearch roles.",
                validations: [
                    (
                        try .call(
                            "can",
                            .call(
                                "regex", .string("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$"),
                                P.ref("var.master_user_arn"))),
                        "master_user_arn must be an IAM role or user ARN."
                    )
                ]),
        ]
        var network = try P.networkVariables()
        network[1].description =
            zoneAware
            ? "Private subnets in different availability zones; the first three are used (one per zone)."
            : "Private subnets; the first is used."
        variables += network
        variables += try DataParts.clientVariables()
        variables += [
            try P.kmsKeyVariable("the domain's data and its logs"), try P.logRetentionVariable(), P.tagsVariable(),
        ]

        let outputs: [OutputSpec] = [
            OutputSpec(
                "domain_arn", description: "ARN of the domain.", value: try P.ref("aws_opensearch_domain.this.arn")),
            OutputSpec(
                "domain_name", description: "Name of the domain.",
                value: try P.ref("aws_opensearch_domain.this.domain_name")),
            OutputSpec(
                "endpoint", description: "HTTPS endpoint of the domain (inside the VPC).",
                value: try P.ref("aws_opensearch_domain.this.endpoint")),
            OutputSpec(
                "dashboard_endpoint", description: "OpenSearch Dashboards endpoint (inside the VPC).",
                value: try P.ref("aws_opensearch_domain.this.dashboard_endpoint")),
            OutputSpec(
                "security_group_id", description: "Security group of the domain.",
                value: try P.ref("aws_security_group.this.id")),
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key of the domain.", value: try P.ref("local.kms_key_arn")),
        ]

        var notes = [
            "Inside the VPC only: the security group admits HTTPS (443) from `allowed_security_group_ids` and `allowed_cidr_blocks` (never 0.0.0.0/0); nothing leaves.",
            "Encrypted at rest with KMS (a new key with yearly rotation unless `kms_key_arn` is given) and between nodes; HTTPS is enforced with TLS 1.2 or later (perfect forward secrecy).",
            "Fine-grained access control with `master_user_arn` as the master user; no internal user database and no anonymous access.",
            "The access policy admits only this account's principals (whose IAM policies must allow es:ESHttp*); fine-grained access control maps them to OpenSearch roles.",
            "Audit, index and search slow, and application logs go to log groups encrypted with the key and kept `log_retention_days`; a log resource policy lets OpenSearch write to them for this domain only.",
            "Service software updates install automatically in the off-peak window (02:00 UTC); hourly automated snapshots are kept 14 days by the service.",
            "The account needs the OpenSearch service-linked role (AWSServiceRoleForAmazonOpenSearchService), which AWS creates with the first VPC domain made from the console or `aws iam create-service-linked-role --aws-service-name opensearchservice.amazonaws.com`.",
        ]
        notes.append(
            zoneAware
                ? "Zone awareness: data nodes and replicas are spread over two or three zones (one per subnet)."
                : "Single zone: the domain uses the first subnet only.")
        if masters { notes.append("Three dedicated master nodes keep the cluster state apart from the data nodes.") }

        var optOuts: [PolicyOptOut] = []
        if !masters {
            optOuts.append(
                PolicyOptOut(
                    "CKV2_AWS_59",
                    reason: "dedicated master nodes were turned off for this module; ask for `dedicated masters`."))
        }
        if !masters || !zoneAware {
            optOuts.append(
                PolicyOptOut(
                    "CKV_AWS_318",
                    reason:
                        "dedicated master nodes or zone awareness were turned off for this module; ask for `dedicated masters` and `zone awareness`."
                ))
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: locals, dataSources: dataSources, outputs: outputs,
            exampleInputs: [
                ("name", .string(requirements.name)), P.exampleVPC, P.exampleSubnets,
                ("master_user_arn", .string("arn:aws:iam::111122223333:role/opensearch-admin")),
            ],
            securityNotes: notes, optOuts: optOuts)
    }
}
