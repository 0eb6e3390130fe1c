import Foundation
public import NimbusHCL

/// A kind of infrastructure the module generator knows by heart: what selects it in a request, the features it
/// offers, the questions it must ask, and how it plans a secure module from the answers.
///
/// Offline generation is grounded in these families; with a model, the planner may go beyond them.
public struct ServiceFamily: Sendable {
    /// A short id (`s3`, `rds`, `ecs-fargate`).
    public let id: String
    /// What it makes, for people (`S3 bucket`).
    public let title: String
    /// One line for `nimbus module catalog`.
    public let summary: String
    /// Words and phrases that select the family in a request (`s3`, `bucket`, `object storage`).
    public let keywords: [String]
    /// What can be switched on (or is on by default).
    public let features: [FamilyFeature]
    /// What must be known before planning, asked when the request does not say.
    public let questions: [ClarificationQuestion]
    /// Plans the module: resources, variables, locals, data sources, outputs and documentation.
    public let plan: @Sendable (ModuleRequirements) throws -> ModulePlan

    public init(
        id: String, title: String, summary: String, keywords: [String], features: [FamilyFeature] = [],
        questions: [ClarificationQuestion] = [], plan: @escaping @Sendable (ModuleRequirements) throws -> ModulePlan
    ) {
        self.id = id
        self.title = title
        self.summary = summary
        self.keywords = keywords
        self.features = features
        self.questions = questions
        // Sizes and counts the request gave ("db.r6g.large", "100 GB") become their variables' defaults.
        self.plan = { requirements in try plan(requirements).applying(requirements.settings, family: id) }
    }

    /// The feature with this id.
    public func feature(_ id: String) -> FamilyFeature? { features.first { $0.id == id } }
}

/// A feature of a family: secure defaults that are always planned (`encryption`) or options a request turns on
/// (`replication`).
public struct FamilyFeature: Sendable, Hashable, Codable {
    public let id: String
    public let title: String
    /// Words that turn it on (`replication`, `replicated`, `cross-region`).
    public let keywords: [String]
    /// Whether the module has it without being asked.
    public let enabledByDefault: Bool

    public init(id: String, title: String, keywords: [String], enabledByDefault: Bool = false) {
        self.id = id
        self.title = title
        self.keywords = keywords
        self.enabledByDefault = enabledByDefault
    }
}

/// A question a family needs answered (`engine`: postgres or mysql?).
public struct ClarificationQuestion: Sendable, Hashable, Codable {
    /// The answer's key (`engine`); `--answer engine=postgres` answers it.
    public let key: String
    public let question: String
    /// The accepted answers.
    public let choices: [String]
    /// Other words for a choice, in requests and answers (`postgresql` → `postgres`).
    public let synonyms: [String: String]

    public init(key: String, question: String, choices: [String], synonyms: [String: String] = [:]) {
        self.key = key
        self.question = question
        self.choices = choices
        self.synonyms = synonyms
    }

    /// The choice a word names, if any.
    public func choice(for word: String) -> String? {
        let word = word.lowercased()
        if choices.contains(word) { return word }
        return synonyms[word]
    }
}

/// What the requirements analyzer understood: the family, its features, answers, environment and naming.
public struct ModuleRequirements: Sendable, Hashable, Codable {
    public var family: String
    /// The base name for resources and the module (`orders-data`), lower-case with hyphens.
    public var name: String
    /// Enabled feature ids, sorted.
    public var features: [String]
    /// Answers to the family's questions.
    public var answers: [String: String]
    /// `dev`, `staging` or `prod`, when the request says.
    public var environment: String?
    /// Compliance regimes the request names (`pci`, `hipaa`, `soc2`).
    public var compliance: [String]
    /// Where state is kept.
    public var backend: BackendChoice
    /// Variable defaults the request set (`instance_class` → `db.r6g.large`), as the grammar read them.
    public var settings: [String: String]

    public init(
        family: String, name: String, features: [String] = [], answers: [String: String] = [:],
        environment: String? = nil, compliance: [String] = [], backend: BackendChoice = .s3,
        settings: [String: String] = [:]
    ) {
        self.family = family
        self.name = name
        self.features = features.sorted()
        self.answers = answers
        self.environment = environment
        self.compliance = compliance.sorted()
        self.backend = backend
        self.settings = settings
    }

    enum CodingKeys: String, CodingKey {
        case family, name, features, answers, environment, compliance, backend, settings
    }

    /// Requirements checkpointed before settings existed decode with none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            family: try container.decode(String.self, forKey: .family),
            name: try container.decode(String.self, forKey: .name),
            features: try container.decode([String].self, forKey: .features),
            answers: try container.decode([String: String].self, forKey: .answers),
            environment: try container.decodeIfPresent(String.self, forKey: .environment),
            compliance: try container.decode([String].self, forKey: .compliance),
            backend: try container.decode(BackendChoice.self, forKey: .backend),
            settings: try container.decodeIfPresent([String: String].self, forKey: .settings) ?? [:])
    }

    public func has(_ feature: String) -> Bool { features.contains(feature) }
}

/// Where a generated module's state is kept.
public enum BackendChoice: String, Sendable, Hashable, Codable, CaseIterable {
    /// An S3 backend with a DynamoDB lock table (partial configuration; values come at `terraform init`).
    case s3
    /// Local state, for trying the module.
    case local
}

/// A module as planned: the parts each generator writes. Resources may refer to `var.*`, `local.*` and `data.*`;
/// the generators write exactly the variables, locals and data sources they refer to.
public struct ModulePlan: Sendable {
    /// `resource` blocks, in order (main.tf).
    public var resources: [Block]
    /// Every variable the resources, locals or outputs may use.
    public var variables: [VariableSpec]
    public var locals: [LocalSpec]
    /// `data` blocks the resources or locals may use.
    public var dataSources: [Block]
    public var outputs: [OutputSpec]
    public var providers: [ProviderRequirement]
    /// Values the example passes for required variables (variables without a default).
    public var exampleInputs: [(name: String, value: HCLExpression)]
    /// Bullets for the README's "Security" section: what the module does to be safe by default.
    public var securityNotes: [String]
    /// Checks the module deliberately does not satisfy, with the reason (listed in the README).
    public var optOuts: [PolicyOptOut]

    public init(
        resources: [Block], variables: [VariableSpec] = [], locals: [LocalSpec] = [], dataSources: [Block] = [],
        outputs: [OutputSpec] = [], providers: [ProviderRequirement] = [.aws],
        exampleInputs: [(name: String, value: HCLExpression)] = [], securityNotes: [String] = [],
        optOuts: [PolicyOptOut] = []
    ) {
        self.resources = resources
        self.variables = variables
        self.locals = locals
        self.dataSources = dataSources
        self.outputs = outputs
        self.providers = providers
        self.exampleInputs = exampleInputs
        self.securityNotes = securityNotes
        self.optOuts = optOuts
    }
}

/// A module input.
public struct VariableSpec: Sendable {
    public var name: String
    /// The type constraint as written (`string`, `list(string)`, `object({ days = number })`).
    public var type: String
    public var description: String
    /// No default makes the variable required.
    public var defaultValue: HCLExpression?
    public var validations: [(condition: HCLExpression, message: String)]
    public var sensitive: Bool

    public init(
        _ name: String, type: String, description: String, default defaultValue: HCLExpression? = nil,
        validations: [(condition: HCLExpression, message: String)] = [], sensitive: Bool = false
    ) {
        self.name = name
        self.type = type
        self.description = description
        self.defaultValue = defaultValue
        self.validations = validations
        self.sensitive = sensitive
    }
}

/// A named local value.
public struct LocalSpec: Sendable {
    public var name: String
    public var value: HCLExpression

    public init(_ name: String, _ value: HCLExpression) {
        self.name = name
        self.value = value
    }
}

/// A module output.
public struct OutputSpec: Sendable {
    public var name: String
    public var description: String
    public var value: HCLExpression
    public var sensitive: Bool

    public init(_ name: String, description: String, value: HCLExpression, sensitive: Bool = false) {
        self.name = name
        self.description = description
        self.value = value
        self.sensitive = sensitive
    }
}

/// A provider the module needs, for `required_providers`.
public struct ProviderRequirement: Sendable, Hashable {
    public var name: String
    public var source: String
    public var version: String

    public init(name: String, source: String, version: String) {
        self.name = name
        self.source = source
        self.version = version
    }

    /// The AWS provider, version 5 or later.
    public static let aws = ProviderRequirement(name: "aws", source: "hashicorp/aws", version: ">= 5.0")

    /// One requirement per provider name, in first-seen order: the highest of `>= X` minimums, other
    /// constraints joined (Terraform takes `">= 6.0, < 7.0"`), so parts needing different versions still compose.
    public static func merged(_ providers: [ProviderRequirement]) -> [ProviderRequirement] {
        func minimum(_ version: String) -> [Int]? {
            let trimmed = version.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix(">="), !trimmed.contains(",") else { return nil }
            let numbers = trimmed.dropFirst(2).trimmingCharacters(in: .whitespaces).split(separator: ".").map {
                Int($0)
            }
            guard !numbers.isEmpty, numbers.allSatisfy({ $0 != nil }) else { return nil }
            return numbers.compactMap { $0 }
        }
        var result: [ProviderRequirement] = []
        for provider in providers {
            guard let index = result.firstIndex(where: { $0.name == provider.name }) else {
                result.append(provider)
                continue
            }
            let existing = result[index]
            if existing.version == provider.version { continue }
            if let old = minimum(existing.version), let new = minimum(provider.version) {
                if new.lexicographicallyPrecedes(old) == false && new != old {
                    result[index].version = provider.version
                }
            } else {
                let parts = existing.version.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                if !parts.contains(provider.version) {
                    result[index].version = existing.version + ", " + provider.version
                }
            }
        }
        return result
    }
}

/// A policy check a module deliberately does not satisfy (a Nimbus rule id or a checkov check id), and why.
public struct PolicyOptOut: Sendable, Hashable, Codable {
    public var check: String
    public var reason: String

    public init(_ check: String, reason: String) {
        self.check = check
        self.reason = reason
    }
}
