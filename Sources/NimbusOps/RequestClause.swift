import NimbusCore

/// Why the router cannot plan a clause: something it needs is missing, or words it does not understand.
struct RouteProblem: Error, Hashable {
    var message: String
    /// The words no part of the grammar accounted for, as written.
    var unknownWords: [String] = []

    static func unknown(_ tokens: [RequestToken]) -> RouteProblem {
        let words = tokens.map(\.text)
        let quoted = words.map { "“\($0)”" }.joined(separator: ", ")
        return RouteProblem(
            message:
                "I don't understand \(quoted) there, and I don't guess what \(words.count == 1 ? "it means" : "they mean")",
            unknownWords: words)
    }
}

/// One clause of a request as the grammar reads it: its tokens, and which of them a form has used. Every token
/// must end up used or be filler the form allows; anything else is a word the router does not understand.
struct RequestClause: Sendable {
    private(set) var tokens: [RequestToken]
    /// Positions of tokens carried over from the clause before ("delete s3://a/x and s3://b/y": the second
    /// clause's "delete"); never reported as unknown.
    private let implied: Set<Int>
    private var used: [Bool]
    /// The request positions of the tokens a read took as names (data for ``RequestScreen``).
    private(set) var names: Set<Int> = []

    init(_ tokens: [RequestToken], implied: Int = 0) {
        self.tokens = tokens
        self.implied = Set(0..<implied)
        used = Array(repeating: false, count: tokens.count)
    }

    /// The clause as the person wrote it.
    var text: String {
        RequestWords.text(of: tokens.enumerated().filter { !implied.contains($0.offset) }.map(\.element))
    }

    // MARK: Looking

    func isFree(_ position: Int) -> Bool { tokens.indices.contains(position) && !used[position] }

    /// The first free token that satisfies `predicate`.
    func first(where predicate: (RequestToken) -> Bool) -> Int? {
        tokens.indices.first { !used[$0] && predicate(tokens[$0]) }
    }

    /// The first free word among `words`.
    func first(_ words: Set<String>) -> Int? { first { $0.kind == .word && words.contains($0.word) } }

    func has(_ words: Set<String>) -> Bool { first(words) != nil }

    func word(at position: Int) -> String? {
        isFree(position) && tokens[position].kind == .word ? tokens[position].word : nil
    }

    /// Whether the free words at `position` spell `phrase`.
    func spells(_ phrase: [String], at position: Int) -> Bool {
        phrase.enumerated().allSatisfy { word(at: position + $0.offset) == $0.element }
    }

    // MARK: Using

    mutating func use(_ position: Int) { used[position] = true }

    mutating func use(_ positions: some Sequence<Int>) { for position in positions { used[position] = true } }

    /// Uses the first free word among `words`; its position.
    @discardableResult
    mutating func take(_ words: Set<String>) -> Int? {
        guard let position = first(words) else { return nil }
        use(position)
        return position
    }

    /// Uses every free word among `words`; how many there were.
    @discardableResult
    mutating func takeAll(_ words: Set<String>) -> Int {
        var count = 0
        while take(words) != nil { count += 1 }
        return count
    }

    /// Uses the first place the free words spell `phrase`.
    @discardableResult
    mutating func take(phrase: [String]) -> Bool {
        guard let position = tokens.indices.first(where: { spells(phrase, at: $0) }) else { return false }
        use(position..<(position + phrase.count))
        return true
    }

    /// Uses every free token `extract` reads a value from; the values, with their positions, in order.
    mutating func takeEach<T>(_ extract: (RequestToken) -> T?) -> [(position: Int, value: T)] {
        var found: [(position: Int, value: T)] = []
        for position in tokens.indices where !used[position] {
            if let value = extract(tokens[position]) {
                use(position)
                found.append((position, value))
            }
        }
        return found
    }

    mutating func takeURIs() -> [(position: Int, value: S3URI)] { takeEach(\.uri) }

    mutating func takePaths() -> [(position: Int, value: String)] {
        takeEach { $0.kind == .localPath ? $0.text : nil }
    }

    mutating func take(kind: RequestToken.Kind) -> [String] {
        takeEach { $0.kind == kind ? $0.word : nil }.map(\.value)
    }

    /// Resource ids starting with `prefix` (`vpc-`, `sg-`, `subnet-`).
    mutating func takeIDs(prefix: String) -> [String] {
        takeEach { $0.kind == .resourceID && $0.word.hasPrefix(prefix) ? $0.word : nil }.map(\.value)
    }

    mutating func takeJSON() -> JSONValue? {
        takeEach { token -> JSONValue? in
            if case .json(let value) = token.kind { return value }
            return nil
        }.first?.value
    }

    /// `key=value` pairs, and the words that introduce them (`tagged`, `with tag`, `where`).
    mutating func takePairs(introducedBy keywords: Set<String> = []) -> [(key: String, value: String)] {
        let pairs = takeEach { token -> (key: String, value: String)? in
            if case .pair(let key, let value) = token.kind { return (key, value) }
            return nil
        }
        for (position, _) in pairs {
            var before = position - 1
            while before >= 0, let word = word(at: before), keywords.contains(word) {
                use(before)
                before -= 1
            }
        }
        return pairs.map(\.value)
    }

    /// Whether a token can be a name: a word with no meaning in the grammar, quoted text, or a number.
    func isName(_ position: Int, nouns: Bool = false, paths: Bool = false) -> Bool {
        guard isFree(position) else { return false }
        let token = tokens[position]
        switch token.kind {
        case .quoted, .number: return true
        case .localPath: return paths
        case .word:
            if nouns, RequestLexicon.nouns[token.word] != nil { return true }
            return !RequestLexicon.isReserved(token.word)
        default: return false
        }
    }

    /// The name in `keyword [the|my|…] NAME`, for the first keyword among `keywords` followed by one; uses the
    /// keyword, the articles and the name. `nouns` lets a resource noun be the name ("bucket logs").
    mutating func takeName(after keywords: Set<String>, nouns: Bool = false, paths: Bool = false) -> String? {
        takeNameAndKeyword(after: keywords, nouns: nouns, paths: paths)?.name
    }

    /// ``takeName(after:nouns:paths:)``, with where the keyword stood.
    mutating func takeNameAndKeyword(
        after keywords: Set<String>, nouns: Bool = false, paths: Bool = false
    ) -> (name: String, keyword: Int)? {
        for position in tokens.indices where word(at: position).map(keywords.contains) == true {
            var next = position + 1
            while let word = word(at: next), RequestLexicon.articles.contains(word) { next += 1 }
            // A noun is a name only right after the keyword: "bucket logs", not "bucket the logs".
            if isName(next, nouns: nouns && next == position + 1, paths: paths) {
                use(position...next)
                names.insert(tokens[next].index)
                return (tokens[next].text, position)
            }
        }
        return nil
    }

    /// Every name in a run right after `position` ("delete files a.txt b.txt"); uses them.
    mutating func takeNames(after position: Int) -> [String] {
        var found: [String] = []
        var next = position + 1
        while isName(next) {
            use(next)
            names.insert(tokens[next].index)
            found.append(tokens[next].text)
            next += 1
        }
        return found
    }

    /// A free name anywhere for which `accept` holds; uses it.
    mutating func takeName(where accept: (RequestToken) -> Bool) -> String? {
        guard let position = tokens.indices.first(where: { isName($0) && accept(tokens[$0]) }) else { return nil }
        use(position)
        names.insert(tokens[position].index)
        return tokens[position].text
    }

    /// The number in `keyword [the] N` ("limit 10", "first 5", "at most 20").
    mutating func takeNumber(after keywords: Set<String>) -> Int? {
        for position in tokens.indices where word(at: position).map(keywords.contains) == true {
            var next = position + 1
            while let word = word(at: next), RequestLexicon.articles.contains(word) { next += 1 }
            guard isFree(next), case .number(let number) = tokens[next].kind else { continue }
            // "at most 20": the "at" belongs to the phrase.
            if position > 0, word(at: position) == "most", word(at: position - 1) == "at" { use(position - 1) }
            use(position...next)
            return number
        }
        return nil
    }

    /// A duration: `N UNIT` or `Nm` with the words that introduce it ("for", "valid", "expiring in", "for the
    /// last", "the past"), or `last|past UNIT` for one unit ("the last hour"). Seconds.
    mutating func takeDuration() -> Int? {
        let introducers: Set<String> = [
            "for", "valid", "in", "the", "last", "past", "next", "lasting", "lasts", "expiring", "expires", "expire",
            "expiry", "within", "over", "during", "good", "that", "which", "from", "since",
        ]
        for position in tokens.indices where isFree(position) {
            var seconds: Int?
            var end = position
            switch tokens[position].kind {
            case .duration(let value):
                seconds = value
            case .number(let number):
                if let unit = word(at: position + 1), let size = RequestWords.seconds(inUnit: unit) {
                    seconds = number * size
                    end = position + 1
                }
            case .word:
                let word = tokens[position].word
                if let number = RequestLexicon.numberWords[word], let unit = self.word(at: position + 1),
                    let size = RequestWords.seconds(inUnit: unit), unit.count > 1
                {
                    seconds = number * size
                    end = position + 1
                } else if word == "last" || word == "past", let unit = self.word(at: position + 1),
                    let size = RequestWords.seconds(inUnit: unit), unit.count > 1
                {
                    seconds = size
                    end = position + 1
                }
            default:
                break
            }
            guard let seconds else { continue }
            use(position...end)
            var before = position - 1
            while let word = word(at: before), introducers.contains(word) {
                use(before)
                before -= 1
            }
            return seconds
        }
        return nil
    }

    // MARK: Finishing

    /// The free tokens that are not `filler`, in order.
    func leftovers(filler: Set<String>) -> [RequestToken] {
        tokens.indices.filter { position in
            guard !used[position], !implied.contains(position) else { return false }
            let token = tokens[position]
            return !(token.kind == .word || token.kind == .punctuation) || !filler.contains(token.word)
        }.map { tokens[$0] }
    }

    /// Fails naming every word the clause's form did not use and does not allow as filler.
    func finish(filler: Set<String>) throws(RouteProblem) {
        let left = leftovers(filler: filler)
        if !left.isEmpty { throw RouteProblem.unknown(left) }
    }
}
