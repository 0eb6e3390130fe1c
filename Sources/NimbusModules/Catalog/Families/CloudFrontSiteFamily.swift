import NimbusHCL

extension ServiceFamily {
    /// A static website: a private, KMS-encrypted S3 bucket read only by a CloudFront distribution through origin
    /// access control, served over TLS 1.2+ on your domain with security headers and access logs; optionally a
    /// WAF web ACL, single-page-app routing and geographic restrictions.
    public static let cloudfrontSite = ServiceFamily(
        id: "cloudfront-site",
        title: "CloudFront static site",
        summary:
            "static website served by CloudFront from a private, KMS-encrypted S3 bucket through origin access control, HTTPS-only with TLS 1.2+, security headers and access logs; optional WAF, SPA routing and geo restriction",
        keywords: [
            "cloudfront", "static site", "static website", "static web site", "public website", "website", "cdn",
            "content delivery network", "web hosting", "website hosting",
        ],
        features: [
            FamilyFeature(
                id: "public-website", title: "a public website (the bucket stays private)",
                keywords: ["public", "internet-facing", "public site"], enabledByDefault: true),
            FamilyFeature(
                id: "https-only", title: "HTTPS only, TLS 1.2 or later",
                keywords: ["https", "tls", "ssl", "https-only", "certificate", "custom domain", "domain"],
                enabledByDefault: true),
            FamilyFeature(
                id: "private-origin", title: "private bucket behind origin access control",
                keywords: ["origin access control", "oac", "private bucket", "private origin", "private"],
                enabledByDefault: true),
            FamilyFeature(
                id: "encryption", title: "KMS encryption", keywords: ["kms", "encryption", "encrypted"],
                enabledByDefault: true),
            FamilyFeature(
                id: "security-headers", title: "security headers (HSTS, CSP, frame options)",
                keywords: ["security headers", "hsts", "csp", "headers"], enabledByDefault: true),
            FamilyFeature(
                id: "access-logging", title: "access logs",
                keywords: ["access logging", "access logs", "logging", "logs"], enabledByDefault: true),
            FamilyFeature(
                id: "waf", title: "a WAF web ACL", keywords: ["waf", "web application firewall", "firewall", "web acl"]),
            FamilyFeature(
                id: "spa", title: "single-page-app routing",
                keywords: [
                    "single page app", "single-page app", "single page application", "single-page application", "spa",
                ]),
            FamilyFeature(
                id: "geo-restriction", title: "geographic restriction",
                keywords: ["geo restriction", "geo-restriction", "geo-blocking", "geoblocking", "countries", "country"]),
        ],
        plan: CloudFrontSitePlan.make)
}

/// The plan behind ``ServiceFamily/cloudfrontSite``.
enum CloudFrontSitePlan {
    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let waf = requirements.has("waf")
        let spa = requirements.has("spa")
        let geo = requirements.has("geo-restriction")
        let bucketID = try P.ref("aws_s3_bucket.this.id")
        let bucketARN = try P.ref("aws_s3_bucket.this.arn")
        let distributionARN = try P.ref("aws_cloudfront_distribution.this.arn")

        let resources: [Block] = [
            try P.kmsKey(
                description: .template("Encryption of the site bucket ", .value(P.ref("var.bucket_name"))),
                serviceStatements: [
                    P.serviceUseStatement(
                        sid: "DistributionReadsSite", service: .string("cloudfront.amazonaws.com"),
                        condition: ("StringEquals", "AWS:SourceArn", distributionARN))
                ]),
            try Block("resource", "aws_s3_bucket", "this") {
                try Attribute("bucket", P.ref("var.bucket_name"))
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_s3_bucket_ownership_controls", "this") {
                try Attribute("bucket", bucketID)
                try Block("rule") { try Attribute("object_ownership", .string("BucketOwnerEnforced")) }
            },
            try Block(
                "resource", "aws_s3_bucket_public_access_block", "this",
                comments: ["The site is public through CloudFront only; the bucket never is."]
            ) {
                try Attribute("bucket", bucketID)
                try Attribute("block_public_acls", .bool(true))
                try Attribute("block_public_policy", .bool(true))
                try Attribute("ignore_public_acls", .bool(true))
                try Attribute("restrict_public_buckets", .bool(true))
            },
            try Block("resource", "aws_s3_bucket_versioning", "this") {
                try Attribute("bucket", bucketID)
                try Block("versioning_configuration") { try Attribute("status", .string("Enabled")) }
            },
            try Block("resource", "aws_s3_bucket_server_side_encryption_configuration", "this") {
                try Attribute("bucket", bucketID)
                try Block("rule") {
                    try Block("apply_server_side_encryption_by_default") {
                        try Attribute("sse_algorithm", .string("aws:kms"))
                        try Attribute("kms_master_key_id", P.ref("local.kms_key_arn"))
                    }
                    try Attribute("bucket_key_enabled", .bool(true))
                }
            },
            try Block("resource", "aws_s3_bucket_logging", "this") {
                try Attribute("bucket", bucketID)
                try Attribute("target_bucket", P.ref("var.logging_bucket"))
                try Attribute("target_prefix", .template("s3/", .value(try P.ref("var.bucket_name")), "/"))
            },
            try Block("resource", "aws_s3_bucket_lifecycle_configuration", "this") {
                try Attribute("bucket", bucketID)
                try Block("rule") {
                    try Attribute("id", .string("abort-incomplete-multipart-uploads"))
                    try Attribute("status", .string("Enabled"))
                    try Block("filter") {}
                    try Block("abort_incomplete_multipart_upload") {
                        try Attribute("days_after_initiation", .number(7))
                    }
                }
                try Block("rule") {
                    try Attribute("id", .string("expire-noncurrent-versions"))
                    try Attribute("status", .string("Enabled"))
                    try Block("filter") {}
                    try Block("noncurrent_version_expiration") {
                        try Attribute("noncurrent_days", P.ref("var.noncurrent_version_expiration_days"))
                    }
                }
                try Attribute("depends_on", .list([try P.ref("aws_s3_bucket_versioning.this")]))
            },
            try Block(
                "resource", "aws_s3_bucket_policy", "this",
                comments: ["Only this distribution may read, and only over TLS."]
            ) {
                try Attribute("bucket", bucketID)
                try Attribute("policy", P.ref("data.aws_iam_policy_document.bucket.json"))
                try Attribute("depends_on", .list([try P.ref("aws_s3_bucket_public_access_block.this")]))
            },
            try Block("resource", "aws_cloudfront_origin_access_control", "this") {
                try Attribute("name", P.ref("var.bucket_name"))
                try Attribute("description", .template("Site bucket ", .value(try P.ref("var.bucket_name"))))
                try Attribute("origin_access_control_origin_type", .string("s3"))
                try Attribute("signing_behavior", .string("always"))
                try Attribute("signing_protocol", .string("sigv4"))
            },
            try Block("resource", "aws_cloudfront_response_headers_policy", "this") {
                try Attribute("name", .template(.value(try P.ref("var.name")), "-security-headers"))
                try Block("security_headers_config") {
                    try Block("strict_transport_security") {
                        try Attribute("access_control_max_age_sec", .number(31_536_000))
                        try Attribute("include_subdomains", .bool(true))
                        try Attribute("preload", .bool(true))
                        try Attribute("override", .bool(true))
                    }
                    try Block("content_type_options") { try Attribute("override", .bool(true)) }
                    try Block("frame_options") {
                        try Attribute("frame_option", .string("DENY"))
                        try Attribute("override", .bool(true))
                    }
                    try Block("referrer_policy") {
                        try Attribute("referrer_policy", .string("strict-origin-when-cross-origin"))
                        try Attribute("override", .bool(true))
                    }
                    try Block("xss_protection") {
                        try Attribute("mode_block", .bool(true))
                        try Attribute("protection", .bool(true))
                        try Attribute("override", .bool(true))
                    }
                    try Block("content_security_policy") {
                        try Attribute("content_security_policy", P.ref("var.content_security_policy"))
                        try Attribute("override", .bool(true))
                    }
                }
            },
            try Block("resource", "aws_cloudfront_distribution", "this") {
                try Attribute("enabled", .bool(true))
                try Attribute("is_ipv6_enabled", .bool(true))
                try Attribute("comment", P.ref("var.name"))
                try Attribute("default_root_object", .string("index.html"))
                try Attribute("aliases", P.ref("var.domain_names"))
                try Attribute("price_class", P.ref("var.price_class"))
                try Attribute("http_version", .string("http2and3"))
                if waf { try Attribute("web_acl_id", P.ref("var.web_acl_arn")) }
                try Block("origin") {
                    try Attribute("domain_name", P.ref("aws_s3_bucket.this.bucket_regional_domain_name"))
                    try Attribute("origin_id", .string("site-bucket"))
                    try Attribute("origin_access_control_id", P.ref("aws_cloudfront_origin_access_control.this.id"))
                }
                try Block("default_cache_behavior") {
                    try Attribute("target_origin_id", .string("site-bucket"))
                    try Attribute("viewer_protocol_policy", .string("redirect-to-https"))
                    try Attribute("allowed_methods", P.strings(["GET", "HEAD", "OPTIONS"]))
                    try Attribute("cached_methods", P.strings(["GET", "HEAD"]))
                    try Attribute("compress", .bool(true))
                    try Attribute("cache_policy_id", P.ref("data.aws_cloudfront_cache_policy.optimized.id"))
                    try Attribute(
                        "response_headers_policy_id", P.ref("aws_cloudfront_response_headers_policy.this.id"))
                }
                if spa {
                    for code in [403, 404] {
                        try Block(
                            "custom_error_response",
                            comments: code == 403 ? ["Unknown paths are the app's routes: answer with the app."] : []
                        ) {
                            try Attribute("error_code", .number(code))
                            try Attribute("response_code", .number(200))
                            try Attribute("response_page_path", .string("/index.html"))
                        }
                    }
                }
                try Block("restrictions") {
                    try Block("geo_restriction") {
                        if geo {
                            try Attribute("restriction_type", P.ref("var.geo_restriction_type"))
                            try Attribute("locations", P.ref("var.geo_locations"))
                        } else {
                            try Attribute("restriction_type", .string("none"))
                            try Attribute("locations", .list([]))
                        }
                    }
                }
                try Block("viewer_certificate") {
                    try Attribute("acm_certificate_arn", P.ref("var.acm_certificate_arn"))
                    try Attribute("ssl_support_method", .string("sni-only"))
                    try Attribute("minimum_protocol_version", .string("TLSv1.2_2021"))
                }
                try Block("logging_config") {
                    try Attribute("bucket", .template(.value(try P.ref("var.logging_bucket")), ".s3.amazonaws.com"))
                    try Attribute("prefix", .template("cloudfront/", .value(try P.ref("var.bucket_name")), "/"))
                    try Attribute("include_cookies", .bool(false))
                }
                try Attribute("tags", P.ref("local.tags"))
            },
        ]

        let dataSources: [Block] =
            try P.commonDataSources() + [
                try Block("data", "aws_cloudfront_cache_policy", "optimized") {
                    try Attribute("name", .string("Managed-CachingOptimized"))
                },
                try Block("data", "aws_iam_policy_document", "bucket") {
                    try Block("statement") {
                        try Attribute("sid", .string("DistributionReads"))
                        try Attribute("actions", P.strings(["s3:GetObject"]))
                        try Attribute("resources", .list([.template(.value(bucketARN), "/*")]))
                        try Block("principals") {
                            try Attribute("type", .string("Service"))
                            try Attribute("identifiers", P.strings(["cloudfront.amazonaws.com"]))
                        }
                        try Block("condition") {
                            try Attribute("test", .string("StringEquals"))
                            try Attribute("variable", .string("AWS:SourceArn"))
                            try Attribute("values", .list([distributionARN]))
                        }
                    }
                    try P.denyInsecureTransport(
                        actions: ["s3:*"], resources: [bucketARN, .template(.value(bucketARN), "/*")])
                },
            ]

        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the site, for the distribution's comment and the headers policy.",
                pattern: "^[A-Za-z0-9-]{1,64}$", rule: "1-64 letters, digits and hyphens"),
            try P.nameVariable(
                "bucket_name", description: "Name of the bucket holding the site's files.",
                pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
                rule: "3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit"),
            VariableSpec(
                "domain_names", type: "list(string)",
                description: "Domain names the site answers to (the certificate must cover them).",
                validations: [
                    (
                        .binary(.greater, try .call("length", P.ref("var.domain_names")), .number(0)),
                        "domain_names must name at least one domain."
                    )
                ]),
            VariableSpec(
                "acm_certificate_arn", type: "string",
                description: "ACM certificate in us-east-1 covering domain_names.",
                validations: [
                    (
                        try .call(
                            "can",
                            .call("regex", .string("^arn:aws[a-z-]*:acm:us-east-1:"), P.ref("var.acm_certificate_arn"))),
                        "acm_certificate_arn must be an ACM certificate in us-east-1 (CloudFront reads certificates only there)."
                    )
                ]),
            VariableSpec(
                "logging_bucket", type: "string",
                description:
                    "Existing bucket (name) for the bucket's and the distribution's access logs; CloudFront needs ACLs enabled on it."
            ),
            try P.choiceVariable(
                "price_class", description: "Edge locations used: PriceClass_100, PriceClass_200 or PriceClass_All.",
                default: "PriceClass_100", choices: ["PriceClass_100", "PriceClass_200", "PriceClass_All"]),
            VariableSpec(
                "content_security_policy", type: "string",
                description: "Content-Security-Policy header of every answer.",
                default: .string("default-src 'self'; object-src 'none'; frame-ancestors 'none'")),
            try P.numberVariable(
                "noncurrent_version_expiration_days", description: "Days after which replaced files expire.",
                default: 30, minimum: 1),
            try P.kmsKeyVariable("the site's files"),
            P.tagsVariable(),
        ]
        if waf {
            variables.append(
                VariableSpec(
                    "web_acl_arn", type: "string",
                    description: "WAFv2 web ACL (scope CLOUDFRONT) that filters requests.",
                    validations: [
                        (
                            try .call(
                                "can",
                                .call("regex", .string("^arn:aws[a-z-]*:wafv2:us-east-1:"), P.ref("var.web_acl_arn"))),
                            "web_acl_arn must be a WAFv2 web ACL in us-east-1 with scope CLOUDFRONT."
                        )
                    ]))
        }
        if geo {
            variables += [
                try P.choiceVariable(
                    "geo_restriction_type",
                    description: "Whether geo_locations are the only countries served or the ones refused.",
                    default: "whitelist", choices: ["whitelist", "blacklist"]),
                VariableSpec(
                    "geo_locations", type: "list(string)", description: "ISO 3166-1 alpha-2 country codes.",
                    validations: [
                        (
                            try .call(
                                "alltrue",
                                .forList(
                                    "code", in: P.ref("var.geo_locations"),
                                    yield: .call("can", .call("regex", .string("^[A-Z]{2}$"), P.ref("code"))))),
                            "geo_locations must be two-letter upper-case country codes."
                        )
                    ]),
            ]
        }

        let outputs: [OutputSpec] = [
            OutputSpec(
                "distribution_id", description: "Id of the distribution (for invalidations).",
                value: try P.ref("aws_cloudfront_distribution.this.id")),
            OutputSpec(
                "distribution_domain_name", description: "Domain name of the distribution, for DNS aliases.",
                value: try P.ref("aws_cloudfront_distribution.this.domain_name")),
            OutputSpec(
                "distribution_hosted_zone_id",
                description: "Hosted zone of the distribution, for Route 53 alias records.",
                value: try P.ref("aws_cloudfront_distribution.this.hosted_zone_id")),
            OutputSpec("bucket_id", description: "Name of the bucket to upload the site to.", value: bucketID),
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key; uploaders need kms:GenerateDataKey on it.",
                value: try P.ref("local.kms_key_arn")),
        ]

        var notes = [
            "The bucket blocks all public access and disables ACLs; only this distribution may read it, through origin access control (SigV4), and only over TLS.",
            "Files are encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given); the key lets only this distribution decrypt.",
            "Viewers are redirected to HTTPS; TLS 1.2 (2021 policy) or later on `domain_names` with `acm_certificate_arn`.",
            "Every answer carries HSTS (one year, preload), Content-Security-Policy, X-Frame-Options DENY, nosniff, a strict referrer policy and XSS protection.",
            "The bucket's and the distribution's access logs go to `logging_bucket`; the bucket is versioned and aborts incomplete uploads.",
        ]
        if waf { notes.append("Requests pass the WAF web ACL `web_acl_arn`.") }
        if spa { notes.append("403 and 404 answer with /index.html, so the app's routes load.") }
        if geo { notes.append("Only the countries `geo_locations` allow (or do not refuse) are served.") }

        var optOuts = [
            PolicyOptOut(
                "CKV2_AWS_62", reason: "the site bucket changes only on deployments, which need no event notifications."
            ),
            PolicyOptOut(
                "CKV_AWS_144",
                reason:
                    "the bucket's contents are a build artefact that deployments recreate; CloudFront caches them at the edge."
            ),
            PolicyOptOut(
                "CKV_AWS_310",
                reason:
                    "origin failover needs a second bucket in another region kept in sync; a static site can be redeployed instead."
            ),
        ]
        if !waf {
            optOuts.append(
                PolicyOptOut(
                    "CKV_AWS_68",
                    reason:
                        "a WAF web ACL (billed per request) adds little in front of static files; ask for `with WAF` to attach one."
                ))
        }
        optOuts.append(
            PolicyOptOut(
                "CKV2_AWS_47",
                reason: waf
                    ? "the web ACL is yours (`web_acl_arn`), made outside this module; include AWSManagedRulesKnownBadInputsRuleSet in it for the Log4j rules."
                    : "there is no web ACL to hold the Log4j rules without WAF; ask for `with WAF` to attach one."))
        if !geo {
            optOuts.append(
                PolicyOptOut(
                    "CKV_AWS_374",
                    reason: "a public website serves every country; ask for `geo restriction` to limit it."))
        }

        var example: [(name: String, value: HCLExpression)] = [
            ("name", .string(requirements.name)),
            ("bucket_name", .string("\(requirements.name)-site")),
            ("domain_names", P.strings(["www.example.com"])),
            (
                "acm_certificate_arn",
                .string("arn:aws:acm:us-east-1:111122223333:certificate/01234567-89ab-cdef-0123-456789abcdef")
            ),
            ("logging_bucket", .string("example-access-logs")),
        ]
        if waf {
            example.append(
                (
                    "web_acl_arn",
                    .string(
                        "arn:aws:wafv2:us-east-1:111122223333:global/webacl/site/01234567-89ab-cdef-0123-456789abcdef")
                ))
        }
        if geo { example.append(("geo_locations", P.strings(["DE", "FR", "NL"]))) }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: dataSources, outputs: outputs, exampleInputs: example, securityNotes: notes, optOuts: optOuts)
    }
}
