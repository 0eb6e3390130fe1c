import Foundation
public import NimbusAgents
import NimbusCore

/// A request the offline router understood: the plan's steps (not yet reviewed), and what to say about them.
public struct RoutedRequest: Sendable, Hashable, Codable {
    public var steps: [PlannedStep]
    /// "How many …" / "count …": answer with numbers.
    public var counts: Bool
    /// The profile and region the words named (`with profile dev`, `in eu-west-1`).
    public var profile: String?
    public var region: String?
}

/// What the offline router made of a request.
public enum RouteOutcome: Sendable, Hashable {
    case plan(RoutedRequest)
    /// Not planned, and why: what the router will not do (a negated, questioned or conditioned change), or what
    /// it did not understand and what it can do instead. Never a guess.
    case unsupported(String)
}

/// The offline understanding of requests: a pure function from a request's words to typed tool inputs, or to a
/// refusal. No model, no network.
///
/// - Every token must be accounted for: a verb, a resource noun, a name in a name slot (`bucket NAME`), a URI,
///   path, id, `key=value` tag, number and unit, a profile or region, or a filler word the form allows. A word
///   the grammar does not understand makes it refuse, naming the word; it never plans something else instead.
/// - A request that asks for a change and anywhere negates, questions or conditions is refused whole
///   (``RequestScreen``): "don't delete s3://b/k" deletes nothing and says so.
/// - Clauses joined by "and", "then", ";", ",", "&&", "&", "|" or "||" are all planned, in order, or the request
///   is refused; a clause without a verb takes the one before's ("delete s3://a/x and s3://b/y"), and "it" or
///   "there" is the last bucket named ("create bucket X and upload ./site to it").
///
/// Steps are built from tool values and their `Input` types (``PlanBuilder``), and checked against the registry
/// as they are built.
public struct OpsRouter: Sendable {
    /// Where relative paths in requests point.
    public init() {}

    /// Requests the router understands, one per form: shown when a request is not understood.
    public static let examples = [
        "list all S3 buckets", "list buckets with tags", "list objects in bucket NAME under logs/",
        "list s3://BUCKET/prefix/", "count objects in bucket NAME", "show s3://BUCKET/key",
        "upload ./data to s3://BUCKET/prefix/", "download s3://BUCKET/key to ./here",
        "sync ./site to s3://BUCKET/site/ (or s3://… to ./here)", "copy s3://A/key to s3://B/key",
        "move s3://A/key to s3://B/key", "rename s3://BUCKET/old.txt to new.txt", "create bucket NAME [in REGION]",
        "delete s3://BUCKET/key", "delete everything under s3://BUCKET/prefix/", "delete bucket NAME",
        "presign s3://BUCKET/key for 2 hours", "give me a download link for s3://BUCKET/key valid 10 minutes",
        "list instances [tagged env=dev] [running|stopped]", "stop the instances tagged env=dev",
        "start instance i-0123456789abcdef0", "terminate instance i-0123456789abcdef0",
        "list vpcs | subnets | security groups", "list functions", "show function NAME",
        "invoke function NAME with {\"key\": \"value\"}", "list users | roles", "list policies of role NAME",
        "show policy ARN-or-NAME", "list tables", "describe table NAME", "get item id=42 from table NAME",
        "query table NAME for id=42", "scan table NAME", "list stacks", "list resources of stack NAME",
        "show logs of group NAME for the last 30 minutes", "list log groups", "list queues", "whoami",
        "call SERVICE Operation {\"Param\": \"value\"}",
    ]

    /// Routes a request.
    public func route(_ text: String) -> RouteOutcome {
        let reading = Self.read(text)
        if let finding = RequestScreen.screen(reading.tokens, readNames: reading.readNames) {
            return .unsupported(Self.refusal(finding, tokens: reading.tokens))
        }
        switch reading.result {
        case .success(let routed): return .plan(routed)
        case .failure(let failure):
            return .unsupported(Self.help(for: text, clause: failure.clause, problem: failure.problem))
        }
    }

    /// Why a request may not change anything, when it negates, questions or conditions a change ("don't delete
    /// …", "should I delete …?"): the model path then plans with reads only, as the offline router refuses.
    public static func changesForbidden(by text: String) -> String? {
        let reading = read(text)
        guard let finding = RequestScreen.screen(reading.tokens, readNames: reading.readNames) else { return nil }
        let how: String
        switch finding.reason {
        case .negated: how = "says not to"
        case .questioned: how = "asks a question"
        case .conditioned: how = "sets a condition"
        }
        return "the request \(how) (“\(finding.marker)”) about \(finding.changes.joined(separator: ", "))"
    }

    /// The profile and region a request names, without routing it (the model path uses them too).
    public static func target(of text: String) -> (profile: String?, region: String?) {
        let target = RequestTarget(RequestWords(text).tokens)
        return (target.profile, target.region)
    }

    // MARK: Reading

    struct Failure: Error, Hashable {
        /// The clause that failed, as written.
        var clause: String
        var problem: RouteProblem
    }

    /// What reading a request gave: the plan or why not, and what the screen needs to see.
    struct Reading {
        var result: Result<RoutedRequest, Failure>
        var tokens: [RequestToken]
        /// Tokens that reads took as names.
        var readNames: Set<Int>
    }

    static func read(_ text: String) -> Reading {
        let tokens = RequestWords(text).tokens
        var reading = Reading(
            result: .failure(Failure(clause: text, problem: RouteProblem(message: "the request is empty"))),
            tokens: tokens, readNames: [])
        guard !tokens.isEmpty else { return reading }
        let target = RequestTarget(tokens)
        if let problem = target.problem {
            reading.result = .failure(Failure(clause: text, problem: problem))
            return reading
        }
        let clauses: [RequestClause]
        do {
            clauses = try Self.clauses(of: tokens.filter { !target.used.contains($0.index) })
        } catch {
            reading.result = .failure(Failure(clause: text, problem: error))
            return reading
        }
        var grammar = RequestGrammar(region: target.region)
        var failure: Failure?
        for var clause in clauses {
            var probe = clause
            let isRead = RequestGrammar.verb(of: &probe).map { !$0.verb.changes } ?? true
            do {
                try grammar.parse(&clause)
                if isRead { reading.readNames.formUnion(clause.names) }
            } catch let problem as RouteProblem {
                failure = failure ?? Failure(clause: clause.text, problem: problem)
            } catch {
                failure = failure ?? Failure(clause: clause.text, problem: RouteProblem(message: "\(error)"))
            }
        }
        if let failure {
            reading.result = .failure(failure)
        } else if grammar.plan.steps.isEmpty {
            reading.result = .failure(
                Failure(clause: text, problem: RouteProblem(message: "it asks for nothing I can do")))
        } else {
            reading.result = .success(
                RoutedRequest(
                    steps: grammar.plan.steps, counts: grammar.counts, profile: target.profile, region: target.region))
        }
        return reading
    }

    /// Words that join clauses, besides separator marks.
    static let joiningWords: Set<String> = ["and", "then", "also", "plus", "afterwards", "afterward"]

    /// The clauses of a request, split at every separator. "and", "," and "&" between two values of one kind
    /// ("s3://a/x and s3://a/y", "env=dev and team=web") join them within a clause instead. A clause without a
    /// verb takes the one before's, and its noun when it names nothing else ("delete bucket a and b").
    static func clauses(of tokens: [RequestToken]) throws(RouteProblem) -> [RequestClause] {
        func isSeparator(_ token: RequestToken) -> Bool {
            token.kind == .separator || token.kind == .word && joiningWords.contains(token.word)
        }
        func family(_ token: RequestToken) -> Int? {
            switch token.kind {
            case .s3URI, .localPath: 0
            case .instanceID: 1
            case .pair: 2
            case .resourceID: 3
            default: nil
            }
        }
        var groups: [[RequestToken]] = [[]]
        var dangling: RequestToken?
        for (position, token) in tokens.enumerated() {
            guard isSeparator(token) else {
                groups[groups.count - 1].append(token)
                dangling = nil
                continue
            }
            let joins = ["and", ",", "&"].contains(token.word)
            if joins, let before = groups.last?.last, let after = tokens.dropFirst(position + 1).first,
                let kind = family(before), family(after) == kind
            {
                continue
            }
            if groups[groups.count - 1].isEmpty {
                if groups.count == 1, token.kind == .word || ["&&", "||", "|", "&"].contains(token.word) {
                    throw RouteProblem(message: "it starts with “\(token.text)”, which joins it to nothing")
                }
            } else {
                groups.append([])
            }
            dangling = token
        }
        if let dangling, dangling.kind == .word || ["&&", "||", "|", "&"].contains(dangling.word) {
            throw RouteProblem(message: "it ends with “\(dangling.text)”: what should come after it?")
        }
        var clauses: [RequestClause] = []
        var previous: [RequestToken] = []
        // "…, please" and "… now, thanks" add nothing to ask for.
        let courtesy: Set<String> = ["please", "now", "thanks", "thx"]
        for group in groups
        where !group.isEmpty && !group.allSatisfy({ $0.kind == .word && courtesy.contains($0.word) }) {
            var implied: [RequestToken] = []
            if verbTokens(in: group).isEmpty, !previous.isEmpty {
                implied = verbTokens(in: previous)
                let namesSomething = group.contains(where: \.isData) || !nounTokens(in: group).isEmpty
                if !namesSomething { implied += nounTokens(in: previous) }
            }
            clauses.append(RequestClause(implied + group, implied: implied.count))
            previous = implied + group
        }
        return clauses
    }

    /// The tokens a clause's verb is read from, for a following clause without one.
    private static func verbTokens(in tokens: [RequestToken]) -> [RequestToken] {
        if let presign = tokens.first(where: { $0.kind == .word && RequestLexicon.presignWords.contains($0.word) }) {
            return [presign]
        }
        if let how = tokens.firstIndex(where: { $0.word == "how" }), how + 1 < tokens.count,
            tokens[how + 1].word == "many"
        {
            return [tokens[how], tokens[how + 1]]
        }
        if let who = tokens.firstIndex(where: { $0.word == "who" }), who + 2 < tokens.count,
            tokens[who + 1].word == "am", tokens[who + 2].word == "i"
        {
            return Array(tokens[who...(who + 2)])
        }
        return tokens.first { $0.kind == .word && RequestLexicon.verbs[$0.word] != nil }.map { [$0] } ?? []
    }

    /// The first resource noun of a clause (two tokens for "security groups", "log groups").
    private static func nounTokens(in tokens: [RequestToken]) -> [RequestToken] {
        for (position, token) in tokens.enumerated() where token.kind == .word {
            if position + 1 < tokens.count,
                RequestLexicon.phrases.contains(where: {
                    $0.first == token.word && $0.second.contains(tokens[position + 1].word)
                })
            {
                return [token, tokens[position + 1]]
            }
            if RequestLexicon.nouns[token.word] != nil { return [token] }
        }
        return []
    }

    // MARK: Answers

    /// What the router will not do and why, for a negated, questioned or conditioned change.
    static func refusal(_ finding: RequestScreen.Finding, tokens: [RequestToken]) -> String {
        let verbs = finding.changes.joined(separator: " or ")
        let targets = Self.targets(in: tokens)
        let quantified = ["nothing", "none", "nobody", "noone", "neither", "nor", "zero", "no"].contains(finding.marker)
        let named = targets.joined(separator: ", ")
        let what = targets.isEmpty ? "anything" : quantified ? "anything from \(named)" : named
        let reason: String
        switch finding.reason {
        case .negated: reason = "your request says not to (“\(finding.marker)”)"
        case .questioned: reason = "your request asks about it (“\(finding.marker)”) rather than asking for it"
        case .conditioned: reason = "your request makes it depend on something I can't check (“\(finding.marker)”)"
        }
        var lines = ["I won't \(verbs) \(what): \(reason). Nothing was changed."]
        if let suggestion = suggestion(after: finding, tokens: tokens) {
            let object = targets.isEmpty ? "" : targets.count == 1 ? " it" : " them"
            lines.append("To \(finding.changes[0])\(object), say `\(suggestion)`.")
        } else {
            lines.append(
                "To \(finding.changes[0]), ask for it plainly, without “\(finding.marker)”; to look first, ask to list or show it."
            )
        }
        return lines.joined(separator: "\n")
    }

    /// The request from its first change on, when that part alone is a plain request the router understands:
    /// "don't delete s3://b/k" → "delete s3://b/k".
    private static func suggestion(after finding: RequestScreen.Finding, tokens: [RequestToken]) -> String? {
        guard let first = finding.firstChange, let start = tokens.firstIndex(where: { $0.index == first }) else {
            return nil
        }
        var tail = Array(tokens[start...])
        while let last = tail.last, last.kind == .punctuation || last.kind == .separator { tail.removeLast() }
        let text = RequestWords.text(of: tail)
        let reading = read(text)
        guard RequestScreen.screen(reading.tokens, readNames: reading.readNames) == nil,
            case .success = reading.result
        else { return nil }
        return text
    }

    /// What a request names: URIs, paths, ids, tags, and `bucket NAME` and the like, as written.
    private static func targets(in tokens: [RequestToken]) -> [String] {
        var targets: [String] = []
        let named: Set<String> = ["bucket", "table", "function", "lambda", "stack", "queue", "role", "user", "group"]
        for (position, token) in tokens.enumerated() {
            switch token.kind {
            case .s3URI, .localPath, .instanceID, .resourceID, .arn: targets.append(token.text)
            case .pair:
                let instances = tokens.contains { RequestLexicon.nouns[$0.word]?.0 == .instance }
                targets.append("\(instances ? "the instances " : "")tagged \(token.text)")
            case .word where named.contains(token.word):
                if position + 1 < tokens.count, tokens[position + 1].isWordLike,
                    !RequestLexicon.isReserved(tokens[position + 1].word)
                {
                    targets.append("\(token.word) \(tokens[position + 1].text)")
                }
            default: break
            }
        }
        var seen = Set<String>()
        return Array(targets.filter { seen.insert($0).inserted }.prefix(6))
    }

    static func help(for text: String, clause: String, problem: RouteProblem) -> String {
        let request = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let part = clause == request || clause.isEmpty ? "" : "in “\(clause)”, "
        let end = problem.message.hasSuffix("?") || problem.message.hasSuffix(".") ? "" : "."
        var lines = ["I can't do \"\(request)\" offline: \(part)\(problem.message)\(end) Nothing was run."]
        let vocabulary = Array(RequestLexicon.verbs.keys) + Array(RequestLexicon.nouns.keys)
        for word in problem.unknownWords where word.count > 2 {
            // A near miss, not a different word built on one ("reboot" is not a typo of "boot").
            if let close = closestMatch(to: word, in: vocabulary), !word.lowercased().contains(close) {
                lines.append("Did you mean '\(close)' for '\(word)'?")
                break
            }
        }
        lines.append("Requests I understand without a model:")
        lines += examples.map { "  " + $0 }
        lines.append("Configure a model (NIMBUS_LLM=provider:model) for anything else.")
        return lines.joined(separator: "\n")
    }
}

/// The profile and region a request names (`with profile prod`, `--profile prod`, `in eu-west-1`,
/// `region eu-west-1`), and the tokens that name them.
struct RequestTarget {
    var profile: String?
    var region: String?
    /// Request positions of the tokens used.
    var used: Set<Int> = []
    var problem: RouteProblem?

    init(_ tokens: [RequestToken]) {
        var used: Set<Int> = []
        func useBefore(_ position: Int, _ words: Set<String>) {
            var before = position - 1
            while before >= 0, tokens[before].kind == .word, words.contains(tokens[before].word),
                !used.contains(before)
            {
                used.insert(before)
                before -= 1
            }
        }
        for (position, token) in tokens.enumerated() where token.kind == .word {
            guard token.word == "profile" || token.word == "--profile", position + 1 < tokens.count,
                tokens[position + 1].isWordLike, profile == nil
            else { continue }
            profile = tokens[position + 1].text
            used.formUnion([position, position + 1])
            useBefore(position, ["with", "using", "as", "in", "for", "on", "under", "the", "my", "aws"])
        }
        var regions: [String] = []
        for (position, token) in tokens.enumerated() where token.kind == .region {
            if !regions.contains(token.word) { regions.append(token.word) }
            used.insert(position)
            if position + 1 < tokens.count, tokens[position + 1].word == "region" { used.insert(position + 1) }
            useBefore(position, ["in", "into", "at", "from", "for", "on", "the", "region", "--region", "aws"])
        }
        self.used = used
        region = regions.first
        if regions.count > 1 {
            problem = RouteProblem(
                message: "it names \(regions.count) regions (\(regions.joined(separator: ", "))); a request runs in one"
            )
        }
    }
}
