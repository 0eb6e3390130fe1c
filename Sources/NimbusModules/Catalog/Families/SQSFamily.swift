import NimbusHCL

extension ServiceFamily {
    /// An SQS queue encrypted with KMS, with a dead-letter queue and a TLS-only policy; optionally FIFO.
    public static let sqs = ServiceFamily(
        id: "sqs",
        title: "SQS queue",
        summary: "KMS-encrypted SQS queue with a dead-letter queue and a TLS-only queue policy; optional FIFO",
        keywords: ["sqs", "queue", "message queue", "sqs queue"],
        features: [
            FamilyFeature(
                id: "dlq", title: "dead-letter queue",
                keywords: ["dlq", "dead-letter queue", "dead letter queue", "dead-letter", "dead letter", "redrive"],
                enabledByDefault: true),
            FamilyFeature(
                id: "encryption", title: "KMS encryption", keywords: ["kms", "encryption", "encrypted", "sse"],
                enabledByDefault: true),
            FamilyFeature(
                id: "tls-only", title: "TLS-only queue policy",
                keywords: ["tls", "https", "ssl", "tls-only", "secure transport"], enabledByDefault: true),
            FamilyFeature(
                id: "fifo", title: "FIFO ordering and deduplication",
                keywords: ["fifo", "ordered", "ordering", "exactly-once", "exactly once", "deduplication"]),
            // Turned on by a composition that sends an S3 bucket's events to the queue.
            FamilyFeature(id: "bucket-events", title: "S3 bucket events", keywords: []),
        ],
        plan: SQSPlan.make)
}

/// The plan behind ``ServiceFamily/sqs``.
enum SQSPlan {
    /// Key policy statements that let S3 encrypt the events it sends, on this account's behalf, once any bucket
    /// may send them.
    static func bucketKeyStatements() throws -> HCLExpression {
        typealias P = FamilyParts
        return try .conditional(
            .binary(.greater, .call("length", P.ref("var.sender_bucket_arns")), .number(0)),
            .list([
                P.serviceUseStatement(
                    sid: "S3EncryptsEvents", service: .string("s3.amazonaws.com"),
                    condition: (
                        "StringEquals", "aws:SourceAccount", try P.ref("data.aws_caller_identity.current.account_id")
                    ))
            ]), .list([]))
    }

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let fifo = requirements.has("fifo")
        let bucketEvents = requirements.has("bucket-events")
        let queueARN = try P.ref("aws_sqs_queue.this.arn")
        let suffix = fifo ? ".fifo" : ""

        func queue(
            _ label: String, name: HCLExpression, retention: String, extra: () throws -> [BodyItem]
        ) throws
            -> Block
        {
            try Block("resource", "aws_sqs_queue", label) {
                try Attribute("name", name)
                if fifo {
                    try Attribute("fifo_queue", .bool(true))
                    try Attribute("content_based_deduplication", .bool(true))
                }
                try Attribute("kms_master_key_id", P.ref("local.kms_key_arn"))
                try Attribute("kms_data_key_reuse_period_seconds", .number(300))
                try Attribute("message_retention_seconds", P.ref(retention))
                try extra()
                try Attribute("tags", P.ref("local.tags"))
            }
        }

        let resources: [Block] = [
            try P.kmsKey(
                description: .template("Encryption of SQS queue ", .value(P.ref("var.name"))),
                extraStatements: bucketEvents ? try bucketKeyStatements() : nil),
            try queue(
                "dlq", name: .template(.value(try P.ref("var.name")), "-dlq\(suffix)"),
                retention: "var.dlq_message_retention_seconds"
            ) {
                []
            },
            try queue(
                "this", name: .template(.value(try P.ref("var.name")), .text(suffix)),
                retention: "var.message_retention_seconds"
            ) {
                [
                    .attribute(try Attribute("visibility_timeout_seconds", P.ref("var.visibility_timeout_seconds"))),
                    .attribute(try Attribute("receive_wait_time_seconds", .number(20))),
                    .attribute(
                        try Attribute(
                            "redrive_policy",
                            .call(
                                "jsonencode",
                                .object([
                                    ("deadLetterTargetArn", try P.ref("aws_sqs_queue.dlq.arn")),
                                    ("maxReceiveCount", try P.ref("var.max_receive_count")),
                                ])))),
                ]
            },
            try Block(
                "resource", "aws_sqs_queue_redrive_allow_policy", "dlq",
                comments: ["Only this queue may send its failures to the dead-letter queue."]
            ) {
                try Attribute("queue_url", P.ref("aws_sqs_queue.dlq.id"))
                try Attribute(
                    "redrive_allow_policy",
                    .call(
                        "jsonencode",
                        .object([
                            ("redrivePermission", .string("byQueue")),
                            ("sourceQueueArns", .list([try P.ref("aws_sqs_queue.this.arn")])),
                        ])))
            },
            try Block("resource", "aws_sqs_queue_policy", "this") {
                try Attribute("queue_url", P.ref("aws_sqs_queue.this.id"))
                try Attribute("policy", P.ref("data.aws_iam_policy_document.queue.json"))
            },
            try Block("resource", "aws_sqs_queue_policy", "dlq") {
                try Attribute("queue_url", P.ref("aws_sqs_queue.dlq.id"))
                try Attribute("policy", P.ref("data.aws_iam_policy_document.dlq.json"))
            },
        ]

        let dataSources: [Block] =
            try P.commonDataSources() + [
                try Block("data", "aws_iam_policy_document", "queue") {
                    if bucketEvents {
                        try Block("dynamic", "statement") {
                            try Attribute(
                                "for_each",
                                .conditional(
                                    .binary(.greater, .call("length", P.ref("var.sender_bucket_arns")), .number(0)),
                                    .list([.number(1)]), .list([])))
                            try Block("content") {
                                try Attribute("sid", .string("BucketsSendEvents"))
                                try Attribute("actions", P.strings(["sqs:SendMessage"]))
                                try Attribute("resources", .list([queueARN]))
                                try Block("principals") {
                                    try Attribute("type", .string("Service"))
                                    try Attribute("identifiers", P.strings(["s3.amazonaws.com"]))
                                }
                                try Block("condition") {
                                    try Attribute("test", .string("ArnLike"))
                                    try Attribute("variable", .string("aws:SourceArn"))
                                    try Attribute("values", P.ref("var.sender_bucket_arns"))
                                }
                                try Block("condition") {
                                    try Attribute("test", .string("StringEquals"))
                                    try Attribute("variable", .string("aws:SourceAccount"))
                                    try Attribute(
                                        "values", .list([try P.ref("data.aws_caller_identity.current.account_id")]))
                                }
                            }
                        }
                    }
                    try P.denyInsecureTransport(actions: ["sqs:*"], resources: [queueARN])
                },
                try Block("data", "aws_iam_policy_document", "dlq") {
                    try P.denyInsecureTransport(actions: ["sqs:*"], resources: [try P.ref("aws_sqs_queue.dlq.arn")])
                },
            ]

        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the queue\(fifo ? " (without .fifo)" : ""); the dead-letter queue adds -dlq.",
                pattern: "^[A-Za-z0-9_-]{1,70}$", rule: "1-70 letters, digits, hyphens and underscores"),
            try P.numberVariable(
                "visibility_timeout_seconds",
                description: "How long a received message stays hidden; at least the consumer's timeout.", default: 60,
                minimum: 0, maximum: 43200),
            try P.numberVariable(
                "message_retention_seconds", description: "How long messages are kept.", default: 345_600, minimum: 60,
                maximum: 1_209_600),
            try P.numberVariable(
                "dlq_message_retention_seconds", description: "How long failed messages are kept.", default: 1_209_600,
                minimum: 60, maximum: 1_209_600),
            try P.numberVariable(
                "max_receive_count", description: "Receives before a message moves to the dead-letter queue.",
                default: 5, minimum: 1, maximum: 1000),
            try P.kmsKeyVariable("both queues"),
            P.tagsVariable(),
        ]
        if bucketEvents {
            variables.append(
                VariableSpec(
                    "sender_bucket_arns", type: "list(string)",
                    description:
                        "ARNs of the S3 buckets that may send their events to the queue (through its key too).",
                    default: .list([])))
        }

        let outputs: [OutputSpec] = [
            OutputSpec("queue_url", description: "URL of the queue.", value: try P.ref("aws_sqs_queue.this.id")),
            OutputSpec("queue_arn", description: "ARN of the queue.", value: try P.ref("aws_sqs_queue.this.arn")),
            OutputSpec(
                "dead_letter_queue_url", description: "URL of the dead-letter queue.",
                value: try P.ref("aws_sqs_queue.dlq.id")),
            OutputSpec(
                "dead_letter_queue_arn", description: "ARN of the dead-letter queue.",
                value: try P.ref("aws_sqs_queue.dlq.arn")),
            OutputSpec(
                "kms_key_arn",
                description:
                    "ARN of the KMS key; producers and consumers need kms:GenerateDataKey and kms:Decrypt on it.",
                value: try P.ref("local.kms_key_arn")),
        ]

        var notes = [
            "Both queues are encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given).",
            "Messages received `max_receive_count` times move to the dead-letter queue, which accepts failures from this queue only.",
            "Queue policies deny every request not made over TLS.",
            "Long polling (20 s) is on.",
        ]
        if fifo { notes.append("FIFO queues with content-based deduplication keep order and drop duplicates.") }
        if bucketEvents {
            notes.append(
                "Only the buckets of `sender_bucket_arns`, in this account, may send events to the queue; the key lets S3 encrypt them (a key given as `kms_key_arn` must allow s3.amazonaws.com too)."
            )
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: dataSources, outputs: outputs, exampleInputs: [("name", .string(requirements.name))],
            securityNotes: notes, optOuts: [])
    }
}
