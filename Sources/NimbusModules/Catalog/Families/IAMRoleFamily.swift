import NimbusHCL

extension ServiceFamily {
    /// An IAM role for AWS services (or other accounts, with an external id) and a least-privilege inline policy
    /// whose statements may not use wildcards.
    public static let iamRole = ServiceFamily(
        id: "iam-role",
        title: "IAM role",
        summary:
            "IAM role trusted by named services (or accounts, with an external id) and a least-privilege policy that refuses wildcards",
        keywords: ["iam role", "iam", "role", "service role", "iam policy", "permissions"],
        features: [
            FamilyFeature(
                id: "least-privilege", title: "least-privilege policy (no wildcards)",
                keywords: ["least privilege", "least-privilege", "no wildcards", "scoped", "minimal"],
                enabledByDefault: true),
            FamilyFeature(
                id: "cross-account", title: "cross-account trust with an external id",
                keywords: ["cross-account", "cross account", "external id", "another account", "other account"]),
            FamilyFeature(
                id: "instance-profile", title: "an EC2 instance profile",
                keywords: ["instance profile", "profile"]),
            FamilyFeature(
                id: "permissions-boundary", title: "a permissions boundary",
                keywords: ["permissions boundary", "permission boundary", "boundary"]),
        ],
        plan: IAMRolePlan.make)
}

/// The plan behind ``ServiceFamily/iamRole``.
enum IAMRolePlan {
    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let crossAccount = requirements.has("cross-account")
        let instanceProfile = requirements.has("instance-profile")
        let boundary = requirements.has("permissions-boundary")
        // Services are optional only when something else may assume the role.
        let servicesOptional = crossAccount || instanceProfile

        var resources: [Block] = [
            try Block("resource", "aws_iam_role", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("description", P.ref("var.description"))
                try Attribute("assume_role_policy", P.ref("data.aws_iam_policy_document.assume.json"))
                try Attribute("max_session_duration", P.ref("var.max_session_duration"))
                if boundary { try Attribute("permissions_boundary", P.ref("var.permissions_boundary_arn")) }
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_iam_role_policy", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("role", P.ref("aws_iam_role.this.id"))
                try Attribute("policy", P.ref("data.aws_iam_policy_document.this.json"))
            },
            try Block("resource", "aws_iam_role_policy_attachment", "managed") {
                try Attribute("for_each", .call("toset", P.ref("var.managed_policy_arns")))
                try Attribute("role", P.ref("aws_iam_role.this.name"))
                try Attribute("policy_arn", P.ref("each.value"))
            },
        ]
        if instanceProfile {
            resources.append(
                try Block("resource", "aws_iam_instance_profile", "this") {
                    try Attribute("name", P.ref("var.name"))
                    try Attribute("role", P.ref("aws_iam_role.this.name"))
                    try Attribute("tags", P.ref("local.tags"))
                })
        }

        let serviceTrust: (HCLExpression) throws -> [BodyItem] = { identifiers in
            [
                .attribute(try Attribute("sid", .string("TrustedServices"))),
                .attribute(try Attribute("actions", P.strings(["sts:AssumeRole"]))),
                .block(
                    try Block("principals") {
                        try Attribute("type", .string("Service"))
                        try Attribute("identifiers", identifiers)
                    }),
            ]
        }
        let assume = try Block("data", "aws_iam_policy_document", "assume") {
            if servicesOptional {
                try Block("dynamic", "statement") {
                    try Attribute(
                        "for_each",
                        .conditional(
                            .binary(.greater, .call("length", P.ref("var.trusted_services")), .number(0)),
                            .list([try P.ref("var.trusted_services")]), .list([])))
                    try Block("content") { try serviceTrust(P.ref("statement.value")) }
                }
            } else {
                try Block("statement") { try serviceTrust(P.ref("var.trusted_services")) }
            }
            if crossAccount {
                try Block("statement") {
                    try Attribute("sid", .string("TrustedAccounts"))
                    try Attribute("actions", P.strings(["sts:AssumeRole"]))
                    try Block("principals") {
                        try Attribute("type", .string("AWS"))
                        try Attribute(
                            "identifiers",
                            .forList(
                                "account", in: P.ref("var.trusted_account_ids"),
                                yield: try P.arn("iam::", .value(P.ref("account")), ":root")))
                    }
                    try Block(
                        "condition",
                        comments: ["The external id keeps a third party from being tricked into acting here."]
                    ) {
                        try Attribute("test", .string("StringEquals"))
                        try Attribute("variable", .string("sts:ExternalId"))
                        try Attribute("values", .list([try P.ref("var.external_id")]))
                    }
                }
            }
        }
        let dataSources: [Block] =
            try P.commonDataSources() + [
                assume,
                try Block("data", "aws_iam_policy_document", "this") {
                    try Block("dynamic", "statement") {
                        try Attribute("for_each", P.ref("var.policy_statements"))
                        try Block("content") {
                            try Attribute("sid", P.ref("statement.value.sid"))
                            try Attribute("effect", .string("Allow"))
                            try Attribute("actions", P.ref("statement.value.actions"))
                            try Attribute("resources", P.ref("statement.value.resources"))
                        }
                    }
                },
            ]

        let statements = try P.ref("var.policy_statements")
        func everyStatement(_ condition: HCLExpression) throws -> HCLExpression {
            try .call("alltrue", .forList("statement", in: statements, yield: condition))
        }
        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the role and its policy.", pattern: "^[A-Za-z0-9+=,.@_-]{1,64}$",
                rule: "1-64 letters, digits and +=,.@_-"),
            VariableSpec(
                "description", type: "string", description: "What the role is for.",
                default: .string("Managed by Terraform")),
            VariableSpec(
                "policy_statements",
                type: "list(object({ sid = string, actions = list(string), resources = list(string) }))",
                description:
                    "What the role may do: Allow statements with named actions on named resources (no wildcards).",
                validations: [
                    (
                        .binary(.greater, try .call("length", statements), .number(0)),
                        "policy_statements must hold at least one statement."
                    ),
                    (
                        try everyStatement(
                            .call(
                                "alltrue",
                                .forList(
                                    "action", in: P.ref("statement.actions"),
                                    yield: .binary(
                                        .and, .binary(.notEqual, P.ref("action"), .string("*")),
                                        .unary(.not, .call("endswith", P.ref("action"), .string(":*"))))))),
                        "policy_statements may not use wildcard actions (\"*\" or \"service:*\"); name each action."
                    ),
                    (
                        try everyStatement(.unary(.not, .call("contains", P.ref("statement.resources"), .string("*")))),
                        "policy_statements may not use \"*\" as a resource; name the resources."
                    ),
                    (
                        try everyStatement(
                            .call("can", .call("regex", .string("^[A-Za-z0-9]+$"), P.ref("statement.sid")))),
                        "each statement's sid must be letters and digits only."
                    ),
                ]),
            VariableSpec(
                "trusted_services", type: "list(string)",
                description: "AWS services that may assume the role (lambda.amazonaws.com).",
                default: servicesOptional ? P.strings(instanceProfile ? ["ec2.amazonaws.com"] : []) : nil,
                validations: [
                    (
                        try .call(
                            "alltrue",
                            .forList(
                                "service", in: P.ref("var.trusted_services"),
                                yield: .call("endswith", P.ref("service"), .string(".amazonaws.com")))),
                        "trusted_services must be service principals such as lambda.amazonaws.com."
                    )
                ]
                    + (servicesOptional
                        ? []
                        : [
                            (
                                .binary(.greater, try .call("length", P.ref("var.trusted_services")), .number(0)),
                                "trusted_services must name at least one service."
                            )
                        ])),
            VariableSpec(
                "managed_policy_arns", type: "list(string)",
                description: "Managed policies to attach as well (never AdministratorAccess or IAMFullAccess).",
                default: .list([]),
                validations: [
                    (
                        try .call(
                            "alltrue",
                            .forList(
                                "arn", in: P.ref("var.managed_policy_arns"),
                                yield: .unary(
                                    .not,
                                    .call(
                                        "can",
                                        .call(
                                            "regex",
                                            .string(":policy/(AdministratorAccess|IAMFullAccess|PowerUserAccess)$"),
                                            P.ref("arn")))))),
                        "managed_policy_arns may not grant administrator, IAM or power-user access."
                    )
                ]),
            try P.numberVariable(
                "max_session_duration", description: "Longest session, in seconds.", default: 3600, minimum: 3600,
                maximum: 43200),
            P.tagsVariable(),
        ]
        if crossAccount {
            variables += [
                VariableSpec(
                    "trusted_account_ids", type: "list(string)",
                    description: "Accounts whose principals may assume the role.",
                    validations: [
                        (
                            try .call(
                                "alltrue",
                                .forList(
                                    "account", in: P.ref("var.trusted_account_ids"),
                                    yield: .call("can", .call("regex", .string("^[0-9]{12}$"), P.ref("account"))))),
                            "trusted_account_ids must be 12-digit account ids."
                        ),
                        (
                            .binary(.greater, try .call("length", P.ref("var.trusted_account_ids")), .number(0)),
                            "trusted_account_ids must name at least one account."
                        ),
                    ]),
                VariableSpec(
                    "external_id", type: "string",
                    description: "Secret the other account must pass when assuming the role.",
                    validations: [
                        (
                            .binary(.greaterOrEqual, try .call("length", P.ref("var.external_id")), .number(16)),
                            "external_id must be at least 16 characters."
                        )
                    ], sensitive: true),
            ]
        }
        if boundary {
            variables.append(
                VariableSpec(
                    "permissions_boundary_arn", type: "string",
                    description: "Policy that caps what the role can ever be granted.",
                    validations: [
                        (
                            try .call(
                                "can",
                                .call("regex", .string("^arn:aws[a-z-]*:iam::"), P.ref("var.permissions_boundary_arn"))),
                            "permissions_boundary_arn must be an IAM policy ARN."
                        )
                    ]))
        }

        var outputs: [OutputSpec] = [
            OutputSpec("role_arn", description: "ARN of the role.", value: try P.ref("aws_iam_role.this.arn")),
            OutputSpec("role_name", description: "Name of the role.", value: try P.ref("aws_iam_role.this.name")),
        ]
        if instanceProfile {
            outputs.append(
                OutputSpec(
                    "instance_profile_name", description: "Name of the instance profile.",
                    value: try P.ref("aws_iam_instance_profile.this.name")))
        }

        var notes = [
            "The inline policy allows only the `policy_statements` given; validations refuse wildcard actions and `*` resources.",
            "Attached managed policies may not be AdministratorAccess, IAMFullAccess or PowerUserAccess.",
            "Sessions last at most `max_session_duration` seconds (one hour by default).",
        ]
        if crossAccount {
            notes.append("Other accounts may assume the role only with the `external_id` (kept sensitive).")
        }
        if boundary { notes.append("A permissions boundary caps what the role can be granted later.") }

        var example: [(name: String, value: HCLExpression)] = [
            ("name", .string(requirements.name)),
            (
                "policy_statements",
                .list([
                    .object([
                        ("sid", .string("ReadReports")),
                        ("actions", P.strings(["s3:GetObject"])),
                        ("resources", P.strings(["arn:aws:s3:::example-reports/*"])),
                    ])
                ])
            ),
        ]
        if !servicesOptional { example.append(("trusted_services", P.strings(["lambda.amazonaws.com"]))) }
        if crossAccount {
            example += [
                ("trusted_account_ids", P.strings(["111122223333"])),
                ("external_id", .string("example-external-id-0001")),
            ]
        }
        if boundary {
            example.append(("permissions_boundary_arn", .string("arn:aws:iam::111122223333:policy/boundary")))
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements)],
            dataSources: dataSources, outputs: outputs, exampleInputs: example, securityNotes: notes, optOuts: [])
    }
}
