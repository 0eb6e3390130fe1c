import NimbusHCL

extension ServiceFamily {
    /// A custom EventBridge bus encrypted with a customer-managed KMS key, with a rule whose event pattern sends
    /// matching events to one target (retried, failures kept in an encrypted dead-letter queue) and bus logs in an
    /// encrypted log group; optionally an encrypted archive, a schedule for the target, and other accounts allowed
    /// to put events.
    public static let eventbridge = ServiceFamily(
        id: "eventbridge",
        title: "EventBridge bus and rules",
        summary:
            "KMS-encrypted custom EventBridge bus with a rule and a target (retries, encrypted dead-letter queue) and bus logs in an encrypted log group; optional archive, EventBridge Scheduler schedule and cross-account producers",
        keywords: [
            "eventbridge event bus", "eventbridge", "event bridge", "event bus", "event rule", "eventbridge rule",
            "cloudwatch events", "eventbridge scheduler", "event router", "event-driven",
        ],
        features: [
            FamilyFeature(
                id: "encryption", title: "customer-managed KMS encryption of bus, queue and archive",
                keywords: ["kms", "encryption", "encrypted"], enabledByDefault: true),
            FamilyFeature(
                id: "dlq", title: "an encrypted dead-letter queue for failed deliveries",
                keywords: ["dlq", "dead-letter queue", "dead letter queue", "dead-letter", "dead letter"],
                enabledByDefault: true),
            FamilyFeature(
                id: "retries", title: "a retry policy",
                keywords: ["retry", "retries", "retry policy", "retried"], enabledByDefault: true),
            FamilyFeature(
                id: "logging", title: "bus logs in an encrypted log group",
                keywords: ["logging", "logs", "log"], enabledByDefault: true),
            FamilyFeature(
                id: "archive", title: "an encrypted event archive for replay",
                keywords: ["archive", "archived", "event archive", "replay", "event replay"]),
            FamilyFeature(
                id: "schedule", title: "an EventBridge Scheduler schedule that also invokes the target",
                keywords: ["schedule", "scheduled", "scheduler", "cron", "rate expression", "periodic"]),
            FamilyFeature(
                id: "cross-account", title: "other accounts allowed to put events",
                keywords: [
                    "cross-account", "cross account", "other accounts", "another account", "central bus",
                    "multi-account",
                ]),
        ],
        plan: EventBridgePlan.make)
}

/// The plan behind ``ServiceFamily/eventbridge``.
enum EventBridgePlan {
    /// What the target's service needs to be invoked, by the ARN's service.
    static let targetActions: [(service: String, actions: [String])] = [
        ("lambda", ["lambda:InvokeFunction"]), ("sqs", ["sqs:SendMessage"]), ("sns", ["sns:Publish"]),
        ("states", ["states:StartExecution"]), ("kinesis", ["kinesis:PutRecord", "kinesis:PutRecords"]),
        ("events", ["events:PutEvents"]),
    ]
    /// Targets EventBridge rules reach through a role; the others take a resource policy.
    static let roleTargets = ["states", "kinesis", "events"]
    static let logTypes = ["ERROR_LOGS", "INFO_LOGS", "TRACE_LOGS"]

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let logging = requirements.has("logging")
        let archive = requirements.has("archive")
        let schedule = requirements.has("schedule")
        let crossAccount = requirements.has("cross-account")
        let account = try P.ref("data.aws_caller_identity.current.account_id")
        let busARN = try P.ref("aws_cloudwatch_event_bus.this.arn")
        let ruleARN = try P.ref("aws_cloudwatch_event_rule.this.arn")
        let dlqARN = try P.ref("aws_sqs_queue.dlq.arn")

        func retryPolicy() throws -> Block {
            try Block("retry_policy") {
                try Attribute("maximum_event_age_in_seconds", P.ref("var.maximum_event_age_seconds"))
                try Attribute("maximum_retry_attempts", P.ref("var.maximum_retry_attempts"))
            }
        }

        var serviceStatements = [
            P.serviceUseStatement(
                sid: "EventBridgeUseKey", service: .string("events.amazonaws.com"),
                condition: ("StringEquals", "aws:SourceAccount", account))
        ]
        if logging { serviceStatements.insert(try P.logsUseStatement(), at: 0) }

        var resources: [Block] = [
            try P.kmsKey(
                description: .template("Encryption of EventBridge bus ", .value(P.ref("var.name"))),
                serviceStatements: serviceStatements),
            try Block(
                "resource", "aws_sqs_queue", "dlq",
                comments: ["Events the bus or the target could not take, kept 14 days."]
            ) {
                try Attribute("name", .template(.value(P.ref("var.name")), "-eventbridge-dlq"))
                try Attribute("kms_master_key_id", P.ref("local.kms_key_arn"))
                try Attribute("kms_data_key_reuse_period_seconds", .number(300))
                try Attribute("message_retention_seconds", .number(1_209_600))
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_sqs_queue_policy", "dlq") {
                try Attribute("queue_url", P.ref("aws_sqs_queue.dlq.id"))
                try Attribute("policy", P.ref("data.aws_iam_policy_document.dlq.json"))
            },
            try Block("resource", "aws_cloudwatch_event_bus", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("description", P.ref("var.description"))
                try Attribute("kms_key_identifier", P.ref("local.kms_key_arn"))
                try Block("dead_letter_config") { try Attribute("arn", dlqARN) }
                if logging {
                    try Block("log_config") {
                        try Attribute("level", P.ref("var.log_level"))
                        try Attribute(
                            "include_detail",
                            .conditional(try P.ref("var.log_include_detail"), .string("FULL"), .string("NONE")))
                    }
                }
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_cloudwatch_event_rule", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("description", P.ref("var.description"))
                try Attribute("event_bus_name", P.ref("aws_cloudwatch_event_bus.this.name"))
                try Attribute("event_pattern", P.ref("var.event_pattern"))
                try Attribute("state", .string("ENABLED"))
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_cloudwatch_event_target", "this") {
                try Attribute("rule", P.ref("aws_cloudwatch_event_rule.this.name"))
                try Attribute("event_bus_name", P.ref("aws_cloudwatch_event_bus.this.name"))
                try Attribute("target_id", .string("primary"))
                try Attribute("arn", P.ref("var.target_arn"))
                try Attribute(
                    "role_arn",
                    .conditional(try P.ref("local.target_uses_role"), try P.ref("aws_iam_role.target.0.arn"), .null))
                try Block("dead_letter_config") { try Attribute("arn", dlqARN) }
                try retryPolicy()
            },
            try Block(
                "resource", "aws_iam_role", "target",
                comments: [
                    "Only for targets EventBridge reaches through a role (Step Functions, Kinesis, event buses)."
                ]
            ) {
                try Attribute("count", P.countIf(try P.ref("local.target_uses_role")))
                try Attribute("name", .template(.value(P.ref("var.name")), "-events-target"))
                try Attribute("assume_role_policy", P.ref("data.aws_iam_policy_document.events_assume.json"))
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_iam_role_policy", "target") {
                try Attribute("count", P.countIf(try P.ref("local.target_uses_role")))
                try Attribute("name", .string("invoke-target"))
                try Attribute("role", P.ref("aws_iam_role.target.0.id"))
                try Attribute("policy", P.ref("data.aws_iam_policy_document.invoke_target.json"))
            },
            try Block(
                "resource", "aws_lambda_permission", "target",
                comments: ["A Lambda target may be invoked by this rule only."]
            ) {
                try Attribute(
                    "count", P.countIf(.binary(.equal, try P.ref("local.target_service"), .string("lambda"))))
                try Attribute("statement_id", .template("AllowEventBridge-", .value(try P.ref("var.name"))))
                try Attribute("action", .string("lambda:InvokeFunction"))
                try Attribute("function_name", P.ref("var.target_arn"))
                try Attribute("principal", .string("events.amazonaws.com"))
                try Attribute("source_arn", ruleARN)
                try Attribute("source_account", account)
            },
        ]

        if logging {
            resources += [
                try P.logGroup(
                    "this", name: .template("/aws/vendedlogs/events/event-bus/", .value(P.ref("var.name")))),
                try Block(
                    "resource", "aws_cloudwatch_log_resource_policy", "this",
                    comments: ["Lets CloudWatch Logs deliver this bus's logs into its log group only."]
                ) {
                    try Attribute("policy_name", .template("AWSLogDeliveryWrite-", .value(try P.ref("var.name"))))
                    try Attribute("policy_document", P.ref("data.aws_iam_policy_document.log_delivery.json"))
                },
            ]
            for type in logTypes {
                resources.append(
                    try Block("resource", "aws_cloudwatch_log_delivery_source", type.lowercased()) {
                        try Attribute(
                            "name",
                            .template(
                                .value(try P.ref("var.name")),
                                "-\(type.lowercased().replacingOccurrences(of: "_", with: "-"))"))
                        try Attribute("log_type", .string(type))
                        try Attribute("resource_arn", busARN)
                        try Attribute("tags", P.ref("local.tags"))
                    })
            }
            resources.append(
                try Block("resource", "aws_cloudwatch_log_delivery_destination", "this") {
                    try Attribute("name", .template(.value(try P.ref("var.name")), "-cwlogs"))
                    try Block("delivery_destination_configuration") {
                        try Attribute("destination_resource_arn", P.ref("aws_cloudwatch_log_group.this.arn"))
                    }
                    try Attribute("tags", P.ref("local.tags"))
                })
            for (index, type) in logTypes.enumerated() {
                let label = type.lowercased()
                resources.append(
                    try Block(
                        "resource", "aws_cloudwatch_log_delivery", label,
                        comments: index == 0 ? ["Deliveries to one destination are made one after the other."] : []
                    ) {
                        try Attribute(
                            "delivery_destination_arn", P.ref("aws_cloudwatch_log_delivery_destination.this.arn"))
                        try Attribute("delivery_source_name", P.ref("aws_cloudwatch_log_delivery_source.\(label).name"))
                        try Attribute("tags", P.ref("local.tags"))
                        let after: [HCLExpression] =
                            [try P.ref("aws_cloudwatch_log_resource_policy.this")]
                            + (index > 0
                                ? [try P.ref("aws_cloudwatch_log_delivery.\(logTypes[index - 1].lowercased())")] : [])
                        try Attribute("depends_on", .list(after))
                    })
            }
        }
        if archive {
            resources.append(
                try Block("resource", "aws_cloudwatch_event_archive", "this") {
                    try Attribute("name", P.ref("var.name"))
                    try Attribute(
                        "description", .template("Events of bus ", .value(try P.ref("var.name")), ", for replay"))
                    try Attribute("event_source_arn", busARN)
                    try Attribute("retention_days", P.ref("var.archive_retention_days"))
                    try Attribute("kms_key_identifier", P.ref("local.kms_key_arn"))
                })
        }
        if schedule {
            resources += [
                try P.serviceRole("scheduler", suffix: "scheduler", trust: "scheduler_assume"),
                try Block("resource", "aws_iam_role_policy", "scheduler") {
                    try Attribute("name", .string("invoke-target"))
                    try Attribute("role", P.ref("aws_iam_role.scheduler.id"))
                    try Attribute("policy", P.ref("data.aws_iam_policy_document.scheduler.json"))
                },
                try Block("resource", "aws_scheduler_schedule_group", "this") {
                    try Attribute("name", P.ref("var.name"))
                    try Attribute("tags", P.ref("local.tags"))
                },
                try Block("resource", "aws_scheduler_schedule", "this") {
                    try Attribute("name", P.ref("var.name"))
                    try Attribute("group_name", P.ref("aws_scheduler_schedule_group.this.name"))
                    try Attribute("description", P.ref("var.description"))
                    try Attribute("schedule_expression", P.ref("var.schedule_expression"))
                    try Attribute("schedule_expression_timezone", P.ref("var.schedule_timezone"))
                    try Attribute("state", .string("ENABLED"))
                    try Attribute("kms_key_arn", P.ref("local.kms_key_arn"))
                    try Block("flexible_time_window") { try Attribute("mode", .string("OFF")) }
                    try Block("target") {
                        try Attribute("arn", P.ref("var.target_arn"))
                        try Attribute("role_arn", P.ref("aws_iam_role.scheduler.arn"))
                        try Block("dead_letter_config") { try Attribute("arn", dlqARN) }
                        try retryPolicy()
                    }
                    try Attribute("depends_on", .list([try P.ref("aws_iam_role_policy.scheduler")]))
                },
            ]
        }
        if crossAccount {
            resources.append(
                try Block("resource", "aws_cloudwatch_event_bus_policy", "this") {
                    try Attribute("event_bus_name", P.ref("aws_cloudwatch_event_bus.this.name"))
                    try Attribute("policy", P.ref("data.aws_iam_policy_document.bus.json"))
                })
        }

        func assume(_ label: String, service: String, sourceARN: HCLExpression?) throws -> Block {
            try Block("data", "aws_iam_policy_document", label) {
                try Block("statement") {
                    try Attribute("actions", P.strings(["sts:AssumeRole"]))
                    try Block("principals") {
                        try Attribute("type", .string("Service"))
                        try Attribute("identifiers", P.strings([service]))
                    }
                    try Block("condition") {
                        try Attribute("test", .string("StringEquals"))
                        try Attribute("variable", .string("aws:SourceAccount"))
                        try Attribute("values", .list([account]))
                    }
                    if let sourceARN {
                        try Block("condition") {
                            try Attribute("test", .string("ArnLike"))
                            try Attribute("variable", .string("aws:SourceArn"))
                            try Attribute("values", .list([sourceARN]))
                        }
                    }
                }
            }
        }

        var dataSources: [Block] =
            try P.commonDataSources() + [
                try Block("data", "aws_iam_policy_document", "dlq") {
                    try Block("statement") {
                        try Attribute("sid", .string("EventBridgeSendsFailures"))
                        try Attribute("actions", P.strings(["sqs:SendMessage"]))
                        try Attribute("resources", .list([dlqARN]))
                        try Block("principals") {
                            try Attribute("type", .string("Service"))
                            try Attribute("identifiers", P.strings(["events.amazonaws.com"]))
                        }
                        try Block("condition") {
                            try Attribute("test", .string("ArnEquals"))
                            try Attribute("variable", .string("aws:SourceArn"))
                            try Attribute("values", .list([ruleARN, busARN]))
                        }
                    }
                    try P.denyInsecureTransport(actions: ["sqs:*"], resources: [dlqARN])
                },
                try assume("events_assume", service: "events.amazonaws.com", sourceARN: ruleARN),
                try Block("data", "aws_iam_policy_document", "invoke_target") {
                    try Block("statement") {
                        try Attribute("sid", .string("InvokeTarget"))
                        try Attribute("actions", P.ref("local.target_actions"))
                        try Attribute("resources", .list([try P.ref("var.target_arn")]))
                    }
                },
            ]
        if logging {
            dataSources.append(
                try Block("data", "aws_iam_policy_document", "log_delivery") {
                    try Block("statement") {
                        try Attribute("sid", .string("DeliverBusLogs"))
                        try Attribute("actions", P.strings(["logs:CreateLogStream", "logs:PutLogEvents"]))
                        try Attribute(
                            "resources",
                            .list([.template(.value(try P.ref("aws_cloudwatch_log_group.this.arn")), ":log-stream:*")]))
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
                            try Attribute(
                                "values",
                                .list(
                                    try logTypes.map {
                                        try P.ref("aws_cloudwatch_log_delivery_source.\($0.lowercased()).arn")
                                    }))
                        }
                    }
                })
        }
        if schedule {
            let scheduleARN = try P.arn(
                "scheduler:", .value(try P.ref("data.aws_region.current.name")), ":", .value(account),
                ":schedule/", .value(try P.ref("var.name")), "/", .value(try P.ref("var.name")))
            dataSources += [
                try assume("scheduler_assume", service: "scheduler.amazonaws.com", sourceARN: scheduleARN),
                try Block("data", "aws_iam_policy_document", "scheduler") {
                    try Block("statement") {
                        try Attribute("sid", .string("InvokeTarget"))
                        try Attribute("actions", P.ref("local.target_actions"))
                        try Attribute("resources", .list([try P.ref("var.target_arn")]))
                    }
                    try P.statement(sid: "SendFailures", actions: ["sqs:SendMessage"], resources: [dlqARN])
                    try P.statement(
                        sid: "UseKey", actions: ["kms:Decrypt", "kms:GenerateDataKey"],
                        resources: [try P.ref("local.kms_key_arn")])
                },
            ]
        }
        if crossAccount {
            dataSources.append(
                try Block("data", "aws_iam_policy_document", "bus") {
                    try Block("statement") {
                        try Attribute("sid", .string("AllowNamedAccountsToPutEvents"))
                        try Attribute("actions", P.strings(["events:PutEvents"]))
                        try Attribute("resources", .list([busARN]))
                        try Block("principals") {
                            try Attribute("type", .string("AWS"))
                            try Attribute(
                                "identifiers",
                                .forList(
                                    "account", in: P.ref("var.allowed_source_account_ids"),
                                    yield: try P.arn("iam::", .value(try P.ref("account")), ":root")))
                        }
                    }
                })
        }

        let locals: [LocalSpec] = [
            try P.tagsLocal(requirements), try P.kmsKeyLocal(),
            LocalSpec(
                "target_service",
                try .call("element", .call("split", .string(":"), P.ref("var.target_arn")), .number(2))),
            LocalSpec(
                "target_actions",
                try .call(
                    "lookup", .object(targetActions.map { ($0.service, P.strings($0.actions)) }),
                    P.ref("local.target_service"))),
            LocalSpec("target_uses_role", try .call("contains", P.strings(roleTargets), P.ref("local.target_service"))),
        ]

        let services = targetActions.map(\.service).joined(separator: "|")
        var variables: [VariableSpec] = [
            try P.nameVariable(
                description:
                    "Name of the bus, its rule, queue, roles, log deliveries\(archive ? ", archive" : "")\(schedule ? " and schedule" : "").",
                pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$",
                rule: "1-32 letters, digits, hyphens and underscores, starting with a letter or digit"),
            VariableSpec(
                "description", type: "string", description: "What the bus and its rule carry.",
                default: .string("Managed by Terraform")),
            VariableSpec(
                "event_pattern", type: "string",
                description: "Event pattern (JSON) of the events the rule sends to the target.",
                validations: [
                    (
                        try .call("can", .call("jsondecode", P.ref("var.event_pattern"))),
                        "event_pattern must be a JSON event pattern."
                    )
                ]),
            VariableSpec(
                "target_arn", type: "string",
                description:
                    "ARN of the target: a Lambda function, standard SQS queue, SNS topic, Step Functions state machine, Kinesis stream or event bus in this account. An SQS queue's or SNS topic's own policy (and key policy, if encrypted with a customer key) must let events.amazonaws.com send with `aws:SourceArn` = `rule_arn`; a Kinesis stream's customer key must let the target role generate data keys.",
                validations: [
                    (
                        try .call(
                            "can",
                            .call(
                                "regex", .string("^arn:aws[a-z-]*:(\(services)):[a-z0-9-]+:[0-9]{12}:"),
                                P.ref("var.target_arn"))),
                        "target_arn must be a Lambda, SQS, SNS, Step Functions, Kinesis or EventBridge ARN."
                    )
                ]),
            try P.numberVariable(
                "maximum_retry_attempts",
                description: "Retries of a failed delivery before it goes to the dead-letter queue.",
                default: 185, minimum: 0, maximum: 185),
            try P.numberVariable(
                "maximum_event_age_seconds",
                description: "Age after which an undelivered event goes to the dead-letter queue.",
                default: 86400, minimum: 60, maximum: 86400),
            try P.kmsKeyVariable(
                "the bus, the dead-letter queue\(archive ? ", the archive" : "")\(schedule ? ", the schedule" : "") and the logs"
            ),
            P.tagsVariable(),
        ]
        if logging {
            variables += [
                try P.choiceVariable(
                    "log_level", description: "Bus log level: ERROR (failures), INFO (every step) or TRACE (all).",
                    default: "ERROR", choices: ["ERROR", "INFO", "TRACE"]),
                VariableSpec(
                    "log_include_detail", type: "bool",
                    description: "Whether logs carry event details and target input (may hold personal data).",
                    default: .bool(false)),
                try P.logRetentionVariable(),
            ]
        }
        if archive {
            variables.append(
                try P.numberVariable(
                    "archive_retention_days", description: "Days the archive keeps events (0 keeps them indefinitely).",
                    default: 365, minimum: 0))
        }
        if schedule {
            variables += [
                VariableSpec(
                    "schedule_expression", type: "string",
                    description:
                        "When the schedule invokes the target: `rate(1 hour)`, `cron(0 6 * * ? *)` or `at(2030-01-01T00:00:00)`.",
                    validations: [
                        (
                            try .call(
                                "can",
                                .call("regex", .string("^(rate|cron|at)\\(.+\\)$"), P.ref("var.schedule_expression"))),
                            "schedule_expression must be rate(...), cron(...) or at(...)."
                        )
                    ]),
                VariableSpec(
                    "schedule_timezone", type: "string",
                    description: "Time zone of cron and at expressions (IANA name).",
                    default: .string("UTC")),
            ]
        }
        if crossAccount {
            variables.append(
                VariableSpec(
                    "allowed_source_account_ids", type: "list(string)",
                    description: "Accounts whose principals may put events on the bus.",
                    validations: [
                        (
                            .binary(
                                .and,
                                .binary(
                                    .greaterOrEqual, try .call("length", P.ref("var.allowed_source_account_ids")),
                                    .number(1)),
                                try .call(
                                    "alltrue",
                                    .forList(
                                        "account", in: P.ref("var.allowed_source_account_ids"),
                                        yield: .call("can", .call("regex", .string("^[0-9]{12}$"), P.ref("account")))))),
                            "allowed_source_account_ids must hold at least one 12-digit account id."
                        )
                    ]))
        }

        var outputs: [OutputSpec] = [
            OutputSpec(
                "event_bus_name", description: "Name of the bus.",
                value: try P.ref("aws_cloudwatch_event_bus.this.name")),
            OutputSpec("event_bus_arn", description: "ARN of the bus, for producers' events:PutEvents.", value: busARN),
            OutputSpec(
                "rule_arn", description: "ARN of the rule, the `aws:SourceArn` its target sees.", value: ruleARN),
            OutputSpec("dead_letter_queue_arn", description: "ARN of the dead-letter queue.", value: dlqARN),
            OutputSpec(
                "dead_letter_queue_url", description: "URL of the dead-letter queue.",
                value: try P.ref("aws_sqs_queue.dlq.id")),
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key; producers need kms:GenerateDataKey on it.",
                value: try P.ref("local.kms_key_arn")),
        ]
        if logging {
            outputs.append(
                OutputSpec(
                    "log_group_name", description: "Log group of the bus logs.",
                    value: try P.ref("aws_cloudwatch_log_group.this.name")))
        }
        if archive {
            outputs.append(
                OutputSpec(
                    "archive_arn", description: "ARN of the archive, to start replays from.",
                    value: try P.ref("aws_cloudwatch_event_archive.this.arn")))
        }
        if schedule {
            outputs.append(
                OutputSpec(
                    "schedule_arn", description: "ARN of the schedule.",
                    value: try P.ref("aws_scheduler_schedule.this.arn")))
        }

        var notes = [
            "The bus, its dead-letter queue\(archive ? ", its archive" : "")\(schedule ? " and the schedule" : "") are encrypted with a customer-managed KMS key (a new key with yearly rotation unless `kms_key_arn` is given); EventBridge may use the key only for this account.",
            "The rule sends matching events to `target_arn`, retrying up to `maximum_retry_attempts` times for `maximum_event_age_seconds`; what still fails, and events the bus cannot process, go to the encrypted dead-letter queue, which only this rule and bus may write to and which refuses requests without TLS.",
            "A Lambda target may be invoked by this rule only; Step Functions, Kinesis and event-bus targets are reached through a role that trusts EventBridge for this rule only and may invoke only the target.",
            "Without a bus policy, only this account may put events on the bus.",
        ]
        if logging {
            notes.append(
                "Bus logs (`log_level`, without event detail unless `log_include_detail`) are delivered to a log group encrypted with the key and kept `log_retention_days`; the delivery policy admits only this bus's log sources (it takes one of the region's ten CloudWatch Logs resource policies)."
            )
        }
        if archive {
            notes.append(
                "An archive keeps the bus's events `archive_retention_days` for replay, encrypted with the key.")
        }
        if schedule {
            notes.append(
                "An EventBridge Scheduler schedule (encrypted with the key) also invokes the target, through a role that trusts the scheduler for this schedule only; failures go to the dead-letter queue."
            )
        }
        if crossAccount {
            notes.append(
                "The bus policy lets principals of `allowed_source_account_ids` (only) put events on this bus.")
        }

        var example: [(name: String, value: HCLExpression)] = [
            ("name", .string(requirements.name)),
            ("event_pattern", try .call("jsonencode", .object([("source", P.strings(["com.example.orders"]))]))),
            ("target_arn", .string("arn:aws:sqs:eu-west-1:111122223333:orders-events")),
        ]
        if schedule { example.append(("schedule_expression", .string("rate(1 hour)"))) }
        if crossAccount { example.append(("allowed_source_account_ids", P.strings(["444455556666"]))) }

        return ModulePlan(
            resources: resources, variables: variables, locals: locals, dataSources: dataSources, outputs: outputs,
            exampleInputs: example, securityNotes: notes, optOuts: [])
    }
}
