import NimbusHCL

extension ServiceFamily {
    /// An EFS file system encrypted with KMS, mounted in private subnets through a security group that admits NFS
    /// only from the given clients, with a file system policy that refuses clients without TLS, automatic backups
    /// and a lifecycle to Infrequent Access; optionally IAM-only access, an access point and provisioned throughput.
    public static let efs = ServiceFamily(
        id: "efs",
        title: "EFS file system",
        summary:
            "KMS-encrypted EFS file system with mount targets in private subnets, NFS only from the given clients, a TLS-only file system policy, automatic backups and a lifecycle to Infrequent Access; optional IAM-only access, access point and provisioned throughput",
        keywords: [
            "efs", "efs file system", "elastic file system", "file system", "filesystem", "shared file system",
            "network file system", "nfs", "nfs share", "shared storage", "file share", "efs volume",
        ],
        features: [
            FamilyFeature(
                id: "encryption", title: "KMS encryption at rest and TLS-only clients",
                keywords: [
                    "kms", "encryption", "encrypted", "tls", "ssl", "in-transit encryption", "encryption in transit",
                    "tls-only",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "mount-targets", title: "a mount target in each private subnet",
                keywords: [
                    "mount target", "mount targets", "multi-az", "multi az", "private", "high availability",
                    "highly available", "ha",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "backups", title: "automatic daily backups (AWS Backup)",
                keywords: ["backup", "backups", "backup policy", "aws backup", "automatic backups"],
                enabledByDefault: true),
            FamilyFeature(
                id: "lifecycle", title: "a lifecycle to Infrequent Access and back on access",
                keywords: [
                    "lifecycle", "lifecycle policy", "infrequent access", "ia", "tiering", "intelligent tiering",
                    "storage classes",
                ],
                enabledByDefault: true),
            FamilyFeature(
                id: "iam-enforced", title: "IAM authorization for every client",
                keywords: [
                    "iam", "iam authorization", "iam enforced", "enforce iam", "iam auth", "iam authentication",
                    "iam-only",
                ]),
            FamilyFeature(
                id: "access-point", title: "an access point with a fixed POSIX user and root directory",
                keywords: ["access point", "access points", "posix user", "posix"]),
            FamilyFeature(
                id: "provisioned-throughput", title: "provisioned throughput",
                keywords: ["provisioned throughput", "provisioned", "fixed throughput"]),
        ],
        plan: EFSPlan.make)
}

/// The plan behind ``ServiceFamily/efs``.
enum EFSPlan {
    static let transitions = [
        "AFTER_1_DAY", "AFTER_7_DAYS", "AFTER_14_DAYS", "AFTER_30_DAYS", "AFTER_60_DAYS", "AFTER_90_DAYS",
        "AFTER_180_DAYS", "AFTER_270_DAYS", "AFTER_365_DAYS",
    ]

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let iamEnforced = requirements.has("iam-enforced")
        let accessPoint = requirements.has("access-point")
        let provisioned = requirements.has("provisioned-throughput")
        let backups = requirements.has("backups")
        let lifecycle = requirements.has("lifecycle")
        let fileSystemARN = try P.ref("aws_efs_file_system.this.arn")
        let fileSystemID = try P.ref("aws_efs_file_system.this.id")

        var resources: [Block] = [
            try P.kmsKey(description: .template("Encryption of EFS file system ", .value(P.ref("var.name")))),
            try Block("resource", "aws_efs_file_system", "this") {
                try Attribute("creation_token", P.ref("var.name"))
                try Attribute("encrypted", .bool(true))
                try Attribute("kms_key_id", P.ref("local.kms_key_arn"))
                try Attribute("performance_mode", .string("generalPurpose"))
                if provisioned {
                    try Attribute("throughput_mode", .string("provisioned"))
                    try Attribute("provisioned_throughput_in_mibps", P.ref("var.provisioned_throughput_mibps"))
                } else {
                    try Attribute("throughput_mode", P.ref("var.throughput_mode"))
                }
                if lifecycle {
                    try Block("lifecycle_policy") { try Attribute("transition_to_ia", P.ref("var.transition_to_ia")) }
                    try Block("lifecycle_policy") {
                        try Attribute("transition_to_primary_storage_class", .string("AFTER_1_ACCESS"))
                    }
                }
                try Attribute(
                    "tags", .call("merge", try P.ref("local.tags"), .object([("Name", try P.ref("var.name"))])))
            },
            try DataParts.clientSecurityGroup(
                suffix: "efs", what: .template("EFS file system ", .value(try P.ref("var.name"))), port: .number(2049),
                clients: "NFS clients"),
            try Block(
                "resource", "aws_efs_mount_target", "this",
                comments: ["One per subnet (each in its own zone); count, so subnets made in the same apply work."]
            ) {
                try Attribute("count", .call("length", try P.ref("var.subnet_ids")))
                try Attribute("file_system_id", fileSystemID)
                try Attribute("subnet_id", P.ref("var.subnet_ids").index(try P.ref("count.index")))
                try Attribute("security_groups", .list([try P.ref("aws_security_group.this.id")]))
            },
            try Block("resource", "aws_efs_file_system_policy", "this") {
                try Attribute("file_system_id", fileSystemID)
                try Attribute("policy", P.ref("data.aws_iam_policy_document.file_system.json"))
                try Attribute("bypass_policy_lockout_safety_check", .bool(false))
            },
        ]
        if backups {
            resources.append(
                try Block(
                    "resource", "aws_efs_backup_policy", "this",
                    comments: ["AWS Backup's default plan for EFS: daily backups kept 35 days."]
                ) {
                    try Attribute("file_system_id", fileSystemID)
                    try Block("backup_policy") { try Attribute("status", .string("ENABLED")) }
                })
        }
        if accessPoint {
            resources.append(
                try Block(
                    "resource", "aws_efs_access_point", "this",
                    comments: ["Clients of the access point act as one POSIX user, confined to its directory."]
                ) {
                    try Attribute("file_system_id", fileSystemID)
                    try Block("posix_user") {
                        try Attribute("uid", P.ref("var.access_point_uid"))
                        try Attribute("gid", P.ref("var.access_point_gid"))
                    }
                    try Block("root_directory") {
                        try Attribute("path", P.ref("var.access_point_path"))
                        try Block("creation_info") {
                            try Attribute("owner_uid", P.ref("var.access_point_uid"))
                            try Attribute("owner_gid", P.ref("var.access_point_gid"))
                            try Attribute("permissions", .string("0750"))
                        }
                    }
                    try Attribute(
                        "tags",
                        .call(
                            "merge", try P.ref("local.tags"),
                            .object([("Name", .template(.value(try P.ref("var.name")), "-app"))])))
                })
        }

        let clientActions = try HCLExpression.call(
            "concat", P.strings(["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]),
            .conditional(
                try P.ref("var.allow_root_access"), P.strings(["elasticfilesystem:ClientRootAccess"]), .list([])))
        let dataSources =
            try P.commonDataSources() + [
                try Block("data", "aws_iam_policy_document", "file_system") {
                    try Block("statement") {
                        try Attribute(
                            "sid", .string(iamEnforced ? "AccountPrincipalsMount" : "ClientsMountThroughMountTargets"))
                        try Attribute("actions", clientActions)
                        try Attribute("resources", .list([fileSystemARN]))
                        try Block("principals") {
                            try Attribute("type", .string("AWS"))
                            try Attribute(
                                "identifiers", iamEnforced ? .list([try P.accountRoot()]) : P.strings(["*"]),
                                comments: iamEnforced
                                    ? [
                                        "Only IAM principals of this account whose own policies allow it (mount with -o iam)."
                                    ]
                                    : [])
                        }
                        try Block("condition") {
                            try Attribute("test", .string("Bool"))
                            try Attribute("variable", .string("elasticfilesystem:AccessedViaMountTarget"))
                            try Attribute("values", P.strings(["true"]))
                        }
                    }
                    try P.denyInsecureTransport(actions: ["elasticfilesystem:*"], resources: [fileSystemARN])
                }
            ]

        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name (and creation token) of the file system; also names its security group.",
                pattern: "^[a-z][a-z0-9-]{0,59}$",
                rule: "1-60 lower-case letters, digits and hyphens, starting with a letter")
        ]
        if provisioned {
            variables.append(
                try P.numberVariable(
                    "provisioned_throughput_mibps", description: "Throughput provisioned, in MiB/s.", default: 128,
                    minimum: 1, maximum: 3414))
        } else {
            variables.append(
                try P.choiceVariable(
                    "throughput_mode",
                    description: "elastic (scales with the load, billed per use) or bursting (grows with the size).",
                    default: "elastic", choices: ["elastic", "bursting"]))
        }
        if lifecycle {
            variables.append(
                try P.choiceVariable(
                    "transition_to_ia",
                    description: "When unread files move to Infrequent Access (they come back on their first access).",
                    default: "AFTER_30_DAYS", choices: transitions))
        }
        variables.append(
            VariableSpec(
                "allow_root_access", type: "bool",
                description: "Whether clients may act as root on the file system (root is squashed otherwise).",
                default: .bool(false)))
        if accessPoint {
            variables += [
                VariableSpec(
                    "access_point_path", type: "string",
                    description: "Directory the access point confines its clients to (created on first use).",
                    default: .string("/app"),
                    validations: [
                        (
                            try .call(
                                "can",
                                .call(
                                    "regex", .string("^/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$"),
                                    P.ref("var.access_point_path"))),
                            "access_point_path must be an absolute directory other than /."
                        )
                    ]),
                try P.numberVariable(
                    "access_point_uid", description: "POSIX user id the access point's clients act as.", default: 1000,
                    minimum: 1, maximum: 4_294_967_295),
                try P.numberVariable(
                    "access_point_gid", description: "POSIX group id the access point's clients act as.", default: 1000,
                    minimum: 1, maximum: 4_294_967_295),
            ]
        }
        variables += try P.networkVariables()
        variables[variables.count - 1].description =
            "Private subnets, each in its own availability zone (one mount target each), at least two."
        variables += try DataParts.clientVariables()
        variables += [try P.kmsKeyVariable("the file system"), P.tagsVariable()]

        var outputs: [OutputSpec] = [
            OutputSpec("file_system_id", description: "Id of the file system.", value: fileSystemID),
            OutputSpec("file_system_arn", description: "ARN of the file system.", value: fileSystemARN),
            OutputSpec(
                "dns_name", description: "DNS name to mount (with TLS: mount -t efs -o tls).",
                value: try P.ref("aws_efs_file_system.this.dns_name")),
            OutputSpec(
                "mount_target_ids", description: "Mount targets, one per subnet.",
                value: try P.ref("aws_efs_mount_target.this").splat("id")),
            OutputSpec(
                "security_group_id", description: "Security group of the mount targets.",
                value: try P.ref("aws_security_group.this.id")),
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key of the file system.",
                value: try P.ref("local.kms_key_arn")),
        ]
        if accessPoint {
            outputs += [
                OutputSpec(
                    "access_point_id", description: "Id of the access point.",
                    value: try P.ref("aws_efs_access_point.this.id")),
                OutputSpec(
                    "access_point_arn", description: "ARN of the access point, for IAM conditions.",
                    value: try P.ref("aws_efs_access_point.this.arn")),
            ]
        }

        var notes = [
            "Encrypted at rest with KMS (a new key with yearly rotation unless `kms_key_arn` is given).",
            "The file system policy refuses every request not made over TLS (mount with `-o tls`, as the EFS mount helper does).",
            "Mount targets in `subnet_ids` with their own security group: only `allowed_security_group_ids` and `allowed_cidr_blocks` (never 0.0.0.0/0) reach NFS (2049); nothing leaves.",
            iamEnforced
                ? "IAM authorization: only IAM principals of this account whose own policies grant elasticfilesystem:ClientMount (and ClientWrite) may mount, with `-o iam`; anonymous NFS clients are refused."
                : "Clients may mount only through the mount targets; ask for `IAM authorization` to require IAM identities as well.",
            "Root is squashed unless `allow_root_access` is true.",
        ]
        if backups {
            notes.append(
                "Automatic daily backups by AWS Backup (its default EFS plan, kept 35 days); to keep copies longer or in another region, also tag the file system for a backup plan of your own (the backup family)."
            )
        }
        if lifecycle {
            notes.append(
                "Files unread for `transition_to_ia` move to Infrequent Access and come back on their first access.")
        }
        if accessPoint {
            notes.append(
                "The access point makes its clients one POSIX user (`access_point_uid`/`access_point_gid`), confined to `access_point_path` (mode 0750)."
            )
        }
        notes.append(
            provisioned
                ? "Throughput is provisioned at `provisioned_throughput_mibps`."
                : "Throughput mode `throughput_mode` (elastic by default).")

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: dataSources, outputs: outputs,
            exampleInputs: [("name", .string(requirements.name)), P.exampleVPC, P.exampleSubnets],
            securityNotes: notes)
    }
}
