/// Splits HCL native syntax into tokens, working on UTF-8 bytes.
///
/// Templates are lexed in place: quoted strings and heredocs become literal tokens with the interpolation
/// and directive sequences between them, so the parser never re-scans text. Comments and newlines are
/// kept as tokens, because the formatter needs them and newlines end attributes.
public struct Lexer {
    /// A problem the lexer found on its own (the parser reports everything else).
    public struct Problem: Sendable, Equatable {
        public var summary: String
        public var detail: String
        public var start: Int
        public var end: Int
    }

    /// The tokens of `bytes`, ending with `.endOfFile`, and the lexical problems found.
    public static func tokenize(_ bytes: [UInt8]) -> (tokens: [Token], problems: [Problem]) {
        bytes.withUnsafeBufferPointer { buffer in
            var lexer = Scanner(buffer)
            lexer.run()
            return (lexer.tokens, lexer.problems)
        }
    }
}

private struct Mode {
    enum Kind: UInt8 { case normal, interpolation, quoted, escapedQuoted, heredoc }
    var kind: Kind
    var braces = 0
    var markerStart = 0
    var markerEnd = 0
    var atLineStart = true
}

@inline(__always) private func isDigit(_ byte: UInt8) -> Bool { byte &- 48 < 10 }
@inline(__always) private func isASCIILetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- 97 < 26 }

private struct Scanner {
    let bytes: UnsafeBufferPointer<UInt8>
    let count: Int
    var position = 0
    var tokens: [Token] = []
    var problems: [Lexer.Problem] = []
    var modes: [Mode] = [Mode(kind: .normal)]

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.count = bytes.count
        tokens.reserveCapacity(bytes.count / 4 + 16)
    }

    @inline(__always) func peek(_ offset: Int = 0) -> UInt8 {
        let index = position + offset
        return index < count ? bytes[index] : 0
    }

    @inline(__always) mutating func emit(_ kind: TokenKind, _ start: Int, _ end: Int) {
        tokens.append(Token(kind, start, end))
    }

    mutating func run() {
        while position < count {
            switch modes[modes.count - 1].kind {
            case .normal, .interpolation: scanNormal()
            case .quoted, .escapedQuoted: scanQuoted()
            case .heredoc: scanHeredoc()
            }
        }
        emit(.endOfFile, count, count)
    }

    // MARK: - Expressions and structure

    mutating func scanNormal() {
        let start = position
        let byte = bytes[position]
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"):
            position += 1
            while position < count, bytes[position] == 0x20 || bytes[position] == 0x09 { position += 1 }
        case UInt8(ascii: "\r"):
            if peek(1) == UInt8(ascii: "\n") {
                position += 2
                emit(.newline, start, position)
            } else {
                position += 1
            }
        case UInt8(ascii: "\n"):
            position += 1
            emit(.newline, start, position)
        case UInt8(ascii: "#"):
            scanLineComment(start)
        case UInt8(ascii: "/"):
            if peek(1) == UInt8(ascii: "/") {
                scanLineComment(start)
            } else if peek(1) == UInt8(ascii: "*") {
                position += 2
                while position < count, !(bytes[position] == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/")) {
                    position += 1
                }
                if position < count {
                    position += 2
                } else {
                    problems.append(
                        .init(
                            summary: "Unterminated comment",
                            detail: "There is no closing */ for this comment before the end of the file.",
                            start: start, end: start + 2))
                }
                emit(.comment, start, position)
            } else {
                single(.slash)
            }
        case UInt8(ascii: "{"):
            modes[modes.count - 1].braces += 1
            single(.openBrace)
        case UInt8(ascii: "}"):
            closeBrace(start, length: 1)
        case UInt8(ascii: "~"):
            if peek(1) == UInt8(ascii: "}"), modes[modes.count - 1].kind == .interpolation,
                modes[modes.count - 1].braces == 0
            {
                closeBrace(start, length: 2)
            } else {
                invalid(start)
            }
        case UInt8(ascii: "["): single(.openBracket)
        case UInt8(ascii: "]"): single(.closeBracket)
        case UInt8(ascii: "("): single(.openParen)
        case UInt8(ascii: ")"): single(.closeParen)
        case UInt8(ascii: ","): single(.comma)
        case UInt8(ascii: "?"): single(.question)
        case UInt8(ascii: ":"):
            if peek(1) == UInt8(ascii: ":") { double(.doubleColon) } else { single(.colon) }
        case UInt8(ascii: "."):
            if peek(1) == UInt8(ascii: "."), peek(2) == UInt8(ascii: ".") {
                position += 3
                emit(.ellipsis, start, position)
            } else {
                single(.dot)
            }
        case UInt8(ascii: "*"): single(.star)
        case UInt8(ascii: "+"): single(.plus)
        case UInt8(ascii: "-"): single(.minus)
        case UInt8(ascii: "%"): single(.percent)
        case UInt8(ascii: "="):
            if peek(1) == UInt8(ascii: "=") {
                double(.equalEqual)
            } else if peek(1) == UInt8(ascii: ">") {
                double(.fatArrow)
            } else {
                single(.equal)
            }
        case UInt8(ascii: "!"):
            if peek(1) == UInt8(ascii: "=") { double(.notEqual) } else { single(.bang) }
        case UInt8(ascii: "<"):
            if peek(1) == UInt8(ascii: "=") {
                double(.lessEqual)
            } else if peek(1) == UInt8(ascii: "<"), scanHeredocIntroduction(start) {
                return
            } else {
                single(.less)
            }
        case UInt8(ascii: ">"):
            if peek(1) == UInt8(ascii: "=") { double(.greaterEqual) } else { single(.greater) }
        case UInt8(ascii: "&"):
            if peek(1) == UInt8(ascii: "&") { double(.and) } else { invalid(start) }
        case UInt8(ascii: "|"):
            if peek(1) == UInt8(ascii: "|") { double(.or) } else { invalid(start) }
        case UInt8(ascii: "\""):
            single(.openQuote)
            modes.append(Mode(kind: .quoted))
        case UInt8(ascii: "\\")
        where peek(1) == UInt8(ascii: "\"") && modes.count >= 2 && modes[modes.count - 1].kind == .interpolation
            && modes[modes.count - 2].kind == .quoted:
            // `\"` inside `${…}` of a quoted string, the legacy (HIL) way to nest strings; the parser warns.
            double(.openQuote)
            modes.append(Mode(kind: .escapedQuoted))
        default:
            if isDigit(byte) {
                scanNumber(start)
            } else if isASCIILetter(byte) || byte == UInt8(ascii: "_") || (byte >= 0x80 && isIdentifierStart()) {
                scanIdentifier()
                emit(.identifier, start, position)
            } else {
                invalid(start)
            }
        }
    }

    @inline(__always) mutating func single(_ kind: TokenKind) {
        emit(kind, position, position + 1)
        position += 1
    }

    @inline(__always) mutating func double(_ kind: TokenKind) {
        emit(kind, position, position + 2)
        position += 2
    }

    mutating func invalid(_ start: Int) {
        position += max(1, scalarLength(at: start))
        emit(.invalid, start, position)
    }

    mutating func closeBrace(_ start: Int, length: Int) {
        let top = modes.count - 1
        if modes[top].kind == .interpolation, modes[top].braces == 0 {
            position += length
            emit(.templateSequenceEnd, start, position)
            modes.removeLast()
            if modes[modes.count - 1].kind == .heredoc { modes[modes.count - 1].atLineStart = false }
        } else {
            if modes[top].braces > 0 { modes[top].braces -= 1 }
            single(.closeBrace)
        }
    }

    mutating func scanLineComment(_ start: Int) {
        while position < count, bytes[position] != UInt8(ascii: "\n") { position += 1 }
        var end = position
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        emit(.comment, start, end)
        position = end
    }

    mutating func scanNumber(_ start: Int) {
        while position < count, isDigit(bytes[position]) { position += 1 }
        if peek() == UInt8(ascii: "."), isDigit(peek(1)) {
            position += 1
            while position < count, isDigit(bytes[position]) { position += 1 }
        }
        if peek() | 0x20 == UInt8(ascii: "e") {
            var offset = 1
            if peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-") { offset = 2 }
            if isDigit(peek(offset)) {
                position += offset
                while position < count, isDigit(bytes[position]) { position += 1 }
            }
        }
        emit(.number, start, position)
    }

    /// Length of the UTF-8 sequence starting at `index` (1 for invalid bytes).
    func scalarLength(at index: Int) -> Int {
        let lead = bytes[index]
        let length = lead < 0x80 ? 1 : lead >> 5 == 0x6 ? 2 : lead >> 4 == 0xE ? 3 : lead >> 3 == 0x1E ? 4 : 1
        return index + length <= count ? length : 1
    }

    func scalar(at index: Int) -> (Unicode.Scalar, Int)? {
        let length = scalarLength(at: index)
        var value = UInt32(bytes[index])
        switch length {
        case 1: return value < 0x80 ? (Unicode.Scalar(UInt8(value)), 1) : nil
        case 2: value &= 0x1F
        case 3: value &= 0x0F
        default: value &= 0x07
        }
        for offset in 1..<length {
            let next = bytes[index + offset]
            guard next & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(next & 0x3F)
        }
        guard let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }

    func isIdentifierStart() -> Bool {
        guard let (scalar, _) = scalar(at: position) else { return false }
        return scalar.properties.isIDStart
    }

    mutating func scanIdentifier() {
        position += scalarLength(at: position)
        while position < count {
            let byte = bytes[position]
            if isASCIILetter(byte) || isDigit(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") {
                position += 1
            } else if byte >= 0x80, let (scalar, length) = scalar(at: position), scalar.properties.isIDContinue {
                position += length
            } else {
                break
            }
        }
    }

    /// `<<EOT` or `<<-EOT` followed by a newline; returns false when this `<<` is not one.
    mutating func scanHeredocIntroduction(_ start: Int) -> Bool {
        var index = start + 2
        if index < count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < count,
            isASCIILetter(bytes[index]) || bytes[index] == UInt8(ascii: "_")
                || (bytes[index] >= 0x80 && scalar(at: index).map({ $0.0.properties.isIDStart }) == true)
        else { return false }
        let saved = position
        position = index
        scanIdentifier()
        let markerStart = index
        let markerEnd = position
        var end = position
        if end < count, bytes[end] == UInt8(ascii: "\r"), end + 1 < count, bytes[end + 1] == UInt8(ascii: "\n") {
            end += 2
        } else if end < count, bytes[end] == UInt8(ascii: "\n") {
            end += 1
        } else {
            problems.append(
                .init(
                    summary: "Invalid heredoc introduction",
                    detail: "A heredoc marker must be followed directly by a newline; expected newline.",
                    start: end, end: min(end + 1, count)))
            position = saved
            emit(.invalid, start, markerEnd)
            position = markerEnd
            return true
        }
        emit(.openHeredoc, start, end)
        position = end
        modes.append(Mode(kind: .heredoc, markerStart: markerStart, markerEnd: markerEnd))
        return true
    }

    // MARK: - Templates

    mutating func startSequence(_ kind: TokenKind) {
        let start = position
        position += 2
        if peek() == UInt8(ascii: "~") { position += 1 }
        emit(kind, start, position)
        modes.append(Mode(kind: .interpolation))
    }

    mutating func scanQuoted() {
        let start = position
        let byte = bytes[position]
        let escaped = modes[modes.count - 1].kind == .escapedQuoted
        if escaped, byte == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "\"") {
            double(.closeQuote)
            modes.removeLast()
            return
        }
        if byte == UInt8(ascii: "\"") {
            single(.closeQuote)
            modes.removeLast()
            return
        }
        if byte == UInt8(ascii: "\n") {
            single(.quotedNewline)
            return
        }
        if byte == UInt8(ascii: "\r"), peek(1) == UInt8(ascii: "\n") {
            double(.quotedNewline)
            return
        }
        if byte == UInt8(ascii: "$"), peek(1) == UInt8(ascii: "{") {
            startSequence(.templateInterpolation)
            return
        }
        if byte == UInt8(ascii: "%"), peek(1) == UInt8(ascii: "{") {
            startSequence(.templateControl)
            return
        }
        while position < count {
            let current = bytes[position]
            if current == UInt8(ascii: "\"") || current == UInt8(ascii: "\n") { break }
            if current == UInt8(ascii: "\r"), peek(1) == UInt8(ascii: "\n") { break }
            if current == UInt8(ascii: "\\") {
                if escaped, peek(1) == UInt8(ascii: "\"") { break }
                position += position + 1 < count && bytes[position + 1] != UInt8(ascii: "\n") ? 2 : 1
                continue
            }
            if current == UInt8(ascii: "$") || current == UInt8(ascii: "%") {
                if peek(1) == UInt8(ascii: "{") { break }
                if peek(1) == current, peek(2) == UInt8(ascii: "{") {
                    position += 3
                    continue
                }
            }
            position += 1
        }
        position = min(position, count)
        emit(.quotedLiteral, start, position)
    }

    mutating func scanHeredoc() {
        let top = modes.count - 1
        let start = position
        if modes[top].atLineStart, let end = closingMarker(modes[top]) {
            emit(.closeHeredoc, start, end)
            position = end
            modes.removeLast()
            return
        }
        let byte = bytes[position]
        if byte == UInt8(ascii: "$"), peek(1) == UInt8(ascii: "{") {
            modes[top].atLineStart = false
            startSequence(.templateInterpolation)
            return
        }
        if byte == UInt8(ascii: "%"), peek(1) == UInt8(ascii: "{") {
            modes[top].atLineStart = false
            startSequence(.templateControl)
            return
        }
        var endedLine = false
        while position < count {
            let current = bytes[position]
            if current == UInt8(ascii: "\n") {
                position += 1
                endedLine = true
                break
            }
            if current == UInt8(ascii: "$") || current == UInt8(ascii: "%") {
                if peek(1) == UInt8(ascii: "{") { break }
                if peek(1) == current, peek(2) == UInt8(ascii: "{") {
                    position += 3
                    continue
                }
            }
            position += 1
        }
        modes[top].atLineStart = endedLine
        emit(.heredocLiteral, start, position)
        if position >= count { modes.removeLast() }
    }

    /// The end of the closing marker when this line is one: optional spaces, the marker, then a newline.
    func closingMarker(_ mode: Mode) -> Int? {
        var index = position
        while index < count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        let length = mode.markerEnd - mode.markerStart
        guard index + length <= count else { return nil }
        for offset in 0..<length where bytes[index + offset] != bytes[mode.markerStart + offset] {
            return nil
        }
        let end = index + length
        if end == count || bytes[end] == UInt8(ascii: "\n")
            || (bytes[end] == UInt8(ascii: "\r") && end + 1 < count && bytes[end + 1] == UInt8(ascii: "\n"))
        {
            return end
        }
        return nil
    }
}
