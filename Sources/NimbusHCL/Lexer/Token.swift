/// The kinds of token the HCL native syntax is made of.
public enum TokenKind: UInt8, Sendable, CustomStringConvertible {
    case openBrace, closeBrace, openBracket, closeBracket, openParen, closeParen
    case openQuote, closeQuote, openHeredoc, closeHeredoc
    case star, slash, plus, minus, percent
    case equal, equalEqual, notEqual, less, lessEqual, greater, greaterEqual
    case and, or, bang
    case dot, comma, doubleColon, ellipsis, fatArrow, question, colon
    /// `${` or `${~`
    case templateInterpolation
    /// `%{` or `%{~`
    case templateControl
    /// `}` or `~}` closing a template sequence
    case templateSequenceEnd
    /// Literal text inside a quoted template, escapes not yet decoded.
    case quotedLiteral
    /// Literal text inside a heredoc, one token per line at most.
    case heredocLiteral
    /// A newline inside a quoted string: an error, but the string goes on, as in HashiCorp's scanner.
    case quotedNewline
    case number, identifier, comment, newline, endOfFile
    /// A character that cannot start any token.
    case invalid

    public var description: String {
        switch self {
        case .openBrace: "'{'"
        case .closeBrace: "'}'"
        case .openBracket: "'['"
        case .closeBracket: "']'"
        case .openParen: "'('"
        case .closeParen: "')'"
        case .openQuote: "opening quote"
        case .closeQuote: "closing quote"
        case .openHeredoc: "heredoc introduction"
        case .closeHeredoc: "heredoc end marker"
        case .star: "'*'"
        case .slash: "'/'"
        case .plus: "'+'"
        case .minus: "'-'"
        case .percent: "'%'"
        case .equal: "'='"
        case .equalEqual: "'=='"
        case .notEqual: "'!='"
        case .less: "'<'"
        case .lessEqual: "'<='"
        case .greater: "'>'"
        case .greaterEqual: "'>='"
        case .and: "'&&'"
        case .or: "'||'"
        case .bang: "'!'"
        case .dot: "'.'"
        case .comma: "','"
        case .doubleColon: "'::'"
        case .ellipsis: "'...'"
        case .fatArrow: "'=>'"
        case .question: "'?'"
        case .colon: "':'"
        case .templateInterpolation: "'${'"
        case .templateControl: "'%{'"
        case .templateSequenceEnd: "'}'"
        case .quotedLiteral, .heredocLiteral: "literal text"
        case .quotedNewline: "newline in a quoted string"
        case .number: "number"
        case .identifier: "identifier"
        case .comment: "comment"
        case .newline: "newline"
        case .endOfFile: "end of file"
        case .invalid: "invalid character"
        }
    }
}

/// One token: its kind and the bytes it covers. Twelve bytes, so a file's tokens are one flat array.
public struct Token: Sendable, Equatable {
    public var kind: TokenKind
    public var start: Int32
    public var end: Int32

    @inlinable init(_ kind: TokenKind, _ start: Int, _ end: Int) {
        self.kind = kind
        self.start = Int32(truncatingIfNeeded: start)
        self.end = Int32(truncatingIfNeeded: end)
    }

    public var byteRange: Range<Int> { Int(start)..<Int(end) }
}
