import NimbusHCL

/// A module made of several catalog families in one: each part planned by its family, then merged into one plan
/// whose parts are wired through references (the ALB's target group feeds the ECS service; the VPC's subnets hold
/// the database), with one set of variables, outputs from every part, one README and one security review.
public struct ModuleComposition: Sendable, Hashable, Codable {
    /// The parts in the order the request named them; the first keeps its resource names (`aws_lb.this`), the
    /// others are prefixed with their family (`aws_lb.alb`, `aws_security_group.alb_this`… see ``Composer``).
    public var parts: [ModuleRequirements]

    public init(parts: [ModuleRequirements]) {
        self.parts = parts
    }

    /// The module's name, environment, compliance and backend: the first part's (all parts share them).
    public var primary: ModuleRequirements { parts[0] }
}

/// How one family's part feeds another's inputs in a composed module.
struct Wire: Sendable {
    /// The family whose resources are used.
    let provider: String
    /// The family whose variables they replace.
    let consumer: String
    /// Whether the wire applies to these two parts (an ALB needs a public subnet only when it is public).
    var applies: @Sendable (_ provider: ModuleRequirements, _ consumer: ModuleRequirements) -> Bool = { _, _ in true }
    /// Features the wire needs on each side.
    var providerFeatures: @Sendable (_ consumer: ModuleRequirements) -> [String] = { _ in [] }
    var consumerFeatures: [String] = []
    /// Answers the wire implies for the provider's questions (a web ACL for a load balancer is regional).
    var providerAnswers: [String: String] = [:]
    /// The consumer's opt-outs the provider part satisfies once wired (a web ACL with the Log4j rules).
    var resolvedOptOuts: @Sendable (_ provider: ModuleRequirements) -> [String] = { _ in [] }
    /// The consumer's variables, by name, and what replaces them: references into the provider part.
    let replacements:
        @Sendable (_ provider: PartReferences, _ consumer: ModuleRequirements) throws -> [String: HCLExpression]
    /// What the wire does, for the README's Security section.
    let note: String
    /// The provider's name alone is a placement ("in a VPC": an existing one, given by id); the request makes it a
    /// part of its own only when it says so ("in a new VPC").
    var placement = false
    /// Consumer resources (as the family names them) that must wait for provider resources Terraform cannot see
    /// they need: S3 checks a destination's policy when the notification is made.
    var ordering: [(consumer: String, provider: String)] = []
}

/// References to a part's resources under the names they have in the composed module.
struct PartReferences: Sendable {
    let renames: [String: String]

    /// `aws_lb_target_group.this` (as the family names it) → the composed module's address, plus `attributes`.
    func ref(_ address: String, _ attributes: String...) throws -> HCLExpression {
        let renamed = renames[address] ?? address
        return try .reference(([renamed] + attributes).joined(separator: "."))
    }
}

/// Composes parts into one plan. See ``ModuleComposition``.
public enum Composer {
    /// What feeds what. A request that names a provider and a consumer gets them wired; parts without a wire sit
    /// side by side in the module, sharing its name, tags, key and network variables.
    static let wires: [Wire] = {
        var wires = [
            Wire(
                provider: "alb", consumer: "ecs-fargate", consumerFeatures: ["load-balancer"],
                replacements: { alb, _ in
                    [
                        "target_group_arn": try alb.ref("aws_lb_target_group.this", "arn"),
                        "allowed_security_group_ids": .list([try alb.ref("aws_security_group.this", "id")]),
                    ]
                },
                note:
                    "The service's tasks register with the load balancer's target group, and their security group admits only the load balancer's."
            )
        ]
        wires.append(
            Wire(
                provider: "lambda", consumer: "api-gateway",
                replacements: { lambda, _ in
                    ["lambda_function_arn": try lambda.ref("aws_lambda_function.this", "arn")]
                },
                note:
                    "The API's routes invoke the module's function, which this API alone may invoke (its permission names the API's execution ARN)."
            ))
        wires += [
            Wire(
                provider: "route53", consumer: "acm",
                applies: { zone, _ in zone.answers["zone"] != "private" },
                replacements: { zone, _ in ["zone_id": try zone.ref("aws_route53_zone.this", "zone_id")] },
                note: "The certificate is validated through records in the module's public hosted zone."),
            Wire(
                provider: "waf", consumer: "alb", applies: { acl, _ in acl.answers["scope"] != "cloudfront" },
                consumerFeatures: ["waf"], providerAnswers: ["scope": "regional"],
                resolvedOptOuts: { acl in log4jRules(acl) ? ["CKV2_AWS_76"] : [] },
                replacements: { acl, _ in ["web_acl_arn": try acl.ref("aws_wafv2_web_acl.this", "arn")] },
                note: "The module's regional web ACL filters every request to the load balancer."),
            Wire(
                provider: "waf", consumer: "cloudfront-site", applies: { acl, _ in acl.answers["scope"] != "regional" },
                consumerFeatures: ["waf"], providerAnswers: ["scope": "cloudfront"],
                resolvedOptOuts: { acl in log4jRules(acl) ? ["CKV2_AWS_47"] : [] },
                replacements: { acl, _ in ["web_acl_arn": try acl.ref("aws_wafv2_web_acl.this", "arn")] },
                note: "The module's CloudFront-scope web ACL (in us-east-1) filters every request to the distribution."),
        ]
        wires += bucketEventWires
        for consumer in [
            "rds", "ecs-fargate", "eks", "lambda", "ec2", "alb", "aurora", "elasticache", "efs", "opensearch",
        ] {
            wires.append(
                Wire(
                    provider: "vpc", consumer: consumer,
                    providerFeatures: { consumer in
                        consumer.family == "alb" && consumer.has("public") ? ["public-subnets"] : []
                    },
                    consumerFeatures: consumer == "lambda" ? ["vpc"] : [],
                    replacements: { vpc, consumer in
                        var replacements: [String: HCLExpression] = ["vpc_id": try vpc.ref("aws_vpc.this", "id")]
                        let tier = consumer.family == "alb" && consumer.has("public") ? "public" : "private"
                        let subnets = try vpc.ref("aws_subnet.\(tier)").splat("id")
                        if consumer.family == "ec2" {
                            replacements["subnet_id"] = HCLExpression(.index(subnets, HCLExpression.number(0)))
                        } else {
                            replacements["subnet_ids"] = subnets
                        }
                        return replacements
                    },
                    note:
                        "The \(consumer) part is placed in the module's own VPC, in its \(consumer == "alb" ? "subnets" : "private subnets").",
                    placement: true))
        }
        return wires
    }()

    /// An S3 bucket's events to a queue, topic or function of the same module: the bucket names the destination,
    /// and the destination admits the bucket (its policy, and for a queue its key). FIFO queues and topics cannot
    /// take S3 events.
    static let bucketEventWires: [Wire] = {
        let destinations: [(family: String, variable: String, resource: String, policy: String, what: String)] = [
            ("sqs", "event_queue_arns", "aws_sqs_queue.this", "aws_sqs_queue_policy.this", "queue"),
            ("sns", "event_topic_arns", "aws_sns_topic.this", "aws_sns_topic_policy.this", "topic"),
            ("lambda", "event_function_arns", "aws_lambda_function.this", "aws_lambda_permission.bucket", "function"),
        ]
        return destinations.flatMap { destination in
            [
                Wire(
                    provider: destination.family, consumer: "s3", applies: { provider, _ in !provider.has("fifo") },
                    consumerFeatures: ["event-notifications"],
                    replacements: { part, _ in
                        [destination.variable: .list([try part.ref(destination.resource, "arn")])]
                    },
                    note: "The bucket's object events go to the module's \(destination.what).",
                    ordering: [("aws_s3_bucket_notification.this", destination.policy)]),
                Wire(
                    provider: "s3", consumer: destination.family, applies: { _, consumer in !consumer.has("fifo") },
                    consumerFeatures: destination.family == "sns" ? [] : ["bucket-events"],
                    replacements: { bucket, _ in
                        let arn = try bucket.ref("aws_s3_bucket.this", "arn")
                        switch destination.family {
                        case "sqs": return ["sender_bucket_arns": .list([arn])]
                        case "lambda": return ["invoking_bucket_arns": .list([arn])]
                        default: return ["publisher_services": .list([.string("s3.amazonaws.com")])]
                        }
                    },
                    note:
                        "Only the module's bucket, in this account, may \(destination.family == "lambda" ? "invoke the function" : destination.family == "sqs" ? "send to the queue" : "publish to the topic (S3 on this account's behalf)").",
                    ordering: []),
            ]
        }
    }()

    /// Variables every part means the same way, shared by name (their validations combined).
    static let sharedVariables: Set<String> = ["name", "tags", "kms_key_arn", "log_retention_days", "vpc_id"]

    /// The wires between these families, in part order.
    static func wires(between parts: [ModuleRequirements]) -> [(provider: Int, consumer: Int, wire: Wire)] {
        var found: [(Int, Int, Wire)] = []
        for (consumerIndex, consumer) in parts.enumerated() {
            for (providerIndex, provider) in parts.enumerated() where providerIndex != consumerIndex {
                for wire in wires
                where wire.provider == provider.family && wire.consumer == consumer.family
                    && wire.applies(provider, consumer)
                {
                    found.append((providerIndex, consumerIndex, wire))
                }
            }
        }
        return found
    }

    /// The parts with the features their wires need turned on.
    public static func completed(_ composition: ModuleComposition) -> ModuleComposition {
        var parts = composition.parts
        for (provider, consumer, wire) in wires(between: parts) {
            let needed = wire.providerFeatures(parts[consumer])
            parts[provider].features = Array(Set(parts[provider].features + needed)).sorted()
            parts[consumer].features = Array(Set(parts[consumer].features + wire.consumerFeatures)).sorted()
            for (key, value) in wire.providerAnswers where parts[provider].answers[key] == nil {
                parts[provider].answers[key] = value
            }
        }
        return ModuleComposition(parts: parts)
    }

    /// Whether a web ACL part has the rule groups checkov's Log4j checks look for (known bad inputs and the
    /// anonymous IP list).
    static func log4jRules(_ acl: ModuleRequirements) -> Bool { acl.has("managed-rules") && acl.has("anonymous-ip") }

    /// The answers the wires between these families imply, so the planner does not ask them.
    public static func impliedAnswers(_ families: [String]) -> [String: String] {
        let parts = families.map { ModuleRequirements(family: $0, name: "probe") }
        var answers: [String: String] = [:]
        for (_, _, wire) in wires(between: parts) { answers.merge(wire.providerAnswers) { first, _ in first } }
        return answers
    }

    /// The label prefix of a part that is not the first: its family id in snake case.
    static func prefix(_ family: String) -> String { family.replacingOccurrences(of: "-", with: "_") }

    /// Plans every part and merges them into one plan, with a family that describes the whole.
    public static func compose(
        _ composition: ModuleComposition, catalog: ModuleCatalog
    ) throws -> (plan: ModulePlan, family: ServiceFamily, requirements: ModuleRequirements) {
        let composition = completed(composition)
        var families: [ServiceFamily] = []
        var plans: [ModulePlan] = []
        for part in composition.parts {
            guard let family = catalog.family(part.family) else {
                throw ModuleRequestError.unknownFamily(part.family, catalog: catalog)
            }
            families.append(family)
            plans.append(try family.plan(part))
        }
        // Resource names: the first part keeps its own, the others get their family's prefix.
        let renames: [[String: String]] = plans.enumerated().map { index, plan in
            guard index > 0 else { return [:] }
            let prefix = prefix(composition.parts[index].family)
            return Dictionary(
                uniqueKeysWithValues: plan.resources.map { block in
                    let label = block.labels.last ?? ""
                    let renamed = label == "this" ? prefix : "\(prefix)_\(label)"
                    return ("\(block.labels[0]).\(label)", "\(block.labels[0]).\(renamed)")
                })
        }
        let wired = wires(between: composition.parts)
        var replacements = [[String: HCLExpression]](repeating: [:], count: plans.count)
        for (provider, consumer, wire) in wired {
            let values = try wire.replacements(
                PartReferences(renames: renames[provider]), composition.parts[consumer])
            replacements[consumer].merge(values) { first, _ in first }
        }

        for (provider, consumer, wire) in wired {
            let resolved = wire.resolvedOptOuts(composition.parts[provider])
            plans[consumer].optOuts.removeAll { resolved.contains($0.check) }
        }
        var merged = ModulePlan(resources: [], providers: [])
        var notes: [String] = []
        for (index, plan) in plans.enumerated() {
            var part = Merging(plan: plan, renames: renames[index], wired: replacements[index])
            part.merge(into: &merged, prefix: prefix(composition.parts[index].family))
            notes += plan.securityNotes.map { "\(families[index].title): \($0)" }
        }
        // What must wait for what, where the references do not say.
        for (provider, consumer, wire) in wired {
            for (after, before) in wire.ordering {
                let address = renames[consumer][after] ?? after
                guard let index = merged.resources.firstIndex(where: { $0.labels.joined(separator: ".") == address })
                else { continue }
                merged.resources[index].body.items.append(
                    .attribute(
                        try Attribute("depends_on", .list([try .reference(renames[provider][before] ?? before)]))))
            }
        }
        merged.securityNotes = wired.map(\.wire.note) + notes
        let primary = composition.primary
        let plan = merged
        let family = ServiceFamily(
            id: composition.parts.map(\.family).joined(separator: "+"),
            title: families.map(\.title).joined(separator: " + "),
            summary: families.map(\.summary).joined(separator: "; with a "),
            keywords: [],
            features: families.enumerated().flatMap { index, family in
                family.features.map {
                    FamilyFeature(
                        id: "\(family.id):\($0.id)", title: "\($0.title) (\(family.title))", keywords: [],
                        enabledByDefault: $0.enabledByDefault)
                }
            },
            plan: { _ in plan })
        let requirements = ModuleRequirements(
            family: family.id, name: primary.name,
            features: composition.parts.flatMap { part in part.features.map { "\(part.family):\($0)" } },
            answers: primary.answers, environment: primary.environment, compliance: primary.compliance,
            backend: primary.backend)
        return (merged, family, requirements)
    }
}

/// One part being merged: its names mapped into the module's, then its pieces added where they do not repeat.
private struct Merging {
    var plan: ModulePlan
    let renames: [String: String]
    /// `var.x` of this part that another part's resources replace.
    let wired: [String: HCLExpression]
    var dataRenames: [String: String] = [:]
    var localRenames: [String: String] = [:]
    var variableRenames: [String: String] = [:]

    init(plan: ModulePlan, renames: [String: String], wired: [String: HCLExpression]) {
        self.plan = plan
        self.renames = renames
        self.wired = wired
    }

    func rewrite(_ expression: HCLExpression) -> HCLExpression {
        expression.rewritten(transform)
    }

    func rewrite(_ block: Block) -> Block { block.rewritten(transform) }

    /// Renamed resources, data sources, locals and variables; wired variables replaced.
    func transform(_ expression: HCLExpression) -> HCLExpression? {
        guard let names = expression.traversalNames else { return nil }
        func reference(_ address: String) -> HCLExpression? { try? .reference(address) }
        switch names.count {
        case 2 where names[0] == "var":
            if let value = wired[names[1]] { return value }
            return variableRenames[names[1]].flatMap { reference("var.\($0)") }
        case 2 where names[0] == "local":
            return localRenames[names[1]].flatMap { reference("local.\($0)") }
        case 2 where names[0] != "data":
            return renames["\(names[0]).\(names[1])"].flatMap(reference)
        case 3 where names[0] == "data":
            return dataRenames["\(names[1]).\(names[2])"].flatMap { reference("data.\($0)") }
        default: return nil
        }
    }

    /// Adds the part to `merged`. Only names another part already has are renamed (with `prefix`), so the first
    /// part goes in as it is.
    mutating func merge(into merged: inout ModulePlan, prefix: String) {
        // Data sources the module has already, with the same body, are shared; others are renamed.
        for block in plan.dataSources {
            let key = block.labels.joined(separator: ".")
            let candidate = block.rewritten { expression in
                guard let names = expression.traversalNames, names.count == 2, names[0] != "var", names[0] != "local",
                    names[0] != "data"
                else { return nil }
                return renames["\(names[0]).\(names[1])"].flatMap { try? .reference($0) }
            }
            if let existing = merged.dataSources.first(where: { $0.labels.joined(separator: ".") == key }),
                existing != candidate
            {
                dataRenames[key] = "\(block.labels[0]).\(prefix)_\(block.labels[1])"
            }
        }
        // Locals with the same name and value are shared (tags); others are renamed (each part's key).
        for local in plan.locals {
            if let existing = merged.locals.first(where: { $0.name == local.name }) {
                if existing.value != rewrite(local.value) { localRenames[local.name] = "\(prefix)_\(local.name)" }
            }
        }
        // Variables: the shared ones are one variable; others of the same name are kept apart.
        for variable in plan.variables where wired[variable.name] == nil {
            guard let index = merged.variables.firstIndex(where: { $0.name == variable.name }) else { continue }
            let existing = merged.variables[index]
            let same =
                existing.type == variable.type && existing.defaultValue == variable.defaultValue
                && existing.sensitive == variable.sensitive
                && (Composer.sharedVariables.contains(variable.name) || existing.description == variable.description)
            if !same { variableRenames[variable.name] = "\(prefix)_\(variable.name)" }
        }
        merged.resources += plan.resources.map { block in
            var block = rewrite(block)
            if let renamed = renames["\(block.labels[0]).\(block.labels[1])"] {
                block.labels[1] = String(renamed.split(separator: ".")[1])
            }
            return block
        }
        for block in plan.dataSources {
            let key = block.labels.joined(separator: ".")
            var block = rewrite(block)
            if let renamed = dataRenames[key] {
                block.labels[1] = String(renamed.split(separator: ".")[1])
                merged.dataSources.append(block)
            } else if !merged.dataSources.contains(where: { $0.labels.joined(separator: ".") == key }) {
                merged.dataSources.append(block)
            }
        }
        for local in plan.locals {
            let name = localRenames[local.name] ?? local.name
            if !merged.locals.contains(where: { $0.name == name }) {
                merged.locals.append(LocalSpec(name, rewrite(local.value)))
            }
        }
        for variable in plan.variables where wired[variable.name] == nil {
            var variable = rewriteValidations(variable)
            if let renamed = variableRenames[variable.name] {
                variable.name = renamed
                merged.variables.append(variable)
            } else if let index = merged.variables.firstIndex(where: { $0.name == variable.name }) {
                // One variable for every part: each part's rules hold.
                for validation in variable.validations
                where !merged.variables[index].validations.contains(where: { $0.message == validation.message }) {
                    merged.variables[index].validations.append(validation)
                }
            } else {
                merged.variables.append(variable)
            }
        }
        let outputNames = Set(merged.outputs.map(\.name))
        merged.outputs += plan.outputs.map { output in
            OutputSpec(
                outputNames.contains(output.name) ? "\(prefix)_\(output.name)" : output.name,
                description: output.description, value: rewrite(output.value), sensitive: output.sensitive)
        }
        merged.providers = ProviderRequirement.merged(merged.providers + plan.providers)
        for input in plan.exampleInputs where wired[input.name] == nil {
            let name = variableRenames[input.name] ?? input.name
            if !merged.exampleInputs.contains(where: { $0.name == name }) {
                merged.exampleInputs.append((name, input.value))
            }
        }
        for optOut in plan.optOuts where !merged.optOuts.contains(optOut) { merged.optOuts.append(optOut) }
    }

    func rewriteValidations(_ variable: VariableSpec) -> VariableSpec {
        var variable = variable
        let own = variableRenames[variable.name]
        variable.validations = variable.validations.map { validation in
            (
                rewrite(validation.condition),
                own.map { validation.message.replacingOccurrences(of: variable.name, with: $0) } ?? validation.message
            )
        }
        return variable
    }
}
