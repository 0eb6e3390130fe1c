import NimbusHCL

extension ServiceFamily {
    /// An application load balancer, internal unless asked otherwise: HTTPS with a TLS 1.3 policy, HTTP redirected,
    /// invalid headers dropped, deletion protection, access logs and an HTTPS target group; optionally
    /// internet-facing and behind a WAF web ACL.
    public static let alb = ServiceFamily(
        id: "alb",
        title: "Application load balancer",
        summary:
            "internal application load balancer with HTTPS (TLS 1.3 policy), HTTP→HTTPS redirect, invalid headers dropped, deletion protection, access logs and an HTTPS target group; optional internet-facing and WAF",
        keywords: ["alb", "load balancer", "application load balancer", "elb", "loadbalancer", "lb"],
        features: [
            FamilyFeature(
                id: "https", title: "HTTPS with TLS 1.3 and an HTTP redirect",
                keywords: ["https", "tls", "ssl", "certificate", "redirect"], enabledByDefault: true),
            FamilyFeature(
                id: "access-logs", title: "access logs",
                keywords: ["access logs", "access logging", "logging", "logs"],
                enabledByDefault: true),
            FamilyFeature(
                id: "deletion-protection", title: "deletion protection",
                keywords: ["deletion protection", "protected"], enabledByDefault: true),
            FamilyFeature(
                id: "public", title: "internet-facing",
                keywords: ["public", "internet-facing", "internet facing", "external", "public-facing"]),
            FamilyFeature(
                id: "waf", title: "a WAF web ACL", keywords: ["waf", "web application firewall", "firewall", "web acl"]),
        ],
        plan: ALBPlan.make)
}

/// The plan behind ``ServiceFamily/alb``.
enum ALBPlan {
    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let isPublic = requirements.has("public")
        let waf = requirements.has("waf")
        let albARN = try P.ref("aws_lb.this.arn")

        func ingress(_ port: Int, _ description: String) throws -> Block {
            try Block("ingress") {
                try Attribute("description", .string(description))
                try Attribute("from_port", .number(port))
                try Attribute("to_port", .number(port))
                try Attribute("protocol", .string("tcp"))
                try Attribute("cidr_blocks", P.ref("var.ingress_cidr_blocks"))
            }
        }

        var resources: [Block] = [
            try Block(
                "resource", "aws_security_group", "this",
                comments: [
                    "HTTPS (and HTTP, only to redirect) in from the given networks; out only to targets in the VPC."
                ]
            ) {
                try Attribute("name", .template(.value(P.ref("var.name")), "-alb"))
                try Attribute("description", .template("Load balancer ", .value(P.ref("var.name"))))
                try Attribute("vpc_id", P.ref("var.vpc_id"))
                try ingress(443, "HTTPS")
                try ingress(80, "HTTP, redirected to HTTPS")
                try Block("egress") {
                    try Attribute("description", .string("Targets in the VPC"))
                    try Attribute("from_port", P.ref("var.target_port"))
                    try Attribute("to_port", P.ref("var.target_port"))
                    try Attribute("protocol", .string("tcp"))
                    try Attribute("cidr_blocks", .list([try P.ref("data.aws_vpc.this.cidr_block")]))
                }
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_lb", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("internal", .bool(!isPublic))
                try Attribute("load_balancer_type", .string("application"))
                try Attribute("security_groups", .list([try P.ref("aws_security_group.this.id")]))
                try Attribute("subnets", P.ref("var.subnet_ids"))
                try Attribute("drop_invalid_header_fields", .bool(true))
                try Attribute("desync_mitigation_mode", .string("strictest"))
                try Attribute("enable_deletion_protection", .bool(true))
                try Attribute("idle_timeout", P.ref("var.idle_timeout"))
                try Block("access_logs") {
                    try Attribute("bucket", P.ref("var.access_logs_bucket"))
                    try Attribute("prefix", P.ref("var.name"))
                    try Attribute("enabled", .bool(true))
                }
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_lb_target_group", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("port", P.ref("var.target_port"))
                try Attribute("protocol", .string("HTTPS"))
                try Attribute("target_type", P.ref("var.target_type"))
                try Attribute("vpc_id", P.ref("var.vpc_id"))
                try Block("health_check") {
                    try Attribute("path", P.ref("var.health_check_path"))
                    try Attribute("protocol", .string("HTTPS"))
                    try Attribute("matcher", .string("200-399"))
                }
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_lb_listener", "https") {
                try Attribute("load_balancer_arn", albARN)
                try Attribute("port", .number(443))
                try Attribute("protocol", .string("HTTPS"))
                try Attribute("ssl_policy", P.ref("var.ssl_policy"))
                try Attribute("certificate_arn", P.ref("var.certificate_arn"))
                try Block("default_action") {
                    try Attribute("type", .string("forward"))
                    try Attribute("target_group_arn", P.ref("aws_lb_target_group.this.arn"))
                }
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_lb_listener", "http") {
                try Attribute("load_balancer_arn", albARN)
                try Attribute("port", .number(80))
                try Attribute("protocol", .string("HTTP"))
                try Block("default_action") {
                    try Attribute("type", .string("redirect"))
                    try Block("redirect") {
                        try Attribute("port", .string("443"))
                        try Attribute("protocol", .string("HTTPS"))
                        try Attribute("status_code", .string("HTTP_301"))
                    }
                }
                try Attribute("tags", P.ref("local.tags"))
            },
        ]
        if waf {
            resources.append(
                try Block("resource", "aws_wafv2_web_acl_association", "this") {
                    try Attribute("resource_arn", albARN)
                    try Attribute("web_acl_arn", P.ref("var.web_acl_arn"))
                })
        }

        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the load balancer, its target group and security group.",
                pattern: "^[A-Za-z0-9][A-Za-z0-9-]{0,27}[A-Za-z0-9]$",
                rule: "2-29 letters, digits and hyphens, not starting or ending with a hyphen"),
            VariableSpec(
                "vpc_id", type: "string", description: "VPC of the load balancer and its targets.",
                validations: [
                    (
                        try .call("can", .call("regex", .string("^vpc-"), P.ref("var.vpc_id"))),
                        "vpc_id must be a VPC id."
                    )
                ]),
            VariableSpec(
                "subnet_ids", type: "list(string)",
                description: isPublic
                    ? "Public subnets, in at least two availability zones."
                    : "Private subnets, in at least two availability zones.",
                validations: [
                    (
                        .binary(.greaterOrEqual, try .call("length", P.ref("var.subnet_ids")), .number(2)),
                        "subnet_ids must name at least two subnets (in different availability zones)."
                    )
                ]),
            VariableSpec(
                "certificate_arn", type: "string", description: "ACM certificate of the HTTPS listener.",
                validations: [
                    (
                        try .call("can", .call("regex", .string("^arn:aws[a-z-]*:acm:"), P.ref("var.certificate_arn"))),
                        "certificate_arn must be an ACM certificate ARN."
                    )
                ]),
            VariableSpec(
                "access_logs_bucket", type: "string",
                description:
                    "Existing bucket (name) for access logs; its policy must let the region's load balancers write."),
            isPublic
                ? VariableSpec(
                    "ingress_cidr_blocks", type: "list(string)",
                    description: "Networks that may connect (the internet by default).",
                    default: P.strings(["0.0.0.0/0"]))
                : try P.privateCIDRsVariable(
                    "ingress_cidr_blocks", description: "Private networks that may connect (never 0.0.0.0/0)."),
            try P.numberVariable(
                "target_port", description: "Port the targets listen on (HTTPS).", default: 443, minimum: 1,
                maximum: 65535),
            try P.choiceVariable(
                "target_type", description: "Kind of target: ip (Fargate, containers), instance or lambda.",
                default: "ip",
                choices: ["ip", "instance"]),
            VariableSpec(
                "health_check_path", type: "string", description: "Path the health check requests.",
                default: .string("/health"),
                validations: [
                    (
                        try .call("startswith", P.ref("var.health_check_path"), .string("/")),
                        "health_check_path must start with /."
                    )
                ]),
            try P.choiceVariable(
                "ssl_policy", description: "TLS policy of the HTTPS listener (TLS 1.2 or later).",
                default: "ELBSecurityPolicy-TLS13-1-2-2021-06",
                choices: [
                    "ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06",
                    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
                ]),
            try P.numberVariable(
                "idle_timeout", description: "Idle connection timeout in seconds.", default: 60, minimum: 1,
                maximum: 4000),
            P.tagsVariable(),
        ]
        if waf {
            variables.append(
                VariableSpec(
                    "web_acl_arn", type: "string", description: "WAFv2 web ACL (scope REGIONAL) that filters requests.",
                    validations: [
                        (
                            try .call(
                                "can", .call("regex", .string("^arn:aws[a-z-]*:wafv2:"), P.ref("var.web_acl_arn"))),
                            "web_acl_arn must be a WAFv2 web ACL ARN."
                        )
                    ]))
        }

        let outputs: [OutputSpec] = [
            OutputSpec("alb_arn", description: "ARN of the load balancer.", value: albARN),
            OutputSpec(
                "dns_name", description: "DNS name of the load balancer.", value: try P.ref("aws_lb.this.dns_name")),
            OutputSpec(
                "zone_id", description: "Hosted zone of the load balancer, for Route 53 aliases.",
                value: try P.ref("aws_lb.this.zone_id")),
            OutputSpec(
                "target_group_arn", description: "Target group that receives the traffic.",
                value: try P.ref("aws_lb_target_group.this.arn")),
            OutputSpec(
                "security_group_id",
                description: "Security group of the load balancer, to allow in the targets' groups.",
                value: try P.ref("aws_security_group.this.id")),
        ]

        var notes = [
            isPublic
                ? "Internet-facing, as asked; only ports 443 and 80 (which only redirects) are open, to `ingress_cidr_blocks`."
                : "Internal: reachable only from `ingress_cidr_blocks`, which may not be 0.0.0.0/0.",
            "HTTPS with `ssl_policy` (TLS 1.2 or later); HTTP answers only with a redirect to HTTPS.",
            "Invalid header fields are dropped and desync mitigation is strictest.",
            "Deletion protection is on; access logs go to `access_logs_bucket`.",
            "The load balancer reaches its targets over HTTPS, and only inside the VPC.",
        ]
        if waf { notes.append("Requests pass the WAF web ACL `web_acl_arn`.") }

        var optOuts: [PolicyOptOut] = []
        if waf {
            optOuts.append(
                PolicyOptOut(
                    "CKV2_AWS_76",
                    reason:
                        "the web ACL is yours (`web_acl_arn`), made outside this module; include AWSManagedRulesKnownBadInputsRuleSet in it for the Log4j rules."
                ))
        }
        if isPublic {
            optOuts.append(
                PolicyOptOut(
                    "CKV_AWS_260",
                    reason:
                        "an internet-facing load balancer accepts port 80 from anywhere only to redirect it to HTTPS."))
            if !waf {
                optOuts.append(
                    PolicyOptOut(
                        "CKV2_AWS_28",
                        reason:
                            "a WAF web ACL is chosen per organisation (and billed per request); ask for `with WAF` to attach yours."
                    ))
            }
        }

        var example: [(name: String, value: HCLExpression)] = [
            ("name", .string(requirements.name)), P.exampleVPC, P.exampleSubnets,
            (
                "certificate_arn",
                .string("arn:aws:acm:eu-west-1:111122223333:certificate/01234567-89ab-cdef-0123-456789abcdef")
            ),
            ("access_logs_bucket", .string("example-access-logs")),
        ]
        if !isPublic { example.append(("ingress_cidr_blocks", P.strings(["10.0.0.0/8"]))) }
        if waf {
            example.append(
                (
                    "web_acl_arn",
                    .string(
                        "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/app/01234567-89ab-cdef-0123-456789abcdef")
                ))
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements)],
            dataSources: try P.commonDataSources() + [
                try Block("data", "aws_vpc", "this") { try Attribute("id", P.ref("var.vpc_id")) }
            ],
            outputs: outputs, exampleInputs: example, securityNotes: notes, optOuts: optOuts)
    }
}
