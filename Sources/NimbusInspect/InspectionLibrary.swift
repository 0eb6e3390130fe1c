import Foundation
public import NimbusCore
import NimbusLLM
public import NimbusSandbox

/// One grounded inspection script: a boto3 program that reads an account and prints its findings as JSON, with
/// the minimal policy it needs. Scripts live in `Scripts/*.py`; each begins with a header that says what it is:
///
/// ```python
/// # nimbus-script: s3-public-buckets
/// # title: S3 buckets open to the public
/// # keywords: s3 bucket public policy acl
/// # actions: s3:ListAllMyBuckets s3:GetBucketPolicy
/// # parameters: max_age_days=90          (optional: positional arguments, with defaults)
/// # follow-ups: s3-unencrypted-buckets     (optional: what to look at next when this one finds something)
/// ```
public struct InspectionScript: Sendable, Hashable, Codable {
    public let id: String
    public let title: String
    public let keywords: [String]
    /// The IAM actions the script needs, all reads: its policy.
    public let actions: [String]
    /// Positional parameters and their defaults, in order.
    public let parameters: [Parameter]
    /// The scripts an inspection runs next when this one finds something (while iterations remain).
    public let followUps: [String]
    public let source: String

    public struct Parameter: Sendable, Hashable, Codable {
        public let name: String
        public let defaultValue: String
    }

    /// A policy allowing exactly ``actions``.
    public var policy: SandboxPolicy { SandboxPolicy(allowing: actions) }

    /// Reads a script's header; `nil` when it has none.
    public init?(source: String) {
        var fields: [String: String] = [:]
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("# ") else { break }
            let text = line.dropFirst(2)
            guard let colon = text.firstIndex(of: ":") else { continue }
            fields[String(text[..<colon])] = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard let id = fields["nimbus-script"], let title = fields["title"], let actions = fields["actions"] else {
            return nil
        }
        self.id = id
        self.title = title
        keywords = (fields["keywords"] ?? "").split(separator: " ").map { $0.lowercased() }
        self.actions = actions.split(separator: " ").map(String.init)
        parameters = (fields["parameters"] ?? "").split(separator: " ").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            return Parameter(name: String(parts[0]), defaultValue: String(parts[1]))
        }
        followUps = (fields["follow-ups"] ?? "").split(separator: " ").map(String.init)
        self.source = source
    }
}

/// The grounded scripts an offline inspection chooses from.
public enum InspectionLibrary {
    /// Every script, by id.
    public static let all: [InspectionScript] = {
        guard let directory = Bundle.module.url(forResource: "Scripts", withExtension: nil),
            let files = try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        else { return [] }
        return files.filter { $0.pathExtension == "py" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
            .compactMap { url in (try? String(contentsOf: url, encoding: .utf8)).flatMap(InspectionScript.init) }
    }()

    /// The script with `id`.
    public static func script(_ id: String) -> InspectionScript? { all.first { $0.id == id } }

    /// The scripts whose keywords a question names, best first: each word of the question that is a keyword
    /// scores one, a service's name two. When some of them match a word their service's other scripts do not
    /// share ("public" among the S3 scripts, not "bucket"), only those are chosen; a question that names just a
    /// service ("check my S3 buckets") gets all of its scripts, and one that names services gets only theirs. Empty
    /// when nothing matches.
    public static func matching(_ question: String) -> [InspectionScript] {
        func stem(_ word: String) -> String { word.hasSuffix("s") && word.count > 3 ? String(word.dropLast()) : word }
        func service(_ script: InspectionScript) -> String {
            script.id.split(separator: "-").first.map(String.init) ?? ""
        }
        func keywords(_ script: InspectionScript) -> Set<String> { Set(script.keywords.map(stem)) }
        let words = Set(
            question.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "/" && $0 != "." })
                .map { stem(String($0)) })
        let scored = all.map { script -> (InspectionScript, Int) in
            let score = words.intersection(keywords(script)).count + (words.contains(service(script)) ? 2 : 0)
            return (script, score)
        }
        // A question that names services is about those services.
        let named = words.intersection(all.map(service))
        let eligible = scored.filter { $0.1 > 1 && (named.isEmpty || named.contains(service($0.0))) }
        let best = eligible.map(\.1).max() ?? 0
        // Scripts that match about as well as the best one: "open to the world" alone does not make a security
        // group question about S3.
        let candidates = eligible.filter { $0.1 * 4 >= best * 3 }.sorted {
            $0.1 > $1.1 || ($0.1 == $1.1 && $0.0.id < $1.0.id)
        }
        .map(\.0)
        let specific = candidates.filter { script in
            let siblings = all.filter { service($0) == service(script) }
            let shared = siblings.dropFirst().reduce(keywords(siblings.first ?? script)) {
                $0.intersection(keywords($1))
            }
            return !words.intersection(keywords(script).subtracting(shared)).isEmpty
        }
        return specific.isEmpty ? candidates : specific
    }
}

/// What an inspection script prints: how many resources it looked at and what it found.
public struct ScriptReport: Sendable, Hashable, Codable {
    public struct Finding: Sendable, Hashable, Codable {
        public let severity: String
        /// The resource's ARN.
        public let resource: String
        public let title: String
        public let evidence: JSONValue?
        public let recommendation: String
    }

    public let checked: Int
    public let findings: [Finding]
}

/// What an iteration runs: a Python script using boto3, the IAM actions it may call (its minimal policy), its
/// dependencies with versions, its arguments, and where it came from.
public struct ScriptPackage: Sendable, Hashable, Codable {
    public enum Origin: String, Sendable, Hashable, Codable {
        /// A grounded script of ``InspectionLibrary``.
        case library
        /// Written by the model for this run.
        case model
        /// The user's own (`nimbus inspect --script`).
        case user
    }

    public var id: String
    public var title: String
    public var source: String
    public var actions: [String]
    public var dependencies: [String]
    public var arguments: [String]
    public var origin: Origin

    public init(
        id: String, title: String, source: String, actions: [String], dependencies: [String] = SandboxPython.packages,
        arguments: [String] = [], origin: Origin
    ) {
        self.id = id
        self.title = title
        self.source = source
        self.actions = actions
        self.dependencies = dependencies
        self.arguments = arguments
        self.origin = origin
    }

    /// A grounded script, its parameters taken from the question where it names them ("keys older than 30 days"
    /// sets a `…_days` parameter), else their defaults.
    public init(grounded script: InspectionScript, question: String = "") {
        self.init(
            id: script.id, title: script.title, source: script.source, actions: script.actions,
            arguments: script.parameters.map { Self.value(of: $0, in: question) }, origin: .library)
    }

    /// A parameter's value as the question gives it: a number of days for `…_days`, else its default.
    static func value(of parameter: InspectionScript.Parameter, in question: String) -> String {
        guard parameter.name.hasSuffix("_days") else { return parameter.defaultValue }
        let words = question.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        for (index, word) in words.enumerated().dropFirst() where word.hasPrefix("day") {
            if let days = Int(words[index - 1]), (0...36_500).contains(days) { return String(days) }
        }
        return parameter.defaultValue
    }

    /// A user's script and policy: the actions are the policy's.
    public init(userScript source: String, policy: SandboxPolicy, name: String) {
        self.init(
            id: "user-script", title: name, source: source, actions: policy.allowedActions, origin: .user)
        userPolicy = policy
    }

    /// The policy the user gave, when it is theirs (it may narrow resources or deny); else one allowing ``actions``.
    public var userPolicy: SandboxPolicy?

    public var policy: SandboxPolicy { userPolicy ?? SandboxPolicy(allowing: actions) }

    // MARK: Asking a model

    /// What a model answers.
    struct Written: Decodable {
        var title: String?
        var script: String
        var actions: [String]
        var dependencies: [String]?
    }

    static let format = JSONSchemaFormat(
        name: "inspection_script",
        schema: [
            "type": "object",
            "properties": [
                "title": ["type": "string"],
                "script": ["type": "string", "minLength": 1],
                "actions": ["type": "array", "items": ["type": "string", "pattern": "^[a-z0-9-]+:[A-Za-z0-9*]+$"]],
                "dependencies": ["type": "array", "items": ["type": "string"]],
            ],
            "required": ["script", "actions"],
        ],
        description: "A boto3 script that reads an AWS account, and the IAM actions it calls")

    static let instructions = """
        You write one small Python 3 script that uses boto3 to read an AWS account, for one task. Rules:
        - Only read calls (describe/list/get). Never create, change or delete anything.
        - Import only: \(ScriptValidator.allowedImports.sorted().joined(separator: ", ")).
        - Use boto3.client(...) with no credentials, endpoint or region arguments; they come from the environment.
        - No eval, exec, subprocess, files, sockets, resources, waiters or presigned URLs.
        - Print exactly one line: a JSON object {"checked": N, "findings": [{"severity": "high"|"medium"|"low",
          "resource": ARN, "title": text, "evidence": {"operation": "service:Action", ...what you saw},
          "recommendation": text}]}. Report only resources that are misconfigured.
        Answer with JSON: {"title": ..., "script": the whole script, "actions": every IAM action the script calls
        ("s3:ListAllMyBuckets" for list_buckets), "dependencies": ["boto3"]}.
        """

    static func prompt(task: String, example: ScriptPackage?, feedback: String) -> String {
        var text = "Task: \(task)"
        if let example {
            text += "\n\nA script in the right shape, for the same topic:\n```python\n\(example.source)\n```"
            text += "\nIts actions: \(example.actions.joined(separator: ", "))"
        }
        if !feedback.isEmpty { text += "\n\nYour last script was refused; fix this: \(feedback)" }
        return text
    }
}
