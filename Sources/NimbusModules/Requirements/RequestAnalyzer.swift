import Foundation

/// What the grammar read from a module request: the family (or why none), features, answers, environment,
/// compliance, a name, and the words it did not understand.
public struct RequestAnalysis: Sendable, Hashable, Codable {
    /// The family the request asks for; nil when none matched (see ``candidates``).
    public var family: String?
    /// Families the request could mean, when it names more than one or none clearly.
    public var candidates: [String]
    public var features: [String]
    public var answers: [String: String]
    public var environment: String?
    public var compliance: [String]
    public var name: String?
    /// Words that are neither part of the grammar nor known to the family: reported, never silently ignored.
    public var unknownWords: [String]
    /// Every family the request asks for, in the order it names them, each with its features: one part is a
    /// family's module, several are a composed module (``ModuleComposition``). The first is ``family``.
    public var parts: [RequestPart] = []
    /// Sizes and counts the request gives ("db.r6g.large", "100 GB", "three nodes") that a part takes (see
    /// ``RequestPart/settings``); one no part takes is an unknown word.
    public var settings: [RequestSetting] = []

    /// Whether the request asks for several families in one module.
    public var isComposition: Bool { parts.count > 1 }
}

extension RequestAnalysis {
    enum CodingKeys: String, CodingKey {
        case family, candidates, features, answers, environment, compliance, name, unknownWords, parts, settings
    }

    /// Analyses checkpointed before parts and settings existed decode with none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            family: try container.decodeIfPresent(String.self, forKey: .family),
            candidates: try container.decode([String].self, forKey: .candidates),
            features: try container.decode([String].self, forKey: .features),
            answers: try container.decode([String: String].self, forKey: .answers),
            environment: try container.decodeIfPresent(String.self, forKey: .environment),
            compliance: try container.decode([String].self, forKey: .compliance),
            name: try container.decodeIfPresent(String.self, forKey: .name),
            unknownWords: try container.decode([String].self, forKey: .unknownWords),
            parts: try container.decodeIfPresent([RequestPart].self, forKey: .parts) ?? [],
            settings: try container.decodeIfPresent([RequestSetting].self, forKey: .settings) ?? [])
    }
}

/// One family a request asks for, with the features it turns on.
public struct RequestPart: Sendable, Hashable, Codable {
    public var family: String
    public var features: [String]
    /// Variable defaults the request sets in this part (`instance_class` → `db.r6g.large`).
    public var settings: [String: String]

    public init(family: String, features: [String], settings: [String: String] = [:]) {
        self.family = family
        self.features = features
        self.settings = settings
    }

    enum CodingKeys: String, CodingKey { case family, features, settings }

    /// Parts checkpointed before settings existed decode with none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            family: try container.decode(String.self, forKey: .family),
            features: try container.decode([String].self, forKey: .features),
            settings: try container.decodeIfPresent([String: String].self, forKey: .settings) ?? [:])
    }
}

/// Reads module requests with a small grammar: family keywords, feature keywords, answers to the family's
/// questions, environment and compliance words, `named X`/`called X`, and filler words. Anything else is an
/// unknown word.
public struct RequestAnalyzer: Sendable {
    public let catalog: ModuleCatalog

    public init(catalog: ModuleCatalog = .standard) {
        self.catalog = catalog
    }

    /// Words that carry no meaning for the module.
    static let filler: Set<String> = [
        "a", "an", "the", "with", "and", "or", "for", "of", "to", "in", "on", "by", "that", "which", "it", "its",
        "module", "modules", "terraform", "tf", "create", "make", "generate", "build", "write", "give", "help", "me",
        "please", "i", "we", "need", "want", "would", "like", "enterprise", "enterprise-grade", "secure", "safe",
        "production-ready", "ready", "best", "practice", "practices", "using", "use", "has", "have", "enabled",
        "enable", "support", "supports", "supporting", "plus", "also", "new", "simple", "basic", "standard",
        "aws", "amazon", "resource", "resources", "infrastructure", "setup", "set", "up", "some", "good", "default",
        "defaults", "our", "my", "your", "all", "every", "configured", "configuration", "proper", "properly",
        "should", "must", "be", "is", "are", "will", "can", "so", "as", "from", "into", "at", "per",
        // Words that join the parts of a composed module.
        "behind", "front", "fronted", "wired", "connected", "together", "both", "own", "dedicated", "fresh",
        "separate", "through", "via", "inside", "within", "under", "service", "services", "whose", "trigger",
        "triggers", "triggering", "invoke", "invokes", "invoking", "feed", "feeds", "send", "sends", "deliver",
        "delivers", "reach", "reaches",
    ]

    static let environments: [String: String] = [
        "prod": "prod", "production": "prod", "staging": "staging", "stage": "staging", "dev": "dev",
        "development": "dev", "test": "dev", "testing": "dev", "sandbox": "dev",
    ]

    static let complianceWords: [String: String] = [
        "pci": "pci", "pci-dss": "pci", "hipaa": "hipaa", "soc2": "soc2", "soc-2": "soc2", "gdpr": "gdpr",
        "iso27001": "iso27001", "compliant": "", "compliance": "",
    ]

    /// Analyses `request`.
    public func analyse(_ request: String) -> RequestAnalysis {
        var words = RequestAnalyzer.words(request)
        var consumed = [Bool](repeating: false, count: words.count)
        var name: String?

        // `named X` / `called X`: the next word is the name.
        for (index, word) in words.enumerated() where (word == "named" || word == "called") && index + 1 < words.count {
            name = RequestAnalyzer.slug(words[index + 1])
            consumed[index] = true
            consumed[index + 1] = true
        }

        // Family keywords, longest phrases first; each family scores the words it explains. A family's id
        // (`iam-role`, `ecs fargate`) and title (`IAM role`) select it too.
        var scores: [String: Int] = [:]
        var firstMention: [String: Int] = [:]
        var claimedBy = [String?](repeating: nil, count: words.count)
        // Longest phrases first across all families, so "rds instance" is not split by another family's "instance".
        let phrases = catalog.families.flatMap { family in
            RequestAnalyzer.selectors(of: family).map { (family: family.id, phrase: RequestAnalyzer.words($0)) }
        }
        for (familyID, phrase) in phrases.enumerated().sorted(by: {
            ($0.element.phrase.count, -$0.offset) > ($1.element.phrase.count, -$1.offset)
        }).map(\.element) {
            for start in RequestAnalyzer.matches(of: phrase, in: words, consumed: consumed) {
                scores[familyID, default: 0] += phrase.count
                firstMention[familyID] = min(firstMention[familyID] ?? start, start)
                for offset in 0..<phrase.count {
                    consumed[start + offset] = true
                    claimedBy[start + offset] = familyID
                }
            }
        }
        let named = catalog.families.map(\.id).filter { (scores[$0] ?? 0) > 0 }
        var parts = RequestAnalyzer.parts(
            named: named, scores: scores, words: words, claimedBy: claimedBy, catalog: catalog
        ).sorted { (firstMention[$0] ?? 0) < (firstMention[$1] ?? 0) }
        // "a queue or a topic" offers a choice: that is the one question about families worth asking.
        var candidates: [String] = []
        if parts.count > 1, let first = firstMention[parts[0]], let last = parts.compactMap({ firstMention[$0] }).max(),
            words[first..<last].contains("or")
        {
            candidates = parts
            parts = []
        }

        var features: [String] = []
        var answers: [String: String] = [:]
        var partFeatures: [String: [String]] = [:]
        if !parts.isEmpty {
            // Family keywords may also name features: another family's ("a Lambda function in a VPC", "a Fargate
            // service behind a load balancer") or the part's own ("container insights" of an ECS service). They
            // are explained either way, so features may read them; answers may not (they were keywords). Each
            // part reads the features it knows ("with logging" turns on logging in every part that has it).
            let claimed = words.indices.filter { claimedBy[$0] != nil }
            for index in claimed { consumed[index] = false }
            var read = consumed
            for id in parts {
                guard let family = catalog.family(id) else { continue }
                var found: [String] = []
                var own = consumed
                for feature in family.features {
                    for keyword in feature.keywords.sorted(by: { $0.count > $1.count }) {
                        let phrase = RequestAnalyzer.words(keyword)
                        for start in RequestAnalyzer.matches(of: phrase, in: words, consumed: own) {
                            if !found.contains(feature.id) { found.append(feature.id) }
                            for offset in 0..<phrase.count {
                                own[start + offset] = true
                                read[start + offset] = true
                            }
                        }
                    }
                }
                partFeatures[id] = found.sorted()
            }
            consumed = read
            for index in claimed { consumed[index] = true }
            for id in parts {
                for question in catalog.family(id)?.questions ?? [] {
                    for (index, word) in words.enumerated() where !consumed[index] {
                        if let choice = question.choice(for: word) {
                            answers[question.key] = choice
                            consumed[index] = true
                        }
                    }
                }
            }
            features = partFeatures[parts[0]] ?? []
        }

        // Sizes and counts, each set in the first part with a variable that takes it.
        var settings: [RequestSetting] = []
        var partSettings: [String: [String: String]] = [:]
        // The words of a setting no part takes: unknown, never read as filler.
        var refused: Set<Int> = []
        for (setting, positions) in SettingGrammar.read(words, consumed: &consumed, runtimes: Set(LambdaPlan.runtimes))
        {
            var taken: (part: String, variable: String)?
            search: for id in parts {
                let variables = probeVariables(
                    id, features: partFeatures[id] ?? [], answers: answers, settings: partSettings[id] ?? [:])
                for name in SettingGrammar.variables(for: setting) where partSettings[id]?[name] == nil {
                    if let variable = variables.first(where: { $0.name == name }),
                        SettingGrammar.accepts(variable, value: setting.value)
                    {
                        taken = (id, name)
                        break search
                    }
                }
            }
            if let (id, variable) = taken {
                partSettings[id, default: [:]][variable] = setting.value
                settings.append(setting)
            } else {
                refused.formUnion(positions)
            }
        }

        var environment: String?
        var compliance: [String] = []
        for (index, word) in words.enumerated() where !consumed[index] {
            if let value = RequestAnalyzer.environments[word] {
                environment = value
                consumed[index] = true
            } else if let value = RequestAnalyzer.complianceWords[word] {
                if !value.isEmpty, !compliance.contains(value) { compliance.append(value) }
                consumed[index] = true
            } else if RequestAnalyzer.filler.contains(word) || word.allSatisfy(\.isNumber) {
                consumed[index] = true
            }
        }
        // Words of other families' keywords are unknown here only if no family claimed them.
        for index in refused { consumed[index] = false }
        let unknown = words.indices.filter { !consumed[$0] }.map { words[$0] }
        words.removeAll()
        return RequestAnalysis(
            family: parts.first, candidates: candidates, features: features.sorted(), answers: answers,
            environment: environment, compliance: compliance.sorted(), name: name, unknownWords: unknown,
            parts: parts.map {
                RequestPart(family: $0, features: partFeatures[$0] ?? [], settings: partSettings[$0] ?? [:])
            }, settings: settings)
    }

    /// The variables a part would have with these features (its questions answered with their first choices
    /// where the request did not say).
    func probeVariables(
        _ id: String, features: [String], answers: [String: String], settings: [String: String]
    ) -> [VariableSpec] {
        guard let family = catalog.family(id) else { return [] }
        var answers = answers
        for question in family.questions where answers[question.key].flatMap(question.choice(for:)) == nil {
            answers[question.key] = question.choices.first
        }
        let defaults = family.features.filter(\.enabledByDefault).map(\.id)
        let requirements = ModuleRequirements(
            family: id, name: "probe", features: Array(Set(defaults + features)), answers: answers, settings: settings)
        return (try? family.plan(requirements))?.variables ?? []
    }

    /// What selects a family in a request: its keywords, its id (`iam-role`, also `iam role`) and its title.
    static func selectors(of family: ServiceFamily) -> [String] {
        var selectors = family.keywords
        for extra in [family.id, family.id.replacingOccurrences(of: "-", with: " "), family.title.lowercased()]
        where !selectors.contains(extra) {
            selectors.append(extra)
        }
        return selectors
    }

    /// Families every module of a family already contains: a request that names them asks for that part, not
    /// for a module of its own ("a Lambda function with an IAM role and a log group").
    static let inherent: [String: Set<String>] = [
        "lambda": ["iam-role", "kms", "sqs"],
        "ecs-fargate": ["iam-role", "kms"],
        "eks": ["iam-role", "kms"],
        "rds": ["kms", "iam-role", "secrets-manager"],
        "s3": ["kms"],
        "sqs": ["kms"],
        "sns": ["kms"],
        "dynamodb": ["kms"],
        "ec2": ["iam-role", "kms"],
        "vpc": ["kms"],
        "alb": ["s3"],
        "cloudfront-site": ["s3", "kms"],
        "cloudwatch-alarms": ["sns", "kms"],
        "api-gateway": ["kms"],
        "step-functions": ["kms", "iam-role"],
        "eventbridge": ["kms", "iam-role"],
        "kinesis": ["kms"],
        "ecr": ["kms"],
        "route53": ["kms"],
        "secrets-manager": ["kms"],
        "cognito": ["kms"],
        "waf": ["kms"],
        "aurora": ["kms", "iam-role", "rds"],
        "elasticache": ["kms", "secrets-manager"],
        "efs": ["kms"],
        "opensearch": ["kms"],
        "backup": ["kms", "iam-role"],
    ]

    /// Words that make a placement ("in a VPC": an existing one, by id) a part of its own ("in a new VPC").
    static let creating: Set<String> = ["new", "own", "dedicated", "fresh", "separate"]

    /// The families a request's named families come to once each is read as what it is: a part of its own, a
    /// part another family always has, a placement, or a feature of another part.
    static func parts(
        named: [String], scores: [String: Int], words: [String], claimedBy: [String?], catalog: ModuleCatalog
    ) -> [String] {
        var kept = Set(named)
        let unconsumed = [Bool](repeating: false, count: words.count)
        // The weakest first, so a family is absorbed by a stronger one, never the other way round.
        for id in named.sorted(by: { (scores[$0] ?? 0, $1) < (scores[$1] ?? 0, $0) }) {
            let positions = words.indices.filter { claimedBy[$0] == id }
            // A family the request asks to create ("a new VPC") is always a part of its own.
            if positions.contains(where: { index in
                (max(0, index - 2)..<index).contains { creating.contains(words[$0]) }
            }) {
                continue
            }
            for other in named where other != id && kept.contains(other) {
                guard let host = catalog.family(other) else { continue }
                let wires = Composer.wires.filter {
                    ($0.provider == id && $0.consumer == other) || ($0.provider == other && $0.consumer == id)
                }
                let absorbed: Bool
                if inherent[other, default: []].contains(id) {
                    absorbed = true
                } else if !wires.isEmpty {
                    // Wired families are parts of their own, but for a placement ("in a VPC": an existing one).
                    absorbed = wires.contains { $0.provider == id && $0.consumer == other && $0.placement }
                } else {
                    // Its every word is a feature the other family has ("notifications" of CloudWatch alarms).
                    absorbed = positions.allSatisfy { position in
                        host.features.flatMap(\.keywords).contains { keyword in
                            let phrase = RequestAnalyzer.words(keyword)
                            return matches(of: phrase, in: words, consumed: unconsumed).contains {
                                ($0..<($0 + phrase.count)).contains(position)
                            }
                        }
                    }
                }
                if absorbed {
                    kept.remove(id)
                    break
                }
            }
        }
        return named.filter(kept.contains)
    }

    /// Lower-case words of a text: letters, digits and hyphens; `multi-AZ` stays one word, punctuation goes.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        let characters = Array(text.lowercased())
        for (index, character) in characters.enumerated() {
            // A dot between letters or digits stays: `db.r6g.large`, `python3.12`.
            let inner =
                character == "." && !current.isEmpty && index + 1 < characters.count
                && (characters[index + 1].isLetter || characters[index + 1].isNumber)
            if character.isLetter || character.isNumber || character == "-" || character == "_" || inner {
                current.append(character)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "-_")) }.filter { !$0.isEmpty }
    }

    /// Start indices where `phrase` occurs among unconsumed words (plural `s` allowed on the last word).
    static func matches(of phrase: [String], in words: [String], consumed: [Bool]) -> [Int] {
        guard !phrase.isEmpty, words.count >= phrase.count else { return [] }
        var starts: [Int] = []
        var index = 0
        while index + phrase.count <= words.count {
            var matched = true
            for offset in 0..<phrase.count {
                let word = words[index + offset]
                let wanted = phrase[offset]
                let plural = offset == phrase.count - 1 && (word == wanted + "s" || word == wanted + "es")
                if consumed[index + offset] || (word != wanted && !plural) {
                    matched = false
                    break
                }
            }
            if matched {
                starts.append(index)
                index += phrase.count
            } else {
                index += 1
            }
        }
        return starts
    }

    /// A name usable for resources: lower-case letters, digits and hyphens.
    public static func slug(_ text: String) -> String {
        let mapped = text.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
        return mapped.split(separator: "-").joined(separator: "-")
    }
}
