import Foundation
import NimbusAWS
import NimbusCore

/// A request (or one clause of it) as words, with what the router asks of them: the verb, resource nouns, names
/// after keywords, `s3://` URIs, local paths, instance ids, `key=value` pairs, durations, limits and a JSON payload.
struct RequestWords {
    struct Token: Hashable {
        /// As written, without trailing punctuation or quotes.
        var text: String
        /// Lower-cased `text`.
        var word: String
    }

    var tokens: [Token]
    /// The first `{…}` in the request, parsed.
    var json: JSONValue?

    init(_ request: String) {
        var text = request
        if let (range, value) = Self.firstJSONObject(in: request) {
            json = value
            text.replaceSubrange(range, with: " ")
        }
        tokens = Self.tokenize(text)
    }

    private init(tokens: [Token], json: JSONValue?) {
        self.tokens = tokens
        self.json = json
    }

    var text: String { tokens.map(\.text).joined(separator: " ") }

    // MARK: Verbs and nouns

    enum Verb: Hashable {
        case show, count, create, delete, upload, download, copy, start, stop, invoke, presign, identity, scan, query,
            generic

        static let words: [String: Verb] = [
            "list": .show, "ls": .show, "show": .show, "display": .show, "describe": .show, "get": .show,
            "what": .show, "whats": .show, "what's": .show, "which": .show, "find": .show, "view": .show,
            "print": .show, "see": .show, "tell": .show, "give": .show, "inspect": .show, "check": .show,
            "count": .count, "how": .count,
            "create": .create, "make": .create, "mk": .create, "mb": .create, "new": .create,
            "delete": .delete, "remove": .delete, "rm": .delete, "del": .delete, "erase": .delete,
            "destroy": .delete, "empty": .delete, "purge": .delete,
            "upload": .upload, "put": .upload, "push": .upload,
            "download": .download, "fetch": .download, "pull": .download, "save": .download, "grab": .download,
            "copy": .copy, "cp": .copy, "duplicate": .copy,
            "start": .start, "boot": .start,
            "stop": .stop, "halt": .stop, "shutdown": .stop,
            "invoke": .invoke, "run": .invoke, "trigger": .invoke, "execute": .invoke,
            "presign": .presign, "share": .presign, "presigned": .presign,
            "whoami": .identity,
            "scan": .scan, "query": .query,
            "call": .generic, "aws": .generic,
        ]

        init?(_ word: String) {
            guard let verb = Verb.words[word] else { return nil }
            self = verb
        }
    }

    enum Noun: CaseIterable {
        case bucket, object, instance, vpc, subnet, securityGroup, function, user, role, policy, table, item, stack,
            logs, identity

        var singular: [String] {
            switch self {
            case .bucket: ["bucket"]
            case .object: ["object", "file", "key", "content"]
            case .instance: ["instance", "server", "vm", "machine", "ec2"]
            case .vpc: ["vpc", "network"]
            case .subnet: ["subnet"]
            case .securityGroup: ["sg", "firewall"]
            case .function: ["function", "lambda"]
            case .user: ["user"]
            case .role: ["role"]
            case .policy: ["policy"]
            case .table: ["table", "dynamodb"]
            case .item: ["item", "record", "row"]
            case .stack: ["stack", "cloudformation"]
            case .logs: ["log"]
            case .identity: ["identity", "account", "caller"]
            }
        }

        var plural: [String] {
            switch self {
            case .policy: ["policies"]
            case .logs: ["logs", "events"]
            case .object: ["objects", "files", "keys", "contents"]
            default: singular.map { $0 + "s" }
            }
        }

        static let allWords: Set<String> = Set(allCases.flatMap { $0.singular + $0.plural } + ["group", "groups"])
    }

    /// The clause's verb, with the readings that depend on what else it names.
    var verb: Verb? {
        guard let index = tokens.firstIndex(where: { Verb($0.word) != nil }) else { return nil }
        let word = tokens[index].word
        var verb = Verb(word)!
        if word == "how" {
            guard index + 1 < tokens.count, tokens[index + 1].word == "many" else { return .show }
        }
        if verb == .generic {
            let next = index + 1 < tokens.count ? tokens[index + 1].word : ""
            if !ModelCatalog.services.contains(next) { verb = hasNoun(.function) ? .invoke : .show }
        }
        if verb == .show, word == "get", !localPaths.isEmpty, !s3URIs.isEmpty { verb = .download }
        if verb == .upload, word == "put", s3URIs.isEmpty, localPaths.isEmpty { verb = .show }
        if verb == .invoke, !hasNoun(.function), word == "run" { return nil }
        if verb == .create, word == "new" { return hasNoun(.bucket) ? .create : .show }
        return verb
    }

    /// The word the verb was read from.
    var verbWord: String? { tokens.first { Verb($0.word) != nil }?.word }

    func has(_ word: String) -> Bool { tokens.contains { $0.word == word } }

    func hasPhrase(_ phrase: String) -> Bool {
        (" " + tokens.map(\.word).joined(separator: " ") + " ").contains(" \(phrase) ")
    }

    func hasNoun(_ noun: Noun) -> Bool {
        if noun == .securityGroup, hasPhrase("security group") || hasPhrase("security groups") { return true }
        if noun == .table, hasPhrase("log group") { return false }
        return tokens.contains { noun.singular.contains($0.word) || noun.plural.contains($0.word) }
    }

    func isPlural(_ noun: Noun) -> Bool {
        if noun == .securityGroup { return hasPhrase("security groups") || has("sgs") }
        return tokens.contains { noun.plural.contains($0.word) } || has("all")
    }

    // MARK: Names

    static let stopwords: Set<String> = [
        "the", "a", "an", "my", "our", "your", "all", "named", "called", "me", "please", "its", "this", "that", "is",
        "are", "with", "of", "in", "on", "at", "for", "from", "to", "into", "and", "any", "every", "some", "existing",
        "current", "aws", "s3", "amazon", "there", "it", "do", "i", "have", "whose", "which", "what",
    ]

    /// Whether a token can be a resource name.
    private func isName(_ token: Token) -> Bool {
        !Self.stopwords.contains(token.word) && !Noun.allWords.contains(token.word) && Verb(token.word) == nil
            && !token.text.hasPrefix("s3://") && !token.text.contains("=")
    }

    /// The first name after any of `keywords`, tried in order.
    func name(after keywords: [String], skippingNouns: Bool = false) -> String? {
        for keyword in keywords {
            for index in tokens.indices where tokens[index].word == keyword {
                var next = index + 1
                while next < tokens.count,
                    Self.stopwords.contains(tokens[next].word)
                        || skippingNouns && Noun.allWords.contains(tokens[next].word)
                {
                    next += 1
                }
                if next < tokens.count, isName(tokens[next]) { return tokens[next].text }
            }
        }
        return nil
    }

    /// Every name right after any of `keywords` ("delete a.txt b.txt from bucket x": a.txt, b.txt).
    func names(after keywords: [String]) -> [String] {
        guard let index = tokens.firstIndex(where: { keywords.contains($0.word) }) else { return [] }
        var found: [String] = []
        var next = index + 1
        while next < tokens.count {
            let token = tokens[next]
            if ["from", "in", "of", "bucket"].contains(token.word) { break }
            if isName(token) { found.append(token.text) }
            next += 1
        }
        return found
    }

    /// The bucket a clause names: in an `s3://` URI, after "bucket", before "bucket" ("the logs bucket"), after
    /// "in"/"from"/"of"; else the last bucket mentioned when the clause says "it", "there", "that" or "this".
    func bucketName(pronounFallback: String?) -> String? {
        if let uri = s3URIs.first { return uri.bucket }
        if let name = name(after: ["bucket"]) { return name }
        if let index = tokens.firstIndex(where: { $0.word == "bucket" }), index > 0, isName(tokens[index - 1]) {
            return tokens[index - 1].text
        }
        if let name = name(after: ["in", "from", "of"], skippingNouns: true), !RequestWords.isRegion(name) {
            return name
        }
        if ["it", "there", "that", "this"].contains(where: has) { return pronounFallback }
        return nil
    }

    /// A key prefix: after "under", "prefix", "folder" or "below".
    func prefix() -> String? {
        for keyword in ["under", "prefix", "folder", "below"] {
            if let index = tokens.firstIndex(where: { $0.word == keyword }), index + 1 < tokens.count {
                let value = tokens[index + 1].text
                if !Self.stopwords.contains(value.lowercased()) { return value }
            }
        }
        return nil
    }

    var s3URIs: [S3URI] { tokens.compactMap { S3URI($0.text) } }

    /// Local paths: `./x`, `../x`, `/x`, `~/x`, `.`.
    var localPaths: [String] {
        tokens.map(\.text).filter { text in
            text == "." || text == ".." || text.hasPrefix("./") || text.hasPrefix("../") || text.hasPrefix("~/")
                || (text.hasPrefix("/") && text.count > 1)
        }
    }

    var instanceIDs: [String] {
        tokens.map(\.word).filter { $0.range(of: "^i-[0-9a-f]{8,17}$", options: .regularExpression) != nil }
    }

    var arn: String? { tokens.first { $0.text.hasPrefix("arn:") }?.text }

    /// `key=value` tokens (tags, item keys).
    var pairs: [(String, String)] {
        tokens.compactMap { token in
            guard !token.text.hasPrefix("s3://"), let equals = token.text.firstIndex(of: "="),
                equals != token.text.startIndex
            else { return nil }
            return (String(token.text[..<equals]), String(token.text[token.text.index(after: equals)...]))
        }
    }

    func token(prefix: String) -> String? { tokens(prefix: prefix).first }
    func tokens(prefix: String) -> [String] { tokens.map(\.word).filter { $0.hasPrefix(prefix) } }

    func position(of text: String) -> Int { tokens.firstIndex { $0.text == text } ?? Int.max }

    /// A duration in seconds: "for 2 hours", "last 30 minutes", "15m", "the last day".
    func duration() -> Int? {
        let units: [(names: Set<String>, seconds: Int)] = [
            (["second", "seconds", "sec", "secs", "s"], 1), (["minute", "minutes", "min", "mins", "m"], 60),
            (["hour", "hours", "hr", "hrs", "h"], 3600), (["day", "days", "d"], 86400),
        ]
        for (index, token) in tokens.enumerated() {
            if let number = Int(token.word), index + 1 < tokens.count,
                let unit = units.first(where: { $0.names.contains(tokens[index + 1].word) })
            {
                return number * unit.seconds
            }
            let digits = token.word.prefix(while: \.isNumber)
            if let number = Int(digits),
                let unit = units.first(where: { $0.names.contains(String(token.word.dropFirst(digits.count))) })
            {
                return number * unit.seconds
            }
            if token.word == "last", index + 1 < tokens.count,
                let unit = units.first(where: { $0.names.contains(tokens[index + 1].word) })
            {
                return unit.seconds
            }
        }
        return nil
    }

    /// "limit 10", "first 5", "top 3", "at most 20".
    func limit() -> Int? {
        for keyword in ["limit", "first", "top", "most", "max"] {
            if let index = tokens.firstIndex(where: { $0.word == keyword }), index + 1 < tokens.count,
                let number = Int(tokens[index + 1].word)
            {
                return max(1, number)
            }
        }
        return nil
    }

    // MARK: Editing

    /// Removes `keyword VALUE` (and a "with"/"using"/"as" before it) and returns VALUE.
    mutating func take(after keywords: [String]) -> String? {
        guard let index = tokens.firstIndex(where: { keywords.contains($0.word) }), index + 1 < tokens.count else {
            return nil
        }
        let value = tokens[index + 1].text
        tokens.removeSubrange(index...(index + 1))
        if index > 0, ["with", "using", "as", "in", "for"].contains(tokens[index - 1].word) {
            tokens.remove(at: index - 1)
        }
        return value
    }

    mutating func remove(at index: Int, precededBy words: [String]) {
        tokens.remove(at: index)
        if index > 0, words.contains(tokens[index - 1].word) { tokens.remove(at: index - 1) }
    }

    /// The clauses of a request: split at ";", "then", and "and" / "," before a verb.
    func clauses() -> [RequestWords] {
        var clauses: [[Token]] = [[]]
        for (index, token) in tokens.enumerated() {
            let nextIsVerb = index + 1 < tokens.count && Verb(tokens[index + 1].word) != nil
            let splits = ["then", ";"].contains(token.word) || ["and", ","].contains(token.word) && nextIsVerb
            if splits {
                if !clauses[clauses.count - 1].isEmpty { clauses.append([]) }
            } else if token.word != "," {
                clauses[clauses.count - 1].append(token)
            }
        }
        return clauses.filter { !$0.isEmpty }.map { RequestWords(tokens: $0, json: json) }
    }

    // MARK: Reading text

    static func isRegion(_ word: String) -> Bool {
        word.range(of: "^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-[a-z]+-[0-9]$", options: .regularExpression) != nil
    }

    /// A value from a request as JSON: a number when it is one, else text.
    static func scalar(_ text: String) -> JSONValue {
        if let integer = Int(text) { return .int(integer) }
        return .string(text)
    }

    private static func tokenize(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var current = ""
        var quote: Character?
        func flush(quoted: Bool = false) {
            defer { current = "" }
            var text = current
            var separator: String?
            if !quoted {
                // Sentence punctuation is not part of a name (a trailing "/" and a lone "." or ".." are); a comma
                // or semicolon is kept as a token of its own, because it may separate clauses.
                while let last = text.last, ",.?!:;".contains(last), text != ".", text != ".." {
                    if last == "," || last == ";" { separator = String(last) }
                    text.removeLast()
                }
            }
            if !text.isEmpty { tokens.append(Token(text: text, word: text.lowercased())) }
            if let separator { tokens.append(Token(text: separator, word: separator)) }
        }
        for character in text {
            if let open = quote {
                if character == open {
                    flush(quoted: true)
                    quote = nil
                } else {
                    current.append(character)
                }
            } else if character == "\"" || character == "'" && current.isEmpty {
                flush()
                quote = character
            } else if character.isWhitespace {
                flush()
            } else {
                current.append(character)
            }
        }
        flush(quoted: quote != nil)
        return tokens
    }

    /// The first balanced `{…}` that parses as JSON, and where it is.
    private static func firstJSONObject(in text: String) -> (Range<String.Index>, JSONValue)? {
        guard let start = text.firstIndex(of: "{") else { return nil }
        var depth = 0
        var inString = false
        var escaped = false
        var index = start
        while index < text.endIndex {
            let character = text[index]
            if inString {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inString = false
                }
            } else if character == "\"" {
                inString = true
            } else if character == "{" {
                depth += 1
            } else if character == "}" {
                depth -= 1
                if depth == 0 {
                    let range = start..<text.index(after: index)
                    guard let value = try? JSONValue(parsing: String(text[range])) else { return nil }
                    return (range, value)
                }
            }
            index = text.index(after: index)
        }
        return nil
    }
}
