import Foundation
import NimbusCore

/// One token of a request: a plain word, or a thing the request names that the router takes whole (an `s3://`
/// URI, a local path, an instance id, a `key=value` tag, a number, a region, a JSON payload).
struct RequestToken: Hashable, Sendable {
    enum Kind: Hashable, Sendable {
        /// A plain word: a verb, noun, keyword or filler of the grammar, or a name in a name slot.
        case word
        /// Text in quotes: only ever a name or a filter, never a verb.
        case quoted
        case s3URI(S3URI)
        /// `./x`, `../x`, `/x`, `~/x`, `.`, `..`.
        case localPath
        case instanceID
        /// `vpc-…`, `subnet-…`, `sg-…`.
        case resourceID
        case arn
        case pair(key: String, value: String)
        case number(Int)
        /// A number and unit written together: `15m`, `2h`, `7d`.
        case duration(seconds: Int)
        case region
        case json(JSONValue)
        /// `;` `,` `.` `!` `&` `&&` `|` `||` between words.
        case separator
        /// `?` and any other mark standing on its own.
        case punctuation
    }

    var kind: Kind
    /// As written.
    var text: String
    /// What matching uses: lower-cased, apostrophes unified, compatibility forms folded (`ｄｏｎ’ｔ` is `don't`).
    var word: String
    /// The token's place in the request.
    var index: Int

    /// Whether the token is a value the request names (a URI, path, id, tag, number, payload) rather than words.
    var isData: Bool {
        switch kind {
        case .s3URI, .localPath, .instanceID, .resourceID, .arn, .pair, .number, .duration, .region, .json: true
        case .word, .quoted, .separator, .punctuation: false
        }
    }

    var uri: S3URI? {
        if case .s3URI(let uri) = kind { return uri }
        return nil
    }

    /// Whether the token is a word or quoted text (something that can be a name).
    var isWordLike: Bool { kind == .word || kind == .quoted }
}

/// A request as tokens. The lexer is deliberately literal: it never drops a character that might matter, so
/// anything it does not recognise becomes a word the grammar must account for (or refuse).
struct RequestWords: Sendable {
    var tokens: [RequestToken]

    init(_ request: String) {
        tokens = Self.tokenize(request)
    }

    init(tokens: [RequestToken]) {
        self.tokens = tokens
    }

    /// The tokens as text, quoted where they were quoted.
    static func text(of tokens: [RequestToken]) -> String {
        tokens.map { $0.kind == .quoted ? "\"\($0.text)\"" : $0.text }.joined(separator: " ")
            .replacingOccurrences(of: " ,", with: ",").replacingOccurrences(of: " ?", with: "?")
    }

    // MARK: Normalising

    /// Characters written for an apostrophe.
    static let apostrophes: Set<Character> = [
        "'", "\u{2019}", "\u{2018}", "\u{02BC}", "\u{02BB}", "\u{2032}", "`", "\u{00B4}", "\u{FF07}",
    ]
    /// Characters that open or close quoted text (besides apostrophes at the start of a word).
    static let doubleQuotes: Set<Character> = [
        "\"", "\u{201C}", "\u{201D}", "\u{201E}", "\u{00AB}", "\u{00BB}", "\u{300C}", "\u{300D}", "\u{FF02}",
    ]
    /// Cyrillic and Greek letters that look like Latin ones ("nоt" with a Cyrillic о), read as the Latin letter.
    static let confusables: [Character: Character] = [
        "\u{0430}": "a", "\u{0435}": "e", "\u{043E}": "o", "\u{0440}": "p", "\u{0441}": "c", "\u{0443}": "y",
        "\u{0445}": "x", "\u{0456}": "i", "\u{0458}": "j", "\u{0455}": "s", "\u{0501}": "d", "\u{043D}": "h",
        "\u{0442}": "t", "\u{03BF}": "o", "\u{03B1}": "a", "\u{03B5}": "e", "\u{03B9}": "i", "\u{03BA}": "k",
        "\u{03C1}": "p", "\u{03C4}": "t", "\u{03BD}": "v", "\u{0578}": "n", "\u{057C}": "n",
    ]
    /// Marks that ask a question.
    static let questionMarks: Set<Character> = [
        "?", "\u{FF1F}", "\u{00BF}", "\u{061F}", "\u{2047}", "\u{2048}", "\u{2049}", "\u{2753}", "\u{2754}", "\u{2E2E}",
    ]

    /// `text` as matching sees it: invisible format characters (zero-width spaces, soft hyphens) made breaks
    /// between words, so "do\u{200B}not" is no word the grammar knows and still says "not"; compatibility forms
    /// folded (full-width letters, ligatures), apostrophes unified, lower-cased.
    static func normalize(_ text: String) -> String {
        let visible = String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { $0.properties.generalCategory == .format ? " " : $0 }))
        let folded = visible.precomposedStringWithCompatibilityMapping.lowercased()
        return String(folded.map { apostrophes.contains($0) ? "'" : confusables[$0] ?? $0 })
    }

    // MARK: Tokenizing

    private static func tokenize(_ request: String) -> [RequestToken] {
        var tokens: [RequestToken] = []
        func append(_ kind: RequestToken.Kind, _ text: String) {
            tokens.append(RequestToken(kind: kind, text: text, word: normalize(text), index: tokens.count))
        }
        var text = Substring(request)
        // The first balanced `{…}` that parses is a JSON payload, taken whole wherever it stands.
        var after: Substring = ""
        var payload: (String, JSONValue)?
        if let (range, value) = JSONInText.firstObject(in: Substring(request)) {
            text = request[..<range.lowerBound]
            after = request[range.upperBound...]
            payload = (String(request[range]), value)
        }
        chunks(of: text, into: append)
        if let (source, value) = payload {
            append(.json(value), source)
            chunks(of: after, into: append)
        }
        return tokens
    }

    /// Splits text at white space into chunks, keeping quoted text together.
    private static func chunks(of text: Substring, into append: (RequestToken.Kind, String) -> Void) {
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                let closes =
                    doubleQuotes.contains(open) ? doubleQuotes.contains(character) : apostrophes.contains(character)
                if closes {
                    append(.quoted, current)
                    current = ""
                    quote = nil
                } else {
                    current.append(character)
                }
            } else if doubleQuotes.contains(character) || apostrophes.contains(character) && current.isEmpty {
                chunk(current, into: append)
                current = ""
                quote = character
            } else if character.isWhitespace
                || character.unicodeScalars.allSatisfy({ $0.properties.generalCategory == .control })
            {
                chunk(current, into: append)
                current = ""
            } else {
                current.append(character)
            }
        }
        if quote != nil {
            if !current.isEmpty { append(.quoted, current) }
        } else {
            chunk(current, into: append)
        }
    }

    /// Marks that end a sentence or a clause when written at the end of a word.
    private static let trailingSeparators: Set<Character> = [
        ",", ";", ".", "!", "\u{2026}", "\u{FF01}", "\u{FF0C}", "\u{FF1B}", "\u{3002}",
    ]
    /// Marks that stand apart when written at the start or end of a word.
    private static let looseMarks: Set<Character> = ["(", ")", "[", "]", ":", "\u{00A1}", "<", ">"]

    /// One white-space-separated chunk: shell operators and sentence marks split off, the rest classified.
    private static func chunk(_ raw: String, into append: (RequestToken.Kind, String) -> Void) {
        guard !raw.isEmpty else { return }
        var rest = Substring(raw)
        var leading: [(RequestToken.Kind, String)] = []
        while let first = rest.first, questionMarks.contains(first) || looseMarks.contains(first),
            rest.count > 1
        {
            leading.append((.punctuation, String(first)))
            rest = rest.dropFirst()
        }
        var trailing: [(RequestToken.Kind, String)] = []
        while let last = rest.last, rest != ".", rest != ".." {
            if questionMarks.contains(last) || looseMarks.contains(last) {
                trailing.insert((.punctuation, String(last)), at: 0)
            } else if trailingSeparators.contains(last) {
                trailing.insert((.separator, String(last)), at: 0)
            } else {
                break
            }
            rest = rest.dropLast()
        }
        for (kind, text) in leading { append(kind, text) }
        for piece in operatorPieces(rest) {
            if piece.isOperator {
                append(.separator, piece.text)
            } else if piece.text.count == 1, questionMarks.contains(piece.text.first!) {
                append(.punctuation, piece.text)
            } else {
                append(classify(piece.text), piece.text)
            }
        }
        for (kind, text) in trailing { append(kind, text) }
    }

    /// Shell-like operators inside a chunk (`list&&delete`, `a;b`): `;`, `&&` and `||` split anywhere, `|`, `&`
    /// and `,` only outside URIs and paths, whose keys may contain them.
    private static func operatorPieces(_ chunk: Substring) -> [(text: String, isOperator: Bool)] {
        let isLocation =
            chunk.hasPrefix("s3://") || chunk.hasPrefix("/") || chunk.hasPrefix("./") || chunk.hasPrefix("../")
            || chunk.hasPrefix("~/") || chunk.hasPrefix("arn:")
        var pieces: [(text: String, isOperator: Bool)] = []
        var current = ""
        var index = chunk.startIndex
        func flush() {
            if !current.isEmpty { pieces.append((current, false)) }
            current = ""
        }
        while index < chunk.endIndex {
            let character = chunk[index]
            let next = chunk.index(after: index)
            let doubled = next < chunk.endIndex && chunk[next] == character
            if (character == "&" || character == "|") && doubled {
                flush()
                pieces.append((String([character, character]), true))
                index = chunk.index(after: next)
                continue
            }
            // Sentence marks split a URI too: "s3://b/k,don't" is a key and a word, never the key "k,don't".
            if character == ";" || character == "," || character == "!" || questionMarks.contains(character)
                || !isLocation && (character == "&" || character == "|")
            {
                flush()
                pieces.append((String(character), !questionMarks.contains(character)))
            } else {
                current.append(character)
            }
            index = next
        }
        flush()
        return pieces
    }

    private static let durationUnits: [(names: Set<String>, seconds: Int)] = [
        (["s", "sec", "secs", "second", "seconds"], 1), (["m", "min", "mins", "minute", "minutes"], 60),
        (["h", "hr", "hrs", "hour", "hours"], 3600), (["d", "day", "days"], 86400),
        (["w", "wk", "wks", "week", "weeks"], 604_800),
    ]

    /// The seconds in one `unit` ("minutes" → 60), if it is a unit of time.
    static func seconds(inUnit unit: String) -> Int? {
        durationUnits.first { $0.names.contains(unit) }?.seconds
    }

    private static func classify(_ text: String) -> RequestToken.Kind {
        let word = normalize(text)
        if text.hasPrefix("s3://") { return S3URI(text).map { .s3URI($0) } ?? .word }
        if text == "." || text == ".." || text.hasPrefix("./") || text.hasPrefix("../") || text.hasPrefix("~/")
            || text.hasPrefix("/") && text.count > 1
        {
            return .localPath
        }
        if text.hasPrefix("arn:") { return .arn }
        if word.range(of: "^i-[0-9a-f]{8,17}$", options: .regularExpression) != nil { return .instanceID }
        if word.range(of: "^(vpc|subnet|sg)-[0-9a-f]{8,17}$", options: .regularExpression) != nil { return .resourceID }
        if isRegion(word) { return .region }
        if let equals = text.firstIndex(of: "="), equals != text.startIndex {
            return .pair(key: String(text[..<equals]), value: String(text[text.index(after: equals)...]))
        }
        if word.allSatisfy(\.isASCII), let number = Int(word), number >= 0 { return .number(number) }
        let digits = word.prefix(while: { $0.isASCII && $0.isNumber })
        if !digits.isEmpty, let number = Int(digits), let unit = seconds(inUnit: String(word.dropFirst(digits.count))) {
            return .duration(seconds: number * unit)
        }
        return .word
    }

    static func isRegion(_ word: String) -> Bool {
        word.range(of: "^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-[a-z]+-[0-9]$", options: .regularExpression) != nil
    }

    /// A value from a request as JSON: a number when it is one, else text.
    static func scalar(_ text: String) -> JSONValue {
        if let integer = Int(text) { return .int(integer) }
        return .string(text)
    }

}
