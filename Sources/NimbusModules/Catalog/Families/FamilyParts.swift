import NimbusHCL

/// Pieces most families plan the same way: tags, the KMS key made when none is given, log groups, IAM roles for
/// AWS services, and the variables behind them. Kept in one place so every family's secure default is the same.
enum FamilyParts {
    // MARK: - Expressions

    static func ref(_ path: String) throws -> HCLExpression { try .reference(path) }

    static func strings(_ values: [String]) -> HCLExpression { .list(values.map(HCLExpression.string)) }

    /// `arn:<partition>:<rest>`, for ARNs that must work in every partition.
    static func arn(_ pieces: TemplatePiece...) throws -> HCLExpression {
        let partition = try ref("data.aws_partition.current.partition")
        return HCLExpression.template(
            pieces.reduce(into: [TemplatePiece.text("arn:"), .value(partition), ":"]) { $0.append($1) })
    }

    /// `arn:<partition>:iam::aws:policy/NAME`: an AWS managed policy.
    static func managedPolicy(_ name: String) throws -> HCLExpression {
        try arn("iam::aws:policy/\(name)")
    }

    /// `var.x == null`
    static func isNull(_ path: String) throws -> HCLExpression { .binary(.equal, try ref(path), .null) }

    /// `condition ? 1 : 0`, for `count`.
    static func countIf(_ condition: HCLExpression) -> HCLExpression {
        .conditional(condition, .number(1), .number(0))
    }

    // MARK: - Data sources

    static func commonDataSources() throws -> [Block] {
        [
            try Block("data", "aws_caller_identity", "current") {},
            try Block("data", "aws_partition", "current") {},
            try Block("data", "aws_region", "current") {},
        ]
    }

    /// A trust policy that lets an AWS service (`lambda.amazonaws.com`) assume a role. With `onlyThisAccount`,
    /// the service may assume it only on this account's behalf (`aws:SourceAccount`): for services documented to
    /// send that key (flow logs, RDS monitoring, ECS tasks); others would be locked out by the condition.
    static func assumeRoleDocument(_ name: String, services: [String], onlyThisAccount: Bool = false) throws -> Block {
        try Block("data", "aws_iam_policy_document", name) {
            try Block("statement") {
                try Attribute("actions", strings(["sts:AssumeRole"]))
                try Block("principals") {
                    try Attribute("type", .string("Service"))
                    try Attribute("identifiers", strings(services))
                }
                if onlyThisAccount {
                    try Block("condition") {
                        try Attribute("test", .string("StringEquals"))
                        try Attribute("variable", .string("aws:SourceAccount"))
                        try Attribute("values", .list([try ref("data.aws_caller_identity.current.account_id")]))
                    }
                }
            }
        }
    }

    // MARK: - Tags

    static func tagsLocal(_ requirements: ModuleRequirements) throws -> LocalSpec {
        LocalSpec(
            "tags",
            try .call(
                "merge", ref("var.tags"),
                .object([("ManagedBy", .string("terraform")), ("Module", .string(requirements.name))])))
    }

    static func tagsVariable() -> VariableSpec {
        VariableSpec(
            "tags", type: "map(string)", description: "Tags for every resource.",
            default: .object([(String, HCLExpression)]()))
    }

    // MARK: - Names

    /// A `name` variable checked against `pattern`.
    static func nameVariable(
        _ variable: String = "name", description: String, pattern: String, rule: String
    ) throws -> VariableSpec {
        VariableSpec(
            variable, type: "string", description: description,
            validations: [
                (
                    try .call("can", .call("regex", .string(pattern), ref("var.\(variable)"))),
                    "\(variable) must be \(rule)."
                )
            ])
    }

    /// A number variable with a lower (and optional upper) bound.
    static func numberVariable(
        _ name: String, description: String, default value: Int, minimum: Int, maximum: Int? = nil
    ) throws -> VariableSpec {
        let variable = try ref("var.\(name)")
        var condition = HCLExpression.binary(.greaterOrEqual, variable, .number(minimum))
        var message = "\(name) must be at least \(minimum)."
        if let maximum {
            condition = .binary(.and, condition, .binary(.lessOrEqual, variable, .number(maximum)))
            message = "\(name) must be between \(minimum) and \(maximum)."
        }
        return VariableSpec(
            name, type: "number", description: description, default: .number(value),
            validations: [(condition, message)])
    }

    /// A string variable limited to `choices`.
    static func choiceVariable(
        _ name: String, description: String, default value: String, choices: [String]
    ) throws -> VariableSpec {
        VariableSpec(
            name, type: "string", description: description, default: .string(value),
            validations: [
                (
                    try .call("contains", strings(choices), ref("var.\(name)")),
                    "\(name) must be one of: \(choices.joined(separator: ", "))."
                )
            ])
    }

    /// A list of CIDR blocks that may not be the whole internet (`0.0.0.0/0`, `::/0`).
    static func privateCIDRsVariable(
        _ name: String, description: String, default value: HCLExpression? = nil
    ) throws
        -> VariableSpec
    {
        let variable = try ref("var.\(name)")
        return VariableSpec(
            name, type: "list(string)", description: description, default: value,
            validations: [
                (
                    try .call(
                        "alltrue",
                        .forList("cidr", in: variable, yield: .call("can", .call("cidrhost", ref("cidr"), .number(0))))),
                    "\(name) must hold CIDR blocks."
                ),
                (
                    .unary(
                        .not,
                        .binary(
                            .or, try .call("contains", variable, .string("0.0.0.0/0")),
                            try .call("contains", variable, .string("::/0")))),
                    "\(name) may not open the module to the whole internet (0.0.0.0/0 or ::/0)."
                ),
            ])
    }

    // MARK: - KMS

    /// `var.kms_key_arn`: a key to use instead of the one the module creates.
    static func kmsKeyVariable(_ purpose: String) throws -> VariableSpec {
        VariableSpec(
            "kms_key_arn", type: "string",
            description: "KMS key that encrypts \(purpose); a new key with rotation is created when null.",
            default: .null,
            validations: [
                (
                    .binary(
                        .or, try isNull("var.kms_key_arn"),
                        try .call("can", .call("regex", .string("^arn:aws[a-z-]*:kms:"), ref("var.kms_key_arn")))),
                    "kms_key_arn must be a KMS key ARN."
                )
            ])
    }

    /// `local.kms_key_arn`: the given key, or the one the module created.
    static func kmsKeyLocal() throws -> LocalSpec {
        LocalSpec(
            "kms_key_arn",
            .conditional(try isNull("var.kms_key_arn"), try ref("aws_kms_key.this.0.arn"), try ref("var.kms_key_arn")))
    }

    /// The account's root principal: the account's IAM policies decide who administers the key.
    static func accountRoot() throws -> HCLExpression {
        try arn("iam::", .value(ref("data.aws_caller_identity.current.account_id")), ":root")
    }

    /// A key policy statement that lets an AWS service use the key (never administer it).
    static func serviceUseStatement(
        sid: String, service: HCLExpression, condition: (test: String, key: String, value: HCLExpression)? = nil
    ) -> HCLExpression {
        var members: [(String, HCLExpression)] = [
            ("Sid", .string(sid)),
            ("Effect", .string("Allow")),
            ("Principal", .object([("Service", service)])),
            (
                "Action",
                strings(["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"])
            ),
            ("Resource", .string("*")),
        ]
        if let condition {
            members.append(("Condition", .object([(condition.test, .object([(condition.key, condition.value)]))])))
        }
        return .object(members)
    }

    /// The statement that lets CloudWatch Logs in this region encrypt this account's log groups with the key.
    static func logsUseStatement() throws -> HCLExpression {
        let region = try ref("data.aws_region.current.name")
        return serviceUseStatement(
            sid: "CloudWatchLogsUseKey", service: .template("logs.", .value(region), ".amazonaws.com"),
            condition: (
                "ArnLike", "kms:EncryptionContext:aws:logs:arn",
                try arn(
                    "logs:", .value(region), ":", .value(ref("data.aws_caller_identity.current.account_id")),
                    ":log-group:*")
            ))
    }

    /// The KMS key a family creates when `var.kms_key_arn` is null: rotated yearly, 30-day deletion window, with a
    /// policy that leaves administration to the account and lets the named services use the key.
    ///
    /// The policy is written inline with `jsonencode` so IAM-policy checks do not read a key policy's `"*"`
    /// resource (which means "this key") as a wildcard.
    static func kmsKey(
        description: HCLExpression, serviceStatements: [HCLExpression] = [], extraStatements: HCLExpression? = nil
    ) throws -> Block {
        let administer = HCLExpression.object([
            ("Sid", .string("AccountAdministersKey")),
            ("Effect", .string("Allow")),
            ("Principal", .object([("AWS", try accountRoot())])),
            ("Action", .string("kms:*")),
            ("Resource", .string("*")),
        ])
        let statements = HCLExpression.list([administer] + serviceStatements)
        return try Block(
            "resource", "aws_kms_key", "this", comments: ["Created only when no key is given; rotated yearly."]
        ) {
            try Attribute("count", countIf(try isNull("var.kms_key_arn")))
            try Attribute("description", description)
            try Attribute("enable_key_rotation", .bool(true))
            try Attribute("deletion_window_in_days", .number(30))
            try Attribute(
                "policy",
                .call(
                    "jsonencode",
                    .object([
                        ("Version", .string("2012-10-17")),
                        ("Statement", try extraStatements.map { try .call("concat", statements, $0) } ?? statements),
                    ])))
            try Attribute("tags", ref("local.tags"))
        }
    }

    // MARK: - Logs

    /// A CloudWatch log group encrypted with `local.kms_key_arn`, kept `var.log_retention_days`.
    static func logGroup(_ label: String, name: HCLExpression) throws -> Block {
        try Block("resource", "aws_cloudwatch_log_group", label) {
            try Attribute("name", name)
            try Attribute("retention_in_days", ref("var.log_retention_days"))
            try Attribute("kms_key_id", ref("local.kms_key_arn"))
            try Attribute("tags", ref("local.tags"))
        }
    }

    /// The retention values CloudWatch Logs accepts, from one year up (compliance keeps logs at least a year).
    static let logRetentionChoices = [365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]

    static func logRetentionVariable() throws -> VariableSpec {
        VariableSpec(
            "log_retention_days", type: "number",
            description: "Days the logs are kept: one of CloudWatch Logs' retention values, at least 365.",
            default: .number(365),
            validations: [
                (
                    try .call(
                        "contains", .list(logRetentionChoices.map(HCLExpression.number)), ref("var.log_retention_days")),
                    "log_retention_days must be one of "
                        + logRetentionChoices.map(String.init).joined(separator: ", ") + "."
                )
            ])
    }

    /// One e-mail subscription of the topic per address of `var.email_addresses`.
    static func emailSubscriptions(topicARN: HCLExpression) throws -> Block {
        try Block(
            "resource", "aws_sns_topic_subscription", "email",
            comments: ["Each address must confirm its subscription from the e-mail AWS sends."]
        ) {
            try Attribute("for_each", .call("toset", ref("var.email_addresses")))
            try Attribute("topic_arn", topicARN)
            try Attribute("protocol", .string("email"))
            try Attribute("endpoint", ref("each.value"))
        }
    }

    /// `email_addresses`, a list validated as e-mail addresses, for topics with e-mail subscriptions.
    static func emailAddressesVariable(_ description: String) throws -> VariableSpec {
        VariableSpec(
            "email_addresses", type: "list(string)", description: description,
            validations: [
                (
                    try .call(
                        "alltrue",
                        .forList(
                            "address", in: ref("var.email_addresses"),
                            yield: .call(
                                "can", .call("regex", .string("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"), ref("address"))))),
                    "email_addresses must be e-mail addresses."
                )
            ])
    }

    // MARK: - IAM

    /// A role a service assumes, named `<var.name>-<suffix>`, trusting it through `data.aws_iam_policy_document.<trust>`.
    static func serviceRole(_ label: String, suffix: String, trust: String) throws -> Block {
        try Block("resource", "aws_iam_role", label) {
            try Attribute("name", .template(.value(ref("var.name")), "-\(suffix)"))
            try Attribute("assume_role_policy", ref("data.aws_iam_policy_document.\(trust).json"))
            try Attribute("tags", ref("local.tags"))
        }
    }

    /// A parameter of an RDS or Aurora parameter group. The TLS-enforcing ones are static parameters, applied at
    /// the next reboot.
    static func databaseParameter(_ name: String, _ value: String) throws -> Block {
        try Block("parameter") {
            try Attribute("name", .string(name))
            try Attribute("value", .string(value))
            if name == "rds.force_ssl" || name == "require_secure_transport" {
                try Attribute("apply_method", .string("pending-reboot"))
            }
        }
    }

    /// Attaches an AWS managed policy to a role.
    static func managedPolicyAttachment(_ label: String, role: String, policy: String) throws -> Block {
        try Block("resource", "aws_iam_role_policy_attachment", label) {
            try Attribute("role", ref("aws_iam_role.\(role).name"))
            try Attribute("policy_arn", managedPolicy(policy))
        }
    }

    /// A policy statement for a data `aws_iam_policy_document`.
    static func statement(sid: String, actions: [String], resources: [HCLExpression]) throws -> Block {
        try Block("statement") {
            try Attribute("sid", .string(sid))
            try Attribute("actions", strings(actions))
            try Attribute("resources", .list(resources))
        }
    }

    /// A resource-policy statement that denies every request not made over TLS.
    static func denyInsecureTransport(actions: [String], resources: [HCLExpression]) throws -> Block {
        try Block("statement") {
            try Attribute("sid", .string("DenyInsecureTransport"))
            try Attribute("effect", .string("Deny"))
            try Attribute("actions", strings(actions))
            try Attribute("resources", .list(resources))
            try Block("principals") {
                try Attribute("type", .string("*"))
                try Attribute("identifiers", strings(["*"]))
            }
            try Block("condition") {
                try Attribute("test", .string("Bool"))
                try Attribute("variable", .string("aws:SecureTransport"))
                try Attribute("values", strings(["false"]))
            }
        }
    }

    // MARK: - Networking

    /// Variables for a VPC and its (private) subnets.
    static func networkVariables() throws -> [VariableSpec] {
        [
            VariableSpec(
                "vpc_id", type: "string", description: "VPC the resources are placed in.",
                validations: [
                    (try .call("can", .call("regex", .string("^vpc-"), ref("var.vpc_id"))), "vpc_id must be a VPC id.")
                ]),
            VariableSpec(
                "subnet_ids", type: "list(string)",
                description: "Private subnets, in at least two availability zones.",
                validations: [
                    (
                        .binary(.greaterOrEqual, try .call("length", ref("var.subnet_ids")), .number(2)),
                        "subnet_ids must name at least two subnets (in different availability zones)."
                    )
                ]),
        ]
    }

    /// A security group's only way out: HTTPS to `var.egress_cidr_blocks`.
    static func httpsEgress(_ description: String) throws -> Block {
        try Block("egress") {
            try Attribute("description", .string(description))
            try Attribute("from_port", .number(443))
            try Attribute("to_port", .number(443))
            try Attribute("protocol", .string("tcp"))
            try Attribute("cidr_blocks", ref("var.egress_cidr_blocks"))
        }
    }

    /// `egress_cidr_blocks` for `httpsEgress`, open to anywhere by default.
    static func egressVariable(_ description: String) -> VariableSpec {
        VariableSpec(
            "egress_cidr_blocks", type: "list(string)", description: description, default: strings(["0.0.0.0/0"]))
    }

    static let exampleVPC: (name: String, value: HCLExpression) = ("vpc_id", .string("vpc-0123456789abcdef0"))
    static let exampleSubnets: (name: String, value: HCLExpression) = (
        "subnet_ids", .list([.string("subnet-0123456789abcdef0"), .string("subnet-0fedcba9876543210")])
    )

    // MARK: - Databases

    /// `database_name` and `master_username`, for a database created in an RDS instance or an Aurora cluster.
    static func databaseVariables(createdIn place: String) throws -> [VariableSpec] {
        [
            VariableSpec(
                "database_name", type: "string", description: "Name of the database created in the \(place).",
                default: .string("app"),
                validations: [
                    (
                        try .call(
                            "can", .call("regex", .string("^[A-Za-z][A-Za-z0-9_]{0,62}$"), ref("var.database_name"))),
                        "database_name must be a letter followed by up to 62 letters, digits and underscores."
                    )
                ]),
            VariableSpec(
                "master_username", type: "string",
                description: "Administrator user name; its password is generated and kept in Secrets Manager.",
                default: .string("dbadmin"),
                validations: [
                    (
                        try .call(
                            "can", .call("regex", .string("^[A-Za-z][A-Za-z0-9_]{0,15}$"), ref("var.master_username"))
                        ),
                        "master_username must be a letter followed by up to 15 letters, digits and underscores."
                    )
                ]),
        ]
    }
}

/// Pieces the data-store families (ElastiCache, Aurora, EFS, OpenSearch) share: a security group that admits only
/// the given clients on one port, and the variables naming those clients.
enum DataParts {
    /// `aws_security_group.this`, named `<var.name>-<suffix>`: `port` in from `var.allowed_security_group_ids` and
    /// `var.allowed_cidr_blocks`, nothing out.
    static func clientSecurityGroup(
        suffix: String, what: HCLExpression, port: HCLExpression, clients: String
    ) throws -> Block {
        typealias P = FamilyParts
        return try Block(
            "resource", "aws_security_group", "this",
            comments: ["Only the given security groups and private networks reach the port; nothing leaves."]
        ) {
            try Attribute("name", .template(.value(try P.ref("var.name")), "-\(suffix)"))
            try Attribute("description", what)
            try Attribute("vpc_id", P.ref("var.vpc_id"))
            try Block("ingress") {
                try Attribute("description", .string(clients))
                try Attribute("from_port", port)
                try Attribute("to_port", port)
                try Attribute("protocol", .string("tcp"))
                try Attribute("security_groups", P.ref("var.allowed_security_group_ids"))
                try Attribute("cidr_blocks", P.ref("var.allowed_cidr_blocks"))
            }
            try Attribute("tags", P.ref("local.tags"))
        }
    }

    /// `allowed_security_group_ids` and `allowed_cidr_blocks` (never the whole internet), both empty by default.
    static func clientVariables() throws -> [VariableSpec] {
        [
            VariableSpec(
                "allowed_security_group_ids", type: "list(string)",
                description: "Security groups of the clients that may connect.", default: .list([])),
            try FamilyParts.privateCIDRsVariable(
                "allowed_cidr_blocks", description: "Private networks that may connect (never 0.0.0.0/0).",
                default: .list([])),
        ]
    }
}
