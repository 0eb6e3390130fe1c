import NimbusHCL

extension ServiceFamily {
    /// A private ECR repository with immutable tags, scan on push, a customer-managed KMS key and a lifecycle policy,
    /// with least-privilege pull and push policies; optionally cross-account pulls, replication to other regions and
    /// registry-wide enhanced (Inspector) scanning.
    public static let ecr = ServiceFamily(
        id: "ecr",
        title: "ECR repository",
        summary:
            "private ECR repository with immutable tags, scan on push, KMS encryption and a lifecycle policy; optional cross-account pull, cross-region replication and enhanced scanning",
        keywords: [
            "container image repository", "ecr", "ecr repository", "container registry", "docker registry",
            "image registry", "image repository", "container repository", "elastic container registry",
        ],
        features: [
            FamilyFeature(
                id: "immutable-tags", title: "immutable image tags",
                keywords: ["immutable tags", "immutable", "tag immutability", "immutable images"],
                enabledByDefault: true),
            FamilyFeature(
                id: "scan-on-push", title: "vulnerability scanning on push",
                keywords: ["scan on push", "image scanning", "vulnerability scanning", "scan", "scanned"],
                enabledByDefault: true),
            FamilyFeature(
                id: "encryption", title: "customer-managed KMS encryption",
                keywords: ["kms", "encryption", "encrypted"], enabledByDefault: true),
            FamilyFeature(
                id: "lifecycle", title: "a lifecycle policy that expires old images",
                keywords: ["lifecycle", "lifecycle policy", "cleanup", "clean up", "expiry", "expiration"],
                enabledByDefault: true),
            FamilyFeature(
                id: "cross-account", title: "pulls from other accounts",
                keywords: [
                    "cross-account", "cross account", "cross-account pull", "other accounts", "another account",
                    "repository policy",
                ]),
            FamilyFeature(
                id: "replication", title: "replication to other regions",
                keywords: ["replication", "replicated", "replicate", "cross-region", "multi-region"]),
            FamilyFeature(
                id: "enhanced-scanning", title: "registry-wide enhanced (Amazon Inspector) scanning",
                keywords: ["enhanced scanning", "continuous scanning", "inspector", "amazon inspector"]),
        ],
        plan: ECRPlan.make)
}

/// The plan behind ``ServiceFamily/ecr``.
enum ECRPlan {
    static let pullActions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    static let pushActions = [
        "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
        "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages",
    ]

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let crossAccount = requirements.has("cross-account")
        let replication = requirements.has("replication")
        let enhanced = requirements.has("enhanced-scanning")
        let repositoryARN = try P.ref("aws_ecr_repository.this.arn")
        let account = try P.ref("data.aws_caller_identity.current.account_id")

        let lifecycle = try HCLExpression.call(
            "jsonencode",
            .object([
                (
                    "rules",
                    .list([
                        .object([
                            ("rulePriority", .number(1)),
                            ("description", .string("Expire untagged images")),
                            (
                                "selection",
                                .object([
                                    ("tagStatus", .string("untagged")),
                                    ("countType", .string("sinceImagePushed")),
                                    ("countUnit", .string("days")),
                                    ("countNumber", try P.ref("var.untagged_image_expiry_days")),
                                ])
                            ),
                            ("action", .object([("type", .string("expire"))])),
                        ]),
                        .object([
                            ("rulePriority", .number(2)),
                            ("description", .string("Keep only the newest images")),
                            (
                                "selection",
                                .object([
                                    ("tagStatus", .string("any")),
                                    ("countType", .string("imageCountMoreThan")),
                                    ("countNumber", try P.ref("var.max_image_count")),
                                ])
                            ),
                            ("action", .object([("type", .string("expire"))])),
                        ]),
                    ])
                )
            ]))

        var resources: [Block] = [
            try P.kmsKey(description: .template("Encryption of ECR repository ", .value(P.ref("var.name")))),
            try Block("resource", "aws_ecr_repository", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute(
                    "image_tag_mutability", .string("IMMUTABLE"),
                    comments: ["A tag always names the same image: deployments cannot be swapped underneath."])
                try Attribute("force_delete", .bool(false))
                try Block("encryption_configuration") {
                    try Attribute("encryption_type", .string("KMS"))
                    try Attribute("kms_key", P.ref("local.kms_key_arn"))
                }
                try Block("image_scanning_configuration") { try Attribute("scan_on_push", .bool(true)) }
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_ecr_lifecycle_policy", "this") {
                try Attribute("repository", P.ref("aws_ecr_repository.this.name"))
                try Attribute("policy", lifecycle)
            },
        ]
        if crossAccount {
            resources.append(
                try Block("resource", "aws_ecr_repository_policy", "this") {
                    try Attribute("repository", P.ref("aws_ecr_repository.this.name"))
                    try Attribute("policy", P.ref("data.aws_iam_policy_document.repository.json"))
                })
        }
        if replication {
            resources.append(
                try Block(
                    "resource", "aws_ecr_replication_configuration", "this",
                    comments: [
                        "The registry has one replication configuration: manage it from one module only.",
                        "This repository (and any whose name starts with its name) is replicated, into the same account.",
                    ]
                ) {
                    try Block("replication_configuration") {
                        try Block("rule") {
                            try Block("dynamic", "destination") {
                                try Attribute("for_each", P.ref("var.replication_regions"))
                                try Block("content") {
                                    try Attribute("region", P.ref("destination.value"))
                                    try Attribute("registry_id", account)
                                }
                            }
                            try Block("repository_filter") {
                                try Attribute("filter", P.ref("aws_ecr_repository.this.name"))
                                try Attribute("filter_type", .string("PREFIX_MATCH"))
                            }
                        }
                    }
                })
        }
        if enhanced {
            resources.append(
                try Block(
                    "resource", "aws_ecr_registry_scanning_configuration", "this",
                    comments: [
                        "Registry-wide: Amazon Inspector scans this repository on push and continuously; manage it from one module only."
                    ]
                ) {
                    try Attribute("scan_type", .string("ENHANCED"))
                    try Block("rule") {
                        try Attribute("scan_frequency", .string("CONTINUOUS_SCAN"))
                        try Block("repository_filter") {
                            try Attribute("filter", P.ref("aws_ecr_repository.this.name"))
                            try Attribute("filter_type", .string("WILDCARD"))
                        }
                    }
                })
        }

        var dataSources: [Block] =
            try P.commonDataSources() + [
                try Block("data", "aws_iam_policy_document", "pull") {
                    try P.statement(sid: "PullImages", actions: pullActions, resources: [repositoryARN])
                    try P.statement(
                        sid: "Authenticate", actions: ["ecr:GetAuthorizationToken"], resources: [.string("*")])
                },
                try Block("data", "aws_iam_policy_document", "push") {
                    try P.statement(sid: "PushImages", actions: pushActions, resources: [repositoryARN])
                    try P.statement(
                        sid: "Authenticate", actions: ["ecr:GetAuthorizationToken"], resources: [.string("*")])
                },
            ]
        if crossAccount {
            dataSources.append(
                try Block("data", "aws_iam_policy_document", "repository") {
                    try Block("statement") {
                        try Attribute("sid", .string("CrossAccountPull"))
                        try Attribute("actions", P.strings(pullActions))
                        try Block("principals") {
                            try Attribute("type", .string("AWS"))
                            try Attribute(
                                "identifiers",
                                .forList(
                                    "account", in: P.ref("var.pull_account_ids"),
                                    yield: try P.arn("iam::", .value(try P.ref("account")), ":root")))
                        }
                    }
                })
        }

        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the repository (`team/app` namespaces allowed).",
                pattern: "^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$",
                rule: "lower-case letters and digits, separated by single dots, hyphens, underscores or slashes"),
            try P.numberVariable(
                "max_image_count", description: "Images kept; older ones expire.", default: 100, minimum: 1,
                maximum: 10000),
            try P.numberVariable(
                "untagged_image_expiry_days", description: "Days after which untagged images expire.", default: 14,
                minimum: 1),
            try P.kmsKeyVariable("the repository's images"),
            P.tagsVariable(),
        ]
        if crossAccount {
            variables.append(
                VariableSpec(
                    "pull_account_ids", type: "list(string)",
                    description: "Accounts whose principals may pull images (they still need IAM permission there).",
                    validations: [
                        (
                            .binary(
                                .and,
                                .binary(
                                    .greaterOrEqual, try .call("length", P.ref("var.pull_account_ids")), .number(1)),
                                try .call(
                                    "alltrue",
                                    .forList(
                                        "account", in: P.ref("var.pull_account_ids"),
                                        yield: .call("can", .call("regex", .string("^[0-9]{12}$"), P.ref("account")))))),
                            "pull_account_ids must hold at least one 12-digit account id."
                        )
                    ]))
        }
        if replication {
            variables.append(
                VariableSpec(
                    "replication_regions", type: "list(string)",
                    description: "Regions the repository is replicated to (in this account).",
                    validations: [
                        (
                            .binary(
                                .and,
                                .binary(
                                    .greaterOrEqual, try .call("length", P.ref("var.replication_regions")), .number(1)),
                                try .call(
                                    "alltrue",
                                    .forList(
                                        "region", in: P.ref("var.replication_regions"),
                                        yield: .call(
                                            "can",
                                            .call("regex", .string("^[a-z]{2}(-[a-z]+)+-[0-9]$"), P.ref("region")))))),
                            "replication_regions must hold at least one region name such as eu-central-1."
                        )
                    ]))
        }

        let outputs: [OutputSpec] = [
            OutputSpec(
                "repository_name", description: "Name of the repository.",
                value: try P.ref("aws_ecr_repository.this.name")),
            OutputSpec("repository_arn", description: "ARN of the repository.", value: repositoryARN),
            OutputSpec(
                "repository_url", description: "URL to tag and push images to.",
                value: try P.ref("aws_ecr_repository.this.repository_url")),
            OutputSpec(
                "registry_id", description: "Registry (account) of the repository.",
                value: try P.ref("aws_ecr_repository.this.registry_id")),
            OutputSpec(
                "pull_policy_json", description: "IAM policy that lets a role pull from this repository only.",
                value: try P.ref("data.aws_iam_policy_document.pull.json")),
            OutputSpec(
                "push_policy_json", description: "IAM policy that lets a CI role push to this repository only.",
                value: try P.ref("data.aws_iam_policy_document.push.json")),
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key of the repository.",
                value: try P.ref("local.kms_key_arn")),
        ]

        var notes = [
            "Tags are immutable: a tag always names the image first pushed under it.",
            enhanced
                ? "Amazon Inspector scans images on push and continuously (enhanced scanning)."
                : "Images are scanned for vulnerabilities on push.",
            "Images are encrypted with a customer-managed KMS key (a new key with yearly rotation unless `kms_key_arn` is given).",
            "Untagged images expire after `untagged_image_expiry_days` days and only the newest `max_image_count` images are kept.",
            "The repository is private: only this account's IAM principals can use it; `pull_policy_json` and `push_policy_json` grant what a runtime or CI role needs on this repository only (ecr:GetAuthorizationToken takes no resource).",
            "The repository cannot be deleted while it holds images (`force_delete` is off).",
        ]
        if crossAccount {
            notes.append(
                "The repository policy lets `pull_account_ids` pull images, nothing else; their principals still need IAM permission in their accounts."
            )
        }
        if replication {
            notes.append(
                "The repository (and any whose name starts with its name) is replicated to `replication_regions`, where ECR encrypts the replicas with KMS (its AWS-managed key unless a repository creation template there sets another); the registry has a single replication configuration, so manage it from one module only."
            )
        }
        if enhanced {
            notes.append(
                "Enhanced scanning is set for the whole registry (one configuration per registry): manage it from one module only; Amazon Inspector bills per image scanned."
            )
        }

        var example: [(name: String, value: HCLExpression)] = [("name", .string(requirements.name))]
        if crossAccount { example.append(("pull_account_ids", P.strings(["444455556666"]))) }
        if replication { example.append(("replication_regions", P.strings(["eu-central-1"]))) }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: dataSources, outputs: outputs, exampleInputs: example, securityNotes: notes, optOuts: [])
    }
}
