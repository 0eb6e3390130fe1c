import NimbusHCL

extension ServiceFamily {
    /// An API Gateway HTTP API whose routes invoke a Lambda function through an AWS_PROXY integration: routes need
    /// IAM (SigV4) authorization unless a JWT authorizer is asked for, the `$default` stage deploys automatically,
    /// throttles and writes JSON access logs to a KMS-encrypted log group, and the function may be invoked by this
    /// API only; optionally CORS and a custom domain with TLS 1.2.
    public static let apiGateway = ServiceFamily(
        id: "api-gateway",
        title: "API Gateway HTTP API",
        summary:
            "API Gateway HTTP API with a Lambda proxy integration, IAM or JWT authorization on every route, throttling and KMS-encrypted access logs; optional CORS and custom domain (TLS 1.2)",
        keywords: [
            "api gateway http api", "api gateway", "apigateway", "http api", "rest api", "api gateway v2", "api",
        ],
        features: [
            FamilyFeature(
                id: "access-logs", title: "JSON access logs in a KMS-encrypted log group",
                keywords: ["access logs", "access logging", "logging", "logs"], enabledByDefault: true),
            FamilyFeature(
                id: "throttling", title: "default route throttling",
                keywords: ["throttling", "throttle", "throttled", "rate limiting", "rate limit"],
                enabledByDefault: true),
            FamilyFeature(
                id: "jwt-authorizer", title: "a JWT authorizer that every route requires",
                keywords: [
                    "jwt", "jwt authorizer", "authorizer", "oidc", "openid connect", "oauth", "oauth2", "bearer token",
                ]),
            FamilyFeature(
                id: "cors", title: "CORS for named origins",
                keywords: ["cors", "cross-origin", "cross origin"]),
            FamilyFeature(
                id: "custom-domain", title: "a custom domain with TLS 1.2",
                keywords: ["custom domain", "custom domain name", "domain name", "own domain", "domain"]),
        ],
        plan: APIGatewayPlan.make)
}

/// The plan behind ``ServiceFamily/apiGateway``.
enum APIGatewayPlan {
    static let corsMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let jwt = requirements.has("jwt-authorizer")
        let cors = requirements.has("cors")
        let domain = requirements.has("custom-domain")
        let apiID = try P.ref("aws_apigatewayv2_api.this.id")

        let accessLogFormat = try HCLExpression.call(
            "jsonencode",
            .object([
                ("requestId", .string("$context.requestId")),
                ("extendedRequestId", .string("$context.extendedRequestId")),
                ("requestTime", .string("$context.requestTime")),
                ("sourceIp", .string("$context.identity.sourceIp")),
                ("userAgent", .string("$context.identity.userAgent")),
                ("caller", .string(jwt ? "$context.authorizer.claims.sub" : "$context.identity.userArn")),
                ("httpMethod", .string("$context.httpMethod")),
                ("path", .string("$context.path")),
                ("routeKey", .string("$context.routeKey")),
                ("protocol", .string("$context.protocol")),
                ("status", .string("$context.status")),
                ("responseLength", .string("$context.responseLength")),
                ("responseLatency", .string("$context.responseLatency")),
                ("integrationStatus", .string("$context.integrationStatus")),
                ("integrationLatency", .string("$context.integrationLatency")),
                ("integrationError", .string("$context.integrationErrorMessage")),
                ("authorizerError", .string("$context.authorizer.error")),
                ("errorMessage", .string("$context.error.message")),
            ]))

        var resources: [Block] = [
            try P.kmsKey(
                description: .template("Encryption of the access logs of HTTP API ", .value(P.ref("var.name"))),
                serviceStatements: [try P.logsUseStatement()]),
            try P.logGroup("access", name: .template("/aws/apigateway/", .value(P.ref("var.name")), "/access")),
            try Block("resource", "aws_apigatewayv2_api", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("description", P.ref("var.description"))
                try Attribute("protocol_type", .string("HTTP"))
                if domain {
                    try Attribute(
                        "disable_execute_api_endpoint", .bool(true),
                        comments: ["Clients use the custom domain (TLS 1.2) only, not the default endpoint."])
                }
                if cors {
                    try Block("cors_configuration") {
                        try Attribute("allow_origins", P.ref("var.cors_allowed_origins"))
                        try Attribute("allow_methods", P.ref("var.cors_allowed_methods"))
                        try Attribute("allow_headers", P.ref("var.cors_allowed_headers"))
                        try Attribute("allow_credentials", .bool(false))
                        try Attribute("max_age", .number(3600))
                    }
                }
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block(
                "resource", "aws_apigatewayv2_integration", "lambda",
                comments: ["Every route proxies the request to the function (payload format 2.0)."]
            ) {
                try Attribute("api_id", apiID)
                try Attribute("integration_type", .string("AWS_PROXY"))
                try Attribute("integration_method", .string("POST"))
                try Attribute("integration_uri", P.ref("var.lambda_function_arn"))
                try Attribute("payload_format_version", .string("2.0"))
                try Attribute("timeout_milliseconds", P.ref("var.integration_timeout_milliseconds"))
            },
        ]
        if jwt {
            resources.append(
                try Block("resource", "aws_apigatewayv2_authorizer", "jwt") {
                    try Attribute("api_id", apiID)
                    try Attribute("name", .template(.value(try P.ref("var.name")), "-jwt"))
                    try Attribute("authorizer_type", .string("JWT"))
                    try Attribute("identity_sources", P.strings(["$request.header.Authorization"]))
                    try Block("jwt_configuration") {
                        try Attribute("issuer", P.ref("var.jwt_issuer"))
                        try Attribute("audience", P.ref("var.jwt_audience"))
                    }
                })
        }
        resources += [
            try Block(
                "resource", "aws_apigatewayv2_route", "this",
                comments: [
                    jwt
                        ? "Every route requires a valid JWT from the configured issuer and audience."
                        : "Every route requires IAM (SigV4) authorization: callers need execute-api:Invoke on it."
                ]
            ) {
                try Attribute("for_each", .call("toset", P.ref("var.route_keys")))
                try Attribute("api_id", apiID)
                try Attribute("route_key", P.ref("each.value"))
                try Attribute(
                    "target", .template("integrations/", .value(try P.ref("aws_apigatewayv2_integration.lambda.id"))))
                if jwt {
                    try Attribute("authorization_type", .string("JWT"))
                    try Attribute("authorizer_id", P.ref("aws_apigatewayv2_authorizer.jwt.id"))
                    try Attribute(
                        "authorization_scopes",
                        .conditional(
                            .binary(.equal, try .call("length", P.ref("var.jwt_authorization_scopes")), .number(0)),
                            .null, try P.ref("var.jwt_authorization_scopes")))
                } else {
                    try Attribute("authorization_type", .string("AWS_IAM"))
                }
            },
            try Block("resource", "aws_apigatewayv2_stage", "this") {
                try Attribute("api_id", apiID)
                try Attribute("name", .string("$default"))
                try Attribute("auto_deploy", .bool(true))
                try Block("access_log_settings") {
                    try Attribute("destination_arn", P.ref("aws_cloudwatch_log_group.access.arn"))
                    try Attribute("format", accessLogFormat)
                }
                try Block("default_route_settings") {
                    try Attribute("detailed_metrics_enabled", .bool(true))
                    try Attribute("throttling_burst_limit", P.ref("var.throttling_burst_limit"))
                    try Attribute("throttling_rate_limit", P.ref("var.throttling_rate_limit"))
                }
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block(
                "resource", "aws_lambda_permission", "api",
                comments: ["Only this API, through any of its stages and routes, may invoke the function."]
            ) {
                try Attribute("statement_id", .template("AllowInvokeFromHttpApi-", .value(try P.ref("var.name"))))
                try Attribute("action", .string("lambda:InvokeFunction"))
                try Attribute("function_name", P.ref("var.lambda_function_arn"))
                try Attribute("principal", .string("apigateway.amazonaws.com"))
                try Attribute(
                    "source_arn", .template(.value(try P.ref("aws_apigatewayv2_api.this.execution_arn")), "/*/*"))
                try Attribute("source_account", P.ref("data.aws_caller_identity.current.account_id"))
            },
        ]
        if domain {
            resources += [
                try Block("resource", "aws_apigatewayv2_domain_name", "this") {
                    try Attribute("domain_name", P.ref("var.domain_name"))
                    try Block("domain_name_configuration") {
                        try Attribute("certificate_arn", P.ref("var.certificate_arn"))
                        try Attribute("endpoint_type", .string("REGIONAL"))
                        try Attribute("security_policy", .string("TLS_1_2"))
                    }
                    try Attribute("tags", P.ref("local.tags"))
                },
                try Block("resource", "aws_apigatewayv2_api_mapping", "this") {
                    try Attribute("api_id", apiID)
                    try Attribute("domain_name", P.ref("aws_apigatewayv2_domain_name.this.id"))
                    try Attribute("stage", P.ref("aws_apigatewayv2_stage.this.id"))
                },
            ]
        }

        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the API and of its log group.", pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
                rule: "1-64 letters, digits, hyphens and underscores, starting with a letter or digit"),
            VariableSpec(
                "description", type: "string", description: "What the API serves.",
                default: .string("Managed by Terraform")),
            VariableSpec(
                "lambda_function_arn", type: "string",
                description: "ARN of the Lambda function every route invokes (unqualified, or an alias ARN).",
                validations: [
                    (
                        try .call(
                            "can",
                            .call(
                                "regex", .string("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:"),
                                P.ref("var.lambda_function_arn"))),
                        "lambda_function_arn must be a Lambda function ARN."
                    )
                ]),
            VariableSpec(
                "route_keys", type: "list(string)",
                description:
                    "Routes, as `METHOD /path` (`GET /orders/{id}`, `ANY /{proxy+}`) or `$default` for every request.",
                default: P.strings(["$default"]),
                validations: [
                    (
                        .binary(
                            .and, .binary(.greaterOrEqual, try .call("length", P.ref("var.route_keys")), .number(1)),
                            try .call(
                                "alltrue",
                                .forList(
                                    "key", in: P.ref("var.route_keys"),
                                    yield: .binary(
                                        .or, .binary(.equal, try P.ref("key"), .string("$default")),
                                        try .call(
                                            "can",
                                            .call(
                                                "regex",
                                                .string("^(ANY|GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /"),
                                                P.ref("key"))))))),
                        "route_keys must hold at least one route, each `$default` or `METHOD /path`."
                    )
                ]),
            try P.numberVariable(
                "integration_timeout_milliseconds",
                description: "How long API Gateway waits for the function (at most 30 s).", default: 30000,
                minimum: 50, maximum: 30000),
            try P.numberVariable(
                "throttling_burst_limit", description: "Requests the stage accepts in a burst, over all routes.",
                default: 200, minimum: 1, maximum: 5000),
            try P.numberVariable(
                "throttling_rate_limit", description: "Steady requests per second the stage accepts, over all routes.",
                default: 100, minimum: 1, maximum: 10000),
            try P.kmsKeyVariable("the access logs"),
            try P.logRetentionVariable(),
            P.tagsVariable(),
        ]
        if jwt {
            variables += [
                VariableSpec(
                    "jwt_issuer", type: "string",
                    description:
                        "Issuer of the accepted tokens (an HTTPS URL; a Cognito user pool's is https://cognito-idp.<region>.amazonaws.com/<pool id>).",
                    validations: [
                        (
                            try .call("startswith", P.ref("var.jwt_issuer"), .string("https://")),
                            "jwt_issuer must be an https:// URL."
                        )
                    ]),
                VariableSpec(
                    "jwt_audience", type: "list(string)",
                    description: "Audiences (client ids) a token must be issued for; at least one.",
                    validations: [
                        (
                            .binary(.greaterOrEqual, try .call("length", P.ref("var.jwt_audience")), .number(1)),
                            "jwt_audience must name at least one audience."
                        )
                    ]),
                VariableSpec(
                    "jwt_authorization_scopes", type: "list(string)",
                    description: "OAuth scopes a token must carry on every route; none when empty.",
                    default: .list([])),
            ]
        }
        if cors {
            variables += [
                VariableSpec(
                    "cors_allowed_origins", type: "list(string)",
                    description: "Origins browsers may call the API from (`https://app.example.com`); never `*`.",
                    validations: [
                        (
                            .binary(
                                .and,
                                .binary(
                                    .greaterOrEqual, try .call("length", P.ref("var.cors_allowed_origins")),
                                    .number(1)),
                                try .call(
                                    "alltrue",
                                    .forList(
                                        "origin", in: P.ref("var.cors_allowed_origins"),
                                        yield: .call(
                                            "can", .call("regex", .string("^https?://[^*\\s]+$"), P.ref("origin")))))),
                            "cors_allowed_origins must name at least one origin, each http(s)://host without wildcards."
                        )
                    ]),
                VariableSpec(
                    "cors_allowed_methods", type: "list(string)", description: "Methods browsers may use.",
                    default: P.strings(["GET", "POST", "OPTIONS"]),
                    validations: [
                        (
                            try .call(
                                "alltrue",
                                .forList(
                                    "method", in: P.ref("var.cors_allowed_methods"),
                                    yield: .call("contains", P.strings(corsMethods), P.ref("method")))),
                            "cors_allowed_methods must be among \(corsMethods.joined(separator: ", "))."
                        )
                    ]),
                VariableSpec(
                    "cors_allowed_headers", type: "list(string)", description: "Request headers browsers may send.",
                    default: P.strings(["authorization", "content-type"])),
            ]
        }
        if domain {
            variables += [
                VariableSpec(
                    "domain_name", type: "string", description: "Custom domain of the API (`api.example.com`).",
                    validations: [
                        (
                            try .call(
                                "can",
                                .call(
                                    "regex", .string("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$"),
                                    P.ref("var.domain_name"))),
                            "domain_name must be a lower-case DNS name."
                        )
                    ]),
                VariableSpec(
                    "certificate_arn", type: "string",
                    description: "ACM certificate for domain_name, in the API's region.",
                    validations: [
                        (
                            try .call(
                                "can", .call("regex", .string("^arn:aws[a-z-]*:acm:"), P.ref("var.certificate_arn"))),
                            "certificate_arn must be an ACM certificate ARN."
                        )
                    ]),
            ]
        }

        var outputs: [OutputSpec] = [
            OutputSpec("api_id", description: "Id of the HTTP API.", value: apiID),
            OutputSpec(
                "api_endpoint",
                description: "Default endpoint of the API\(domain ? " (disabled: use the custom domain)" : "").",
                value: try P.ref("aws_apigatewayv2_api.this.api_endpoint")),
            OutputSpec(
                "execution_arn",
                description: "Execution ARN, for IAM policies that grant execute-api:Invoke (`<arn>/*/*`).",
                value: try P.ref("aws_apigatewayv2_api.this.execution_arn")),
            OutputSpec(
                "invoke_url", description: "URL of the `$default` stage.",
                value: try P.ref("aws_apigatewayv2_stage.this.invoke_url")),
            OutputSpec(
                "log_group_name", description: "Log group of the access logs.",
                value: try P.ref("aws_cloudwatch_log_group.access.name")),
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key of the access logs.",
                value: try P.ref("local.kms_key_arn")),
        ]
        if domain {
            outputs += [
                OutputSpec(
                    "domain_target", description: "Regional domain name to alias `domain_name` to in Route 53.",
                    value: try P.ref("aws_apigatewayv2_domain_name.this.domain_name_configuration.0.target_domain_name")
                ),
                OutputSpec(
                    "domain_zone_id", description: "Hosted zone id of the regional domain, for a Route 53 alias.",
                    value: try P.ref("aws_apigatewayv2_domain_name.this.domain_name_configuration.0.hosted_zone_id")),
            ]
        }

        var notes = [
            jwt
                ? "Every route requires a JWT issued by `jwt_issuer` for one of `jwt_audience` (and `jwt_authorization_scopes` when given)."
                : "Every route requires IAM (SigV4) authorization: only principals granted execute-api:Invoke on `execution_arn` can call it. Ask for `with a JWT authorizer` for tokens from an identity provider.",
            "The function may be invoked only by this API (`source_arn` is the API's execution ARN, `source_account` this account).",
            "The `$default` stage throttles at `throttling_rate_limit` requests per second (bursts of `throttling_burst_limit`) and records detailed metrics.",
            "JSON access logs (request id, caller, route, status, latency, errors) go to a log group encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given), kept `log_retention_days`.",
            "API Gateway serves HTTPS only.",
        ]
        if cors {
            notes.append(
                "CORS admits only `cors_allowed_origins` (no wildcard), without credentials; preflight requests are answered by API Gateway."
            )
        }
        if domain {
            notes.append(
                "The custom domain requires TLS 1.2 and the default execute-api endpoint is disabled, so every request arrives through it."
            )
        }

        var example: [(name: String, value: HCLExpression)] = [
            ("name", .string(requirements.name)),
            ("lambda_function_arn", .string("arn:aws:lambda:eu-west-1:111122223333:function:orders-api")),
        ]
        if jwt {
            example += [
                ("jwt_issuer", .string("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_EXAMPLE")),
                ("jwt_audience", P.strings(["example-client-id"])),
            ]
        }
        if cors { example.append(("cors_allowed_origins", P.strings(["https://app.example.com"]))) }
        if domain {
            example += [
                ("domain_name", .string("api.example.com")),
                (
                    "certificate_arn",
                    .string("arn:aws:acm:eu-west-1:111122223333:certificate/01234567-89ab-cdef-0123-456789abcdef")
                ),
            ]
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: try P.commonDataSources(), outputs: outputs, exampleInputs: example, securityNotes: notes,
            optOuts: [])
    }
}
