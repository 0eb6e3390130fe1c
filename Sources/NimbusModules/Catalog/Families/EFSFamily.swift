import NimbusHCL

extension ServiceFamily {
    /// An EFS file system encrypted with KMS, reachable over NFS only from named clients in private subnets, with
    /// a file system policy that admits this account's clients through mount targets over TLS only; automatic
    /// backups and lifecycle to Infrequent Access; optionally an access point that fixes the user and directory.
    public static let efs = ServiceFamily(
        id: "efs",
        title: "EFS file system",
        summary:
            "KMS-encrypted EFS file system with mount targets in private subnets, NFS only from named clients, a TLS-only file system policy, automatic backups and lifecycle to Infrequent Access; optional access point",
        keywords: [
            "efs", "efs file system", "elastic file system", "file system", "filesystem", "nfs", "shared storage",
            "network file system", "shared file system",
        ],
        features: [
            FamilyFeature(
                id: "encryption", title: "KMS encryption", keywords: ["kms", "encryption", "encrypted"],
                enabledByDefault: true),
            FamilyFeature(
                id: "tls-only", title: "TLS-only file system policy",
                keywords: ["tls", "tls-only", "in transit", "encryption in transit", "secure transport"],
                enabledByDefault: true),
            FamilyFeature(
                id: "backups", title: "automatic backups", keywords: ["backups", "backup", "backed up"],
                enabledByDefault: true),
            FamilyFeature(
                id: "lifecycle", title: "lifecycle to Infrequent Access",
                keywords: ["lifecycle", "infrequent access", "tiering", "ia"], enabledByDefault: true),
            FamilyFeature(
                id: "access-point", title: "an access point with a fixed user and root directory",
                keywords: ["access point", "access points", "posix user", "root directory"]),
        ],
        plan: EFSPlan.make)
}

/// The plan behind ``ServiceFamily/efs``.
enum EFSPlan {
    static let transitions = ["AFTER_7_DAYS", "AFTER_14_DAYS", "AFTER_30_DAYS", "AFTER_60_DAYS", "AFTER_90_DAYS"]

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let accessPoint = requirements.has("access-point")
        let backups = requirements.has("backups")
        let lifecycle = requirements.has("lifecycle")
        let fileSystemARN = try P.ref("aws_efs_file_system.this.arn")

        var resources: [Block] = [
            try P.kmsKey(description: .template("Encryption of EFS file system ", .value(P.ref("var.name")))),
            try Block("resource", "aws_efs_file_system", "this") {
                try Attribute("creation_token", P.ref("var.name"))
                try Attribute("encrypted", .bool(true))
                try Attribute("kms_key_id", P.ref("local.kms_key_arn"))
                try Attribute("performance_mode", .string("generalPurpose"))
                try Attribute("throughput_mode", P.ref("var.throughput_mode"))
                if lifecycle {
                    try Block("lifecycle_policy") { try Attribute("transition_to_ia", P.ref("var.transition_to_ia")) }
                    try Block("lifecycle_policy") {
                        try Attribute("transition_to_primary_storage_class", .string("AFTER_1_ACCESS"))
                    }
                }
                try Attribute("tags", .call("merge", P.ref("local.tags"), .object([("Name", try P.ref("var.name"))])))
            },
            try Block(
                "resource", "aws_security_group", "this",
                comments: ["Only the given security groups and private networks reach NFS; nothing leaves."]
            ) {
                try Attribute("name", .template(.value(P.ref("var.name")), "-efs"))
                try Attribute("description", .template("EFS file system ", .value(P.ref("var.name"))))
                try Attribute("vpc_id", P.ref("var.vpc_id"))
                try Block("ingress") {
                    try Attribute("description", .string("NFS clients"))
                    try Attribute("from_port", .number(2049))
                    try Attribute("to_port", .number(2049))
                    try Attribute("protocol", .string("tcp"))
                    try Attribute("security_groups", P.ref("var.allowed_security_group_ids"))
                    try Attribute("cidr_blocks", P.ref("var.allowed_cidr_blocks"))
                }
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_efs_mount_target", "this") {
                try Attribute("count", .call("length", P.ref("var.subnet_ids")))
                try Attribute("file_system_id", P.ref("aws_efs_file_system.this.id"))
                try Attribute("subnet_id", HCLExpression(.index(try P.ref("var.subnet_ids"), P.ref("count.index"))))
                try Attribute("security_groups", .list([try P.ref("aws_security_group.this.id")]))
            },
            try Block("resource", "aws_efs_file_system_policy", "this") {
                try Attribute("file_system_id", P.ref("aws_efs_file_system.this.id"))
                try Attribute("bypass_policy_lockout_safety_check", .bool(false))
                try Attribute("policy", P.ref("data.aws_iam_policy_document.file_system.json"))
            },
        ]
        if backups {
            resources.append(
                try Block("resource", "aws_efs_backup_policy", "this") {
                    try Attribute("file_system_id", P.ref("aws_efs_file_system.this.id"))
                    try Block("backup_policy") { try Attribute("status", .string("ENABLED")) }
                })
        }
        if accessPoint {
            resources.append(
                try Block(
                    "resource", "aws_efs_access_point", "this",
                    comments: ["Clients of the access point act as one user, inside one directory."]
                ) {
                    try Attribute("file_system_id", P.ref("aws_efs_file_system.this.id"))
                    try Block("posix_user") {
                        try Attribute("uid", P.ref("var.posix_uid"))
                        try Attribute("gid", P.ref("var.posix_gid"))
                    }
                    try Block("root_directory") {
                        try Attribute("path", P.ref("var.access_point_path"))
                        try Block("creation_info") {
                            try Attribute("owner_uid", P.ref("var.posix_uid"))
                            try Attribute("owner_gid", P.ref("var.posix_gid"))
                            try Attribute("permissions", .string("0750"))
                        }
                    }
                    try Attribute("tags", P.ref("local.tags"))
                })
        }

        let dataSources: [Block] =
            try P.commonDataSources() + [
                try Block("data", "aws_iam_policy_document", "file_system") {
                    try Block("statement") {
                        try Attribute("sid", .string("AccountClientsThroughMountTargets"))
                        try Attribute(
                            "actions", P.strings(["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]))
                        try Attribute("resources", .list([fileSystemARN]))
                        try Block("principals") {
                            try Attribute("type", .string("AWS"))
                            try Attribute("identifiers", .list([try P.accountRoot()]))
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
                description: "Name of the file system and its security group.", pattern: "^[A-Za-z0-9_-]{1,60}$",
                rule: "1-60 letters, digits, hyphens and underscores"),
            try P.choiceVariable(
                "throughput_mode", description: "elastic (pay for what is used) or bursting.", default: "elastic",
                choices: ["elastic", "bursting"]),
        ]
        variables += try P.networkVariables()
        variables += [
            VariableSpec(
                "allowed_security_group_ids", type: "list(string)",
                description: "Security groups of the clients that may mount the file system.", default: .list([])),
            try P.privateCIDRsVariable(
                "allowed_cidr_blocks", description: "Private networks that may mount it (never 0.0.0.0/0).",
                default: .list([])),
            try P.kmsKeyVariable("the file system"),
            P.tagsVariable(),
        ]
        if lifecycle {
            variables.append(
                try P.choiceVariable(
                    "transition_to_ia", description: "When files not read move to Infrequent Access.",
                    default: "AFTER_30_DAYS", choices: transitions))
        }
        if accessPoint {
            variables += [
                try P.numberVariable(
                    "posix_uid", description: "User id clients of the access point act as.", default: 1000, minimum: 1),
                try P.numberVariable(
                    "posix_gid", description: "Group id clients of the access point act as.", default: 1000, minimum: 1),
                VariableSpec(
                    "access_point_path", type: "string", description: "Directory the access point exposes as its root.",
                    default: .string("/data"),
                    validations: [
                        (
                            try .call("startswith", P.ref("var.access_point_path"), .string("/")),
                            "access_point_path must be an absolute path."
                        )
                    ]),
            ]
        }

        var outputs: [OutputSpec] = [
            OutputSpec(
                "file_system_id", description: "Id of the file system.", value: try P.ref("aws_efs_file_system.this.id")
            ),
            OutputSpec("file_system_arn", description: "ARN of the file system.", value: fileSystemARN),
            OutputSpec(
                "dns_name", description: "DNS name clients mount (with the `tls` mount option).",
                value: try P.ref("aws_efs_file_system.this.dns_name")),
            OutputSpec(
                "security_group_id", description: "Security group of the mount targets.",
                value: try P.ref("aws_security_group.this.id")),
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key that encrypts the file system.",
                value: try P.ref("local.kms_key_arn")),
        ]
        if accessPoint {
            outputs.append(
                OutputSpec(
                    "access_point_arn", description: "ARN of the access point.",
                    value: try P.ref("aws_efs_access_point.this.arn")))
        }

        var notes = [
            "The file system is encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given).",
            "Mount targets sit in `subnet_ids`; their security group admits NFS (2049) only from `allowed_security_group_ids` and `allowed_cidr_blocks`, and sends nothing.",
            "The file system policy admits this account's clients through mount targets only, and denies every request not made over TLS (mount with `-o tls`).",
        ]
        if backups { notes.append("AWS Backup backs the file system up daily (`aws_efs_backup_policy`).") }
        if lifecycle {
            notes.append(
                "Files not read for `transition_to_ia` move to Infrequent Access and come back on their first read.")
        }
        if accessPoint {
            notes.append("Clients of the access point act as `posix_uid`:`posix_gid` inside `access_point_path`.")
        }

        var example: [(name: String, value: HCLExpression)] = [("name", .string(requirements.name))]
        example += [P.exampleVPC, P.exampleSubnets]
        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: dataSources, outputs: outputs, exampleInputs: example, securityNotes: notes, optOuts: [])
    }
}
