import NimbusHCL

extension ServiceFamily {
    /// A Lambda function with its own least-privilege role, an encrypted log group, X-Ray tracing, an encrypted
    /// dead-letter queue and reserved concurrency; optionally in a VPC and with code signing.
    public static let lambda = ServiceFamily(
        id: "lambda",
        title: "Lambda function",
        summary:
            "Lambda function with a least-privilege role, encrypted log group, X-Ray tracing, encrypted dead-letter queue and reserved concurrency; optional VPC and code signing",
        keywords: ["lambda", "lambda function", "function", "serverless function", "serverless"],
        features: [
            FamilyFeature(
                id: "tracing", title: "X-Ray tracing", keywords: ["tracing", "traced", "x-ray", "xray"],
                enabledByDefault: true),
            FamilyFeature(
                id: "dlq", title: "dead-letter queue",
                keywords: ["dlq", "dead-letter queue", "dead letter queue", "dead-letter", "dead letter"],
                enabledByDefault: true),
            FamilyFeature(
                id: "encryption", title: "KMS encryption of environment, logs and queue",
                keywords: ["kms", "encryption", "encrypted"], enabledByDefault: true),
            FamilyFeature(
                id: "logging", title: "encrypted log group with retention",
                keywords: ["log group", "logging", "logs", "log"],
                enabledByDefault: true),
            FamilyFeature(
                id: "vpc", title: "VPC networking",
                keywords: ["vpc", "in a vpc", "private subnet", "private network", "subnet"]),
            FamilyFeature(
                id: "code-signing", title: "code signing",
                keywords: ["code signing", "signed code", "signing", "signed"]),
            // Turned on by a composition whose S3 bucket invokes the function with its events.
            FamilyFeature(id: "bucket-events", title: "S3 bucket events", keywords: []),
        ],
        plan: LambdaPlan.make)
}

/// The plan behind ``ServiceFamily/lambda``.
enum LambdaPlan {
    static let runtimes = [
        "python3.13", "python3.12", "python3.11", "nodejs22.x", "nodejs20.x", "java21", "java17", "dotnet8",
        "ruby3.3", "provided.al2023",
    ]

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let vpc = requirements.has("vpc")
        let codeSigning = requirements.has("code-signing")
        let bucketEvents = requirements.has("bucket-events")

        var resources: [Block] = [
            try P.kmsKey(
                description: .template("Encryption of Lambda function ", .value(P.ref("var.name"))),
                serviceStatements: [try P.logsUseStatement()]),
            try P.logGroup("this", name: .template("/aws/lambda/", .value(P.ref("var.name")))),
            try Block("resource", "aws_sqs_queue", "dlq", comments: ["Events the function failed on, kept 14 days."]) {
                try Attribute("name", .template(.value(P.ref("var.name")), "-dlq"))
                try Attribute("kms_master_key_id", P.ref("local.kms_key_arn"))
                try Attribute("kms_data_key_reuse_period_seconds", .number(300))
                try Attribute("message_retention_seconds", .number(1_209_600))
                try Attribute("tags", P.ref("local.tags"))
            },
            try P.serviceRole("this", suffix: "function", trust: "assume"),
            try Block("resource", "aws_iam_role_policy", "this") {
                try Attribute("name", .string("function"))
                try Attribute("role", P.ref("aws_iam_role.this.id"))
                try Attribute("policy", P.ref("data.aws_iam_policy_document.function.json"))
            },
            try P.managedPolicyAttachment("tracing", role: "this", policy: "AWSXRayDaemonWriteAccess"),
        ]
        if vpc {
            resources += [
                try P.managedPolicyAttachment(
                    "vpc", role: "this", policy: "service-role/AWSLambdaVPCAccessExecutionRole"),
                try Block(
                    "resource", "aws_security_group", "this",
                    comments: ["Nothing may connect in; the function may open HTTPS connections only."]
                ) {
                    try Attribute("name", .template(.value(P.ref("var.name")), "-function"))
                    try Attribute("description", .template("Lambda function ", .value(P.ref("var.name"))))
                    try Attribute("vpc_id", P.ref("var.vpc_id"))
                    try P.httpsEgress("HTTPS out")
                    try Attribute("tags", P.ref("local.tags"))
                },
            ]
        }
        resources.append(
            try Block("resource", "aws_lambda_function", "this") {
                try Attribute("function_name", P.ref("var.name"))
                try Attribute("description", P.ref("var.description"))
                try Attribute("role", P.ref("aws_iam_role.this.arn"))
                try Attribute("filename", P.ref("var.filename"))
                try Attribute("source_code_hash", .call("filebase64sha256", P.ref("var.filename")))
                try Attribute("handler", P.ref("var.handler"))
                try Attribute("runtime", P.ref("var.runtime"))
                try Attribute("memory_size", P.ref("var.memory_size"))
                try Attribute("timeout", P.ref("var.timeout"))
                try Attribute("reserved_concurrent_executions", P.ref("var.reserved_concurrent_executions"))
                try Attribute("kms_key_arn", P.ref("local.kms_key_arn"))
                if codeSigning { try Attribute("code_signing_config_arn", P.ref("var.code_signing_config_arn")) }
                try Block("tracing_config") { try Attribute("mode", .string("Active")) }
                try Block("dead_letter_config") { try Attribute("target_arn", P.ref("aws_sqs_queue.dlq.arn")) }
                try Block("environment") { try Attribute("variables", P.ref("var.environment_variables")) }
                if vpc {
                    try Block("vpc_config") {
                        try Attribute("subnet_ids", P.ref("var.subnet_ids"))
                        try Attribute("security_group_ids", .list([try P.ref("aws_security_group.this.id")]))
                    }
                }
                try Attribute("tags", P.ref("local.tags"))
                try Attribute(
                    "depends_on",
                    .list([try P.ref("aws_cloudwatch_log_group.this"), try P.ref("aws_iam_role_policy.this")]))
            })

        let dataSources: [Block] =
            try P.commonDataSources() + [
                try P.assumeRoleDocument("assume", services: ["lambda.amazonaws.com"]),
                try Block("data", "aws_iam_policy_document", "function") {
                    try P.statement(
                        sid: "WriteOwnLogs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
                        resources: [.template(.value(try P.ref("aws_cloudwatch_log_group.this.arn")), ":*")])
                    try P.statement(
                        sid: "SendToDeadLetterQueue", actions: ["sqs:SendMessage"],
                        resources: [try P.ref("aws_sqs_queue.dlq.arn")])
                    try P.statement(
                        sid: "UseKey", actions: ["kms:Decrypt", "kms:GenerateDataKey"],
                        resources: [try P.ref("local.kms_key_arn")])
                },
            ]

        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the function and prefix of its role, queue and log group.",
                pattern: "^[A-Za-z0-9_-]{1,56}$", rule: "1-56 letters, digits, hyphens and underscores"),
            VariableSpec(
                "description", type: "string", description: "What the function does.",
                default: .string("Managed by Terraform")),
            VariableSpec(
                "filename", type: "string", description: "Path of the deployment package (a .zip file).",
                validations: [
                    (try .call("endswith", P.ref("var.filename"), .string(".zip")), "filename must be a .zip file.")
                ]),
            VariableSpec(
                "handler", type: "string", description: "Entry point (`app.handler`).", default: .string("app.handler")),
            try P.choiceVariable(
                "runtime", description: "Runtime: a supported, non-deprecated one.", default: "python3.12",
                choices: runtimes),
            try P.numberVariable(
                "memory_size", description: "Memory in MB.", default: 256, minimum: 128, maximum: 10240),
            try P.numberVariable("timeout", description: "Timeout in seconds.", default: 30, minimum: 1, maximum: 900),
            try P.numberVariable(
                "reserved_concurrent_executions",
                description: "Concurrent executions reserved (and allowed) for the function.", default: 10,
                minimum: 1),
            VariableSpec(
                "environment_variables", type: "map(string)",
                description:
                    "Environment variables (encrypted with the KMS key); never put secrets here, read them from Secrets Manager.",
                default: .object([(String, HCLExpression)]())),
            try P.kmsKeyVariable("the environment, the logs and the dead-letter queue"),
            try P.logRetentionVariable(),
            P.tagsVariable(),
        ]
        if vpc {
            variables += try P.networkVariables()
            variables.append(P.egressVariable("Where the function may open HTTPS connections."))
        }
        if codeSigning {
            variables.append(
                VariableSpec(
                    "code_signing_config_arn", type: "string",
                    description: "Code signing configuration that only accepts packages signed by your profiles.",
                    validations: [
                        (
                            try .call(
                                "can",
                                .call("regex", .string("^arn:aws[a-z-]*:lambda:"), P.ref("var.code_signing_config_arn"))
                            ),
                            "code_signing_config_arn must be a Lambda code signing configuration ARN."
                        )
                    ]))
        }

        let outputs: [OutputSpec] = [
            OutputSpec(
                "function_name", description: "Name of the function.",
                value: try P.ref("aws_lambda_function.this.function_name")),
            OutputSpec(
                "function_arn", description: "ARN of the function.", value: try P.ref("aws_lambda_function.this.arn")),
            OutputSpec(
                "role_name", description: "Name of the function's role, for attaching more permissions.",
                value: try P.ref("aws_iam_role.this.name")),
            OutputSpec(
                "dead_letter_queue_arn", description: "ARN of the dead-letter queue.",
                value: try P.ref("aws_sqs_queue.dlq.arn")),
            OutputSpec(
                "log_group_name", description: "Log group of the function.",
                value: try P.ref("aws_cloudwatch_log_group.this.name")),
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key of the function.", value: try P.ref("local.kms_key_arn")
            ),
        ]

        if bucketEvents {
            resources.append(
                try Block(
                    "resource", "aws_lambda_permission", "bucket",
                    comments: [
                        "Each bucket of `invoking_bucket_arns` may invoke the function, on this account's behalf."
                    ]
                ) {
                    try Attribute("count", .call("length", P.ref("var.invoking_bucket_arns")))
                    try Attribute("statement_id", .template("AllowBucket", .value(P.ref("count.index"))))
                    try Attribute("action", .string("lambda:InvokeFunction"))
                    try Attribute("function_name", P.ref("aws_lambda_function.this.function_name"))
                    try Attribute("principal", .string("s3.amazonaws.com"))
                    try Attribute(
                        "source_arn", HCLExpression(.index(try P.ref("var.invoking_bucket_arns"), P.ref("count.index")))
                    )
                    try Attribute("source_account", P.ref("data.aws_caller_identity.current.account_id"))
                })
            variables.append(
                VariableSpec(
                    "invoking_bucket_arns", type: "list(string)",
                    description: "ARNs of the S3 buckets whose events invoke the function.", default: .list([])))
        }

        var notes = [
            "The role may write only to the function's own log group, send only to its dead-letter queue and use only its key; tracing uses the managed `AWSXRayDaemonWriteAccess` policy.",
            "Environment variables, logs and the dead-letter queue are encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given).",
            "X-Ray tracing is active.",
            "Failed asynchronous events go to an encrypted dead-letter queue, kept 14 days.",
            "Reserved concurrency bounds what the function can cost and what it can do to its dependencies.",
            "Logs are kept `log_retention_days` (at least a year).",
        ]
        var optOuts: [PolicyOptOut] = []
        if vpc {
            notes.append(
                "The function runs in private subnets with a security group that accepts nothing and sends only HTTPS.")
        } else {
            optOuts.append(
                PolicyOptOut(
                    "CKV_AWS_117",
                    reason:
                        "a function that reaches only AWS APIs gains nothing from a VPC but cold-start latency and NAT cost; ask for `in a VPC` when it must reach private resources."
                ))
        }
        if bucketEvents {
            notes.append("Only the buckets of `invoking_bucket_arns`, in this account, may invoke the function.")
        }
        if codeSigning {
            notes.append("Only packages signed by the profiles of `code_signing_config_arn` deploy.")
        } else {
            optOuts.append(
                PolicyOptOut(
                    "CKV_AWS_272",
                    reason:
                        "code signing needs a signing profile and a signed-package pipeline; ask for `code signing` to require one."
                ))
        }

        var example: [(name: String, value: HCLExpression)] = [
            ("name", .string(requirements.name)), ("filename", .string("function.zip")),
        ]
        if vpc { example += [P.exampleVPC, P.exampleSubnets] }
        if codeSigning {
            example.append(
                (
                    "code_signing_config_arn",
                    .string("arn:aws:lambda:eu-west-1:111122223333:code-signing-config:csc-0123456789abcdef0")
                ))
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: dataSources, outputs: outputs, exampleInputs: example, securityNotes: notes, optOuts: optOuts)
    }
}
