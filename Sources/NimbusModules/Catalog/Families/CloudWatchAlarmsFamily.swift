import NimbusHCL

extension ServiceFamily {
    /// CloudWatch metric alarms, described as data, that notify a KMS-encrypted SNS topic only CloudWatch (of this
    /// account) may publish to; optionally with e-mail subscriptions.
    public static let cloudwatchAlarms = ServiceFamily(
        id: "cloudwatch-alarms",
        title: "CloudWatch alarms",
        summary:
            "CloudWatch metric alarms with alarm and OK actions on a KMS-encrypted SNS topic that only CloudWatch may publish to; optional e-mail subscriptions",
        keywords: ["cloudwatch alarm", "alarm", "alerting", "alert", "metric alarm", "cloudwatch alert"],
        features: [
            FamilyFeature(
                id: "notifications", title: "notifications on alarm and recovery",
                keywords: ["notification", "notify", "sns", "topic"], enabledByDefault: true),
            FamilyFeature(
                id: "encryption", title: "KMS-encrypted topic", keywords: ["kms", "encryption", "encrypted"],
                enabledByDefault: true),
            FamilyFeature(
                id: "email", title: "e-mail subscriptions",
                keywords: ["email", "e-mail", "mail", "email subscription", "on-call", "oncall"]),
        ],
        plan: CloudWatchAlarmsPlan.make)
}

/// The plan behind ``ServiceFamily/cloudwatchAlarms``.
enum CloudWatchAlarmsPlan {
    static let operators = [
        "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold",
    ]
    static let statistics = ["Average", "Sum", "Minimum", "Maximum", "SampleCount"]
    static let missingData = ["missing", "ignore", "breaching", "notBreaching"]

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let email = requirements.has("email")
        let topicARN = try P.ref("aws_sns_topic.this.arn")
        let each = try P.ref("each.value")

        var resources: [Block] = [
            try P.kmsKey(
                description: .template("Encryption of the alarm topic of ", .value(P.ref("var.name"))),
                serviceStatements: [
                    P.serviceUseStatement(sid: "CloudWatchUsesKey", service: .string("cloudwatch.amazonaws.com"))
                ]),
            try Block("resource", "aws_sns_topic", "this") {
                try Attribute("name", .template(.value(try P.ref("var.name")), "-alarms"))
                try Attribute("kms_master_key_id", P.ref("local.kms_key_arn"))
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_sns_topic_policy", "this") {
                try Attribute("arn", topicARN)
                try Attribute("policy", P.ref("data.aws_iam_policy_document.topic.json"))
            },
            try Block("resource", "aws_cloudwatch_metric_alarm", "this") {
                try Attribute("for_each", P.ref("var.alarms"))
                try Attribute(
                    "alarm_name", .template(.value(try P.ref("var.name")), "-", .value(try P.ref("each.key"))))
                try Attribute("alarm_description", try each.attribute("description"))
                try Attribute("namespace", try each.attribute("namespace"))
                try Attribute("metric_name", try each.attribute("metric_name"))
                try Attribute("dimensions", try each.attribute("dimensions"))
                try Attribute("statistic", try each.attribute("statistic"))
                try Attribute("comparison_operator", try each.attribute("comparison_operator"))
                try Attribute("threshold", try each.attribute("threshold"))
                try Attribute("period", try each.attribute("period"))
                try Attribute("evaluation_periods", try each.attribute("evaluation_periods"))
                try Attribute("treat_missing_data", try each.attribute("treat_missing_data"))
                try Attribute("actions_enabled", .bool(true))
                try Attribute("alarm_actions", .list([topicARN]))
                try Attribute("ok_actions", .list([topicARN]))
                try Attribute("tags", P.ref("local.tags"))
            },
        ]
        if email { resources.append(try P.emailSubscriptions(topicARN: topicARN)) }

        let dataSources: [Block] =
            try P.commonDataSources() + [
                try Block("data", "aws_iam_policy_document", "topic") {
                    try Block("statement") {
                        try Attribute("sid", .string("CloudWatchPublishes"))
                        try Attribute("actions", P.strings(["sns:Publish"]))
                        try Attribute("resources", .list([topicARN]))
                        try Block("principals") {
                            try Attribute("type", .string("Service"))
                            try Attribute("identifiers", P.strings(["cloudwatch.amazonaws.com"]))
                        }
                        try Block("condition") {
                            try Attribute("test", .string("StringEquals"))
                            try Attribute("variable", .string("aws:SourceAccount"))
                            try Attribute("values", .list([try P.ref("data.aws_caller_identity.current.account_id")]))
                        }
                    }
                    try P.denyInsecureTransport(actions: ["sns:Publish"], resources: [topicARN])
                }
            ]

        let alarms = try P.ref("var.alarms")
        func everyAlarm(_ condition: HCLExpression) throws -> HCLExpression {
            try .call("alltrue", .forList("alarm", in: .call("values", alarms), yield: condition))
        }
        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Prefix of the alarms' names and name of the topic (with -alarms).",
                pattern: "^[A-Za-z0-9_-]{1,200}$", rule: "1-200 letters, digits, hyphens and underscores"),
            VariableSpec(
                "alarms",
                type: """
                    map(object({
                      description         = optional(string, "")
                      namespace           = string
                      metric_name         = string
                      dimensions          = optional(map(string), {})
                      statistic           = optional(string, "Average")
                      comparison_operator = string
                      threshold           = number
                      period              = optional(number, 300)
                      evaluation_periods  = optional(number, 3)
                      treat_missing_data  = optional(string, "missing")
                    }))
                    """,
                description: "The alarms, by short name: which metric, how it is compared, and for how long.",
                validations: [
                    (
                        .binary(.greater, try .call("length", alarms), .number(0)),
                        "alarms must hold at least one alarm."
                    ),
                    (
                        try everyAlarm(.call("contains", P.strings(operators), P.ref("alarm.comparison_operator"))),
                        "each comparison_operator must be one of: \(operators.joined(separator: ", "))."
                    ),
                    (
                        try everyAlarm(.call("contains", P.strings(statistics), P.ref("alarm.statistic"))),
                        "each statistic must be one of: \(statistics.joined(separator: ", "))."
                    ),
                    (
                        try everyAlarm(.call("contains", P.strings(missingData), P.ref("alarm.treat_missing_data"))),
                        "each treat_missing_data must be one of: \(missingData.joined(separator: ", "))."
                    ),
                    (
                        try everyAlarm(
                            .binary(
                                .and, .binary(.greaterOrEqual, P.ref("alarm.period"), .number(60)),
                                .binary(.equal, .binary(.modulo, P.ref("alarm.period"), .number(60)), .number(0)))),
                        "each period must be a multiple of 60 seconds."
                    ),
                    (
                        try everyAlarm(.binary(.greaterOrEqual, P.ref("alarm.evaluation_periods"), .number(1))),
                        "each evaluation_periods must be at least 1."
                    ),
                ]),
            try P.kmsKeyVariable("the alarm topic"),
            P.tagsVariable(),
        ]
        if email {
            variables.append(try P.emailAddressesVariable("Addresses notified of alarms and recoveries."))
        }

        let outputs: [OutputSpec] = [
            OutputSpec("topic_arn", description: "ARN of the topic the alarms notify.", value: topicARN),
            OutputSpec(
                "alarm_arns", description: "ARNs of the alarms, by short name.",
                value: try .forObject(
                    key: "name", value: "alarm", in: P.ref("aws_cloudwatch_metric_alarm.this"),
                    yieldKey: P.ref("name"), value: P.ref("alarm.arn"))),
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key of the topic.", value: try P.ref("local.kms_key_arn")),
        ]

        var notes = [
            "Every alarm notifies the topic when it fires and when it recovers.",
            "The topic is encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given, usable by CloudWatch); only CloudWatch, for this account, may publish, and only over TLS.",
            "Alarm definitions are validated: known operators, statistics and missing-data treatments, periods in whole minutes.",
        ]
        if email { notes.append("Each of `email_addresses` must confirm its subscription.") }

        var example: [(name: String, value: HCLExpression)] = [
            ("name", .string(requirements.name)),
            (
                "alarms",
                .object([
                    (
                        "high-cpu",
                        .object([
                            ("description", .string("CPU above 80% for 15 minutes")),
                            ("namespace", .string("AWS/EC2")),
                            ("metric_name", .string("CPUUtilization")),
                            ("dimensions", .object([("InstanceId", .string("i-0123456789abcdef0"))])),
                            ("comparison_operator", .string("GreaterThanThreshold")),
                            ("threshold", .number(80)),
                        ])
                    )
                ])
            ),
        ]
        if email { example.append(("email_addresses", P.strings(["oncall@example.com"]))) }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: dataSources, outputs: outputs, exampleInputs: example, securityNotes: notes, optOuts: [])
    }
}
