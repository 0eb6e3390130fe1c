import NimbusHCL

extension ServiceFamily {
    /// A DynamoDB table encrypted with a customer-managed KMS key, with point-in-time recovery and deletion
    /// protection; optionally a sort key, TTL, streams and replicas in other regions.
    public static let dynamodb = ServiceFamily(
        id: "dynamodb",
        title: "DynamoDB table",
        summary:
            "on-demand DynamoDB table with KMS encryption, point-in-time recovery and deletion protection; optional sort key, TTL, streams and global replicas",
        keywords: ["dynamodb", "dynamo", "dynamodb table", "nosql", "key-value store", "key value store"],
        features: [
            FamilyFeature(
                id: "encryption", title: "KMS encryption", keywords: ["kms", "encryption", "encrypted", "sse"],
                enabledByDefault: true),
            FamilyFeature(
                id: "point-in-time-recovery", title: "point-in-time recovery",
                keywords: ["point-in-time recovery", "point in time recovery", "pitr", "backup", "backups"],
                enabledByDefault: true),
            FamilyFeature(
                id: "deletion-protection", title: "deletion protection",
                keywords: ["deletion protection", "protected"], enabledByDefault: true),
            FamilyFeature(
                id: "sort-key", title: "a sort key",
                keywords: ["sort key", "range key", "composite key", "composite primary key"]),
            FamilyFeature(id: "ttl", title: "time to live", keywords: ["ttl", "time to live", "expiry", "expiration"]),
            FamilyFeature(
                id: "streams", title: "streams", keywords: ["stream", "streams", "change data capture", "cdc"]),
            FamilyFeature(
                id: "global-table", title: "replicas in other regions (global table)",
                keywords: [
                    "global table", "global", "replica", "replicas", "replication", "replicated", "multi-region",
                    "cross-region",
                ]),
        ],
        plan: DynamoDBPlan.make)
}

/// The plan behind ``ServiceFamily/dynamodb``.
enum DynamoDBPlan {
    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let sortKey = requirements.has("sort-key")
        let ttl = requirements.has("ttl")
        let global = requirements.has("global-table")
        // Replicas are fed from the stream, so a global table always has one.
        let streams = requirements.has("streams") || global

        func attribute(_ name: String, _ type: String) throws -> Block {
            try Block("attribute") {
                try Attribute("name", P.ref(name))
                try Attribute("type", P.ref(type))
            }
        }

        let resources: [Block] = [
            try P.kmsKey(description: .template("Encryption of DynamoDB table ", .value(P.ref("var.name")))),
            try Block("resource", "aws_dynamodb_table", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("billing_mode", .string("PAY_PER_REQUEST"))
                try Attribute("hash_key", P.ref("var.partition_key"))
                if sortKey { try Attribute("range_key", P.ref("var.sort_key")) }
                try Attribute("deletion_protection_enabled", .bool(true))
                if streams {
                    try Attribute("stream_enabled", .bool(true))
                    try Attribute("stream_view_type", P.ref("var.stream_view_type"))
                }
                try attribute("var.partition_key", "var.partition_key_type")
                if sortKey { try attribute("var.sort_key", "var.sort_key_type") }
                try Block("server_side_encryption") {
                    try Attribute("enabled", .bool(true))
                    try Attribute("kms_key_arn", P.ref("local.kms_key_arn"))
                }
                try Block("point_in_time_recovery") { try Attribute("enabled", .bool(true)) }
                if ttl {
                    try Block("ttl") {
                        try Attribute("attribute_name", P.ref("var.ttl_attribute"))
                        try Attribute("enabled", .bool(true))
                    }
                }
                if global {
                    try Block("dynamic", "replica") {
                        try Attribute("for_each", P.ref("var.replica_regions"))
                        try Block("content") {
                            try Attribute("region_name", P.ref("replica.key"))
                            try Attribute("kms_key_arn", P.ref("replica.value"))
                            try Attribute("point_in_time_recovery", .bool(true))
                        }
                    }
                }
                try Attribute("tags", P.ref("local.tags"))
            },
        ]

        let keyTypes = ["S", "N", "B"]
        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the table.", pattern: "^[A-Za-z0-9_.-]{3,255}$",
                rule: "3-255 letters, digits, underscores, dots and hyphens"),
            VariableSpec("partition_key", type: "string", description: "Name of the partition (hash) key attribute."),
            try P.choiceVariable(
                "partition_key_type", description: "Type of the partition key: S (string), N (number) or B (binary).",
                default: "S", choices: keyTypes),
            try P.kmsKeyVariable("the table"),
            P.tagsVariable(),
        ]
        if sortKey {
            variables += [
                VariableSpec("sort_key", type: "string", description: "Name of the sort (range) key attribute."),
                try P.choiceVariable(
                    "sort_key_type", description: "Type of the sort key: S, N or B.", default: "S", choices: keyTypes),
            ]
        }
        if ttl {
            variables.append(
                VariableSpec(
                    "ttl_attribute", type: "string",
                    description: "Attribute holding each item's expiry time (epoch seconds).",
                    default: .string("expires_at")))
        }
        if streams {
            variables.append(
                try P.choiceVariable(
                    "stream_view_type", description: "What the stream records of each change.",
                    default: "NEW_AND_OLD_IMAGES",
                    choices: ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]))
        }
        if global {
            variables.append(
                VariableSpec(
                    "replica_regions", type: "map(string)",
                    description: "Replica regions, each with the ARN of the KMS key that encrypts the replica there.",
                    validations: [
                        (
                            try .call(
                                "alltrue",
                                .forList(
                                    "key", in: .call("values", P.ref("var.replica_regions")),
                                    yield: .call("can", .call("regex", .string("^arn:aws[a-z-]*:kms:"), P.ref("key"))))),
                            "each replica region needs a KMS key ARN in that region."
                        ),
                        (
                            .binary(.greater, try .call("length", P.ref("var.replica_regions")), .number(0)),
                            "replica_regions must name at least one region."
                        ),
                    ]))
        }

        var outputs: [OutputSpec] = [
            OutputSpec(
                "table_name", description: "Name of the table.", value: try P.ref("aws_dynamodb_table.this.name")),
            OutputSpec("table_arn", description: "ARN of the table.", value: try P.ref("aws_dynamodb_table.this.arn")),
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key that encrypts the table.",
                value: try P.ref("local.kms_key_arn")),
        ]
        if streams {
            outputs.append(
                OutputSpec(
                    "stream_arn", description: "ARN of the table's stream.",
                    value: try P.ref("aws_dynamodb_table.this.stream_arn")))
        }

        var notes = [
            "Encrypted with a customer-managed KMS key (a new key with yearly rotation unless `kms_key_arn` is given).",
            "Point-in-time recovery keeps 35 days of continuous backups.",
            "Deletion protection is on: turn it off before destroying the table.",
            "On-demand capacity: no capacity to plan, and no throttling from a forgotten scaling policy.",
        ]
        if global {
            notes.append("Each replica is encrypted with its region's key and has point-in-time recovery.")
        }

        var example: [(name: String, value: HCLExpression)] = [
            ("name", .string(requirements.name)), ("partition_key", .string("pk")),
        ]
        if sortKey { example.append(("sort_key", .string("sk"))) }
        if global {
            example.append(
                (
                    "replica_regions",
                    .object([("eu-central-1", .string("arn:aws:kms:eu-central-1:111122223333:key/example"))])
                ))
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: try P.commonDataSources(), outputs: outputs, exampleInputs: example, securityNotes: notes,
            optOuts: [])
    }
}
