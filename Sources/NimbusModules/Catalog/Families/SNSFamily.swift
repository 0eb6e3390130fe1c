import NimbusHCL

extension ServiceFamily {
    /// An SNS topic encrypted with KMS whose policy allows only TLS and only this account (and named services) to
    /// publish; optionally FIFO and with e-mail subscriptions.
    public static let sns = ServiceFamily(
        id: "sns",
        title: "SNS topic",
        summary:
            "KMS-encrypted SNS topic that only this account and named services may publish to, over TLS; optional FIFO and e-mail subscriptions",
        keywords: [
            "sns", "topic", "sns topic", "pub-sub", "pubsub", "publish subscribe", "notification topic", "fan-out",
        ],
        features: [
            FamilyFeature(
                id: "encryption", title: "KMS encryption", keywords: ["kms", "encryption", "encrypted", "sse"],
                enabledByDefault: true),
            FamilyFeature(
                id: "tls-only", title: "TLS-only, account-only topic policy",
                keywords: ["tls", "https", "ssl", "tls-only", "secure transport", "private"], enabledByDefault: true),
            FamilyFeature(
                id: "fifo", title: "FIFO ordering and deduplication",
                keywords: ["fifo", "ordered", "ordering", "exactly-once", "exactly once", "deduplication"]),
            FamilyFeature(
                id: "email", title: "e-mail subscriptions",
                keywords: ["email", "e-mail", "email subscription", "mail", "subscribers", "subscriptions"]),
        ],
        plan: SNSPlan.make)
}

/// The plan behind ``ServiceFamily/sns``.
enum SNSPlan {
    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let fifo = requirements.has("fifo")
        let email = requirements.has("email")
        let topicARN = try P.ref("aws_sns_topic.this.arn")

        var resources: [Block] = [
            try P.kmsKey(
                description: .template("Encryption of SNS topic ", .value(P.ref("var.name"))),
                extraStatements: try publisherKeyStatements()),
            try Block("resource", "aws_sns_topic", "this") {
                try Attribute("name", .template(.value(P.ref("var.name")), fifo ? ".fifo" : ""))
                if fifo {
                    try Attribute("fifo_topic", .bool(true))
                    try Attribute("content_based_deduplication", .bool(true))
                }
                try Attribute("kms_master_key_id", P.ref("local.kms_key_arn"))
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_sns_topic_policy", "this") {
                try Attribute("arn", topicARN)
                try Attribute("policy", P.ref("data.aws_iam_policy_document.topic.json"))
            },
        ]
        if email { resources.append(try P.emailSubscriptions(topicARN: topicARN)) }

        let accountID = try P.ref("data.aws_caller_identity.current.account_id")
        let dataSources: [Block] =
            try P.commonDataSources() + [
                try Block("data", "aws_iam_policy_document", "topic") {
                    try Block("statement") {
                        try Attribute("sid", .string("AccountPublishes"))
                        try Attribute("actions", P.strings(["sns:Publish"]))
                        try Attribute("resources", .list([topicARN]))
                        try Block("principals") {
                            try Attribute("type", .string("AWS"))
                            try Attribute("identifiers", .list([try P.accountRoot()]))
                        }
                    }
                    try Block("dynamic", "statement") {
                        try Attribute(
                            "for_each",
                            .conditional(
                                .binary(.greater, .call("length", P.ref("var.publisher_services")), .number(0)),
                                .list([try P.ref("var.publisher_services")]), .list([])))
                        try Block("content") {
                            try Attribute("sid", .string("ServicesPublish"))
                            try Attribute("actions", P.strings(["sns:Publish"]))
                            try Attribute("resources", .list([topicARN]))
                            try Block("principals") {
                                try Attribute("type", .string("Service"))
                                try Attribute("identifiers", P.ref("statement.value"))
                            }
                            try Block("condition") {
                                try Attribute("test", .string("StringEquals"))
                                try Attribute("variable", .string("aws:SourceAccount"))
                                try Attribute("values", .list([accountID]))
                            }
                        }
                    }
                    try P.denyInsecureTransport(actions: ["sns:Publish"], resources: [topicARN])
                }
            ]

        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the topic\(fifo ? " (without .fifo)" : "").", pattern: "^[A-Za-z0-9_-]{1,251}$",
                rule: "1-251 letters, digits, hyphens and underscores"),
            VariableSpec(
                "publisher_services", type: "list(string)",
                description:
                    "AWS services that may publish on this account's behalf (cloudwatch.amazonaws.com, events.amazonaws.com); they may use the key too.",
                default: .list([]),
                validations: [
                    (
                        try .call(
                            "alltrue",
                            .forList(
                                "service", in: P.ref("var.publisher_services"),
                                yield: .call("endswith", P.ref("service"), .string(".amazonaws.com")))),
                        "publisher_services must be service principals such as events.amazonaws.com."
                    )
                ]),
            try P.kmsKeyVariable("the topic"),
            P.tagsVariable(),
        ]
        if email {
            variables.append(try P.emailAddressesVariable("Addresses subscribed to the topic."))
        }

        let outputs: [OutputSpec] = [
            OutputSpec("topic_arn", description: "ARN of the topic.", value: topicARN),
            OutputSpec("topic_name", description: "Name of the topic.", value: try P.ref("aws_sns_topic.this.name")),
            OutputSpec(
                "kms_key_arn",
                description: "ARN of the KMS key; publishers need kms:GenerateDataKey and kms:Decrypt on it.",
                value: try P.ref("local.kms_key_arn")),
        ]

        var notes = [
            "Messages are encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given).",
            "Only this account, and the `publisher_services` on its behalf, may publish; every request not made over TLS is denied.",
        ]
        if fifo { notes.append("A FIFO topic with content-based deduplication keeps order and drops duplicates.") }
        if email { notes.append("Each of `email_addresses` must confirm its subscription.") }

        var example: [(name: String, value: HCLExpression)] = [("name", .string(requirements.name))]
        if email { example.append(("email_addresses", P.strings(["platform-team@example.com"]))) }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: dataSources, outputs: outputs, exampleInputs: example, securityNotes: notes, optOuts: [])
    }

    /// Key policy statements that let the publishing services encrypt messages: one statement, only when any.
    static func publisherKeyStatements() throws -> HCLExpression {
        typealias P = FamilyParts
        return .conditional(
            .binary(.greater, try .call("length", P.ref("var.publisher_services")), .number(0)),
            .list([P.serviceUseStatement(sid: "PublishersUseKey", service: try P.ref("var.publisher_services"))]),
            .list([]))
    }
}
