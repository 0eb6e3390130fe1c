import NimbusHCL

extension ServiceFamily {
    /// A Step Functions state machine (standard, or express when asked) with a least-privilege role, every execution
    /// event logged with its data to a KMS-encrypted log group, X-Ray tracing, and its definitions and execution data
    /// encrypted with a customer-managed KMS key.
    public static let stepFunctions = ServiceFamily(
        id: "step-functions",
        title: "Step Functions state machine",
        summary:
            "Step Functions state machine (standard or express) with a least-privilege role, full execution logging to a KMS-encrypted log group, X-Ray tracing and customer-managed KMS encryption",
        keywords: [
            "step functions state machine", "step functions", "step function", "stepfunctions", "state machine", "sfn",
            "workflow", "serverless workflow", "orchestration",
        ],
        features: [
            FamilyFeature(
                id: "logging", title: "execution logging (ALL, with execution data) to an encrypted log group",
                keywords: ["logging", "logs", "log", "execution history", "execution logs"], enabledByDefault: true),
            FamilyFeature(
                id: "tracing", title: "X-Ray tracing", keywords: ["tracing", "traced", "x-ray", "xray"],
                enabledByDefault: true),
            FamilyFeature(
                id: "encryption", title: "customer-managed KMS encryption of definition and execution data",
                keywords: ["kms", "encryption", "encrypted"], enabledByDefault: true),
            FamilyFeature(
                id: "express", title: "an express workflow (high-volume, at most five minutes)",
                keywords: ["express", "express workflow", "high-volume", "high volume", "short-lived"]),
        ],
        plan: StepFunctionsPlan.make)
}

/// The plan behind ``ServiceFamily/stepFunctions``.
enum StepFunctionsPlan {
    /// The default definition: one Pass state, to be replaced by the real workflow.
    static let defaultDefinition =
        #"{"Comment":"Replace with the workflow's definition.","StartAt":"Start","States":{"Start":{"Type":"Pass","End":true}}}"#

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let express = requirements.has("express")
        let account = try P.ref("data.aws_caller_identity.current.account_id")
        let region = try P.ref("data.aws_region.current.name")
        let stateMachineARN = try P.arn(
            "states:", .value(region), ":", .value(account), ":stateMachine:", .value(try P.ref("var.name")))

        let logDeliveryStatement = HCLExpression.object([
            ("Sid", .string("LogDeliveryDecrypt")),
            ("Effect", .string("Allow")),
            ("Principal", .object([("Service", .string("delivery.logs.amazonaws.com"))])),
            ("Action", .string("kms:Decrypt")),
            ("Resource", .string("*")),
            ("Condition", .object([("StringEquals", .object([("aws:SourceAccount", account)]))])),
        ])

        let resources: [Block] = [
            try P.kmsKey(
                description: .template("Encryption of Step Functions state machine ", .value(P.ref("var.name"))),
                serviceStatements: [try P.logsUseStatement(), logDeliveryStatement]),
            try P.logGroup("this", name: .template("/aws/vendedlogs/states/", .value(P.ref("var.name")))),
            try P.serviceRole("this", suffix: "state-machine", trust: "assume"),
            try Block("resource", "aws_iam_role_policy", "this") {
                try Attribute("name", .string("state-machine"))
                try Attribute("role", P.ref("aws_iam_role.this.id"))
                try Attribute("policy", P.ref("data.aws_iam_policy_document.state_machine.json"))
            },
            try P.managedPolicyAttachment("tracing", role: "this", policy: "AWSXRayDaemonWriteAccess"),
            try Block("resource", "aws_sfn_state_machine", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("type", .string(express ? "EXPRESS" : "STANDARD"))
                try Attribute("role_arn", P.ref("aws_iam_role.this.arn"))
                try Attribute("definition", P.ref("var.definition"))
                try Attribute("publish", .bool(true), comments: ["Each change publishes a version, for rollbacks."])
                try Block("logging_configuration") {
                    try Attribute(
                        "log_destination", .template(.value(try P.ref("aws_cloudwatch_log_group.this.arn")), ":*"))
                    try Attribute("include_execution_data", .bool(true))
                    try Attribute("level", .string("ALL"))
                }
                try Block("tracing_configuration") { try Attribute("enabled", .bool(true)) }
                try Block("encryption_configuration") {
                    try Attribute("type", .string("CUSTOMER_MANAGED_KMS_KEY"))
                    try Attribute("kms_key_id", P.ref("local.kms_key_arn"))
                    try Attribute("kms_data_key_reuse_period_seconds", .number(300))
                }
                try Attribute("tags", P.ref("local.tags"))
                try Attribute(
                    "depends_on",
                    .list([
                        try P.ref("aws_iam_role_policy.this"), try P.ref("aws_iam_role_policy_attachment.tracing"),
                    ]))
            },
        ]

        let dataSources: [Block] =
            try P.commonDataSources() + [
                try Block("data", "aws_iam_policy_document", "assume") {
                    try Block("statement") {
                        try Attribute("actions", P.strings(["sts:AssumeRole"]))
                        try Block("principals") {
                            try Attribute("type", .string("Service"))
                            try Attribute("identifiers", P.strings(["states.amazonaws.com"]))
                        }
                        try Block("condition") {
                            try Attribute("test", .string("StringEquals"))
                            try Attribute("variable", .string("aws:SourceAccount"))
                            try Attribute("values", .list([account]))
                        }
                        try Block("condition") {
                            try Attribute("test", .string("ArnLike"))
                            try Attribute("variable", .string("aws:SourceArn"))
                            try Attribute("values", .list([stateMachineARN]))
                        }
                    }
                },
                try Block("data", "aws_iam_policy_document", "state_machine") {
                    try P.statement(
                        sid: "DeliverLogs",
                        actions: [
                            "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                            "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                            "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
                        ],
                        resources: [.string("*")])
                    try Block("statement") {
                        try Attribute("sid", .string("UseKeyForThisStateMachine"))
                        try Attribute("actions", P.strings(["kms:Decrypt", "kms:GenerateDataKey"]))
                        try Attribute("resources", .list([try P.ref("local.kms_key_arn")]))
                        try Block("condition") {
                            try Attribute("test", .string("StringEquals"))
                            try Attribute("variable", .string("kms:EncryptionContext:aws:states:stateMachineArn"))
                            try Attribute("values", .list([stateMachineARN]))
                        }
                    }
                    try Block("dynamic", "statement") {
                        try Attribute(
                            "for_each",
                            .conditional(
                                .binary(.greater, try .call("length", P.ref("var.lambda_function_arns")), .number(0)),
                                .list([.number(1)]), .list([])))
                        try Block("content") {
                            try Attribute("sid", .string("InvokeNamedFunctions"))
                            try Attribute("actions", P.strings(["lambda:InvokeFunction"]))
                            try Attribute(
                                "resources",
                                .call(
                                    "concat", P.ref("var.lambda_function_arns"),
                                    .forList(
                                        "arn", in: P.ref("var.lambda_function_arns"),
                                        yield: .template(.value(try P.ref("arn")), ":*"))))
                        }
                    }
                },
            ]

        let variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the state machine and prefix of its role and log group.",
                pattern: "^[A-Za-z0-9_-]{1,64}$", rule: "1-64 letters, digits, hyphens and underscores"),
            VariableSpec(
                "definition", type: "string",
                description:
                    "Amazon States Language definition (JSON, e.g. from `templatefile`); the default is a single Pass state.",
                default: .string(defaultDefinition),
                validations: [
                    (
                        try .call("can", .call("jsondecode", P.ref("var.definition"))),
                        "definition must be a JSON Amazon States Language document."
                    )
                ]),
            VariableSpec(
                "lambda_function_arns", type: "list(string)",
                description: "Lambda functions the workflow may invoke (each also with its versions and aliases).",
                default: .list([]),
                validations: [
                    (
                        try .call(
                            "alltrue",
                            .forList(
                                "arn", in: P.ref("var.lambda_function_arns"),
                                yield: .call(
                                    "can",
                                    .call(
                                        "regex", .string("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[^:]+$"),
                                        P.ref("arn"))))),
                        "lambda_function_arns must hold unqualified Lambda function ARNs."
                    )
                ]),
            try P.kmsKeyVariable("the definition, the execution data and the logs"),
            try P.logRetentionVariable(),
            P.tagsVariable(),
        ]

        let outputs: [OutputSpec] = [
            OutputSpec(
                "state_machine_arn", description: "ARN of the state machine.",
                value: try P.ref("aws_sfn_state_machine.this.arn")),
            OutputSpec(
                "state_machine_name", description: "Name of the state machine.",
                value: try P.ref("aws_sfn_state_machine.this.name")),
            OutputSpec(
                "state_machine_version_arn", description: "ARN of the version published by the last change.",
                value: try P.ref("aws_sfn_state_machine.this.state_machine_version_arn")),
            OutputSpec(
                "role_name", description: "Name of the state machine's role, for granting what the workflow calls.",
                value: try P.ref("aws_iam_role.this.name")),
            OutputSpec(
                "log_group_name", description: "Log group of the execution logs.",
                value: try P.ref("aws_cloudwatch_log_group.this.name")),
            OutputSpec(
                "kms_key_arn",
                description:
                    "ARN of the KMS key; callers of StartExecution need kms:GenerateDataKey and kms:Decrypt on it.",
                value: try P.ref("local.kms_key_arn")),
        ]

        var notes = [
            express
                ? "An express workflow: executions last at most five minutes and are recorded only in the logs."
                : "A standard workflow: executions may run up to a year, exactly once, with their history kept 90 days.",
            "The role trusts Step Functions only for this account's state machine of this name; it may deliver logs (the vended-log actions, which take no resource), use the key only for this state machine, trace to X-Ray (`AWSXRayDaemonWriteAccess`) and invoke only `lambda_function_arns`.",
            "Every execution event is logged with its input and output (level ALL) to a log group encrypted with KMS and kept `log_retention_days`.",
            "The definition and execution data are encrypted with a customer-managed KMS key (a new key with yearly rotation unless `kms_key_arn` is given).",
            "X-Ray tracing is active.",
            "Each change publishes a new version.",
        ]
        notes.append(
            "Grant anything else the workflow calls (DynamoDB, SQS, other services) to `role_name`, scoped to its resources."
        )

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: dataSources, outputs: outputs, exampleInputs: [("name", .string(requirements.name))],
            securityNotes: notes, optOuts: [])
    }
}
