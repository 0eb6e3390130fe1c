import NimbusHCL

extension ServiceFamily {
    /// An S3 bucket that is private, encrypted with KMS, versioned, logged, TLS-only and tidied by lifecycle
    /// rules; optionally replicated to another region and protected with object lock.
    public static let s3 = ServiceFamily(
        id: "s3",
        title: "S3 bucket",
        summary: "private, KMS-encrypted, versioned, logged, TLS-only bucket; optional replication and object lock",
        keywords: ["s3", "bucket", "object storage", "object store", "blob storage"],
        features: [
            FamilyFeature(
                id: "encryption", title: "KMS encryption", keywords: ["kms", "encryption", "encrypted", "sse"],
                enabledByDefault: true),
            FamilyFeature(
                id: "versioning", title: "versioning", keywords: ["versioning", "versioned"], enabledByDefault: true),
            FamilyFeature(
                id: "access-logging", title: "access logging",
                keywords: ["access logging", "logging", "access logs", "logs", "audit"], enabledByDefault: true),
            FamilyFeature(
                id: "public-access-block", title: "public access block",
                keywords: ["private", "public access block", "block public access"], enabledByDefault: true),
            FamilyFeature(
                id: "tls-only", title: "TLS-only bucket policy",
                keywords: ["tls", "https", "ssl", "tls-only", "secure transport"], enabledByDefault: true),
            FamilyFeature(
                id: "lifecycle", title: "lifecycle rules",
                keywords: ["lifecycle", "expiration", "expiry", "retention"], enabledByDefault: true),
            FamilyFeature(
                id: "replication", title: "cross-region replication",
                keywords: ["replication", "replicated", "replicate", "cross-region", "crr", "disaster recovery", "dr"]),
            FamilyFeature(
                id: "object-lock", title: "object lock",
                keywords: ["object lock", "object-lock", "worm", "immutable", "immutability"]),
            FamilyFeature(
                id: "event-notifications", title: "event notifications",
                keywords: [
                    "event notifications", "event notification", "notifications", "events", "object events",
                    "eventbridge notifications",
                ]),
        ],
        plan: S3Plan.make)
}

/// The plan behind ``ServiceFamily/s3``.
enum S3Plan {
    /// Where the bucket's object events go: EventBridge, and the destinations the variables name.
    static func notificationResource(_ bucketID: HCLExpression) throws -> Block {
        typealias P = FamilyParts
        return try Block(
            "resource", "aws_s3_bucket_notification", "this",
            comments: ["Object events, to EventBridge and to the destinations the module is given."]
        ) {
            try Attribute("bucket", bucketID)
            try Attribute("eventbridge", P.ref("var.eventbridge_notifications"))
            for (block, variable, attribute) in [
                ("queue", "event_queue_arns", "queue_arn"), ("topic", "event_topic_arns", "topic_arn"),
                ("lambda_function", "event_function_arns", "lambda_function_arn"),
            ] {
                try Block("dynamic", block) {
                    try Attribute("for_each", P.ref("var.\(variable)"))
                    try Block("content") {
                        try Attribute(attribute, P.ref("\(block).value"))
                        try Attribute("events", P.ref("var.notification_events"))
                        try Attribute("filter_prefix", P.ref("var.notification_filter_prefix"))
                    }
                }
            }
        }
    }

    static func notificationVariables() throws -> [VariableSpec] {
        typealias P = FamilyParts
        func arnList(_ name: String, _ what: String, _ service: String) -> VariableSpec {
            VariableSpec(
                name, type: "list(string)",
                description:
                    "ARNs of the \(what) that receive the bucket's events; each must allow this bucket to \(service).",
                default: .list([]))
        }
        return [
            VariableSpec(
                "eventbridge_notifications", type: "bool",
                description:
                    "Whether every object event also goes to EventBridge's default bus (rules pick what they need).",
                default: .bool(true)),
            arnList("event_queue_arns", "SQS queues", "send messages"),
            arnList("event_topic_arns", "SNS topics", "publish"),
            arnList("event_function_arns", "Lambda functions", "invoke them"),
            VariableSpec(
                "notification_events", type: "list(string)", description: "The object events sent to the destinations.",
                default: P.strings(["s3:ObjectCreated:*"])),
            VariableSpec(
                "notification_filter_prefix", type: "string",
                description: "Only objects whose keys start with this prefix send events (empty: all).",
                default: .string("")),
        ]
    }

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        let replication = requirements.has("replication")
        let objectLock = requirements.has("object-lock") || requirements.compliance.contains("sec17a4")
        let events = requirements.has("event-notifications")
        let bucketID = try HCLExpression.reference("aws_s3_bucket.this.id")
        let bucketARN = try HCLExpression.reference("aws_s3_bucket.this.arn")

        var resources: [Block] = []
        resources.append(
            try Block("resource", "aws_s3_bucket", "this") {
                try Attribute("bucket", .reference("var.bucket_name"))
                try Attribute("force_destroy", .reference("var.force_destroy"))
                if objectLock { try Attribute("object_lock_enabled", .bool(true)) }
                try Attribute("tags", .reference("local.tags"))
            })
        resources.append(
            try Block(
                "resource", "aws_s3_bucket_ownership_controls", "this",
                comments: ["ACLs off: the bucket owner owns every object."]
            ) {
                try Attribute("bucket", bucketID)
                try Block("rule") { try Attribute("object_ownership", .string("BucketOwnerEnforced")) }
            })
        resources.append(
            try Block("resource", "aws_s3_bucket_public_access_block", "this") {
                try Attribute("bucket", bucketID)
                try Attribute("block_public_acls", .bool(true))
                try Attribute("block_public_policy", .bool(true))
                try Attribute("ignore_public_acls", .bool(true))
                try Attribute("restrict_public_buckets", .bool(true))
            })
        resources.append(
            try Block("resource", "aws_s3_bucket_versioning", "this") {
                try Attribute("bucket", bucketID)
                try Block("versioning_configuration") { try Attribute("status", .string("Enabled")) }
            })
        resources.append(
            try Block(
                "resource", "aws_kms_key", "this",
                comments: ["Created only when no key is given; rotated yearly."]
            ) {
                try Attribute(
                    "count", .conditional(.binary(.equal, .reference("var.kms_key_arn"), .null), .number(1), .number(0))
                )
                try Attribute(
                    "description", .template("Encryption of S3 bucket ", .value(.reference("var.bucket_name"))))
                try Attribute("enable_key_rotation", .bool(true))
                try Attribute("deletion_window_in_days", .number(30))
                // A key policy's "*" resource means this key; written inline so IAM-policy checks do not misread it.
                try Attribute(
                    "policy",
                    .call(
                        "jsonencode",
                        .object([
                            ("Version", .string("2012-10-17")),
                            (
                                "Statement",
                                .list([
                                    .object([
                                        ("Sid", .string("AccountAdministersKey")),
                                        ("Effect", .string("Allow")),
                                        (
                                            "Principal",
                                            .object([
                                                (
                                                    "AWS",
                                                    .template(
                                                        "arn:aws:iam::",
                                                        .value(
                                                            .reference("data.aws_caller_identity.current.account_id")),
                                                        ":root")
                                                )
                                            ])
                                        ),
                                        ("Action", .string("kms:*")),
                                        ("Resource", .string("*")),
                                    ])
                                ])
                            ),
                        ])))
                try Attribute("tags", .reference("local.tags"))
            })
        resources.append(
            try Block("resource", "aws_s3_bucket_server_side_encryption_configuration", "this") {
                try Attribute("bucket", bucketID)
                try Block("rule") {
                    try Block("apply_server_side_encryption_by_default") {
                        try Attribute("sse_algorithm", .string("aws:kms"))
                        try Attribute("kms_master_key_id", .reference("local.kms_key_arn"))
                    }
                    try Attribute("bucket_key_enabled", .bool(true))
                }
            })
        resources.append(
            try Block("resource", "aws_s3_bucket_logging", "this") {
                try Attribute("bucket", bucketID)
                try Attribute("target_bucket", .reference("var.logging_target_bucket"))
                try Attribute("target_prefix", .reference("local.logging_prefix"))
            })
        resources.append(
            try Block(
                "resource", "aws_s3_bucket_policy", "this", comments: ["Refuses every request not made over TLS."]
            ) {
                try Attribute("bucket", bucketID)
                try Attribute("policy", .reference("data.aws_iam_policy_document.bucket.json"))
                try Attribute("depends_on", .list([.reference("aws_s3_bucket_public_access_block.this")]))
            })
        resources.append(
            try Block("resource", "aws_s3_bucket_lifecycle_configuration", "this") {
                try Attribute("bucket", bucketID)
                try Block("rule") {
                    try Attribute("id", .string("abort-incomplete-multipart-uploads"))
                    try Attribute("status", .string("Enabled"))
                    try Block("filter") {}
                    try Block("abort_incomplete_multipart_upload") {
                        try Attribute("days_after_initiation", .reference("var.abort_incomplete_multipart_upload_days"))
                    }
                }
                try Block("rule") {
                    try Attribute("id", .string("expire-noncurrent-versions"))
                    try Attribute("status", .string("Enabled"))
                    try Block("filter") {}
                    try Block("noncurrent_version_expiration") {
                        try Attribute("noncurrent_days", .reference("var.noncurrent_version_expiration_days"))
                    }
                }
                try Attribute("depends_on", .list([.reference("aws_s3_bucket_versioning.this")]))
            })
        if objectLock {
            resources.append(
                try Block("resource", "aws_s3_bucket_object_lock_configuration", "this") {
                    try Attribute("bucket", bucketID)
                    try Block("rule") {
                        try Block("default_retention") {
                            try Attribute("mode", .reference("var.object_lock_mode"))
                            try Attribute("days", .reference("var.object_lock_days"))
                        }
                    }
                })
        }
        if replication {
            resources.append(
                try Block("resource", "aws_iam_role", "replication") {
                    try Attribute("name", .template(.value(.reference("var.bucket_name")), "-replication"))
                    try Attribute(
                        "assume_role_policy", .reference("data.aws_iam_policy_document.replication_assume.json"))
                    try Attribute("tags", .reference("local.tags"))
                })
            resources.append(
                try Block("resource", "aws_iam_role_policy", "replication") {
                    try Attribute("name", .string("replication"))
                    try Attribute("role", .reference("aws_iam_role.replication.id"))
                    try Attribute("policy", .reference("data.aws_iam_policy_document.replication.json"))
                })
            resources.append(
                try Block("resource", "aws_s3_bucket_replication_configuration", "this") {
                    try Attribute("bucket", bucketID)
                    try Attribute("role", .reference("aws_iam_role.replication.arn"))
                    try Block("rule") {
                        try Attribute("id", .string("replicate-everything"))
                        try Attribute("status", .string("Enabled"))
                        try Block("filter") {}
                        try Block("delete_marker_replication") { try Attribute("status", .string("Enabled")) }
                        try Block("source_selection_criteria") {
                            try Block("sse_kms_encrypted_objects") { try Attribute("status", .string("Enabled")) }
                        }
                        try Block("destination") {
                            try Attribute("bucket", .reference("var.replication_destination_bucket_arn"))
                            try Attribute("storage_class", .string("STANDARD"))
                            try Block("encryption_configuration") {
                                try Attribute(
                                    "replica_kms_key_id", .reference("var.replication_destination_kms_key_arn"))
                            }
                        }
                    }
                    try Attribute("depends_on", .list([.reference("aws_s3_bucket_versioning.this")]))
                })
        }

        var dataSources: [Block] = [
            try Block("data", "aws_caller_identity", "current") {},
            try Block("data", "aws_iam_policy_document", "bucket") {
                try Block("statement") {
                    try Attribute("sid", .string("DenyInsecureTransport"))
                    try Attribute("effect", .string("Deny"))
                    try Attribute("actions", .list([.string("s3:*")]))
                    try Attribute("resources", .list([bucketARN, .template(.value(bucketARN), "/*")]))
                    try Block("principals") {
                        try Attribute("type", .string("*"))
                        try Attribute("identifiers", .list([.string("*")]))
                    }
                    try Block("condition") {
                        try Attribute("test", .string("Bool"))
                        try Attribute("variable", .string("aws:SecureTransport"))
                        try Attribute("values", .list([.string("false")]))
                    }
                }
            },
        ]
        if replication {
            dataSources.append(
                try Block("data", "aws_iam_policy_document", "replication_assume") {
                    try Block("statement") {
                        try Attribute("actions", .list([.string("sts:AssumeRole")]))
                        try Block("principals") {
                            try Attribute("type", .string("Service"))
                            try Attribute("identifiers", .list([.string("s3.amazonaws.com")]))
                        }
                    }
                })
            dataSources.append(
                try Block("data", "aws_iam_policy_document", "replication") {
                    try Block("statement") {
                        try Attribute(
                            "actions", .list([.string("s3:GetReplicationConfiguration"), .string("s3:ListBucket")]))
                        try Attribute("resources", .list([bucketARN]))
                    }
                    try Block("statement") {
                        try Attribute(
                            "actions",
                            .list([
                                .string("s3:GetObjectVersionForReplication"), .string("s3:GetObjectVersionAcl"),
                                .string("s3:GetObjectVersionTagging"),
                            ]))
                        try Attribute("resources", .list([.template(.value(bucketARN), "/*")]))
                    }
                    try Block("statement") {
                        try Attribute(
                            "actions",
                            .list([
                                .string("s3:ReplicateObject"), .string("s3:ReplicateDelete"),
                                .string("s3:ReplicateTags"),
                            ]))
                        try Attribute(
                            "resources",
                            .list([.template(.value(.reference("var.replication_destination_bucket_arn")), "/*")]))
                    }
                    try Block("statement") {
                        try Attribute("actions", .list([.string("kms:Decrypt")]))
                        try Attribute("resources", .list([.reference("local.kms_key_arn")]))
                    }
                    try Block("statement") {
                        try Attribute("actions", .list([.string("kms:Encrypt")]))
                        try Attribute("resources", .list([.reference("var.replication_destination_kms_key_arn")]))
                    }
                })
        }

        var variables: [VariableSpec] = try [
            VariableSpec(
                "bucket_name", type: "string",
                description: "Name of the bucket (3-63 lower-case letters, digits, dots and hyphens).",
                validations: [
                    (
                        .call(
                            "can",
                            .call("regex", .string("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"), .reference("var.bucket_name"))
                        ),
                        "bucket_name must be 3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit."
                    )
                ]),
            VariableSpec(
                "logging_target_bucket", type: "string",
                description:
                    "Existing bucket that receives the access logs (it must allow the S3 logging service to write)."),
            VariableSpec(
                "logging_target_prefix", type: "string",
                description: "Key prefix of the access logs; defaults to the bucket name.",
                default: .null),
            VariableSpec(
                "kms_key_arn", type: "string",
                description: "KMS key for default encryption; a new key with rotation is created when null.",
                default: .null,
                validations: [
                    (
                        .binary(
                            .or, .binary(.equal, .reference("var.kms_key_arn"), .null),
                            .call("can", .call("regex", .string("^arn:aws[a-z-]*:kms:"), .reference("var.kms_key_arn")))
                        ),
                        "kms_key_arn must be a KMS key ARN."
                    )
                ]),
            VariableSpec(
                "force_destroy", type: "bool",
                description: "Whether destroying the module deletes the bucket's objects too.",
                default: .bool(false)),
            VariableSpec(
                "noncurrent_version_expiration_days", type: "number",
                description: "Days after which noncurrent object versions expire.", default: .number(90),
                validations: [
                    (
                        .binary(.greaterOrEqual, .reference("var.noncurrent_version_expiration_days"), .number(1)),
                        "noncurrent_version_expiration_days must be at least 1."
                    )
                ]),
            VariableSpec(
                "abort_incomplete_multipart_upload_days", type: "number",
                description: "Days after which incomplete multipart uploads are aborted.", default: .number(7),
                validations: [
                    (
                        .binary(.greaterOrEqual, .reference("var.abort_incomplete_multipart_upload_days"), .number(1)),
                        "abort_incomplete_multipart_upload_days must be at least 1."
                    )
                ]),
            VariableSpec(
                "tags", type: "map(string)", description: "Tags for every resource.",
                default: .object([(String, HCLExpression)]())),
        ]
        if objectLock {
            variables += try [
                VariableSpec(
                    "object_lock_mode", type: "string",
                    description: "Default retention mode: GOVERNANCE or COMPLIANCE.",
                    default: .string("GOVERNANCE"),
                    validations: [
                        (
                            .call(
                                "contains", .list([.string("GOVERNANCE"), .string("COMPLIANCE")]),
                                .reference("var.object_lock_mode")),
                            "object_lock_mode must be GOVERNANCE or COMPLIANCE."
                        )
                    ]),
                VariableSpec(
                    "object_lock_days", type: "number", description: "Default retention in days.", default: .number(30),
                    validations: [
                        (
                            .binary(.greaterOrEqual, .reference("var.object_lock_days"), .number(1)),
                            "object_lock_days must be at least 1."
                        )
                    ]),
            ]
        }
        if replication {
            variables += [
                VariableSpec(
                    "replication_destination_bucket_arn", type: "string",
                    description: "ARN of the versioned bucket, in another region, that receives the replicas."),
                VariableSpec(
                    "replication_destination_kms_key_arn", type: "string",
                    description: "KMS key in the destination region that encrypts the replicas."),
            ]
        }

        let locals: [LocalSpec] = try [
            LocalSpec(
                "tags",
                .call(
                    "merge", .reference("var.tags"),
                    .object([("ManagedBy", .string("terraform")), ("Module", .string(requirements.name))]))),
            LocalSpec(
                "kms_key_arn",
                .conditional(
                    .binary(.equal, .reference("var.kms_key_arn"), .null), .reference("aws_kms_key.this.0.arn"),
                    .reference("var.kms_key_arn"))),
            LocalSpec(
                "logging_prefix",
                .call(
                    "coalesce", .reference("var.logging_target_prefix"),
                    .template(.value(.reference("var.bucket_name")), "/"))),
        ]

        var notes = [
            "Every public access setting is blocked and ACLs are disabled (bucket owner enforced).",
            "Objects are encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given), with S3 bucket keys.",
            "Versioning is on; noncurrent versions expire after `noncurrent_version_expiration_days`.",
            "Access logs go to `logging_target_bucket`.",
            "The bucket policy denies every request that is not made over TLS.",
            "Incomplete multipart uploads are aborted after `abort_incomplete_multipart_upload_days`.",
        ]
        if objectLock { notes.append("Object lock keeps each version for `object_lock_days` in `object_lock_mode`.") }
        if events {
            notes.append(
                "Object events go to EventBridge (`eventbridge_notifications`) and to the queues, topics and functions named in `event_queue_arns`, `event_topic_arns` and `event_function_arns`; each must admit this bucket (a queue, topic or function of the same module does)."
            )
            resources.append(try notificationResource(bucketID))
            variables += try notificationVariables()
        }
        if replication {
            notes.append("Every object is replicated, KMS-encrypted, to `replication_destination_bucket_arn`.")
        }

        var optOuts: [PolicyOptOut] = []
        if !events {
            optOuts.append(
                PolicyOptOut(
                    "CKV2_AWS_62",
                    reason:
                        "event notifications depend on what consumes them; ask for `event notifications` (EventBridge, or a queue, topic or function of the same module)."
                ))
        }
        if !replication {
            optOuts.append(
                PolicyOptOut(
                    "CKV_AWS_144",
                    reason: "cross-region replication needs a destination bucket; ask for `with replication` to get it."
                ))
        }

        var example: [(name: String, value: HCLExpression)] = [
            ("bucket_name", .string("\(requirements.name)-example")),
            ("logging_target_bucket", .string("example-access-logs")),
        ]
        if replication {
            example += [
                ("replication_destination_bucket_arn", .string("arn:aws:s3:::\(requirements.name)-replica")),
                ("replication_destination_kms_key_arn", .string("arn:aws:kms:eu-central-1:111122223333:key/example")),
            ]
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: locals, dataSources: dataSources,
            outputs: [
                OutputSpec("bucket_id", description: "Name of the bucket.", value: bucketID),
                OutputSpec("bucket_arn", description: "ARN of the bucket.", value: bucketARN),
                OutputSpec(
                    "bucket_regional_domain_name", description: "Regional domain name of the bucket.",
                    value: try .reference("aws_s3_bucket.this.bucket_regional_domain_name")),
                OutputSpec(
                    "kms_key_arn", description: "ARN of the KMS key that encrypts the bucket.",
                    value: try .reference("local.kms_key_arn")),
            ],
            exampleInputs: example, securityNotes: notes, optOuts: optOuts)
    }
}
