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

        // Family keywords, longest phrases first; each family scores the words it explains.
        var scores: [String: Int] = [:]
        var claimedBy = [String?](repeating: nil, count: words.count)
        // Longest phrases first across all families, so "rds instance" is not split by another family's "instance".
        let phrases = catalog.families.flatMap { family in
            family.keywords.map { (family: family.id, phrase: RequestAnalyzer.words($0)) }
        }
        for (familyID, phrase) in phrases.enumerated().sorted(by: {
            ($0.element.phrase.count, -$0.offset) > ($1.element.phrase.count, -$1.offset)
        }).map(\.element) {
            for start in RequestAnalyzer.matches(of: phrase, in: words, consumed: consumed) {
                scores[familyID, default: 0] += phrase.count
                for offset in 0..<phrase.count {
                    consumed[start + offset] = true
                    claimedBy[start + offset] = familyID
                }
            }
        }
        let best = scores.values.max() ?? 0
        let leaders = catalog.families.map(\.id).filter { scores[$0] == best && best > 0 }
        let family = leaders.count == 1 ? catalog.family(leaders[0]) : nil

        var features: [String] = []
        var answers: [String: String] = [:]
        if let family {
            // Family keywords may also name features: another family's ("a Lambda function in a VPC", "a Fargate
            // service behind a load balancer") or the winner's own ("container insights" of an ECS service). They
            // are explained either way, so features may read them; answers may not (they were keywords).
            let claimed = words.indices.filter { claimedBy[$0] != nil }
            for index in claimed { consumed[index] = false }
            for feature in family.features {
                for keyword in feature.keywords.sorted(by: { $0.count > $1.count }) {
                    let phrase = RequestAnalyzer.words(keyword)
                    for start in RequestAnalyzer.matches(of: phrase, in: words, consumed: consumed) {
                        if !features.contains(feature.id) { features.append(feature.id) }
                        for offset in 0..<phrase.count { consumed[start + offset] = true }
                    }
                }
            }
            for index in claimed { consumed[index] = true }
            for question in family.questions {
                for (index, word) in words.enumerated() where !consumed[index] {
                    if let choice = question.choice(for: word) {
                        answers[question.key] = choice
                        consumed[index] = true
                    }
                }
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
        let unknown = words.indices.filter { !consumed[$0] }.map { words[$0] }
        words.removeAll()
        return RequestAnalysis(
            family: family?.id, candidates: family == nil ? leaders : [], features: features.sorted(),
            answers: answers, environment: environment, compliance: compliance.sorted(), name: name,
            unknownWords: unknown)
    }

    /// Lower-case words of a text: letters, digits and hyphens; `multi-AZ` stays one word, punctuation goes.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber || character == "-" || character == "_" {
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
