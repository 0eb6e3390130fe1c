import NimbusHCL

extension ServiceFamily {
    /// A Kinesis data stream encrypted with a customer-managed KMS key, on-demand unless provisioned shards are asked
    /// for, with least-privilege producer and consumer policies; optionally shard-level metrics and enhanced fan-out
    /// consumers.
    public static let kinesis = ServiceFamily(
        id: "kinesis",
        title: "Kinesis data stream",
        summary:
            "KMS-encrypted Kinesis data stream (on-demand, or provisioned shards) with retention and least-privilege producer and consumer policies; optional shard-level metrics and enhanced fan-out consumers",
        keywords: [
            "kinesis data stream", "kinesis", "kinesis stream", "data stream", "data streaming", "event streaming",
            "streaming",
        ],
        features: [
            FamilyFeature(
                id: "encryption", title: "customer-managed KMS encryption",
                keywords: ["kms", "encryption", "encrypted"], enabledByDefault: true),
            FamilyFeature(
                id: "provisioned", title: "provisioned shards instead of on-demand capacity",
                keywords: ["provisioned", "provisioned mode", "provisioned capacity", "fixed capacity"]),
            FamilyFeature(
                id: "enhanced-monitoring", title: "shard-level (enhanced) metrics",
                keywords: [
                    "enhanced monitoring", "shard-level metrics", "shard level metrics", "monitoring", "metrics",
                ]),
            FamilyFeature(
                id: "consumer", title: "enhanced fan-out consumers",
                keywords: ["consumer", "consumers", "enhanced fan-out", "fan-out consumer", "efo"]),
        ],
        plan: KinesisPlan.make)
}

/// The plan behind ``ServiceFamily/kinesis``.
enum KinesisPlan {
    static let shardMetrics = [
        "IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords", "WriteProvisionedThroughputExceeded",
        "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds",
    ]

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let provisioned = requirements.has("provisioned")
        let monitoring = requirements.has("enhanced-monitoring")
        let consumer = requirements.has("consumer")
        let streamARN = try P.ref("aws_kinesis_stream.this.arn")

        var resources: [Block] = [
            try P.kmsKey(description: .template("Encryption of Kinesis stream ", .value(P.ref("var.name")))),
            try Block("resource", "aws_kinesis_stream", "this") {
                try Attribute("name", P.ref("var.name"))
                if provisioned { try Attribute("shard_count", P.ref("var.shard_count")) }
                try Attribute("retention_period", P.ref("var.retention_hours"))
                try Attribute("encryption_type", .string("KMS"))
                try Attribute("kms_key_id", P.ref("local.kms_key_arn"))
                try Attribute(
                    "enforce_consumer_deletion", .bool(false),
                    comments: ["A stream with registered consumers is not deleted from under them."])
                if monitoring { try Attribute("shard_level_metrics", P.strings(shardMetrics)) }
                try Block("stream_mode_details") {
                    try Attribute("stream_mode", .string(provisioned ? "PROVISIONED" : "ON_DEMAND"))
                }
                try Attribute("tags", P.ref("local.tags"))
            },
        ]
        if consumer {
            resources.append(
                try Block(
                    "resource", "aws_kinesis_stream_consumer", "this",
                    comments: ["Each consumer reads with its own 2 MB/s per shard (enhanced fan-out)."]
                ) {
                    try Attribute("for_each", .call("toset", P.ref("var.consumer_names")))
                    try Attribute("name", P.ref("each.value"))
                    try Attribute("stream_arn", streamARN)
                    try Attribute("tags", P.ref("local.tags"))
                })
        }

        let keyARN = try P.ref("local.kms_key_arn")
        let dataSources: [Block] =
            try P.commonDataSources() + [
                try Block("data", "aws_iam_policy_document", "producer") {
                    try P.statement(
                        sid: "PutRecords",
                        actions: [
                            "kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary",
                            "kinesis:ListShards",
                        ], resources: [streamARN])
                    try P.statement(sid: "EncryptRecords", actions: ["kms:GenerateDataKey"], resources: [keyARN])
                },
                try Block("data", "aws_iam_policy_document", "consumer") {
                    try P.statement(
                        sid: "ReadRecords",
                        actions: [
                            "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream",
                            "kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:ListStreamConsumers",
                        ], resources: [streamARN])
                    if consumer {
                        try P.statement(
                            sid: "ReadThroughConsumers",
                            actions: ["kinesis:SubscribeToShard", "kinesis:DescribeStreamConsumer"],
                            resources: [
                                .forList(
                                    "consumer", in: .call("values", P.ref("aws_kinesis_stream_consumer.this")),
                                    yield: try P.ref("consumer.arn"))
                            ])
                    }
                    try P.statement(sid: "DecryptRecords", actions: ["kms:Decrypt"], resources: [keyARN])
                },
            ]

        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the stream.", pattern: "^[A-Za-z0-9_.-]{1,128}$",
                rule: "1-128 letters, digits, underscores, dots and hyphens"),
            try P.numberVariable(
                "retention_hours", description: "Hours records stay readable (24 to 8760; beyond 24 is billed).",
                default: 168, minimum: 24, maximum: 8760),
            try P.kmsKeyVariable("the stream"),
            P.tagsVariable(),
        ]
        if provisioned {
            variables.insert(
                try P.numberVariable(
                    "shard_count", description: "Shards (each 1 MB/s or 1000 records/s in, 2 MB/s out).", default: 2,
                    minimum: 1, maximum: 10000), at: 1)
        }
        if consumer {
            variables.append(
                VariableSpec(
                    "consumer_names", type: "list(string)",
                    description: "Names of the enhanced fan-out consumers (applications) to register.",
                    default: P.strings(["app"]),
                    validations: [
                        (
                            .binary(
                                .and,
                                .binary(.greaterOrEqual, try .call("length", P.ref("var.consumer_names")), .number(1)),
                                try .call(
                                    "alltrue",
                                    .forList(
                                        "name", in: P.ref("var.consumer_names"),
                                        yield: .call(
                                            "can", .call("regex", .string("^[A-Za-z0-9_.-]{1,128}$"), P.ref("name")))))),
                            "consumer_names must hold at least one name of letters, digits, underscores, dots and hyphens."
                        )
                    ]))
        }

        var outputs: [OutputSpec] = [
            OutputSpec(
                "stream_name", description: "Name of the stream.", value: try P.ref("aws_kinesis_stream.this.name")),
            OutputSpec("stream_arn", description: "ARN of the stream.", value: streamARN),
            OutputSpec(
                "producer_policy_json",
                description:
                    "IAM policy that lets a producer put records (and encrypt them); attach it to producers' roles.",
                value: try P.ref("data.aws_iam_policy_document.producer.json")),
            OutputSpec(
                "consumer_policy_json",
                description:
                    "IAM policy that lets a consumer read records (and decrypt them); attach it to consumers' roles.",
                value: try P.ref("data.aws_iam_policy_document.consumer.json")),
            OutputSpec("kms_key_arn", description: "ARN of the KMS key of the stream.", value: keyARN),
        ]
        if consumer {
            outputs.append(
                OutputSpec(
                    "consumer_arns", description: "ARNs of the enhanced fan-out consumers, by name.",
                    value: try .forObject(
                        key: "name", value: "consumer", in: P.ref("aws_kinesis_stream_consumer.this"),
                        yieldKey: P.ref("name"), value: P.ref("consumer.arn"))))
        }

        var notes = [
            "Records are encrypted at rest with a customer-managed KMS key (a new key with yearly rotation unless `kms_key_arn` is given); Kinesis APIs accept only TLS.",
            "Only this account's IAM principals can use the stream; `producer_policy_json` and `consumer_policy_json` grant exactly what producers and consumers need, on this stream and key only.",
            "Records stay readable `retention_hours` hours.",
            provisioned
                ? "Provisioned capacity: `shard_count` shards; watch WriteProvisionedThroughputExceeded and reshard as load grows."
                : "On-demand capacity scales with traffic; ask for `provisioned` to fix the shard count.",
            "A stream with registered consumers cannot be deleted by Terraform until they are deregistered.",
        ]
        if monitoring {
            notes.append("Shard-level metrics (throughput, throttling, iterator age) are published to CloudWatch.")
        }
        if consumer {
            notes.append("Each of `consumer_names` is an enhanced fan-out consumer with its own read throughput.")
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: dataSources, outputs: outputs, exampleInputs: [("name", .string(requirements.name))],
            securityNotes: notes, optOuts: [])
    }
}
