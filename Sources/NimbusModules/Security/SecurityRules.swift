import Foundation
public import NimbusHCL

/// How bad a finding is.
public enum FindingSeverity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case critical, high, medium, low

    /// SARIF's level for the severity.
    public var sarifLevel: String {
        switch self {
        case .critical, .high: "error"
        case .medium: "warning"
        case .low: "note"
        }
    }

    private var rank: Int {
        switch self {
        case .critical: 3
        case .high: 2
        case .medium: 1
        case .low: 0
        }
    }

    public static func < (lhs: FindingSeverity, rhs: FindingSeverity) -> Bool { lhs.rank < rhs.rank }
}

/// What a rule found: which rule, how bad, where, what is wrong and how to fix it.
public struct SecurityFinding: Sendable, Hashable, Codable {
    public var rule: String
    public var severity: FindingSeverity
    /// The resource address (`aws_s3_bucket.this`).
    public var resource: String
    public var message: String
    public var fix: String
    public var file: String
    public var line: Int

    public init(
        rule: String, severity: FindingSeverity, resource: String, message: String, fix: String, file: String,
        line: Int
    ) {
        self.rule = rule
        self.severity = severity
        self.resource = resource
        self.message = message
        self.fix = fix
        self.file = file
        self.line = line
    }
}

/// A Nimbus security or best-practice rule.
public struct SecurityRule: Sendable {
    public let id: String
    public let title: String
    public let severity: FindingSeverity
    /// What the rule protects against, for `nimbus module check --rules` and SARIF.
    public let rationale: String
    let check: @Sendable (RuleContext, SecurityRule) -> [SecurityFinding]

    init(
        _ id: String, _ title: String, severity: FindingSeverity, rationale: String,
        check: @escaping @Sendable (RuleContext, SecurityRule) -> [SecurityFinding]
    ) {
        self.id = id
        self.title = title
        self.severity = severity
        self.rationale = rationale
        self.check = check
    }

    func finding(
        _ resource: Module.Resource, _ message: String, fix: String, severity: FindingSeverity? = nil
    )
        -> SecurityFinding
    {
        SecurityFinding(
            rule: id, severity: severity ?? self.severity, resource: resource.address, message: message, fix: fix,
            file: resource.file, line: resource.block.range.start.line)
    }
}

/// What rules read: the module, an evaluator that knows variable defaults, and lookups across resources.
struct RuleContext {
    let module: Module
    let evaluator: Evaluator

    init(module: Module) {
        self.module = module
        var evaluator = module.evaluator()
        // Rules judge the configuration a module gets by default: variables take their defaults when they have
        // one, and stay unknown (not judged) otherwise.
        var defaults: [String: Value] = [:]
        for variable in module.variables {
            if let value = variable.defaultValue, let known = try? evaluator.evaluate(value) {
                defaults[variable.name] = known
            } else {
                defaults[variable.name] = .unknown(variable.type ?? .any)
            }
        }
        evaluator.variables["var"] = .object(defaults)
        self.evaluator = evaluator
    }

    func resources(_ type: String) -> [Module.Resource] {
        module.resources.filter { $0.mode == .managed && $0.type == type }
    }

    func dataSource(_ address: String) -> Module.Resource? {
        module.resources.first { $0.mode == .data && $0.address == address }
    }

    /// The value of an attribute, following nested blocks (`versioning_configuration.status`); nil when absent,
    /// unknown when it cannot be decided.
    func value(_ block: Block, _ path: String) -> Value? {
        var body = block.body
        let parts = path.split(separator: ".").map(String.init)
        for part in parts.dropLast() {
            guard let inner = body.blocks(part).first else { return nil }
            body = inner.body
        }
        guard let attribute = body.attribute(parts.last ?? "") else { return nil }
        return (try? evaluator.evaluate(attribute.value)) ?? .unknown(.any)
    }

    func isTrue(_ block: Block, _ path: String) -> Bool? {
        guard let value = value(block, path) else { return nil }
        if case .bool(let flag) = value { return flag }
        if case .string(let text) = value { return text == "true" }
        return nil
    }

    func string(_ block: Block, _ path: String) -> String? {
        if case .string(let text)? = value(block, path) { return text }
        return nil
    }

    func number(_ block: Block, _ path: String) -> Double? {
        if case .number(let number)? = value(block, path) { return Double("\(number)") }
        return nil
    }

    /// The source text of an attribute's expression (for spotting references such as `aws_s3_bucket.this`).
    func text(_ block: Block, _ name: String) -> String? {
        block.body.attribute(name).map { Printer.print($0.value) }
    }

    /// Whether `block`'s attribute `name` refers to the resource `target` (`aws_s3_bucket.this.id`, `.bucket`…).
    func refers(_ block: Block, _ name: String, to target: Module.Resource) -> Bool {
        guard let text = text(block, name) else { return false }
        return text.range(of: #"\b\#(target.address)\b(\[[0-9]+\])?(\.|$)"#, options: .regularExpression) != nil
    }

    /// Resources of `type` whose `attribute` refers to `target`.
    func attached(_ type: String, by attribute: String = "bucket", to target: Module.Resource) -> [Module.Resource] {
        resources(type).filter { refers($0.block, attribute, to: target) }
    }

    /// Whether a rule is suppressed for a resource by a `# nimbus:skip=RULE reason` comment above it.
    func skipped(_ rule: String, _ resource: Module.Resource) -> Bool {
        resource.block.leadingComments.contains { comment in
            comment.range(of: #"nimbus:skip=\#(rule)\b"#, options: .regularExpression) != nil
        }
    }
}

/// Nimbus's security and best-practice rules for Terraform modules, run by `nimbus module check` and by the module
/// generator's validator on every generated module.
public enum SecurityRules {
    /// Every rule, in id order.
    public static var all: [SecurityRule] { storageRules + networkRules + databaseRules + identityRules + computeRules }

    /// Runs every rule on `module`; findings suppressed with `# nimbus:skip=RULE` comments are left out.
    public static func check(_ module: Module) -> [SecurityFinding] {
        let context = RuleContext(module: module)
        var findings: [SecurityFinding] = []
        for rule in all {
            for finding in rule.check(context, rule) {
                if let resource = module.resources.first(where: { $0.address == finding.resource }),
                    context.skipped(rule.id, resource)
                {
                    continue
                }
                findings.append(finding)
            }
        }
        return findings.sorted { ($0.severity, $1.file, $1.line) > ($1.severity, $0.file, $0.line) }
    }

    // MARK: - S3, KMS, SQS, SNS, DynamoDB

    static let storageRules: [SecurityRule] = [
        SecurityRule(
            "NIM-S3-001", "S3 buckets are encrypted with KMS", severity: .high,
            rationale: "Objects at rest must be encrypted with keys the account controls and audits."
        ) { context, rule in
            context.resources("aws_s3_bucket").compactMap { bucket in
                let configurations = context.attached("aws_s3_bucket_server_side_encryption_configuration", to: bucket)
                let algorithms = configurations.compactMap {
                    context.string($0.block, "rule.apply_server_side_encryption_by_default.sse_algorithm")
                }
                if configurations.isEmpty {
                    return rule.finding(
                        bucket, "the bucket has no default encryption configuration",
                        fix: "add aws_s3_bucket_server_side_encryption_configuration with sse_algorithm = \"aws:kms\"")
                }
                if let algorithm = algorithms.first, !algorithm.hasPrefix("aws:kms") {
                    return rule.finding(
                        bucket, "the bucket is encrypted with \(algorithm), not a KMS key",
                        fix: "use sse_algorithm = \"aws:kms\" with a customer-managed key", severity: .medium)
                }
                return nil
            }
        },
        SecurityRule(
            "NIM-S3-002", "S3 buckets block every kind of public access", severity: .high,
            rationale: "A bucket made public by an ACL or a policy leaks data."
        ) { context, rule in
            context.resources("aws_s3_bucket").compactMap { bucket in
                guard let block = context.attached("aws_s3_bucket_public_access_block", to: bucket).first else {
                    return rule.finding(
                        bucket, "the bucket has no public access block",
                        fix: "add aws_s3_bucket_public_access_block with all four settings true")
                }
                let settings = [
                    "block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets",
                ]
                let off = settings.filter { context.isTrue(block.block, $0) != true }
                guard !off.isEmpty else { return nil }
                return rule.finding(
                    bucket, "the public access block leaves \(off.joined(separator: ", ")) off",
                    fix: "set \(off.joined(separator: ", ")) to true")
            }
        },
        SecurityRule(
            "NIM-S3-003", "S3 buckets are versioned", severity: .medium,
            rationale: "Versions let overwritten or deleted objects be recovered."
        ) { context, rule in
            context.resources("aws_s3_bucket").compactMap { bucket in
                let enabled = context.attached("aws_s3_bucket_versioning", to: bucket).contains {
                    context.string($0.block, "versioning_configuration.status") == "Enabled"
                }
                return enabled
                    ? nil
                    : rule.finding(
                        bucket, "versioning is not enabled",
                        fix: "add aws_s3_bucket_versioning with versioning_configuration { status = \"Enabled\" }")
            }
        },
        SecurityRule(
            "NIM-S3-004", "S3 buckets log access", severity: .medium,
            rationale: "Access logs are the record of who read or changed what."
        ) { context, rule in
            let logTargets = context.resources("aws_s3_bucket_logging").compactMap {
                context.text($0.block, "target_bucket")
            }
            return context.resources("aws_s3_bucket").compactMap { bucket in
                // A bucket that receives other buckets' logs is not expected to log itself.
                if logTargets.contains(where: { $0.contains(bucket.address) }) { return nil }
                return context.attached("aws_s3_bucket_logging", to: bucket).isEmpty
                    ? rule.finding(
                        bucket, "access logging is not configured",
                        fix: "add aws_s3_bucket_logging with a target bucket") : nil
            }
        },
        SecurityRule(
            "NIM-S3-005", "S3 buckets refuse requests without TLS", severity: .high,
            rationale: "Requests over plain HTTP can be read or altered in transit."
        ) { context, rule in
            context.resources("aws_s3_bucket").compactMap { bucket in
                let policies = context.attached("aws_s3_bucket_policy", to: bucket)
                let denies = policies.contains { policy in
                    guard let text = context.text(policy.block, "policy") else { return false }
                    if text.contains("aws:SecureTransport") { return true }
                    // A policy document data source: look at its statements.
                    guard
                        let match = text.range(
                            of: #"data\.aws_iam_policy_document\.[A-Za-z0-9_-]+"#, options: .regularExpression),
                        let document = context.dataSource(String(text[match]))
                    else { return false }
                    return Printer.print(document.block.body).contains("aws:SecureTransport")
                }
                return denies
                    ? nil
                    : rule.finding(
                        bucket, "no bucket policy denies requests made without TLS",
                        fix: "add a bucket policy statement that denies s3:* when aws:SecureTransport is false")
            }
        },
        SecurityRule(
            "NIM-S3-006", "S3 buckets abort incomplete multipart uploads", severity: .low,
            rationale: "Abandoned multipart uploads cost storage and are invisible in listings."
        ) { context, rule in
            context.resources("aws_s3_bucket").compactMap { bucket in
                let aborts = context.attached("aws_s3_bucket_lifecycle_configuration", to: bucket).contains {
                    $0.block.body.blocks("rule").contains {
                        !$0.body.blocks("abort_incomplete_multipart_upload").isEmpty
                    }
                }
                return aborts
                    ? nil
                    : rule.finding(
                        bucket, "no lifecycle rule aborts incomplete multipart uploads",
                        fix: "add a lifecycle rule with abort_incomplete_multipart_upload")
            }
        },
        SecurityRule(
            "NIM-KMS-001", "KMS keys rotate", severity: .high,
            rationale: "Rotation limits how much data one key version protects."
        ) { context, rule in
            context.resources("aws_kms_key").compactMap { key in
                let spec = context.string(key.block, "customer_master_key_spec") ?? "SYMMETRIC_DEFAULT"
                guard spec == "SYMMETRIC_DEFAULT", context.isTrue(key.block, "enable_key_rotation") != true else {
                    return nil
                }
                return rule.finding(key, "key rotation is not enabled", fix: "set enable_key_rotation = true")
            }
        },
        SecurityRule(
            "NIM-SQS-001", "SQS queues are encrypted", severity: .medium,
            rationale: "Messages at rest must be encrypted."
        ) { context, rule in
            context.resources("aws_sqs_queue").compactMap { queue in
                let kms = queue.block.body.attribute("kms_master_key_id") != nil
                let managed = context.isTrue(queue.block, "sqs_managed_sse_enabled") == true
                return kms || managed
                    ? nil
                    : rule.finding(queue, "the queue is not encrypted", fix: "set kms_master_key_id to a KMS key")
            }
        },
        SecurityRule(
            "NIM-SNS-001", "SNS topics are encrypted", severity: .medium,
            rationale: "Notifications at rest must be encrypted."
        ) { context, rule in
            context.resources("aws_sns_topic").compactMap { topic in
                topic.block.body.attribute("kms_master_key_id") != nil
                    ? nil : rule.finding(topic, "the topic is not encrypted", fix: "set kms_master_key_id to a KMS key")
            }
        },
        SecurityRule(
            "NIM-DDB-001", "DynamoDB tables can be restored to a point in time", severity: .medium,
            rationale: "Point-in-time recovery undoes accidental writes and deletes."
        ) { context, rule in
            context.resources("aws_dynamodb_table").compactMap { table in
                context.isTrue(table.block, "point_in_time_recovery.enabled") == true
                    ? nil
                    : rule.finding(
                        table, "point-in-time recovery is off", fix: "add point_in_time_recovery { enabled = true }")
            }
        },
    ]

    // MARK: - Networks, load balancers, CloudFront, CloudTrail

    static let adminPorts: [(port: Int, name: String)] = [(22, "SSH"), (3389, "RDP")]

    static let networkRules: [SecurityRule] = [
        SecurityRule(
            "NIM-SG-001", "Admin ports are not open to the internet", severity: .critical,
            rationale: "SSH and RDP open to 0.0.0.0/0 or ::/0 are scanned and attacked within minutes."
        ) { context, rule in
            var findings: [SecurityFinding] = []
            func open(_ block: Block, cidrs: [String]) -> [String] {
                let world = cidrs.filter { $0 == "0.0.0.0/0" || $0 == "::/0" }
                guard !world.isEmpty else { return [] }
                let protocolText = context.string(block, "protocol") ?? context.string(block, "ip_protocol") ?? "tcp"
                let from = Int(context.number(block, "from_port") ?? 0)
                let to = Int(context.number(block, "to_port") ?? 65535)
                let allPorts = protocolText == "-1" || protocolText == "all"
                return adminPorts.filter { allPorts || ($0.port >= from && $0.port <= to) }.map {
                    "\($0.name) (\($0.port))"
                }
            }
            func cidrs(_ block: Block, _ names: [String]) -> [String] {
                names.flatMap { name -> [String] in
                    switch context.value(block, name) {
                    case .string(let text)?: return [text]
                    case .list(let values, _)?, .tuple(let values)?, .set(let values, _)?:
                        return values.compactMap { if case .string(let text) = $0 { text } else { nil } }
                    default: return []
                    }
                }
            }
            for group in context.resources("aws_security_group") {
                for ingress in group.block.body.blocks("ingress") {
                    let exposed = open(ingress, cidrs: cidrs(ingress, ["cidr_blocks", "ipv6_cidr_blocks"]))
                    if !exposed.isEmpty {
                        findings.append(
                            rule.finding(
                                group, "ingress opens \(exposed.joined(separator: ", ")) to the internet",
                                fix: "allow the admin port only from known CIDRs or use SSM Session Manager"))
                    }
                }
            }
            for type in ["aws_security_group_rule", "aws_vpc_security_group_ingress_rule"] {
                for resource in context.resources(type) {
                    if type == "aws_security_group_rule", context.string(resource.block, "type") != "ingress" {
                        continue
                    }
                    let exposed = open(
                        resource.block,
                        cidrs: cidrs(resource.block, ["cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6"]))
                    if !exposed.isEmpty {
                        findings.append(
                            rule.finding(
                                resource, "the rule opens \(exposed.joined(separator: ", ")) to the internet",
                                fix: "allow the admin port only from known CIDRs or use SSM Session Manager"))
                    }
                }
            }
            return findings
        },
        SecurityRule(
            "NIM-VPC-001", "VPCs record flow logs", severity: .medium,
            rationale: "Flow logs are the record of network traffic for investigations."
        ) { context, rule in
            context.resources("aws_vpc").compactMap { vpc in
                context.attached("aws_flow_log", by: "vpc_id", to: vpc).isEmpty
                    ? rule.finding(
                        vpc, "the VPC has no flow log", fix: "add aws_flow_log with vpc_id = \(vpc.address).id")
                    : nil
            }
        },
        SecurityRule(
            "NIM-TRAIL-001", "CloudTrail trails are validated, encrypted and multi-region", severity: .high,
            rationale: "An audit trail must be complete and tamper-evident."
        ) { context, rule in
            context.resources("aws_cloudtrail").compactMap { trail in
                var missing: [String] = []
                if context.isTrue(trail.block, "enable_log_file_validation") != true {
                    missing.append("log file validation")
                }
                if trail.block.body.attribute("kms_key_id") == nil { missing.append("KMS encryption") }
                if context.isTrue(trail.block, "is_multi_region_trail") != true { missing.append("multi-region") }
                return missing.isEmpty
                    ? nil
                    : rule.finding(
                        trail, "the trail lacks \(missing.joined(separator: ", "))",
                        fix: "enable \(missing.joined(separator: ", "))")
            }
        },
        SecurityRule(
            "NIM-ALB-001", "Load balancers drop invalid headers", severity: .medium,
            rationale: "Invalid header fields are a vector for request smuggling."
        ) { context, rule in
            context.resources("aws_lb").compactMap { balancer in
                let type = context.string(balancer.block, "load_balancer_type") ?? "application"
                guard type == "application", context.isTrue(balancer.block, "drop_invalid_header_fields") != true else {
                    return nil
                }
                return rule.finding(
                    balancer, "invalid header fields are passed on", fix: "set drop_invalid_header_fields = true")
            }
        },
        SecurityRule(
            "NIM-CF-001", "CloudFront serves only HTTPS", severity: .high,
            rationale: "Viewers must not be able to use plain HTTP."
        ) { context, rule in
            context.resources("aws_cloudfront_distribution").compactMap { distribution in
                let behaviours =
                    distribution.block.body.blocks("default_cache_behavior")
                    + distribution.block.body.blocks("ordered_cache_behavior")
                let plain = behaviours.contains { context.string($0, "viewer_protocol_policy") == "allow-all" }
                return plain
                    ? rule.finding(
                        distribution, "a cache behaviour allows plain HTTP",
                        fix: "set viewer_protocol_policy = \"redirect-to-https\"")
                    : nil
            }
        },
    ]

    // MARK: - Databases

    static let databaseRules: [SecurityRule] = [
        SecurityRule(
            "NIM-RDS-001", "RDS storage is encrypted", severity: .high,
            rationale: "Database storage and snapshots must be encrypted."
        ) { context, rule in
            (context.resources("aws_db_instance") + context.resources("aws_rds_cluster")).compactMap { database in
                // A replica inherits its source's encryption.
                if database.block.body.attribute("replicate_source_db") != nil { return nil }
                return context.isTrue(database.block, "storage_encrypted") == true
                    ? nil
                    : rule.finding(
                        database, "storage is not encrypted", fix: "set storage_encrypted = true and a kms_key_id")
            }
        },
        SecurityRule(
            "NIM-RDS-002", "RDS databases keep automated backups", severity: .high,
            rationale: "Without backups a bad change or a failure loses data."
        ) { context, rule in
            (context.resources("aws_db_instance") + context.resources("aws_rds_cluster")).compactMap { database in
                if database.block.body.attribute("replicate_source_db") != nil { return nil }
                let days = context.number(database.block, "backup_retention_period")
                if database.block.body.attribute("backup_retention_period") == nil || (days.map { $0 < 1 } ?? false) {
                    return rule.finding(
                        database, "automated backups are off", fix: "set backup_retention_period to 7 or more days")
                }
                return nil
            }
        },
        SecurityRule(
            "NIM-RDS-003", "RDS databases are protected from deletion", severity: .medium,
            rationale: "A destroy or a typo must not drop a database."
        ) { context, rule in
            (context.resources("aws_db_instance") + context.resources("aws_rds_cluster")).compactMap { database in
                context.isTrue(database.block, "deletion_protection") == false
                    || database.block.body.attribute("deletion_protection") == nil
                    ? rule.finding(database, "deletion protection is off", fix: "set deletion_protection = true") : nil
            }
        },
        SecurityRule(
            "NIM-RDS-004", "RDS instances are multi-AZ", severity: .medium,
            rationale: "A single-AZ database goes down with its zone."
        ) { context, rule in
            context.resources("aws_db_instance").compactMap { database in
                if database.block.body.attribute("replicate_source_db") != nil { return nil }
                return context.isTrue(database.block, "multi_az") == false
                    || database.block.body.attribute("multi_az") == nil
                    ? rule.finding(database, "the instance is single-AZ", fix: "set multi_az = true") : nil
            }
        },
        SecurityRule(
            "NIM-RDS-005", "RDS databases are not publicly accessible", severity: .critical,
            rationale: "A database with a public address is attacked directly."
        ) { context, rule in
            context.resources("aws_db_instance").compactMap { database in
                context.isTrue(database.block, "publicly_accessible") == true
                    ? rule.finding(
                        database, "the database is publicly accessible", fix: "set publicly_accessible = false") : nil
            }
        },
    ]

    // MARK: - IAM

    /// Actions that cannot be scoped to a resource, so `"*"` is the only resource they take.
    static let unscopableActions: Set<String> = [
        "xray:PutTraceSegments", "xray:PutTelemetryRecords", "ecr:GetAuthorizationToken", "sts:GetCallerIdentity",
        "logs:CreateLogGroup", "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces",
        "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
        "cloudwatch:PutMetricData",
        // CloudWatch Logs' vended log delivery (Step Functions, API Gateway, EventBridge Pipes logging).
        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    ]

    struct Statement {
        var effect: String
        var actions: [String]
        var resources: [String]
    }

    /// Statements of a `data "aws_iam_policy_document"` block.
    static func statements(inDocument block: Block, context: RuleContext) -> [Statement] {
        block.body.blocks("statement").map { statement in
            Statement(
                effect: context.string(statement, "effect") ?? "Allow",
                actions: strings(context.value(statement, "actions")),
                resources: strings(context.value(statement, "resources")))
        }
    }

    /// Statements of a JSON policy (a `jsonencode(…)` or a heredoc) when it can be evaluated.
    static func statements(inPolicy value: Value?) -> [Statement] {
        var object: [String: Value]?
        switch value {
        case .string(let text)?:
            if let data = text.data(using: .utf8),
                let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            {
                return statements(fromJSON: json)
            }
        case .object(let members)?: object = members
        case .map(let members, _)?: object = members
        default: break
        }
        guard let object else { return [] }
        let list: [Value]
        switch object["Statement"] {
        case .tuple(let values)?, .list(let values, _)?: list = values
        case .object(let single)?: list = [.object(single)]
        default: list = []
        }
        return list.compactMap { statement in
            guard let members = statement.members else { return nil }
            var effect = "Allow"
            if case .string(let text)? = members["Effect"] { effect = text }
            return Statement(
                effect: effect, actions: strings(members["Action"]), resources: strings(members["Resource"]))
        }
    }

    static func statements(fromJSON json: [String: Any]) -> [Statement] {
        let list: [[String: Any]] =
            (json["Statement"] as? [[String: Any]]) ?? ((json["Statement"] as? [String: Any]).map { [$0] } ?? [])
        func values(_ any: Any?) -> [String] {
            if let text = any as? String { return [text] }
            return (any as? [Any])?.compactMap { $0 as? String } ?? []
        }
        return list.map {
            Statement(
                effect: ($0["Effect"] as? String) ?? "Allow", actions: values($0["Action"]),
                resources: values($0["Resource"]))
        }
    }

    static func strings(_ value: Value?) -> [String] {
        switch value {
        case .string(let text)?: return [text]
        case .list(let values, _)?, .tuple(let values)?, .set(let values, _)?:
            return values.compactMap { if case .string(let text) = $0 { text } else { nil } }
        default: return []
        }
    }

    static func wildcardActions(_ statement: Statement) -> [String] {
        statement.actions.filter { $0 == "*" || $0.hasSuffix(":*") }
    }

    static func isReadOnly(_ action: String) -> Bool {
        let verb = action.split(separator: ":").last.map(String.init) ?? action
        return ["Describe", "List", "Get", "Head"].contains { verb.hasPrefix($0) }
    }

    static let identityRules: [SecurityRule] = [
        SecurityRule(
            "NIM-IAM-001", "IAM policies do not grant every action", severity: .high,
            rationale: "`*` or `service:*` actions grant far more than a workload needs."
        ) { context, rule in
            var findings: [SecurityFinding] = []
            for document in context.module.resources
            where document.mode == .data && document.type == "aws_iam_policy_document" {
                for statement in statements(inDocument: document.block, context: context)
                where statement.effect == "Allow" {
                    let wild = wildcardActions(statement)
                    if !wild.isEmpty {
                        findings.append(
                            rule.finding(
                                document, "a statement allows \(wild.joined(separator: ", "))",
                                fix: "list the actions the workload needs"))
                    }
                }
            }
            for type in ["aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"] {
                for policy in context.resources(type) {
                    for statement in statements(inPolicy: context.value(policy.block, "policy"))
                    where statement.effect == "Allow" {
                        let wild = wildcardActions(statement)
                        if !wild.isEmpty {
                            findings.append(
                                rule.finding(
                                    policy, "a statement allows \(wild.joined(separator: ", "))",
                                    fix: "list the actions the workload needs"))
                        }
                    }
                }
            }
            return findings
        },
        SecurityRule(
            "NIM-IAM-002", "IAM policies scope write actions to resources", severity: .medium,
            rationale: "Write actions on `*` reach every resource of the account."
        ) { context, rule in
            var findings: [SecurityFinding] = []
            func inspect(_ statements: [Statement], _ resource: Module.Resource) {
                for statement in statements where statement.effect == "Allow" && statement.resources.contains("*") {
                    let writes = statement.actions.filter {
                        !isReadOnly($0) && !unscopableActions.contains($0) && $0 != "*" && !$0.hasSuffix(":*")
                    }
                    if !writes.isEmpty {
                        findings.append(
                            rule.finding(
                                resource, "\(writes.joined(separator: ", ")) may act on any resource",
                                fix: "name the resources in `resources`"))
                    }
                }
            }
            for document in context.module.resources
            where document.mode == .data && document.type == "aws_iam_policy_document" {
                inspect(statements(inDocument: document.block, context: context), document)
            }
            for type in ["aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"] {
                for policy in context.resources(type) {
                    inspect(statements(inPolicy: context.value(policy.block, "policy")), policy)
                }
            }
            return findings
        },
    ]

    // MARK: - Compute

    static let computeRules: [SecurityRule] = [
        SecurityRule(
            "NIM-LAMBDA-001", "Lambda functions are traced", severity: .low,
            rationale: "Traces show where a request spent its time and failed."
        ) { context, rule in
            context.resources("aws_lambda_function").compactMap { function in
                context.string(function.block, "tracing_config.mode") == "Active"
                    ? nil
                    : rule.finding(
                        function, "X-Ray tracing is not active", fix: "add tracing_config { mode = \"Active\" }")
            }
        },
        SecurityRule(
            "NIM-LAMBDA-002", "Lambda functions keep failed asynchronous events", severity: .medium,
            rationale: "Without a dead-letter queue, failed asynchronous invocations are lost."
        ) { context, rule in
            context.resources("aws_lambda_function").compactMap { function in
                function.block.body.blocks("dead_letter_config").isEmpty
                    ? rule.finding(
                        function, "there is no dead-letter queue", fix: "add dead_letter_config { target_arn = … }")
                    : nil
            }
        },
        SecurityRule(
            "NIM-EC2-001", "EC2 instances require IMDSv2", severity: .high,
            rationale: "IMDSv1 lets server-side request forgery steal the instance's credentials."
        ) { context, rule in
            context.resources("aws_instance").compactMap { instance in
                context.string(instance.block, "metadata_options.http_tokens") == "required"
                    ? nil
                    : rule.finding(
                        instance, "the instance metadata service accepts IMDSv1",
                        fix: "add metadata_options { http_tokens = \"required\" }")
            }
        },
        SecurityRule(
            "NIM-EKS-001", "EKS encrypts Kubernetes secrets", severity: .high,
            rationale: "Secrets in etcd must be encrypted with a KMS key."
        ) { context, rule in
            context.resources("aws_eks_cluster").compactMap { cluster in
                cluster.block.body.blocks("encryption_config").isEmpty
                    ? rule.finding(
                        cluster, "Kubernetes secrets are not encrypted with KMS",
                        fix: "add encryption_config { resources = [\"secrets\"] … }")
                    : nil
            }
        },
    ]
}
