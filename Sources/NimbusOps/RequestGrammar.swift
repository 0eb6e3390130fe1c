import NimbusAWS
import NimbusAgents
import NimbusCore

/// The steps of a plan as the router builds them: tool values with typed inputs, numbered in order, each checked
/// against the registry's schema and the tool's own checks as it is added.
struct PlanBuilder: Sendable {
    private(set) var steps: [PlannedStep] = []

    var nextNumber: Int { steps.count + 1 }

    /// Adds a step for `tool` with `input`; its number.
    @discardableResult
    mutating func add<T: OpsTool>(_ tool: T, _ input: T.Input) throws -> Int {
        let step = try PlannedStep(number: nextNumber, tool: tool, input: input)
        do {
            _ = try OpsTools.registry.prepare(step.tool, arguments: step.arguments)
        } catch {
            throw RouteProblem(message: (error as? any NimbusError)?.message ?? "\(error)")
        }
        steps.append(step)
        return step.number
    }

    /// Adds a step whose `field` is an earlier step's result at `reference` ("stop what step 1 found"): it is
    /// checked when the reference is resolved, before it runs.
    mutating func add<T: OpsTool>(
        _ tool: T, _ input: T.Input, taking field: some CodingKey, from reference: StepReference
    ) throws {
        var step = try PlannedStep(number: nextNumber, tool: tool, input: input)
        step.arguments[field.stringValue] = reference.json
        steps.append(step)
    }
}

/// The grammar of requests: reads each clause into typed tool inputs, or fails naming what it could not read.
/// It carries what later clauses refer to ("it": the last bucket named) and what the answer should say.
struct RequestGrammar: Sendable {
    typealias Verb = RequestLexicon.Verb
    typealias Resource = RequestLexicon.Resource

    var plan = PlanBuilder()
    /// "How many …": answer with numbers.
    var counts = false
    /// The region the request named, for a bucket it creates.
    var region: String?
    /// The last bucket named, for "it" and "there".
    var lastBucket: String?

    init(region: String?) {
        self.region = region
    }

    /// The verb of a clause, read with what else it says; uses the words it was read from. Nil when the clause
    /// has none (a read: "buckets?").
    static func verb(of clause: inout RequestClause) -> (verb: Verb, word: String)? {
        if clause.has(RequestLexicon.presignWords) {
            // "give me a download link", "create a presigned URL": the verb words belong to the phrase.
            let leads: Set<String> = [
                "give", "get", "make", "create", "generate", "send", "share", "presign", "produce",
            ]
            let lead = clause.first(leads).map { clause.tokens[$0].word }
            clause.take(leads)
            return (.presign, lead ?? "presign")
        }
        if clause.take(phrase: ["how", "many"]) { return (.count, "count") }
        if clause.take(phrase: ["who", "am", "i"]) { return (.identity, "whoami") }
        if let position = clause.first(["aws"]), position == 0, let service = clause.word(at: 1),
            Self.isService(service)
        {
            clause.use(position)
            return (.call, "call")
        }
        guard let position = clause.first(where: { $0.kind == .word && RequestLexicon.verbs[$0.word] != nil })
        else { return nil }
        let word = clause.tokens[position].word
        clause.use(position)
        return (RequestLexicon.verbs[word]!, word)
    }

    static func isService(_ word: String) -> Bool {
        (try? ModelCatalog.model(word)) != nil
    }

    /// Reads one clause into steps.
    mutating func parse(_ clause: inout RequestClause) throws {
        let verb = Self.verb(of: &clause)
        switch verb?.verb {
        case nil, .list, .show, .count, .query, .scan, .identity:
            try read(&clause, verb: verb?.verb ?? .show)
        case .create: try create(&clause)
        case .delete: try delete(&clause, word: verb!.word)
        case .upload, .download, .copy, .move, .rename, .sync: try transfer(&clause, verb: verb!.verb)
        case .presign: try presign(&clause)
        case .start: try changeInstances(&clause, .start)
        case .stop: try changeInstances(&clause, .stop)
        case .terminate: try changeInstances(&clause, .terminate)
        case .invoke: try invoke(&clause, word: verb!.word)
        case .call: try call(&clause)
        }
    }

    // MARK: Shared pieces

    /// A bucket a clause names as a place: `in|from|of|inside|within [the] bucket NAME`, `bucket NAME`,
    /// `the NAME bucket`, `in|from|of NAME`, or "it"/"there"/"that bucket" for the last bucket named.
    mutating func takeBucket(_ clause: inout RequestClause) -> String? {
        let places: Set<String> = ["in", "from", "of", "inside", "within", "on", "for"]
        if let position = clause.first(["bucket"]) {
            if let name = clause.takeName(after: ["bucket"], nouns: true) {
                useBefore(position, places.union(RequestLexicon.articles), in: &clause)
                return remember(name)
            }
            // "the logs bucket"
            if position > 0, clause.isName(position - 1, nouns: true),
                let article = clause.word(at: position - 2), RequestLexicon.articles.contains(article)
            {
                let name = clause.tokens[position - 1].text
                clause.use((position - 2)...position)
                useBefore(position - 2, places, in: &clause)
                return remember(name)
            }
            if let pronoun = clause.first(RequestLexicon.pronouns), let lastBucket {
                clause.use([position, pronoun])
                useBefore(min(position, pronoun), places, in: &clause)
                return lastBucket
            }
            return nil
        }
        if let name = clause.takeName(after: ["named", "called"]) { return remember(name) }
        for position in clause.tokens.indices {
            guard let word = clause.word(at: position), places.contains(word) else { continue }
            var next = position + 1
            while let article = clause.word(at: next), RequestLexicon.articles.contains(article) { next += 1 }
            if clause.isName(next) {
                clause.use(position...next)
                return remember(clause.tokens[next].text)
            }
            if let pronoun = clause.word(at: next), ["it", "there", "them"].contains(pronoun), let lastBucket {
                clause.use(position...next)
                return lastBucket
            }
        }
        if let pronoun = clause.first(["there"]), let lastBucket {
            clause.use(pronoun)
            return lastBucket
        }
        return nil
    }

    mutating func remember(_ bucket: String) -> String {
        lastBucket = bucket
        return bucket
    }

    /// Uses the words among `words` right before `position` ("everything *under* s3://…").
    func useBefore(_ position: Int, _ words: Set<String>, in clause: inout RequestClause) {
        var before = position - 1
        while let word = clause.word(at: before), words.contains(word) {
            clause.use(before)
            before -= 1
        }
    }

    /// A key prefix: `under|below|beneath|prefix|folder|with prefix|in folder NAME`.
    func takePrefix(_ clause: inout RequestClause) -> String? {
        guard
            let (prefix, keyword) = clause.takeNameAndKeyword(
                after: ["under", "below", "beneath", "prefix", "folder"], nouns: true)
        else { return nil }
        useBefore(keyword, ["with", "in", "the", "a"], in: &clause)
        return prefix
    }

    /// Refuses a count that a tool would refuse, naming the limit, instead of quietly lowering it.
    static func check(_ value: Int?, atMost maximum: Int, _ what: String) throws -> Int? {
        guard let value else { return nil }
        guard value >= 1 else { throw RouteProblem(message: "\(what) must be at least 1") }
        guard value <= maximum else { throw RouteProblem(message: "\(what) can be at most \(maximum), not \(value)") }
        return value
    }

    /// Tags as a map; a key named twice is refused rather than one of its values dropped.
    static func tagMap(_ pairs: [(key: String, value: String)]) throws -> [String: String]? {
        guard !pairs.isEmpty else { return nil }
        var tags: [String: String] = [:]
        for (key, value) in pairs {
            guard !value.isEmpty else { throw RouteProblem(message: "the tag \(key)= has no value") }
            guard tags[key] == nil else { throw RouteProblem(message: "the tag \(key) is named twice") }
            tags[key] = value
        }
        return tags
    }

    /// Filler a change allows.
    static let changeFiller = RequestLexicon.changeFiller.union(["s3", "aws", "amazon", "ec2"])
}
