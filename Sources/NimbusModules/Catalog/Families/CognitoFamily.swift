import NimbusHCL

extension ServiceFamily {
    /// A Cognito user pool: e-mail sign-in with verification and recovery by verified e-mail, a strong password
    /// policy, required TOTP MFA, threat protection enforced, deletion protection, administrator-created users, an
    /// app client without a secret for single-page apps, and user-activity logs in KMS-encrypted log groups;
    /// optionally optional MFA, a confidential client, a hosted UI domain and self sign-up.
    public static let cognito = ServiceFamily(
        id: "cognito",
        title: "Cognito user pool",
        summary:
            "Cognito user pool with e-mail sign-in, verification and recovery, a strong password policy, required MFA, threat protection enforced, deletion protection, an app client for single-page apps and KMS-encrypted user-activity logs; optional MFA, a client secret, a hosted UI and self sign-up",
        keywords: [
            "cognito", "user pool", "cognito user pool", "user directory", "customer identity", "user sign-in",
        ],
        features: [
            FamilyFeature(
                id: "mfa", title: "required multi-factor authentication (TOTP)",
                keywords: [
                    "mfa", "multi-factor", "multi-factor authentication", "2fa", "two-factor", "totp", "required mfa",
                    "mfa required",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "optional-mfa", title: "MFA each user may choose (instead of required)",
                keywords: ["optional mfa", "mfa optional", "optional"]),
            FamilyFeature(
                id: "threat-protection", title: "threat protection enforced (Plus tier)",
                keywords: [
                    "threat protection", "advanced security", "adaptive authentication", "compromised credentials",
                    "risk-based authentication", "plus tier",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "deletion-protection", title: "deletion protection",
                keywords: ["deletion protection", "protected"], enabledByDefault: true),
            FamilyFeature(
                id: "email-verification", title: "verified e-mail addresses and recovery by e-mail",
                keywords: [
                    "email verification", "verified email", "email", "e-mail", "account recovery", "email sign-in",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "logging", title: "user-activity logs in a KMS-encrypted log group",
                keywords: ["logging", "logs", "log", "audit", "user activity", "kms", "encryption", "encrypted"],
                enabledByDefault: true),
            FamilyFeature(
                id: "client-secret", title: "a confidential app client with a secret (server-side apps)",
                keywords: [
                    "client secret", "confidential client", "server-side app", "server-side", "backend", "secret",
                ]),
            FamilyFeature(
                id: "hosted-ui", title: "a hosted UI domain with the OAuth code flow",
                keywords: [
                    "hosted ui", "hosted-ui", "hosted login", "managed login", "login page", "oauth", "oidc", "domain",
                ]),
            FamilyFeature(
                id: "self-signup", title: "self sign-up",
                keywords: ["self sign-up", "self-signup", "sign-up", "signup", "self-registration", "registration"]),
        ],
        plan: CognitoPlan.make)
}

/// The plan behind ``ServiceFamily/cognito``.
enum CognitoPlan {
    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let optionalMFA = requirements.has("optional-mfa")
        let mfa = requirements.has("mfa") || optionalMFA
        let threat = requirements.has("threat-protection")
        let protected = requirements.has("deletion-protection")
        let email = requirements.has("email-verification")
        let logging = requirements.has("logging")
        let secret = requirements.has("client-secret")
        let hostedUI = requirements.has("hosted-ui")
        let selfSignup = requirements.has("self-signup")
        let poolID = try P.ref("aws_cognito_user_pool.this.id")

        var resources: [Block] = []
        if logging {
            resources.append(
                try P.kmsKey(
                    description: .template("Encryption of the logs of user pool ", .value(P.ref("var.name"))),
                    serviceStatements: [try P.logsUseStatement()]))
        }
        resources.append(
            try Block("resource", "aws_cognito_user_pool", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute(
                    "user_pool_tier", .string(threat ? "PLUS" : "ESSENTIALS"),
                    comments: [
                        threat
                            ? "Plus: threat protection (compromised credentials, adaptive authentication) and auth-event logs."
                            : "Essentials: password history and the modern sign-in features, without threat protection."
                    ])
                try Attribute("deletion_protection", .string(protected ? "ACTIVE" : "INACTIVE"))
                try Attribute("username_attributes", P.strings(["email"]))
                try Block("username_configuration") { try Attribute("case_sensitive", .bool(false)) }
                if email {
                    try Attribute("auto_verified_attributes", P.strings(["email"]))
                    try Block(
                        "user_attribute_update_settings",
                        comments: ["A changed address is used only once the user has verified it."]
                    ) {
                        try Attribute("attributes_require_verification_before_update", P.strings(["email"]))
                    }
                    try Block("verification_message_template") {
                        try Attribute("default_email_option", .string("CONFIRM_WITH_CODE"))
                    }
                }
                try Attribute("mfa_configuration", .string(optionalMFA ? "OPTIONAL" : (mfa ? "ON" : "OFF")))
                if mfa {
                    try Block("software_token_mfa_configuration") { try Attribute("enabled", .bool(true)) }
                }
                try Block("password_policy") {
                    try Attribute("minimum_length", P.ref("var.password_minimum_length"))
                    try Attribute("require_lowercase", .bool(true))
                    try Attribute("require_uppercase", .bool(true))
                    try Attribute("require_numbers", .bool(true))
                    try Attribute("require_symbols", .bool(true))
                    try Attribute("password_history_size", P.ref("var.password_history_size"))
                    try Attribute("temporary_password_validity_days", .number(3))
                }
                try Block("account_recovery_setting") {
                    try Block("recovery_mechanism") {
                        try Attribute("name", .string(email ? "verified_email" : "admin_only"))
                        try Attribute("priority", .number(1))
                    }
                }
                try Block(
                    "admin_create_user_config",
                    comments: [selfSignup ? "Anyone may sign up, as asked." : "Only administrators create users."]
                ) {
                    try Attribute("allow_admin_create_user_only", .bool(!selfSignup))
                }
                try Block("device_configuration") {
                    try Attribute("challenge_required_on_new_device", .bool(true))
                    try Attribute("device_only_remembered_on_user_prompt", .bool(true))
                }
                try Block("email_configuration") {
                    try Attribute(
                        "email_sending_account",
                        .conditional(
                            try P.isNull("var.ses_email_identity_arn"), .string("COGNITO_DEFAULT"),
                            .string("DEVELOPER")))
                    try Attribute("source_arn", P.ref("var.ses_email_identity_arn"))
                    try Attribute("from_email_address", P.ref("var.from_email_address"))
                }
                if threat {
                    try Block("user_pool_add_ons") { try Attribute("advanced_security_mode", .string("ENFORCED")) }
                }
                try Attribute("tags", P.ref("local.tags"))
            })
        resources.append(
            try Block(
                "resource", "aws_cognito_user_pool_client", "this",
                comments: [
                    secret
                        ? "A confidential client: its secret stays on the server that signs in users."
                        : "A public client for single-page and mobile apps: no secret, SRP sign-in."
                ]
            ) {
                try Attribute("name", .template(.value(try P.ref("var.name")), "-app"))
                try Attribute("user_pool_id", poolID)
                try Attribute("generate_secret", .bool(secret))
                try Attribute("explicit_auth_flows", P.strings(["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]))
                try Attribute("prevent_user_existence_errors", .string("ENABLED"))
                try Attribute("enable_token_revocation", .bool(true))
                try Attribute("enable_propagate_additional_user_context_data", .bool(threat && secret))
                try Attribute("auth_session_validity", .number(3))
                try Attribute("access_token_validity", P.ref("var.access_token_validity_minutes"))
                try Attribute("id_token_validity", P.ref("var.id_token_validity_minutes"))
                try Attribute("refresh_token_validity", P.ref("var.refresh_token_validity_days"))
                try Block("token_validity_units") {
                    try Attribute("access_token", .string("minutes"))
                    try Attribute("id_token", .string("minutes"))
                    try Attribute("refresh_token", .string("days"))
                }
                try Attribute("supported_identity_providers", P.strings(["COGNITO"]))
                if hostedUI {
                    try Attribute("allowed_oauth_flows_user_pool_client", .bool(true))
                    try Attribute(
                        "allowed_oauth_flows", P.strings(["code"]),
                        comments: ["The authorization code flow (with PKCE for public clients); no implicit flow."])
                    try Attribute("allowed_oauth_scopes", P.strings(["openid", "email", "profile"]))
                    try Attribute("callback_urls", P.ref("var.callback_urls"))
                    try Attribute("logout_urls", P.ref("var.logout_urls"))
                }
            })
        if hostedUI {
            resources.append(
                try Block("resource", "aws_cognito_user_pool_domain", "this") {
                    try Attribute("domain", P.ref("var.domain_prefix"))
                    try Attribute("user_pool_id", poolID)
                })
        }
        // One log configuration: the provider mishandles several in one resource (hashicorp/terraform-provider-aws#43550).
        // With threat protection, the sign-in events (who, from where, with what risk); without, delivery errors.
        let logSources: [(label: String, source: String, level: String)] =
            threat ? [("auth_events", "userAuthEvents", "INFO")] : [("notifications", "userNotification", "ERROR")]
        if logging {
            for log in logSources {
                resources.append(
                    try P.logGroup(
                        log.label,
                        name: .template(
                            "/aws/vendedlogs/cognito/", .value(try P.ref("var.name")), "/",
                            .text(log.label.replacingOccurrences(of: "_", with: "-")))))
            }
            resources += [
                try Block(
                    "resource", "aws_cloudwatch_log_resource_policy", "this",
                    comments: ["Only CloudWatch Logs' delivery service, for this account, writes the pool's logs."]
                ) {
                    try Attribute("policy_name", .template(.value(try P.ref("var.name")), "-cognito-log-delivery"))
                    try Attribute("policy_document", P.ref("data.aws_iam_policy_document.log_delivery.json"))
                },
                try Block("resource", "aws_cognito_log_delivery_configuration", "this") {
                    try Attribute("user_pool_id", poolID)
                    for log in logSources {
                        try Block("log_configurations") {
                            try Attribute("event_source", .string(log.source))
                            try Attribute("log_level", .string(log.level))
                            try Block("cloud_watch_logs_configuration") {
                                try Attribute("log_group_arn", P.ref("aws_cloudwatch_log_group.\(log.label).arn"))
                            }
                        }
                    }
                    try Attribute("depends_on", .list([try P.ref("aws_cloudwatch_log_resource_policy.this")]))
                },
            ]
        }

        var dataSources = try P.commonDataSources()
        if logging {
            dataSources.append(
                try Block("data", "aws_iam_policy_document", "log_delivery") {
                    try Block("statement") {
                        try Attribute("sid", .string("LogDeliveryWrites"))
                        try Attribute("actions", P.strings(["logs:CreateLogStream", "logs:PutLogEvents"]))
                        try Attribute(
                            "resources",
                            .list(
                                try logSources.map {
                                    .template(.value(try P.ref("aws_cloudwatch_log_group.\($0.label).arn")), ":*")
                                }))
                        try Block("principals") {
                            try Attribute("type", .string("Service"))
                            try Attribute("identifiers", P.strings(["delivery.logs.amazonaws.com"]))
                        }
                        try Block("condition") {
                            try Attribute("test", .string("StringEquals"))
                            try Attribute("variable", .string("aws:SourceAccount"))
                            try Attribute(
                                "values", .list([try P.ref("data.aws_caller_identity.current.account_id")]))
                        }
                    }
                })
        }

        // Variables.
        func urlsVariable(_ name: String, _ description: String) throws -> VariableSpec {
            VariableSpec(
                name, type: "list(string)", description: description,
                validations: [
                    (
                        .binary(.greater, try .call("length", P.ref("var.\(name)")), .number(0)),
                        "\(name) must name at least one URL."
                    ),
                    (
                        try .call(
                            "alltrue",
                            .forList(
                                "url", in: P.ref("var.\(name)"),
                                yield: .call(
                                    "can",
                                    .call("regex", .string("^(https://|http://localhost(:[0-9]+)?(/|$))"), P.ref("url"))
                                ))),
                        "\(name) must be https:// URLs (http://localhost only for development)."
                    ),
                ])
        }
        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the user pool; the app client adds -app.",
                pattern: "^[A-Za-z0-9][A-Za-z0-9_+=,.@-]{0,123}$",
                rule: "1-124 letters, digits and _+=,.@- characters, starting with a letter or digit"),
            try P.numberVariable(
                "password_minimum_length",
                description: "Shortest password accepted (upper, lower, digit and symbol required).",
                default: 14, minimum: 12, maximum: 99),
            try P.numberVariable(
                "password_history_size", description: "Previous passwords a user may not reuse.", default: 24,
                minimum: 1, maximum: 24),
            try P.numberVariable(
                "access_token_validity_minutes", description: "Lifetime of access tokens, in minutes.", default: 60,
                minimum: 5, maximum: 1440),
            try P.numberVariable(
                "id_token_validity_minutes", description: "Lifetime of ID tokens, in minutes.", default: 60, minimum: 5,
                maximum: 1440),
            try P.numberVariable(
                "refresh_token_validity_days", description: "Lifetime of refresh tokens, in days.", default: 30,
                minimum: 1, maximum: 3650),
            VariableSpec(
                "ses_email_identity_arn", type: "string",
                description:
                    "Verified SES identity the pool sends e-mail from; null uses Cognito's own sender (50 e-mails a day, for trials).",
                default: .null,
                validations: [
                    (
                        .binary(
                            .or, try P.isNull("var.ses_email_identity_arn"),
                            try .call(
                                "can",
                                .call("regex", .string("^arn:aws[a-z-]*:ses:"), P.ref("var.ses_email_identity_arn")))),
                        "ses_email_identity_arn must be an SES identity ARN."
                    )
                ]),
            VariableSpec(
                "from_email_address", type: "string",
                description: "Sender of the pool's e-mail (\"Name <address>\"), with ses_email_identity_arn.",
                default: .null),
        ]
        if hostedUI {
            variables += [
                VariableSpec(
                    "domain_prefix", type: "string",
                    description:
                        "Prefix of the hosted UI's domain (<prefix>.auth.<region>.amazoncognito.com), unique in the region.",
                    validations: [
                        (
                            try .call(
                                "can",
                                .call(
                                    "regex", .string("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"),
                                    P.ref("var.domain_prefix"))),
                            "domain_prefix must be 1-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen."
                        ),
                        (
                            .unary(
                                .not,
                                try .call(
                                    "can", .call("regex", .string("(aws|amazon|cognito)"), P.ref("var.domain_prefix")))),
                            "domain_prefix may not contain aws, amazon or cognito."
                        ),
                    ]),
                try urlsVariable("callback_urls", "URLs the hosted UI may return signed-in users to."),
                try urlsVariable("logout_urls", "URLs the hosted UI may return signed-out users to."),
            ]
        }
        if logging {
            variables += [try P.kmsKeyVariable("the user pool's logs"), try P.logRetentionVariable()]
        }
        variables.append(P.tagsVariable())

        // Outputs.
        var outputs: [OutputSpec] = [
            OutputSpec("user_pool_id", description: "Id of the user pool.", value: poolID),
            OutputSpec(
                "user_pool_arn", description: "ARN of the user pool (for API Gateway and ALB authorizers).",
                value: try P.ref("aws_cognito_user_pool.this.arn")),
            OutputSpec(
                "issuer_url", description: "OIDC issuer of the pool's tokens.",
                value: .template("https://", .value(try P.ref("aws_cognito_user_pool.this.endpoint")))),
            OutputSpec(
                "client_id", description: "Id of the app client.",
                value: try P.ref("aws_cognito_user_pool_client.this.id")),
        ]
        if secret {
            outputs.append(
                OutputSpec(
                    "client_secret", description: "Secret of the app client; keep it on the server.",
                    value: try P.ref("aws_cognito_user_pool_client.this.client_secret"), sensitive: true))
        }
        if hostedUI {
            outputs.append(
                OutputSpec(
                    "hosted_ui_url", description: "Base URL of the hosted UI (its /oauth2 and /login endpoints).",
                    value: .template(
                        "https://", .value(try P.ref("aws_cognito_user_pool_domain.this.domain")), ".auth.",
                        .value(try P.ref("data.aws_region.current.name")), ".amazoncognito.com")))
        }
        if logging {
            outputs.append(
                OutputSpec(
                    "kms_key_arn", description: "ARN of the KMS key of the logs.", value: try P.ref("local.kms_key_arn")
                ))
        }

        // Documentation.
        var notes = [
            "Users sign in with their e-mail address (case-insensitive); \(email ? "addresses are verified with a code, a changed address counts only once verified, and accounts are recovered through the verified address" : "accounts are recovered by an administrator").",
            "Passwords: at least `password_minimum_length` (12 or more) characters with upper- and lower-case letters, digits and symbols, none of the last `password_history_size` reused; temporary passwords expire after 3 days.",
            optionalMFA
                ? "MFA (TOTP apps) is optional, as asked: each user chooses."
                : (mfa ? "MFA with an authenticator app (TOTP) is required of every user." : "MFA is off."),
            selfSignup
                ? "Anyone may sign up, as asked; sign-ups are confirmed through the e-mail address."
                : "Only administrators create users; new devices are challenged and remembered only when the user agrees.",
            "The app client \(secret ? "is confidential (its secret is a sensitive output)" : "has no secret, for single-page and mobile apps") and signs in with SRP; user-existence errors are hidden, refresh tokens can be revoked, tokens live `access_token_validity_minutes`/`id_token_validity_minutes` and `refresh_token_validity_days`.",
        ]
        if threat {
            notes.append(
                "Threat protection is enforced (Plus tier): sign-ins with compromised credentials are blocked and risky ones challenged; auth events are logged."
            )
        }
        if protected { notes.append("Deletion protection is on.") }
        if hostedUI {
            notes.append(
                "The hosted UI (`domain_prefix`) offers only the authorization code flow (PKCE for public clients) with openid, email and profile scopes, to `callback_urls` and `logout_urls` (https only)."
            )
        }
        if logging {
            notes.append(
                "\(threat ? "User auth events (sign-ins, their risk and the action taken)" : "E-mail and SMS delivery errors") are logged to a log group encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given), kept `log_retention_days`; only CloudWatch Logs' delivery service, for this account, writes to it."
            )
        }
        notes.append(
            "Without `ses_email_identity_arn`, Cognito sends at most 50 e-mails a day; give a verified SES identity for production."
        )
        if logging {
            notes.append("Needs hashicorp/aws 6.5 or later (`aws_cognito_log_delivery_configuration`).")
        }

        var example: [(name: String, value: HCLExpression)] = [("name", .string(requirements.name))]
        if hostedUI {
            example += [
                ("domain_prefix", .string("\(requirements.name)-login")),
                ("callback_urls", P.strings(["https://app.example.com/callback"])),
                ("logout_urls", P.strings(["https://app.example.com/"])),
            ]
        }

        var locals = [try P.tagsLocal(requirements)]
        if logging { locals.append(try P.kmsKeyLocal()) }
        return ModulePlan(
            resources: resources, variables: variables, locals: locals, dataSources: dataSources, outputs: outputs,
            providers: logging
                ? [ProviderRequirement(name: "aws", source: "hashicorp/aws", version: ">= 6.5")] : [.aws],
            exampleInputs: example, securityNotes: notes,
            optOuts: [])
    }
}
