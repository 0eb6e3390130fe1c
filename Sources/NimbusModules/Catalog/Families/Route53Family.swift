import NimbusHCL

extension ServiceFamily {
    /// A Route 53 hosted zone, public or private to a VPC: records from a map, DNS query logging to a KMS-encrypted
    /// log group (in us-east-1 for a public zone, as Route 53 requires); optionally DNSSEC-signed with a key-signing
    /// key, and an HTTPS health check with an alarm.
    public static let route53 = ServiceFamily(
        id: "route53",
        title: "Route 53 hosted zone",
        summary:
            "Route 53 hosted zone, public or private to a VPC, with records from a map and DNS query logging to a KMS-encrypted log group (in us-east-1 for a public zone); optional DNSSEC signing with alarms and an HTTPS health check with an alarm",
        keywords: ["route53", "route 53", "hosted zone", "dns zone", "dns", "route 53 hosted zone", "dns record"],
        features: [
            FamilyFeature(
                id: "query-logging", title: "DNS query logging to a KMS-encrypted log group",
                keywords: [
                    "query logging", "query logs", "dns logging", "logging", "logs", "log", "kms", "encryption",
                    "encrypted",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "dnssec", title: "DNSSEC signing with a key-signing key",
                keywords: ["dnssec", "dnssec signing", "dns signing", "signing", "signed"]),
            FamilyFeature(
                id: "health-check", title: "an HTTPS health check with an alarm",
                keywords: ["health check", "health-check", "healthcheck", "failover", "health checking"]),
        ],
        questions: [
            ClarificationQuestion(
                key: "zone",
                question: "Is the zone public (answered on the internet) or private (answered only inside a VPC)?",
                choices: ["public", "private"],
                synonyms: [
                    "internet-facing": "public", "external": "public", "internal": "private",
                    "split-horizon": "private",
                ])
        ],
        plan: Route53Plan.make)
}

/// The plan behind ``ServiceFamily/route53``.
enum Route53Plan {
    static let recordTypes = ["A", "AAAA", "CAA", "CNAME", "DS", "MX", "NAPTR", "NS", "PTR", "SPF", "SRV", "TXT"]

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        typealias E = EdgeParts
        let question = ServiceFamily.route53.questions[0]
        guard let answer = requirements.answers["zone"], let zone = question.choice(for: answer) else {
            throw ModuleRequestError.badAnswer(
                "zone", value: requirements.answers["zone"] ?? "(no answer)", choices: question.choices)
        }
        let isPrivate = zone == "private"
        let logging = requirements.has("query-logging")
        // Route 53 signs public zones only.
        let dnssec = requirements.has("dnssec") && !isPrivate
        let healthCheck = requirements.has("health-check")
        // Public zones log to CloudWatch Logs in us-east-1 only; a private zone's VPC resolver logs in its region.
        let logRegion: String? = isPrivate ? nil : E.usEast1
        let zoneID = try P.ref("aws_route53_zone.this.zone_id")
        let alarms = dnssec || healthCheck

        var resources: [Block] = []
        if logging {
            resources.append(
                try E.inRegion(
                    logRegion,
                    P.kmsKey(
                        description: .template(
                            "Encryption of the DNS query logs of ", .value(P.ref("var.domain_name"))),
                        serviceStatements: [try E.logsUseStatement(region: logRegion)])))
        }
        resources.append(
            try Block(
                "resource", "aws_route53_zone", "this",
                comments: [
                    isPrivate
                        ? "Private: answered only inside the VPC."
                        : "Public; records made outside Terraform keep it from being destroyed (force_destroy is off)."
                ]
            ) {
                try Attribute("name", P.ref("var.domain_name"))
                try Attribute("comment", .template(.value(try P.ref("var.name")), ": managed by Terraform"))
                try Attribute("force_destroy", .bool(false))
                if isPrivate {
                    try Block("vpc") { try Attribute("vpc_id", P.ref("var.vpc_id")) }
                }
                try Attribute("tags", P.ref("local.tags"))
            })

        let healthCheckID: HCLExpression =
            healthCheck
            ? .conditional(
                .binary(.notEqual, try P.ref("each.value.health_check_id"), .null),
                try P.ref("each.value.health_check_id"),
                .conditional(
                    .binary(.equal, try P.ref("each.value.failover"), .string("PRIMARY")),
                    try P.ref("aws_route53_health_check.this.id"), .null))
            : try P.ref("each.value.health_check_id")
        resources.append(
            try Block("resource", "aws_route53_record", "this") {
                try Attribute("for_each", P.ref("var.records"))
                try Attribute("zone_id", zoneID)
                try Attribute("name", P.ref("each.value.name"))
                try Attribute("type", P.ref("each.value.type"))
                try Attribute(
                    "ttl",
                    .conditional(
                        .binary(.equal, try P.ref("each.value.alias"), .null), try P.ref("each.value.ttl"), .null))
                try Attribute("records", P.ref("each.value.records"))
                try Attribute("set_identifier", P.ref("each.value.set_identifier"))
                try Attribute(
                    "health_check_id", healthCheckID,
                    comments: healthCheck ? ["PRIMARY failover records follow the module's health check."] : [])
                try Block("dynamic", "alias") {
                    try Attribute(
                        "for_each",
                        .conditional(
                            .binary(.equal, try P.ref("each.value.alias"), .null), .list([]),
                            .list([try P.ref("each.value.alias")])))
                    try Block("content") {
                        try Attribute("name", P.ref("alias.value.name"))
                        try Attribute("zone_id", P.ref("alias.value.zone_id"))
                        try Attribute("evaluate_target_health", P.ref("alias.value.evaluate_target_health"))
                    }
                }
                try Block("dynamic", "failover_routing_policy") {
                    try Attribute(
                        "for_each",
                        .conditional(
                            .binary(.equal, try P.ref("each.value.failover"), .null), .list([]),
                            .list([try P.ref("each.value.failover")])))
                    try Block("content") { try Attribute("type", P.ref("failover_routing_policy.value")) }
                }
            })

        if logging && !isPrivate {
            resources += [
                try E.inRegion(
                    E.usEast1,
                    P.logGroup(
                        "query_log", name: .template("/aws/route53/", .value(try P.ref("var.domain_name"))))),
                try E.inRegion(
                    E.usEast1,
                    Block(
                        "resource", "aws_cloudwatch_log_resource_policy", "query_log",
                        comments: ["Only Route 53, for this zone, may write to the log group."]
                    ) {
                        try Attribute(
                            "policy_name", .template(.value(try P.ref("var.name")), "-route53-query-logging"))
                        try Attribute("policy_document", P.ref("data.aws_iam_policy_document.query_log.json"))
                    }),
                try Block("resource", "aws_route53_query_log", "this") {
                    try Attribute("zone_id", zoneID)
                    try Attribute("cloudwatch_log_group_arn", P.ref("aws_cloudwatch_log_group.query_log.arn"))
                    try Attribute("depends_on", .list([try P.ref("aws_cloudwatch_log_resource_policy.query_log")]))
                },
            ]
        } else if logging {
            resources += [
                try P.logGroup(
                    "query_log", name: .template("/aws/route53resolver/", .value(try P.ref("var.name")))),
                try Block(
                    "resource", "aws_route53_resolver_query_log_config", "this",
                    comments: ["Private zones are logged by the VPC's resolver: every DNS query made in the VPC."]
                ) {
                    try Attribute("name", P.ref("var.name"))
                    try Attribute("destination_arn", P.ref("aws_cloudwatch_log_group.query_log.arn"))
                    try Attribute("tags", P.ref("local.tags"))
                },
                try Block("resource", "aws_route53_resolver_query_log_config_association", "this") {
                    try Attribute(
                        "resolver_query_log_config_id", P.ref("aws_route53_resolver_query_log_config.this.id"))
                    try Attribute("resource_id", P.ref("var.vpc_id"))
                },
            ]
        }

        if dnssec {
            resources += [
                try Block(
                    "resource", "aws_route53_key_signing_key", "this",
                    comments: ["Signs with the asymmetric key dnssec_kms_key_arn (ECC_NIST_P256, in us-east-1)."]
                ) {
                    try Attribute("hosted_zone_id", P.ref("aws_route53_zone.this.id"))
                    try Attribute("key_management_service_arn", P.ref("var.dnssec_kms_key_arn"))
                    try Attribute(
                        "name",
                        .template(
                            .value(try .call("replace", P.ref("var.name"), .string("-"), .string("_"))), "_ksk"))
                    try Attribute("status", .string("ACTIVE"))
                },
                try Block(
                    "resource", "aws_route53_hosted_zone_dnssec", "this",
                    comments: ["Publish ds_record in the parent zone (or at the registrar) once signing is on."]
                ) {
                    try Attribute("hosted_zone_id", P.ref("aws_route53_key_signing_key.this.hosted_zone_id"))
                    try Attribute("signing_status", .string("SIGNING"))
                },
            ]
            for (label, metric, description) in [
                (
                    "dnssec_internal_failure", "DNSSECInternalFailure",
                    "Route 53 could not sign the zone: it answers unsigned, and validating resolvers may fail it."
                ),
                (
                    "dnssec_ksk_action", "DNSSECKeySigningKeysNeedingAction",
                    "A key-signing key needs action: its KMS key is disabled, deleted or its policy denies Route 53."
                ),
            ] {
                resources.append(
                    try alarm(
                        label, name: "-\(label.replacingOccurrences(of: "_", with: "-"))", metric: metric,
                        description: description, dimensions: [("HostedZoneId", zoneID)], statistic: "Maximum",
                        comparison: "GreaterThanThreshold", threshold: 0, missing: "notBreaching"))
            }
        }

        if healthCheck {
            resources += [
                try Block("resource", "aws_route53_health_check", "this") {
                    try Attribute("type", .string("HTTPS"))
                    try Attribute("fqdn", P.ref("var.health_check_fqdn"))
                    try Attribute("port", .number(443))
                    try Attribute("resource_path", P.ref("var.health_check_path"))
                    try Attribute("enable_sni", .bool(true))
                    try Attribute("failure_threshold", .number(3))
                    try Attribute("request_interval", .number(30))
                    try Attribute("measure_latency", .bool(true))
                    try Attribute(
                        "tags",
                        .call(
                            "merge", try P.ref("local.tags"),
                            .object([("Name", .template(.value(try P.ref("var.name")), "-health-check"))])))
                },
                try alarm(
                    "health_check", name: "-health-check", metric: "HealthCheckStatus",
                    description: "The health check of health_check_fqdn is failing.",
                    dimensions: [("HealthCheckId", try P.ref("aws_route53_health_check.this.id"))],
                    statistic: "Minimum", comparison: "LessThanThreshold", threshold: 1, missing: "breaching"),
            ]
        }

        // Data sources.
        var dataSources = try P.commonDataSources()
        if logging && !isPrivate {
            let account = try P.ref("data.aws_caller_identity.current.account_id")
            dataSources.append(
                try Block("data", "aws_iam_policy_document", "query_log") {
                    try Block("statement") {
                        try Attribute("sid", .string("Route53WritesQueryLogs"))
                        try Attribute("actions", P.strings(["logs:CreateLogStream", "logs:PutLogEvents"]))
                        try Attribute(
                            "resources",
                            .list([.template(.value(try P.ref("aws_cloudwatch_log_group.query_log.arn")), ":*")]))
                        try Block("principals") {
                            try Attribute("type", .string("Service"))
                            try Attribute("identifiers", P.strings(["route53.amazonaws.com"]))
                        }
                        try Block("condition") {
                            try Attribute("test", .string("StringEquals"))
                            try Attribute("variable", .string("aws:SourceAccount"))
                            try Attribute("values", .list([account]))
                        }
                        try Block("condition") {
                            try Attribute("test", .string("ArnLike"))
                            try Attribute("variable", .string("aws:SourceArn"))
                            try Attribute("values", .list([try P.ref("aws_route53_zone.this.arn")]))
                        }
                    }
                })
        }

        // Variables.
        let records = try P.ref("var.records")
        func everyRecord(_ condition: HCLExpression) throws -> HCLExpression {
            try .call("alltrue", .forList("record", in: .call("values", records), yield: condition))
        }
        var variables: [VariableSpec] = [
            try P.nameVariable(
                description:
                    "Name of the module's resources (log policy, resolver logging, health check, alarms); the zone is domain_name.",
                pattern: "^[A-Za-z0-9][A-Za-z0-9-]{0,62}$",
                rule: "1-63 letters, digits and hyphens, starting with a letter or digit"),
            VariableSpec(
                "domain_name", type: "string",
                description: "Domain of the hosted zone (example.com, internal.example.com).",
                validations: [
                    (
                        try .call(
                            "can",
                            .call(
                                "regex",
                                .string("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"),
                                P.ref("var.domain_name"))),
                        "domain_name must be a lower-case domain name without a trailing dot."
                    )
                ]),
            VariableSpec(
                "records",
                type: """
                    map(object({
                      name            = string
                      type            = string
                      ttl             = optional(number, 300)
                      records         = optional(list(string))
                      alias           = optional(object({ name = string, zone_id = string, evaluate_target_health = optional(bool, true) }))
                      set_identifier  = optional(string)
                      failover        = optional(string)
                      health_check_id = optional(string)
                    }))
                    """,
                description:
                    "Records of the zone, by a key of your choice: name (relative or full), type, and either records with a ttl or an alias (load balancer, CloudFront, another record); failover (PRIMARY or SECONDARY) needs set_identifier.",
                default: .object([(String, HCLExpression)]()),
                validations: [
                    (
                        try everyRecord(.call("contains", P.strings(recordTypes), P.ref("record.type"))),
                        "each record type must be one of: \(recordTypes.joined(separator: ", "))."
                    ),
                    (
                        try everyRecord(
                            .binary(
                                .notEqual, .binary(.equal, try P.ref("record.alias"), .null),
                                .binary(.equal, try P.ref("record.records"), .null))),
                        "each record needs either records or an alias, not both."
                    ),
                    (
                        try everyRecord(
                            .binary(
                                .and, .binary(.greaterOrEqual, try P.ref("record.ttl"), .number(0)),
                                .binary(.lessOrEqual, try P.ref("record.ttl"), .number(2_147_483_647)))),
                        "each ttl must be between 0 and 2147483647 seconds."
                    ),
                    (
                        try everyRecord(
                            .call(
                                "contains", P.strings(["PRIMARY", "SECONDARY"]),
                                .call("coalesce", try P.ref("record.failover"), .string("PRIMARY")))),
                        "each failover must be PRIMARY or SECONDARY."
                    ),
                    (
                        try everyRecord(
                            .binary(
                                .or, .binary(.equal, try P.ref("record.failover"), .null),
                                .binary(.notEqual, try P.ref("record.set_identifier"), .null))),
                        "each failover record needs a set_identifier."
                    ),
                ]),
        ]
        if isPrivate {
            variables.append(
                VariableSpec(
                    "vpc_id", type: "string", description: "VPC the private zone answers in.",
                    validations: [
                        (
                            try .call("can", .call("regex", .string("^vpc-"), P.ref("var.vpc_id"))),
                            "vpc_id must be a VPC id."
                        )
                    ]))
        }
        if logging {
            var key = try P.kmsKeyVariable("the DNS query logs")
            if !isPrivate {
                key.description =
                    "KMS key in us-east-1 that encrypts the DNS query logs (public zones log there); a new key with rotation is created when null."
                key.validations.append(
                    (
                        .binary(
                            .or, try P.isNull("var.kms_key_arn"),
                            try .call(
                                "can",
                                .call("regex", .string("^arn:aws[a-z-]*:kms:us-east-1:"), P.ref("var.kms_key_arn")))),
                        "kms_key_arn must be a key in us-east-1, where Route 53 writes a public zone's query logs."
                    ))
            }
            variables += [key, try P.logRetentionVariable()]
        }
        if dnssec {
            variables.append(
                VariableSpec(
                    "dnssec_kms_key_arn", type: "string",
                    description:
                        "Asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY) in us-east-1 for the key-signing key; its policy must let dnssec-route53.amazonaws.com DescribeKey, GetPublicKey, Sign and CreateGrant.",
                    validations: [
                        (
                            try .call(
                                "can",
                                .call(
                                    "regex", .string("^arn:aws[a-z-]*:kms:us-east-1:[0-9]{12}:key/"),
                                    P.ref("var.dnssec_kms_key_arn"))),
                            "dnssec_kms_key_arn must be a KMS key ARN in us-east-1 (Route 53 signs only with keys there)."
                        )
                    ]))
        }
        if healthCheck {
            variables += [
                VariableSpec(
                    "health_check_fqdn", type: "string", description: "Host name the health check requests over HTTPS.",
                    validations: [
                        (
                            try .call(
                                "can",
                                .call(
                                    "regex", .string("^[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$"), P.ref("var.health_check_fqdn"))
                            ),
                            "health_check_fqdn must be a host name."
                        )
                    ]),
                VariableSpec(
                    "health_check_path", type: "string", description: "Path the health check requests.",
                    default: .string("/health"),
                    validations: [
                        (
                            try .call("startswith", P.ref("var.health_check_path"), .string("/")),
                            "health_check_path must start with /."
                        )
                    ]),
            ]
        }
        if alarms {
            variables.append(
                VariableSpec(
                    "alarm_actions", type: "list(string)",
                    description: "SNS topics (in us-east-1, where Route 53 publishes its metrics) the alarms notify.",
                    default: .list([]),
                    validations: [
                        (
                            try .call(
                                "alltrue",
                                .forList(
                                    "arn", in: P.ref("var.alarm_actions"),
                                    yield: .call(
                                        "can", .call("regex", .string("^arn:aws[a-z-]*:sns:us-east-1:"), P.ref("arn"))))
                            ),
                            "alarm_actions must be SNS topic ARNs in us-east-1."
                        )
                    ]))
        }
        variables.append(P.tagsVariable())

        // Outputs.
        var outputs: [OutputSpec] = [
            OutputSpec("zone_id", description: "Id of the hosted zone.", value: zoneID),
            OutputSpec(
                "zone_arn", description: "ARN of the hosted zone.", value: try P.ref("aws_route53_zone.this.arn")),
            OutputSpec(
                "name_servers",
                description: isPrivate
                    ? "Name servers of the zone (a private zone is answered by the VPC's resolver)."
                    : "Name servers to delegate the domain to, at the registrar or in the parent zone.",
                value: try P.ref("aws_route53_zone.this.name_servers")),
            OutputSpec(
                "record_fqdns", description: "Full names of the records, by their key in records.",
                value: try .forObject(
                    key: "key", value: "record", in: P.ref("aws_route53_record.this"), yieldKey: P.ref("key"),
                    value: P.ref("record.fqdn"))),
        ]
        if logging {
            outputs += [
                OutputSpec(
                    "query_log_group_name", description: "Log group of the DNS query logs.",
                    value: try P.ref("aws_cloudwatch_log_group.query_log.name")),
                OutputSpec(
                    "kms_key_arn", description: "ARN of the KMS key of the query logs.",
                    value: try P.ref("local.kms_key_arn")),
            ]
        }
        if dnssec {
            outputs.append(
                OutputSpec(
                    "ds_record", description: "DS record to publish in the parent zone (or at the registrar).",
                    value: try P.ref("aws_route53_key_signing_key.this.ds_record")))
        }
        if healthCheck {
            outputs.append(
                OutputSpec(
                    "health_check_id", description: "Id of the health check, for failover records elsewhere.",
                    value: try P.ref("aws_route53_health_check.this.id")))
        }

        // Documentation.
        var notes: [String] = [
            isPrivate
                ? "Private: the zone is answered only inside `vpc_id`."
                : "Public; `force_destroy` is off, so a zone holding records made outside Terraform is never destroyed with them.",
            "Records come from `records`, validated: known types, records or an alias, failover with a set identifier.",
        ]
        if logging {
            notes.append(
                isPrivate
                    ? "The VPC's resolver logs every DNS query made in the VPC (Route 53 logs private zones no other way) to a log group encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given), kept `log_retention_days`."
                    : "DNS queries are logged to a log group in us-east-1 (Route 53 writes public zones' query logs only there; the key, log group and resource policy are made there with the AWS provider's per-resource `region`, so the module works from any region), encrypted with KMS (a new key with yearly rotation unless `kms_key_arn`, in us-east-1, is given) and kept `log_retention_days`; only Route 53, for this zone and account, may write to it."
            )
        }
        if requirements.has("dnssec") && isPrivate {
            notes.append("DNSSEC was asked for, but Route 53 signs public zones only: a private zone is not signed.")
        }
        if dnssec {
            notes.append(
                "DNSSEC: the zone is signed with a key-signing key on `dnssec_kms_key_arn`, an asymmetric ECC_NIST_P256 key in us-east-1 made outside the module (KMS cannot rotate asymmetric keys, and Nimbus makes only keys it rotates; roll the key-signing key over instead). Publish `ds_record` in the parent zone to complete the chain of trust; alarms fire on signing failures and on key-signing keys needing action."
            )
        }
        if healthCheck {
            notes.append(
                "An HTTPS health check (SNI, every 30 s, 3 failures) watches `health_check_fqdn`; PRIMARY failover records follow it, and an alarm in us-east-1 notifies `alarm_actions` when it fails."
            )
        }
        if logging && !isPrivate || alarms {
            notes.append(
                "Needs hashicorp/aws 6.0 or later: resources in us-east-1 use the per-resource `region` argument instead of a second provider."
            )
        }

        var optOuts: [PolicyOptOut] = []
        if !isPrivate && !dnssec {
            optOuts.append(
                PolicyOptOut(
                    "CKV2_AWS_38",
                    reason:
                        "DNSSEC needs an asymmetric KMS key in us-east-1 and a DS record at the parent zone, which only the domain's owner can publish; ask for `DNSSEC` and give dnssec_kms_key_arn."
                ))
        }
        if !isPrivate && !logging {
            optOuts.append(
                PolicyOptOut(
                    "CKV2_AWS_39",
                    reason: "query logging was turned off for this module; ask for `query logging` to log DNS queries."
                ))
        }

        var example: [(name: String, value: HCLExpression)] = [
            ("name", .string(requirements.name)),
            ("domain_name", .string(isPrivate ? "internal.example.com" : "example.com")),
        ]
        if isPrivate { example.append(P.exampleVPC) }
        if dnssec {
            example.append(
                (
                    "dnssec_kms_key_arn",
                    .string("arn:aws:kms:us-east-1:111122223333:key/01234567-89ab-cdef-0123-456789abcdef")
                ))
        }
        if healthCheck { example.append(("health_check_fqdn", .string("www.example.com"))) }

        var locals = [try P.tagsLocal(requirements)]
        if logging { locals.append(try P.kmsKeyLocal()) }
        return ModulePlan(
            resources: resources, variables: variables, locals: locals, dataSources: dataSources, outputs: outputs,
            providers: (logging && !isPrivate) || alarms ? [EdgeParts.awsRegional] : [.aws],
            exampleInputs: example, securityNotes: notes, optOuts: optOuts)
    }

    /// A CloudWatch alarm in us-east-1 (where Route 53 publishes its metrics) notifying `var.alarm_actions`.
    static func alarm(
        _ label: String, name suffix: String, metric: String, description: String,
        dimensions: [(String, HCLExpression)], statistic: String, comparison: String, threshold: Int, missing: String
    ) throws -> Block {
        typealias P = FamilyParts
        return try EdgeParts.inRegion(
            EdgeParts.usEast1,
            Block("resource", "aws_cloudwatch_metric_alarm", label) {
                try Attribute("alarm_name", .template(.value(try P.ref("var.name")), .text(suffix)))
                try Attribute("alarm_description", .string(description))
                try Attribute("namespace", .string("AWS/Route53"))
                try Attribute("metric_name", .string(metric))
                try Attribute("dimensions", .object(dimensions))
                try Attribute("statistic", .string(statistic))
                try Attribute("period", .number(60))
                try Attribute("evaluation_periods", .number(1))
                try Attribute("comparison_operator", .string(comparison))
                try Attribute("threshold", .number(threshold))
                try Attribute("treat_missing_data", .string(missing))
                try Attribute("alarm_actions", P.ref("var.alarm_actions"))
                try Attribute("ok_actions", P.ref("var.alarm_actions"))
                try Attribute("tags", P.ref("local.tags"))
            })
    }
}

/// Pieces the edge families (Route 53, ACM, Secrets Manager, Cognito, WAF) share: resources that must live in
/// us-east-1 (CloudFront's and Route 53's region) whatever the provider's region, and the KMS statements for them.
enum EdgeParts {
    static let usEast1 = "us-east-1"

    /// The AWS provider from 6.0, whose resources take a `region` argument: a module can place a log group in
    /// us-east-1 without a second (aliased) provider its callers would have to pass.
    static let awsRegional = ProviderRequirement(name: "aws", source: "hashicorp/aws", version: ">= 6.0")

    /// `block` with `region = "<region>"` after its `count`/`for_each`, or unchanged for nil.
    static func inRegion(_ region: String?, _ block: Block) throws -> Block {
        guard let region else { return block }
        var block = block
        let position =
            block.body.items.firstIndex {
                if case .attribute(let attribute) = $0 { return !["count", "for_each"].contains(attribute.name) }
                return true
            } ?? block.body.items.count
        block.body.items.insert(.attribute(try Attribute("region", .string(region))), at: position)
        return block
    }

    /// The key-policy statement that lets CloudWatch Logs in `region` (the provider's when nil) encrypt this
    /// account's log groups with the key.
    static func logsUseStatement(region: String?) throws -> HCLExpression {
        guard let region else { return try FamilyParts.logsUseStatement() }
        let account = try FamilyParts.ref("data.aws_caller_identity.current.account_id")
        return FamilyParts.serviceUseStatement(
            sid: "CloudWatchLogsUseKey", service: .string("logs.\(region).amazonaws.com"),
            condition: (
                "ArnLike", "kms:EncryptionContext:aws:logs:arn",
                try FamilyParts.arn("logs:\(region):", .value(account), ":log-group:*")
            ))
    }

    /// The resource policy statement that lets CloudWatch Logs' delivery service (vended logs of WAF, Cognito)
    /// write to `logGroupARN`, for this account only.
    static func logDeliveryStatement(logGroupARN: HCLExpression, region: String?) throws -> Block {
        typealias P = FamilyParts
        let account = try P.ref("data.aws_caller_identity.current.account_id")
        let regionPiece: TemplatePiece
        if let region {
            regionPiece = .text(region)
        } else {
            regionPiece = .value(try P.ref("data.aws_region.current.name"))
        }
        return try Block("statement") {
            try Attribute("sid", .string("LogDeliveryWrites"))
            try Attribute("actions", P.strings(["logs:CreateLogStream", "logs:PutLogEvents"]))
            try Attribute("resources", .list([.template(.value(logGroupARN), ":*")]))
            try Block("principals") {
                try Attribute("type", .string("Service"))
                try Attribute("identifiers", P.strings(["delivery.logs.amazonaws.com"]))
            }
            try Block("condition") {
                try Attribute("test", .string("StringEquals"))
                try Attribute("variable", .string("aws:SourceAccount"))
                try Attribute("values", .list([account]))
            }
            try Block("condition") {
                try Attribute("test", .string("ArnLike"))
                try Attribute("variable", .string("aws:SourceArn"))
                try Attribute("values", .list([try P.arn("logs:", regionPiece, ":", .value(account), ":*")]))
            }
        }
    }
}
