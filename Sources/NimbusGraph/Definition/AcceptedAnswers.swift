public import NimbusCore

/// The answers an interrupt takes: one of a few choices, yes or no, or an approval (yes, no, or some of the steps
/// it covers).
///
/// An interrupt that declares them is answered only by them: ``CompiledGraph/resume(threadID:answers:configuration:)``
/// refuses any other answer before it stores anything, so the question stays pending and can be answered again. A
/// node reads the answer through ``reading(_:)``, in one canonical form.
public struct AcceptedAnswers: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Which shape of answer the interrupt takes.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// One of ``AcceptedAnswers/choices`` (or a synonym of one); read as the choice's text.
        case choice
        /// Yes or no; read as a boolean.
        case yesNo = "yes_no"
        /// Yes or no for every step, or the numbers of the steps to approve; read as a boolean or a list of numbers.
        case approval
    }

    public let kind: Kind
    /// The choices, for ``Kind/choice``.
    public let choices: [String]
    /// Other words for a choice (`postgresql` → `postgres`), for ``Kind/choice``.
    public let synonyms: [String: String]
    /// The steps an approval covers, for ``Kind/approval``.
    public let steps: [Int]

    private init(kind: Kind, choices: [String] = [], synonyms: [String: String] = [:], steps: [Int] = []) {
        self.kind = kind
        self.choices = choices
        self.synonyms = synonyms
        self.steps = steps
    }

    enum CodingKeys: String, CodingKey {
        case kind, choices, synonyms, steps
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(Kind.self, forKey: .kind)
        choices = try container.decodeIfPresent([String].self, forKey: .choices) ?? []
        synonyms = try container.decodeIfPresent([String: String].self, forKey: .synonyms) ?? [:]
        steps = try container.decodeIfPresent([Int].self, forKey: .steps) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        if !choices.isEmpty { try container.encode(choices, forKey: .choices) }
        if !synonyms.isEmpty { try container.encode(synonyms, forKey: .synonyms) }
        if !steps.isEmpty { try container.encode(steps, forKey: .steps) }
    }

    /// One of `choices`, compared without case and surrounding spaces; `synonyms` map other words to a choice.
    public static func oneOf(_ choices: [String], synonyms: [String: String] = [:]) -> AcceptedAnswers {
        AcceptedAnswers(kind: .choice, choices: choices, synonyms: synonyms)
    }

    /// Yes or no (`true`, `yes`, `y`, `ok` / `false`, `no`, `n`).
    public static let yesOrNo = AcceptedAnswers(kind: .yesNo)

    /// Yes or no for all of `steps`, or the numbers of those to approve (`2`, `"2,3"`, `[2, 3]`).
    public static func approval(steps: [Int]) -> AcceptedAnswers {
        AcceptedAnswers(kind: .approval, steps: steps.sorted())
    }

    static let yesWords: Set<String> = ["y", "yes", "true", "ok", "approve", "approved"]
    static let noWords: Set<String> = ["n", "no", "false", "decline", "declined", "deny"]

    /// The answer in canonical form, or `nil` when it is not one of these answers: the choice's text for a choice,
    /// a boolean for yes or no, and for an approval a boolean (all or none) or the sorted step numbers.
    public func reading(_ answer: JSONValue) -> JSONValue? {
        switch kind {
        case .choice:
            guard let text = Self.text(answer) else { return nil }
            let word = text.lowercased()
            if let choice = choices.first(where: { $0.lowercased() == word }) { return .string(choice) }
            if let choice = synonyms.first(where: { $0.key.lowercased() == word })?.value { return .string(choice) }
            return nil
        case .yesNo:
            return Self.yesOrNo(answer).map(JSONValue.bool)
        case .approval:
            if let flag = Self.yesOrNo(answer) { return .bool(flag) }
            var numbers: [Int] = []
            switch answer {
            case .int(let number): numbers = [number]
            case .array(let elements):
                for element in elements {
                    guard let number = element.intValue else { return nil }
                    numbers.append(number)
                }
            case .string(let text):
                let parts = text.split(whereSeparator: { $0 == "," || $0 == " " })
                for part in parts {
                    guard let number = Int(part) else { return nil }
                    numbers.append(number)
                }
            case .object(let members):
                guard let inner = members["approve"] else { return nil }
                return reading(inner)
            default: return nil
            }
            let chosen = Set(numbers)
            guard !chosen.isEmpty, chosen.isSubset(of: steps) else { return nil }
            return .array(chosen.sorted().map(JSONValue.int))
        }
    }

    /// Whether `answer` is one of these answers.
    public func accepts(_ answer: JSONValue) -> Bool { reading(answer) != nil }

    /// What to answer, for messages and prompts: `one of postgres, mysql`, `yes or no`.
    public var description: String {
        switch kind {
        case .choice: "one of \(choices.joined(separator: ", "))"
        case .yesNo: "yes or no"
        case .approval:
            steps.count > 1
                ? "yes, no, or the numbers of the steps to run (\(steps.map(String.init).joined(separator: ", ")))"
                : "yes or no"
        }
    }

    /// The words a person may type, for prompts: `postgres/mysql`, `y/N`.
    public var hint: String {
        switch kind {
        case .choice: choices.joined(separator: "/")
        case .yesNo: "y/N"
        case .approval: steps.count > 1 ? "y/N/step numbers" : "y/N"
        }
    }

    private static func text(_ answer: JSONValue) -> String? {
        switch answer {
        case .string(let text): text.trimmingCharacters(in: .whitespaces)
        case .int(let number): String(number)
        default: nil
        }
    }

    private static func yesOrNo(_ answer: JSONValue) -> Bool? {
        switch answer {
        case .bool(let flag): return flag
        case .string(let text):
            let word = text.trimmingCharacters(in: .whitespaces).lowercased()
            if yesWords.contains(word) { return true }
            if noWords.contains(word) { return false }
            return nil
        default: return nil
        }
    }
}

extension Interrupt {
    /// The name people know the question by: its `key` (`engine`), else the interrupt id.
    public var questionKey: String { value["key"]?.stringValue ?? id }

    /// Why `answer` does not answer this interrupt, or `nil` when it does (or the interrupt takes any answer).
    public func refusal(of answer: JSONValue) -> GraphError? {
        guard let accepts, !accepts.accepts(answer) else { return nil }
        return GraphError.refusedAnswer(answer, to: self, accepts: accepts)
    }
}
