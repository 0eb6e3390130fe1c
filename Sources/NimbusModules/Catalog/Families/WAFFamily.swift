import NimbusHCL

extension ServiceFamily {
    /// A WAFv2 web ACL, regional or for CloudFront (made in us-east-1): a per-IP rate limit and AWS managed rule
    /// groups (IP reputation, the common rule set, known bad inputs with the Log4j rules), with request logs in a
    /// KMS-encrypted `aws-waf-logs-` log group that redacts credentials; optionally SQL-injection and anonymous-IP
    /// rules and an association with a regional resource.
    public static let waf = ServiceFamily(
        id: "waf",
        title: "WAF web ACL",
        summary:
            "WAFv2 web ACL, regional or for CloudFront, with a per-IP rate limit, AWS managed rules (IP reputation, common rule set, known bad inputs with Log4j) and request logs in a KMS-encrypted log group with credentials redacted; optional SQL-injection and anonymous-IP rules and an association with a regional resource",
        keywords: ["waf", "wafv2", "web acl", "waf web acl", "web application firewall", "waf acl", "waf rules"],
        features: [
            FamilyFeature(
                id: "managed-rules",
                title: "AWS managed rules: IP reputation, common rule set, known bad inputs (Log4j)",
                keywords: [
                    "managed rules", "aws managed rules", "managed rule groups", "owasp", "common rule set",
                    "core rule set", "log4j", "log4shell", "known bad inputs", "ip reputation",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "rate-limit", title: "a per-IP rate limit",
                keywords: [
                    "rate limit", "rate limiting", "rate-limit", "rate-limiting", "rate-based", "rate based",
                    "throttling", "throttle", "ddos", "flood protection",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "logging", title: "request logs in a KMS-encrypted log group, credentials redacted",
                keywords: ["logging", "logs", "log", "kms", "encryption", "encrypted", "redacted", "redaction"],
                enabledByDefault: true),
            FamilyFeature(
                id: "sqli", title: "SQL-injection rules", keywords: ["sqli", "sql injection", "sql-injection"]),
            FamilyFeature(
                id: "anonymous-ip", title: "blocking anonymous IPs (VPNs, Tor, hosting providers)",
                keywords: ["anonymous ip", "anonymous ips", "tor", "vpn", "vpns", "proxies", "anonymizers"]),
            FamilyFeature(
                id: "association", title: "an association with a regional resource (load balancer, API stage…)",
                keywords: ["association", "associated", "associate", "attach", "attached", "attachment"]),
        ],
        questions: [
            ClarificationQuestion(
                key: "scope",
                question:
                    "Which scope: regional (load balancers, API Gateway, AppSync, Cognito) or cloudfront (distributions)?",
                choices: ["regional", "cloudfront"],
                synonyms: ["region": "regional", "global": "cloudfront", "edge": "cloudfront"])
        ],
        plan: WAFPlan.make)
}

/// The plan behind ``ServiceFamily/waf``.
enum WAFPlan {
    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        typealias E = EdgeParts
        let question = ServiceFamily.waf.questions[0]
        guard let answer = requirements.answers["scope"], let scope = question.choice(for: answer) else {
            throw ModuleRequestError.badAnswer(
                "scope", value: requirements.answers["scope"] ?? "(no answer)", choices: question.choices)
        }
        let cloudfront = scope == "cloudfront"
        // CloudFront's web ACLs, and their logs, live in us-east-1.
        let region: String? = cloudfront ? E.usEast1 : nil
        let managed = requirements.has("managed-rules")
        let rateLimit = requirements.has("rate-limit")
        let logging = requirements.has("logging")
        let sqli = requirements.has("sqli")
        let anonymous = requirements.has("anonymous-ip")
        let association = requirements.has("association") && !cloudfront
        let aclARN = try P.ref("aws_wafv2_web_acl.this.arn")

        func visibility(_ metric: String) throws -> Block {
            try Block("visibility_config") {
                try Attribute("cloudwatch_metrics_enabled", .bool(true))
                try Attribute("metric_name", .template(.value(try P.ref("var.name")), .text("-\(metric)")))
                try Attribute("sampled_requests_enabled", .bool(true))
            }
        }
        /// A rule running an AWS managed rule group with its own actions.
        func managedRule(_ group: String, priority: Int, metric: String, countable: Bool = false) throws -> Block {
            try Block("rule") {
                try Attribute("name", .string(group))
                try Attribute("priority", .number(priority))
                try Block("override_action") { try Block("none") {} }
                try Block("statement") {
                    try Block("managed_rule_group_statement") {
                        try Attribute("name", .string(group))
                        try Attribute("vendor_name", .string("AWS"))
                        if countable {
                            try Block("dynamic", "rule_action_override") {
                                try Attribute("for_each", .call("toset", try P.ref("var.common_rule_set_count_rules")))
                                try Block("content") {
                                    try Attribute("name", P.ref("rule_action_override.value"))
                                    try Block("action_to_use") { try Block("count") {} }
                                }
                            }
                        }
                    }
                }
                try visibility(metric)
            }
        }

        var resources: [Block] = []
        if logging {
            resources.append(
                try E.inRegion(
                    region,
                    P.kmsKey(
                        description: .template("Encryption of the request logs of web ACL ", .value(P.ref("var.name"))),
                        serviceStatements: [try E.logsUseStatement(region: region)])))
        }
        resources.append(
            try E.inRegion(
                region,
                Block(
                    "resource", "aws_wafv2_web_acl", "this",
                    comments: ["Requests pass unless a rule blocks them: the rate limit first, then AWS's rule groups."]
                ) {
                    try Attribute("name", P.ref("var.name"))
                    try Attribute("description", .template("Web ACL ", .value(try P.ref("var.name"))))
                    try Attribute("scope", .string(cloudfront ? "CLOUDFRONT" : "REGIONAL"))
                    try Block("default_action") { try Block("allow") {} }
                    if rateLimit {
                        try Block("rule") {
                            try Attribute("name", .string("rate-limit"))
                            try Attribute("priority", .number(0))
                            try Block("action") { try Block("block") {} }
                            try Block("statement") {
                                try Block("rate_based_statement") {
                                    try Attribute("limit", P.ref("var.rate_limit"))
                                    try Attribute("evaluation_window_sec", .number(300))
                                    try Attribute("aggregate_key_type", .string("IP"))
                                }
                            }
                            try visibility("rate-limit")
                        }
                    }
                    if managed {
                        try managedRule("AWSManagedRulesAmazonIpReputationList", priority: 10, metric: "ip-reputation")
                    }
                    if anonymous {
                        try managedRule("AWSManagedRulesAnonymousIpList", priority: 20, metric: "anonymous-ip")
                    }
                    if managed {
                        try managedRule(
                            "AWSManagedRulesCommonRuleSet", priority: 30, metric: "common", countable: true)
                        try managedRule(
                            "AWSManagedRulesKnownBadInputsRuleSet", priority: 40, metric: "known-bad-inputs")
                    }
                    if sqli {
                        try managedRule("AWSManagedRulesSQLiRuleSet", priority: 50, metric: "sqli")
                    }
                    try visibility("web-acl")
                    try Attribute("tags", P.ref("local.tags"))
                }))
        if logging {
            resources += [
                try E.inRegion(
                    region,
                    P.logGroup(
                        "this", name: .template("aws-waf-logs-", .value(try P.ref("var.name"))))),
                try E.inRegion(
                    region,
                    Block(
                        "resource", "aws_cloudwatch_log_resource_policy", "this",
                        comments: ["Only CloudWatch Logs' delivery service, for this account, writes the ACL's logs."]
                    ) {
                        try Attribute("policy_name", .template(.value(try P.ref("var.name")), "-waf-log-delivery"))
                        try Attribute("policy_document", P.ref("data.aws_iam_policy_document.log_delivery.json"))
                    }),
                try E.inRegion(
                    region,
                    Block(
                        "resource", "aws_wafv2_web_acl_logging_configuration", "this",
                        comments: ["Credentials in requests never reach the logs."]
                    ) {
                        try Attribute("resource_arn", aclARN)
                        try Attribute(
                            "log_destination_configs", .list([try P.ref("aws_cloudwatch_log_group.this.arn")]))
                        for header in ["authorization", "cookie"] {
                            try Block("redacted_fields") {
                                try Block("single_header") { try Attribute("name", .string(header)) }
                            }
                        }
                        try Attribute("depends_on", .list([try P.ref("aws_cloudwatch_log_resource_policy.this")]))
                    }),
            ]
        }
        if association {
            resources.append(
                try Block("resource", "aws_wafv2_web_acl_association", "this") {
                    try Attribute("resource_arn", P.ref("var.resource_arn"))
                    try Attribute("web_acl_arn", aclARN)
                })
        }

        var dataSources = try P.commonDataSources()
        if logging {
            dataSources.append(
                try Block("data", "aws_iam_policy_document", "log_delivery") {
                    try E.logDeliveryStatement(logGroupARN: P.ref("aws_cloudwatch_log_group.this.arn"), region: region)
                })
        }

        // Variables.
        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the web ACL; its log group is aws-waf-logs-<name>.",
                pattern: "^[A-Za-z0-9_-]{1,128}$", rule: "1-128 letters, digits, hyphens and underscores")
        ]
        if rateLimit {
            variables.append(
                try P.numberVariable(
                    "rate_limit", description: "Requests one IP address may make in 5 minutes before it is blocked.",
                    default: 2000, minimum: 10, maximum: 2_000_000_000))
        }
        if managed {
            variables.append(
                VariableSpec(
                    "common_rule_set_count_rules", type: "list(string)",
                    description:
                        "Rules of the common rule set that only count instead of blocking (SizeRestrictions_BODY for large uploads); none by default.",
                    default: .list([]),
                    validations: [
                        (
                            try .call(
                                "alltrue",
                                .forList(
                                    "rule", in: P.ref("var.common_rule_set_count_rules"),
                                    yield: .call("can", .call("regex", .string("^[A-Za-z0-9_]+$"), P.ref("rule"))))),
                            "common_rule_set_count_rules must be rule names of AWSManagedRulesCommonRuleSet."
                        )
                    ]))
        }
        if association {
            variables.append(
                VariableSpec(
                    "resource_arn", type: "string",
                    description:
                        "Regional resource the web ACL protects: an application load balancer, API Gateway stage, AppSync API or Cognito user pool.",
                    validations: [
                        (
                            try .call(
                                "can",
                                .call(
                                    "regex",
                                    .string(
                                        "^arn:aws[a-z-]*:(elasticloadbalancing|apigateway|appsync|cognito-idp|apprunner|ec2):"
                                    ), P.ref("var.resource_arn"))),
                            "resource_arn must be the ARN of a load balancer, API Gateway stage, AppSync API, Cognito user pool, App Runner service or Verified Access instance."
                        )
                    ]))
        }
        if logging {
            var key = try P.kmsKeyVariable("the request logs")
            if cloudfront {
                key.description =
                    "KMS key in us-east-1 (where CloudFront's web ACLs log) that encrypts the request logs; a new key with rotation is created when null."
                key.validations.append(
                    (
                        .binary(
                            .or, try P.isNull("var.kms_key_arn"),
                            try .call(
                                "can",
                                .call("regex", .string("^arn:aws[a-z-]*:kms:us-east-1:"), P.ref("var.kms_key_arn")))),
                        "kms_key_arn must be a key in us-east-1, where a CloudFront web ACL's logs are written."
                    ))
            }
            variables += [key, try P.logRetentionVariable()]
        }
        variables.append(P.tagsVariable())

        // Outputs.
        var outputs: [OutputSpec] = [
            OutputSpec(
                "web_acl_arn",
                description: cloudfront
                    ? "ARN of the web ACL: the web_acl_id of the CloudFront distributions it protects."
                    : "ARN of the web ACL, to associate with load balancers, API stages and user pools.",
                value: aclARN),
            OutputSpec("web_acl_id", description: "Id of the web ACL.", value: try P.ref("aws_wafv2_web_acl.this.id")),
            OutputSpec(
                "web_acl_capacity", description: "Web ACL capacity units the rules use (1,500 are included).",
                value: try P.ref("aws_wafv2_web_acl.this.capacity")),
        ]
        if logging {
            outputs += [
                OutputSpec(
                    "log_group_name", description: "Log group of the request logs.",
                    value: try P.ref("aws_cloudwatch_log_group.this.name")),
                OutputSpec(
                    "kms_key_arn", description: "ARN of the KMS key of the request logs.",
                    value: try P.ref("local.kms_key_arn")),
            ]
        }

        // Documentation.
        var notes: [String] = [
            cloudfront
                ? "Scope CLOUDFRONT: the web ACL\(logging ? ", its log group, key and log policy are" : " is") made in us-east-1 with the AWS provider's per-resource `region`, whatever the provider's region (needs hashicorp/aws 6.0 or later); set a distribution's `web_acl_id` to `web_acl_arn`."
                : "Scope REGIONAL: protects load balancers, API Gateway stages, AppSync APIs and Cognito user pools in the provider's region."
        ]
        if rateLimit {
            notes.append(
                "An IP address making more than `rate_limit` requests in 5 minutes is blocked until it slows down.")
        }
        if managed {
            notes.append(
                "AWS managed rule groups block known malicious IPs (IP reputation), the OWASP Top 10 patterns (common rule set; `common_rule_set_count_rules` may soften single rules to counting) and known bad inputs, including the Log4j (CVE-2021-44228) exploits."
            )
        }
        if anonymous { notes.append("Requests from anonymising services (VPNs, Tor, hosting providers) are blocked.") }
        if sqli { notes.append("SQL-injection patterns are blocked.") }
        if logging {
            notes.append(
                "Every request is logged to `aws-waf-logs-<name>`, encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given), kept `log_retention_days`; the authorization and cookie headers are redacted, and only CloudWatch Logs' delivery service, for this account, may write."
            )
        }
        notes.append("CloudWatch metrics and sampled requests are on for the web ACL and every rule.")
        if association {
            notes.append("The web ACL protects `resource_arn`.")
        } else if requirements.has("association") {
            notes.append(
                "An association was asked for, but CloudFront distributions take a web ACL through their own `web_acl_id`, so none is made here."
            )
        }

        var optOuts: [PolicyOptOut] = []
        if !managed {
            optOuts.append(
                PolicyOptOut(
                    "CKV_AWS_192",
                    reason:
                        "the managed rule groups were turned off for this module, so there are no Log4j rules; ask for `managed rules`."
                ))
        }
        if !logging {
            optOuts.append(
                PolicyOptOut(
                    "CKV2_AWS_31",
                    reason: "request logging was turned off for this module; ask for `logging` to log requests."))
        }

        var example: [(name: String, value: HCLExpression)] = [("name", .string(requirements.name))]
        if association {
            example.append(
                (
                    "resource_arn",
                    .string(
                        "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/app/0123456789abcdef")
                ))
        }

        var locals = [try P.tagsLocal(requirements)]
        if logging { locals.append(try P.kmsKeyLocal()) }
        return ModulePlan(
            resources: resources, variables: variables, locals: locals, dataSources: dataSources, outputs: outputs,
            providers: cloudfront ? [E.awsRegional] : [.aws], exampleInputs: example, securityNotes: notes,
            optOuts: optOuts)
    }
}
