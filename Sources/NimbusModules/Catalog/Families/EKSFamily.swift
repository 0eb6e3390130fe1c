import NimbusHCL

extension ServiceFamily {
    /// An EKS cluster with a private API endpoint, secrets encrypted with KMS, every control-plane log in an
    /// encrypted log group, access entries instead of the aws-auth map, and a managed node group on hardened
    /// launch templates; optionally a restricted public endpoint and the Pod Identity agent.
    public static let eks = ServiceFamily(
        id: "eks",
        title: "EKS cluster",
        summary:
            "EKS cluster with a private endpoint, KMS-encrypted secrets, all control-plane logs, access entries and a managed node group with IMDSv2 and encrypted volumes; optional restricted public endpoint and Pod Identity",
        keywords: ["eks", "kubernetes", "k8s", "eks cluster", "kubernetes cluster"],
        features: [
            FamilyFeature(
                id: "private-endpoint", title: "private API endpoint",
                keywords: ["private endpoint", "private", "private api"], enabledByDefault: true),
            FamilyFeature(
                id: "secrets-encryption", title: "KMS encryption of secrets",
                keywords: ["secrets encryption", "kms", "encryption", "encrypted"], enabledByDefault: true),
            FamilyFeature(
                id: "control-plane-logging", title: "control-plane logging",
                keywords: ["control plane logging", "control-plane logging", "audit logs", "logging", "logs", "audit"],
                enabledByDefault: true),
            FamilyFeature(
                id: "node-group", title: "a managed node group",
                keywords: ["node group", "managed node group", "nodes", "worker nodes", "workers"],
                enabledByDefault: true),
            FamilyFeature(
                id: "public-endpoint", title: "a public API endpoint restricted to given networks",
                keywords: ["public endpoint", "public api", "public access", "public"]),
            FamilyFeature(
                id: "pod-identity", title: "the EKS Pod Identity agent",
                keywords: ["pod identity", "pod identities", "irsa", "workload identity"]),
        ],
        plan: EKSPlan.make)
}

/// The plan behind ``ServiceFamily/eks``.
enum EKSPlan {
    static let versions = ["1.30", "1.31", "1.32", "1.33"]
    static let logTypes = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let publicEndpoint = requirements.has("public-endpoint")
        let podIdentity = requirements.has("pod-identity")
        let clusterName = try P.ref("aws_eks_cluster.this.name")

        var resources: [Block] = [
            try P.kmsKey(
                description: .template("Encryption of EKS cluster ", .value(P.ref("var.name"))),
                serviceStatements: [try P.logsUseStatement()]),
            try Block(
                "resource", "aws_cloudwatch_log_group", "this",
                comments: ["Made before the cluster so the control-plane logs are encrypted and expire."]
            ) {
                try Attribute("name", .template("/aws/eks/", .value(try P.ref("var.name")), "/cluster"))
                try Attribute("retention_in_days", P.ref("var.log_retention_days"))
                try Attribute("kms_key_id", P.ref("local.kms_key_arn"))
                try Attribute("tags", P.ref("local.tags"))
            },
            try P.serviceRole("cluster", suffix: "cluster", trust: "cluster_assume"),
            try P.managedPolicyAttachment("cluster", role: "cluster", policy: "AmazonEKSClusterPolicy"),
            try Block("resource", "aws_eks_cluster", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("version", P.ref("var.kubernetes_version"))
                try Attribute("role_arn", P.ref("aws_iam_role.cluster.arn"))
                try Attribute("enabled_cluster_log_types", P.strings(logTypes))
                try Block("vpc_config") {
                    try Attribute("subnet_ids", P.ref("var.subnet_ids"))
                    try Attribute("endpoint_private_access", .bool(true))
                    try Attribute("endpoint_public_access", .bool(publicEndpoint))
                    if publicEndpoint { try Attribute("public_access_cidrs", P.ref("var.public_access_cidrs")) }
                }
                try Block("encryption_config") {
                    try Attribute("resources", P.strings(["secrets"]))
                    try Block("provider") { try Attribute("key_arn", P.ref("local.kms_key_arn")) }
                }
                try Block(
                    "access_config",
                    comments: ["Access entries, not the aws-auth ConfigMap; the creator gets no implicit admin."]
                ) {
                    try Attribute("authentication_mode", .string("API"))
                    try Attribute("bootstrap_cluster_creator_admin_permissions", .bool(false))
                }
                try Attribute("tags", P.ref("local.tags"))
                try Attribute(
                    "depends_on",
                    .list([
                        try P.ref("aws_cloudwatch_log_group.this"), try P.ref("aws_iam_role_policy_attachment.cluster"),
                    ]))
            },
            try Block("resource", "aws_eks_access_entry", "admin") {
                try Attribute("for_each", .call("toset", P.ref("var.admin_role_arns")))
                try Attribute("cluster_name", clusterName)
                try Attribute("principal_arn", P.ref("each.value"))
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_eks_access_policy_association", "admin") {
                try Attribute("for_each", .call("toset", P.ref("var.admin_role_arns")))
                try Attribute("cluster_name", clusterName)
                try Attribute(
                    "principal_arn",
                    P.ref("aws_eks_access_entry.admin").index(try P.ref("each.value")).attribute("principal_arn"))
                try Attribute("policy_arn", try P.arn("eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"))
                try Block("access_scope") { try Attribute("type", .string("cluster")) }
            },
            try P.serviceRole("node", suffix: "node", trust: "node_assume"),
            try P.managedPolicyAttachment("node_worker", role: "node", policy: "AmazonEKSWorkerNodePolicy"),
            try P.managedPolicyAttachment("node_cni", role: "node", policy: "AmazonEKS_CNI_Policy"),
            try P.managedPolicyAttachment("node_ecr", role: "node", policy: "AmazonEC2ContainerRegistryReadOnly"),
            try P.managedPolicyAttachment("node_ssm", role: "node", policy: "AmazonSSMManagedInstanceCore"),
            try Block("resource", "aws_launch_template", "node") {
                try Attribute("name_prefix", .template(.value(try P.ref("var.name")), "-node-"))
                try Block(
                    "metadata_options", comments: ["IMDSv2 only, one hop: pods cannot borrow the node's role."]
                ) {
                    try Attribute("http_endpoint", .string("enabled"))
                    try Attribute("http_tokens", .string("required"))
                    try Attribute("http_put_response_hop_limit", .number(1))
                }
                try Block("block_device_mappings") {
                    try Attribute("device_name", .string("/dev/xvda"))
                    try Block("ebs") {
                        try Attribute("volume_size", P.ref("var.node_disk_size"))
                        try Attribute("volume_type", .string("gp3"))
                        try Attribute("encrypted", .bool(true))
                        try Attribute("kms_key_id", P.ref("var.node_volume_kms_key_arn"))
                        try Attribute("delete_on_termination", .bool(true))
                    }
                }
                try Block("monitoring") { try Attribute("enabled", .bool(true)) }
                try Block("tag_specifications") {
                    try Attribute("resource_type", .string("instance"))
                    try Attribute("tags", P.ref("local.tags"))
                }
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_eks_node_group", "this") {
                try Attribute("cluster_name", clusterName)
                try Attribute("node_group_name", .template(.value(try P.ref("var.name")), "-default"))
                try Attribute("node_role_arn", P.ref("aws_iam_role.node.arn"))
                try Attribute("subnet_ids", P.ref("var.subnet_ids"))
                try Attribute("ami_type", P.ref("var.node_ami_type"))
                try Attribute("instance_types", P.ref("var.node_instance_types"))
                try Block("scaling_config") {
                    try Attribute("desired_size", P.ref("var.node_desired_size"))
                    try Attribute("min_size", P.ref("var.node_min_size"))
                    try Attribute("max_size", P.ref("var.node_max_size"))
                }
                try Block("update_config") { try Attribute("max_unavailable", .number(1)) }
                try Block("launch_template") {
                    try Attribute("id", P.ref("aws_launch_template.node.id"))
                    try Attribute("version", P.ref("aws_launch_template.node.latest_version"))
                }
                try Attribute("tags", P.ref("local.tags"))
                try Block("lifecycle", comments: ["The cluster autoscaler owns the size once the group exists."]) {
                    try Attribute("ignore_changes", .list([try P.ref("scaling_config.0.desired_size")]))
                }
                try Attribute(
                    "depends_on",
                    .list([
                        try P.ref("aws_iam_role_policy_attachment.node_worker"),
                        try P.ref("aws_iam_role_policy_attachment.node_cni"),
                        try P.ref("aws_iam_role_policy_attachment.node_ecr"),
                    ]))
            },
        ]
        if podIdentity {
            resources.append(
                try Block("resource", "aws_eks_addon", "pod_identity") {
                    try Attribute("cluster_name", clusterName)
                    try Attribute("addon_name", .string("eks-pod-identity-agent"))
                    try Attribute("tags", P.ref("local.tags"))
                })
        }

        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the cluster and prefix of its roles and node group.",
                pattern: "^[a-z][a-z0-9-]{0,37}$",
                rule: "1-38 lower-case letters, digits and hyphens, starting with a letter"),
            try P.choiceVariable(
                "kubernetes_version", description: "Kubernetes version (one AWS still supports).", default: "1.32",
                choices: versions),
            VariableSpec(
                "subnet_ids", type: "list(string)",
                description:
                    "Private subnets, in at least two availability zones, for the control plane's interfaces and the nodes.",
                validations: [
                    (
                        .binary(.greaterOrEqual, try .call("length", P.ref("var.subnet_ids")), .number(2)),
                        "subnet_ids must name at least two subnets (in different availability zones)."
                    )
                ]),
            VariableSpec(
                "admin_role_arns", type: "list(string)", description: "IAM roles given cluster-admin access.",
                validations: [
                    (
                        try .call(
                            "alltrue",
                            .forList(
                                "arn", in: P.ref("var.admin_role_arns"),
                                yield: .call(
                                    "can", .call("regex", .string("^arn:aws[a-z-]*:iam::[0-9]{12}:role/"), P.ref("arn"))
                                ))),
                        "admin_role_arns must be IAM role ARNs."
                    )
                ]),
            VariableSpec(
                "node_instance_types", type: "list(string)", description: "Instance types of the nodes.",
                default: P.strings(["m6i.large"])),
            try P.choiceVariable(
                "node_ami_type", description: "AMI type of the nodes.", default: "AL2023_x86_64_STANDARD",
                choices: [
                    "AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64",
                ]),
            try P.numberVariable("node_desired_size", description: "Nodes to start with.", default: 2, minimum: 1),
            try P.numberVariable("node_min_size", description: "Fewest nodes.", default: 2, minimum: 1),
            try P.numberVariable("node_max_size", description: "Most nodes.", default: 6, minimum: 1),
            try P.numberVariable(
                "node_disk_size", description: "Root volume of each node in GiB.", default: 50, minimum: 20),
            VariableSpec(
                "node_volume_kms_key_arn", type: "string",
                description:
                    "KMS key for the nodes' volumes; null uses the account's EBS key (a customer key must let the Auto Scaling service-linked role use it).",
                default: .null),
            try P.kmsKeyVariable("Kubernetes secrets and the control-plane logs"),
            try P.logRetentionVariable(),
            P.tagsVariable(),
        ]
        if publicEndpoint {
            variables.append(
                try P.privateCIDRsVariable(
                    "public_access_cidrs",
                    description: "Networks (an office, a VPN) that may reach the public API endpoint; never 0.0.0.0/0.")
            )
        }

        var outputs: [OutputSpec] = [
            OutputSpec("cluster_name", description: "Name of the cluster.", value: clusterName),
            OutputSpec(
                "cluster_endpoint", description: "URL of the Kubernetes API.",
                value: try P.ref("aws_eks_cluster.this.endpoint")),
            OutputSpec(
                "cluster_certificate_authority", description: "Base64 certificate of the cluster's authority.",
                value: try P.ref("aws_eks_cluster.this.certificate_authority.0.data")),
            OutputSpec(
                "cluster_security_group_id", description: "Security group EKS made for the control plane and nodes.",
                value: try P.ref("aws_eks_cluster.this.vpc_config.0.cluster_security_group_id")),
            OutputSpec(
                "oidc_issuer_url", description: "OIDC issuer of the cluster, for IAM roles for service accounts.",
                value: try P.ref("aws_eks_cluster.this.identity.0.oidc.0.issuer")),
            OutputSpec("node_role_arn", description: "Role of the nodes.", value: try P.ref("aws_iam_role.node.arn")),
        ]
        outputs.append(
            OutputSpec(
                "kms_key_arn", description: "ARN of the KMS key of the cluster.", value: try P.ref("local.kms_key_arn"))
        )

        var notes = [
            publicEndpoint
                ? "The API endpoint is private and public, the public side reachable only from `public_access_cidrs` (never 0.0.0.0/0)."
                : "The API endpoint is private: reach it from inside the VPC (a VPN, a bastion through Session Manager).",
            "Kubernetes secrets are encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given).",
            "All five control-plane logs go to an encrypted log group kept `log_retention_days`.",
            "Access is granted through access entries to `admin_role_arns`; the creator gets no implicit admin rights.",
            "Nodes run on launch templates with IMDSv2 only (hop limit 1), encrypted gp3 volumes and detailed monitoring, without SSH.",
        ]
        if podIdentity { notes.append("The Pod Identity agent lets pods get their own roles.") }

        var optOuts: [PolicyOptOut] = []
        if publicEndpoint {
            optOuts.append(
                PolicyOptOut(
                    "CKV_AWS_39",
                    reason:
                        "the public endpoint was asked for; it is limited to `public_access_cidrs`, which may not be 0.0.0.0/0."
                ))
        }

        var example: [(name: String, value: HCLExpression)] = [
            ("name", .string(requirements.name)), P.exampleSubnets,
            ("admin_role_arns", P.strings(["arn:aws:iam::111122223333:role/platform-admin"])),
        ]
        if publicEndpoint { example.append(("public_access_cidrs", P.strings(["203.0.113.0/24"]))) }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: try P.commonDataSources() + [
                try P.assumeRoleDocument("cluster_assume", services: ["eks.amazonaws.com"]),
                try P.assumeRoleDocument("node_assume", services: ["ec2.amazonaws.com"]),
            ],
            outputs: outputs, exampleInputs: example, securityNotes: notes, optOuts: optOuts)
    }
}
