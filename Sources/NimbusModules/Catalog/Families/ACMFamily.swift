import NimbusHCL

extension ServiceFamily {
    /// A public ACM certificate for a domain and its alternative names, validated through DNS records in a Route 53
    /// zone and waited for, replaced before it is destroyed, with certificate transparency logging; optionally a
    /// wildcard, and in us-east-1 for CloudFront.
    public static let acm = ServiceFamily(
        id: "acm",
        title: "ACM certificate",
        summary:
            "public ACM certificate for a domain and its alternative names, DNS-validated in a Route 53 zone, created before it is destroyed, with certificate transparency logging; optional wildcard and us-east-1 for CloudFront",
        keywords: [
            "acm", "acm certificate", "certificate", "tls certificate", "ssl certificate", "https certificate",
            "certificate manager", "x509 certificate",
        ],
        features: [
            FamilyFeature(
                id: "dns-validation", title: "DNS validation in a Route 53 zone",
                keywords: [
                    "dns validation", "dns-validated", "dns validated", "validation", "validated", "route 53",
                    "route53", "auto-renewal", "automatic renewal", "renewal",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "transparency-logging", title: "certificate transparency logging",
                keywords: [
                    "certificate transparency", "transparency logging", "transparency log", "ct logging",
                    "transparency", "logging",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "wildcard", title: "a wildcard name for the domain's subdomains",
                keywords: ["wildcard", "wildcard certificate", "subdomains", "all subdomains"]),
            FamilyFeature(
                id: "cloudfront", title: "made in us-east-1, for CloudFront",
                keywords: ["cloudfront", "us-east-1", "us east 1", "cdn", "edge", "global"]),
        ],
        plan: ACMPlan.make)
}

/// The plan behind ``ServiceFamily/acm``.
enum ACMPlan {
    static let keyAlgorithms = ["RSA_2048", "EC_prime256v1", "EC_secp384r1"]

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let wildcard = requirements.has("wildcard")
        let cloudfront = requirements.has("cloudfront")
        let region: String? = cloudfront ? EdgeParts.usEast1 : nil
        let certificateARN = try P.ref("aws_acm_certificate.this.arn")

        let names: HCLExpression =
            wildcard
            ? try .call(
                "distinct",
                .call(
                    "concat", .list([.template("*.", .value(try P.ref("var.domain_name")))]),
                    P.ref("var.subject_alternative_names")))
            : try P.ref("var.subject_alternative_names")

        let resources: [Block] = [
            try EdgeParts.inRegion(
                region,
                Block(
                    "resource", "aws_acm_certificate", "this",
                    comments: ["A new certificate is issued before the old one goes, so listeners never lose theirs."]
                ) {
                    try Attribute("domain_name", P.ref("var.domain_name"))
                    try Attribute("subject_alternative_names", names)
                    try Attribute("validation_method", .string("DNS"))
                    try Attribute("key_algorithm", P.ref("var.key_algorithm"))
                    try Block("options") {
                        try Attribute("certificate_transparency_logging_preference", .string("ENABLED"))
                    }
                    try Attribute(
                        "tags", .call("merge", try P.ref("local.tags"), .object([("Name", try P.ref("var.name"))])))
                    try Block("lifecycle") { try Attribute("create_before_destroy", .bool(true)) }
                }),
            try Block(
                "resource", "aws_route53_record", "validation",
                comments: [
                    "One record per name to validate; a wildcard and its domain share one, hence allow_overwrite."
                ]
            ) {
                try Attribute(
                    "for_each",
                    HCLExpression(
                        .forExpression(
                            ForExpression(
                                valueVariable: "option",
                                collection: try P.ref("aws_acm_certificate.this.domain_validation_options"),
                                keyExpression: try P.ref("option.domain_name"),
                                valueExpression: .object([
                                    ("name", try P.ref("option.resource_record_name")),
                                    ("type", try P.ref("option.resource_record_type")),
                                    ("record", try P.ref("option.resource_record_value")),
                                ])))))
                try Attribute("zone_id", P.ref("var.zone_id"))
                try Attribute("name", P.ref("each.value.name"))
                try Attribute("type", P.ref("each.value.type"))
                try Attribute("ttl", .number(60))
                try Attribute("records", .list([try P.ref("each.value.record")]))
                try Attribute("allow_overwrite", .bool(true))
            },
            try EdgeParts.inRegion(
                region,
                Block(
                    "resource", "aws_acm_certificate_validation", "this",
                    comments: ["Waits until ACM has issued the certificate."]
                ) {
                    try Attribute("certificate_arn", certificateARN)
                    try Attribute(
                        "validation_record_fqdns",
                        .forList("record", in: P.ref("aws_route53_record.validation"), yield: P.ref("record.fqdn")))
                }),
        ]

        let domainPattern = "^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
        let variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the certificate (its Name tag).", pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$",
                rule: "1-128 letters, digits, dots, hyphens and underscores, starting with a letter or digit"),
            VariableSpec(
                "domain_name", type: "string",
                description:
                    "Domain the certificate is for (www.example.com); no wildcard\(wildcard ? ": the module adds *.<domain_name>" : "").",
                validations: [
                    (
                        try .call("can", .call("regex", .string(domainPattern), P.ref("var.domain_name"))),
                        "domain_name must be a lower-case domain name without a wildcard or a trailing dot."
                    )
                ]),
            VariableSpec(
                "subject_alternative_names", type: "list(string)",
                description: "Other names the certificate covers; each must be validated in zone_id.",
                default: .list([]),
                validations: [
                    (
                        try .call(
                            "alltrue",
                            .forList(
                                "name", in: P.ref("var.subject_alternative_names"),
                                yield: .call("can", .call("regex", .string(domainPattern), P.ref("name"))))),
                        "subject_alternative_names must be lower-case domain names without wildcards\(wildcard ? " (the module adds the wildcard)" : ""); ask for a wildcard certificate to cover every subdomain."
                    ),
                    (
                        .binary(
                            .lessOrEqual, try .call("length", P.ref("var.subject_alternative_names")),
                            .number(wildcard ? 8 : 9)),
                        "a certificate covers at most 10 names (domain_name\(wildcard ? ", the wildcard" : "") and subject_alternative_names) unless ACM's quota is raised."
                    ),
                ]),
            VariableSpec(
                "zone_id", type: "string",
                description:
                    "Route 53 hosted zone in which the validation records are written (it must hold every name).",
                validations: [
                    (
                        try .call("can", .call("regex", .string("^Z[A-Z0-9]{1,31}$"), P.ref("var.zone_id"))),
                        "zone_id must be a Route 53 hosted zone id (Z...)."
                    )
                ]),
            try P.choiceVariable(
                "key_algorithm",
                description:
                    "Key algorithm: RSA_2048 (every client), EC_prime256v1 or EC_secp384r1 (ECDSA, smaller and faster; check your clients and services).",
                default: "RSA_2048", choices: keyAlgorithms),
            P.tagsVariable(),
        ]

        let outputs: [OutputSpec] = [
            OutputSpec(
                "certificate_arn",
                description: "ARN of the certificate, once issued (listeners and distributions may use it right away).",
                value: try P.ref("aws_acm_certificate_validation.this.certificate_arn")),
            OutputSpec(
                "domain_name", description: "Domain of the certificate.",
                value: try P.ref("aws_acm_certificate.this.domain_name")),
            OutputSpec(
                "subject_alternative_names", description: "Every name the certificate covers.",
                value: try P.ref("aws_acm_certificate.this.subject_alternative_names")),
            OutputSpec(
                "validation_record_fqdns", description: "The DNS validation records; keep them for renewals.",
                value: try .forList(
                    "record", in: P.ref("aws_route53_record.validation"), yield: P.ref("record.fqdn"))),
        ]

        var notes = [
            "Validated through DNS records written in `zone_id`; they stay, so ACM renews the certificate by itself before it expires.",
            "`create_before_destroy`: a replacement certificate is issued and validated before the old one is deleted, so nothing using it is left without one.",
            "Certificate transparency logging is on: browsers trust the certificate, and mis-issued certificates for the domain can be spotted in the public logs.",
            "The private key never leaves ACM; `key_algorithm` chooses RSA 2048 or ECDSA P-256/P-384.",
        ]
        if wildcard {
            notes.append(
                "Covers `*.<domain_name>` as asked: any subdomain, one level deep; a leaked key would expose them all."
            )
        }
        notes.append(
            cloudfront
                ? "Made in us-east-1 (CloudFront reads certificates only there) with the AWS provider's per-resource `region`, whatever the provider's region; needs hashicorp/aws 6.0 or later."
                : "Made in the provider's region, for load balancers and API Gateway there; ask for `for CloudFront` to make it in us-east-1."
        )

        var optOuts: [PolicyOptOut] = []
        if wildcard {
            optOuts.append(
                PolicyOptOut(
                    "CKV2_AWS_71",
                    reason:
                        "a wildcard certificate was asked for: it covers every subdomain of domain_name with one key."))
        }

        var example: [(name: String, value: HCLExpression)] = [
            ("name", .string(requirements.name)),
            ("domain_name", .string("www.example.com")),
            ("zone_id", .string("Z0123456789ABCDEFGHIJ")),
        ]
        if wildcard { example[1] = ("domain_name", .string("example.com")) }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements)], dataSources: [],
            outputs: outputs, providers: cloudfront ? [EdgeParts.awsRegional] : [.aws], exampleInputs: example,
            securityNotes: notes, optOuts: optOuts)
    }
}
