import Foundation

/// The recursive-descent parser's state: the token stream, where it is, and what it found.
struct ParserState {
    let bytes: [UInt8]
    let tokens: [Token]
    let filename: String
    let lines: LineCursor
    var index = 0
    /// Whether newlines are significant here (bodies, objects) or not (inside brackets and parentheses).
    var newlines: [Bool] = [true]
    var diagnostics: [Diagnostic] = []
    /// Set after an error so one mistake does not produce a cascade; cleared at the next body item.
    var recovery = false
    var depth = 0
    var aborted = false
    /// How many template interpolations enclose the current position.
    var interpolationDepth = 0

    init(bytes: [UInt8], tokens: [Token], filename: String) {
        self.bytes = bytes
        self.tokens = tokens
        self.filename = filename
        self.lines = LineCursor(LineTable(bytes))
    }

    // MARK: - Tokens

    func range(_ start: Int, _ end: Int) -> SourceRange { lines.range(start, end) }
    func range(_ token: Token) -> SourceRange { lines.range(Int(token.start), Int(token.end)) }
    func range(from first: Token, to last: Token) -> SourceRange {
        lines.range(Int(first.start), Int(max(last.end, first.end)))
    }

    func text(_ token: Token) -> String {
        String(decoding: bytes[Int(token.start)..<Int(token.end)], as: UTF8.self)
    }

    func isKeyword(_ token: Token, _ word: StaticString) -> Bool {
        guard token.kind == .identifier else { return false }
        let length = Int(token.end - token.start)
        guard length == word.utf8CodeUnitCount else { return false }
        let start = Int(token.start)
        let pointer = word.utf8Start
        for offset in 0..<length where bytes[start + offset] != pointer[offset] { return false }
        return true
    }

    /// Index of the `skip`-th significant token from here.
    @inline(__always) func significantIndex(skip: Int = 0) -> Int {
        let kind = tokens[index].kind
        // The common case: the next token is significant and nothing is skipped.
        if skip == 0, kind != .comment, kind != .newline { return index }
        let includeNewlines = newlines[newlines.count - 1]
        var position = index
        var remaining = skip
        while true {
            let kind = tokens[position].kind
            if kind == .endOfFile { return position }
            if kind == .comment || (kind == .newline && !includeNewlines) {
                position += 1
                continue
            }
            if remaining == 0 { return position }
            remaining -= 1
            position += 1
        }
    }

    func peek(skip: Int = 0) -> Token {
        if aborted { return tokens[tokens.count - 1] }
        return tokens[significantIndex(skip: skip)]
    }

    @discardableResult
    mutating func read() -> Token {
        if aborted { return tokens[tokens.count - 1] }
        let position = significantIndex()
        let token = tokens[position]
        if token.kind != .endOfFile { index = position + 1 } else { index = position }
        return token
    }

    /// End of the token before the current position (for ranges of things that just ended).
    var previousEnd: Int {
        var position = index - 1
        while position > 0, tokens[position].kind == .comment || tokens[position].kind == .newline {
            position -= 1
        }
        return position >= 0 ? Int(tokens[position].end) : 0
    }

    // MARK: - Diagnostics

    mutating func error(_ summary: String, _ detail: String, _ range: SourceRange, context: SourceRange? = nil) {
        if recovery || aborted { return }
        diagnostics.append(
            Diagnostic(.error, summary: summary, detail: detail, filename: filename, range: range, context: context))
        recovery = true
    }

    /// The lexer's problems, each reported (they are independent of one another).
    mutating func report(_ problems: [Lexer.Problem]) {
        for problem in problems {
            diagnostics.append(
                Diagnostic(
                    .error, summary: problem.summary, detail: problem.detail, filename: filename,
                    range: range(problem.start, problem.end)))
        }
    }

    /// Reports something HashiCorp's parser rejects but older tools accepted, which this parser reads anyway.
    mutating func warning(_ summary: String, _ detail: String, _ range: SourceRange) {
        if aborted { return }
        diagnostics.append(
            Diagnostic(.warning, summary: summary, detail: detail, filename: filename, range: range))
    }

    mutating func reportUTF8Problems() {
        if lines.table.ascii { return }
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length = lead < 0x80 ? 1 : lead >> 5 == 0x6 ? 2 : lead >> 4 == 0xE ? 3 : lead >> 3 == 0x1E ? 4 : 0
            var valid = length > 0 && index + length <= bytes.count
            if valid {
                for offset in 1..<max(length, 1) where bytes[index + offset] & 0xC0 != 0x80 { valid = false }
            }
            if !valid {
                diagnostics.append(
                    Diagnostic(
                        .error, summary: "Invalid UTF-8",
                        detail: "The file contains a byte sequence that is not valid UTF-8.", filename: filename,
                        range: range(index, index + 1)))
                return
            }
            index += length
        }
    }

    mutating func enter() -> Bool {
        depth += 1
        if depth > HCLParser.maximumNesting {
            if !aborted {
                let token = tokens[min(significantIndex(), tokens.count - 1)]
                diagnostics.append(
                    Diagnostic(
                        .error, summary: "Nesting too deep",
                        detail: "This file nests expressions or blocks more than \(HCLParser.maximumNesting) levels "
                            + "deep; parsing stopped here.", filename: filename, range: range(token)))
            }
            aborted = true
            return false
        }
        return true
    }

    mutating func leave() { depth -= 1 }

    // MARK: - Recovery

    /// Skips to just after the token that closes the current construct (`end`), counting nested pairs.
    mutating func recover(to end: TokenKind) {
        recovery = true
        let opener: TokenKind? =
            switch end {
            case .closeBrace: .openBrace
            case .closeBracket: .openBracket
            case .closeParen: .openParen
            case .templateSequenceEnd: .templateInterpolation
            default: nil
            }
        var nest = 0
        while !aborted {
            let token = tokens[index]
            if token.kind == .endOfFile { return }
            index += 1
            var kind = token.kind
            if end == .templateSequenceEnd, kind == .templateControl { kind = .templateInterpolation }
            if kind == opener {
                nest += 1
            } else if kind == end {
                if nest == 0 { return }
                nest -= 1
            }
        }
    }

    /// Skips to the end of the current line at this nesting level, so parsing can go on with the next item.
    mutating func recoverAfterBodyItem() {
        recovery = true
        var open: [TokenKind] = []
        while !aborted {
            let token = tokens[index]
            switch token.kind {
            case .endOfFile:
                return
            case .newline:
                index += 1
                if open.isEmpty { return }
            case .openBrace, .openBracket, .openParen, .openQuote, .openHeredoc, .templateInterpolation,
                .templateControl:
                open.append(token.kind)
                index += 1
            case .closeBrace, .closeBracket, .closeParen, .closeQuote, .closeHeredoc:
                // A closing brace with nothing open belongs to the enclosing block: leave it for that block.
                if open.isEmpty, token.kind == .closeBrace { return }
                let opener: TokenKind =
                    switch token.kind {
                    case .closeBrace: .openBrace
                    case .closeBracket: .openBracket
                    case .closeParen: .openParen
                    case .closeQuote: .openQuote
                    default: .openHeredoc
                    }
                while let last = open.last, last != opener { open.removeLast() }
                if !open.isEmpty { open.removeLast() }
                index += 1
            case .templateSequenceEnd:
                while let last = open.last, last != .templateInterpolation, last != .templateControl {
                    open.removeLast()
                }
                if !open.isEmpty { open.removeLast() }
                index += 1
            default:
                index += 1
            }
        }
    }

    // MARK: - Bodies

    mutating func parseFileBody() -> Body {
        let body = parseBody(end: .endOfFile)
        return body
    }

    mutating func parseBody(end: TokenKind) -> Body {
        var items: [BodyItem] = []
        var pending: [String] = []
        let start = Int(tokens[index].start)
        newlines.append(true)
        defer { newlines.removeLast() }
        while !aborted {
            let token = tokens[index]
            if token.kind == .comment {
                pending.append(commentText(token))
                index += 1
                continue
            }
            if token.kind == .newline {
                index += 1
                continue
            }
            if token.kind == end || token.kind == .endOfFile { break }
            recovery = false
            if token.kind == .identifier {
                if let item = parseBodyItem(leading: pending) { items.append(item) }
                pending = []
                continue
            }
            if token.kind == .openQuote {
                error("Invalid argument name", "Argument names must not be quoted.", range(token))
            } else {
                error(
                    "Argument or block definition required",
                    "An argument or block definition is required here, not \(token.kind).", range(token))
            }
            if token.kind == .closeBrace { index += 1 } else { recoverAfterBodyItem() }
        }
        return Body(items, trailingComments: pending, range: range(start, Int(tokens[index].start)))
    }

    /// A comment after an item on the same line, if any; consumed.
    mutating func trailingComment() -> String? {
        let token = tokens[index]
        guard token.kind == .comment else { return nil }
        let next = tokens[index + 1].kind
        guard next == .newline || next == .endOfFile else { return nil }
        index += 1
        return commentText(token)
    }

    /// A comment as the formatter writes it: without trailing spaces.
    func commentText(_ token: Token) -> String {
        var end = Int(token.end)
        while end > Int(token.start), bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return String(decoding: bytes[Int(token.start)..<end], as: UTF8.self)
    }

    mutating func parseBodyItem(leading: [String]) -> BodyItem? {
        guard enter() else { return nil }
        defer { leave() }
        let name = read()
        let next = peek()
        switch next.kind {
        case .equal:
            return parseAttribute(name: name, leading: leading, singleLine: false).map { .attribute($0) }
        case .openQuote, .identifier, .openBrace:
            return parseBlock(type: name, leading: leading).map { .block($0) }
        default:
            error(
                "Argument or block definition required",
                "An argument or block definition is required here. To set an argument, use the equals sign \"=\" "
                    + "to introduce the argument value.", range(name))
            recoverAfterBodyItem()
            return nil
        }
    }

    mutating func parseAttribute(name: Token, leading: [String], singleLine: Bool) -> Attribute? {
        read()  // =
        let value = parseExpression()
        var attribute = Attribute(
            name: text(name), value: value, leadingComments: leading, nameRange: range(name),
            range: range(Int(name.start), max(Int(name.end), previousEnd)))
        if singleLine { return attribute }
        attribute.trailingComment = trailingComment()
        let end = peek()
        if end.kind == .newline || end.kind == .endOfFile {
            read()
        } else {
            if end.kind == .comma {
                error(
                    "Unexpected comma after argument",
                    "Argument definitions must be separated by newlines, not commas. An argument definition must "
                        + "end with a newline.", range(end), context: range(from: name, to: end))
            } else {
                error(
                    "Missing newline after argument", "An argument definition must end with a newline.", range(end),
                    context: range(from: name, to: end))
            }
            recoverAfterBodyItem()
        }
        return attribute
    }

    mutating func parseBlock(type: Token, leading: [String]) -> Block? {
        var labels: [String] = []
        var labelRanges: [SourceRange] = []
        while true {
            let token = peek()
            if token.kind == .openBrace { break }
            if token.kind == .identifier {
                read()
                labels.append(text(token))
                labelRanges.append(range(token))
                continue
            }
            if token.kind == .openQuote {
                let label = parseStringLiteral()
                labels.append(label.value)
                labelRanges.append(label.range)
                continue
            }
            switch token.kind {
            case .equal:
                error(
                    "Invalid block definition",
                    "The equals sign \"=\" indicates an argument definition, and must not be used when defining a "
                        + "block.", range(token), context: range(from: type, to: token))
            case .newline where peek(skip: 1).kind == .openBrace || isBraceAfterNewlines():
                warning(
                    "Block brace on the next line",
                    "Terraform requires the opening brace on the same line as the block header; this file is read "
                        + "anyway.", range(token))
                while peek().kind == .newline { read() }
                continue
            case .newline:
                error(
                    "Invalid block definition",
                    "A block definition must have block content delimited by \"{\" and \"}\", starting on the same "
                        + "line as the block header.", range(token), context: range(from: type, to: token))
            default:
                error(
                    "Invalid block definition",
                    "Either a quoted string block label or an opening brace (\"{\") is expected here.", range(token),
                    context: range(from: type, to: token))
            }
            recoverAfterBodyItem()
            return nil
        }
        let openBrace = read()
        var body: Body
        let next = peek()
        var closeEnd = Int(openBrace.end)
        switch next.kind {
        case .closeBrace:
            read()
            body = Body(range: range(Int(openBrace.end), Int(next.start)))
            closeEnd = Int(next.end)
        case .newline, .endOfFile:
            body = parseBody(end: .closeBrace)
            let close = tokens[index]
            if close.kind == .closeBrace {
                index += 1
                closeEnd = Int(close.end)
            } else {
                error(
                    "Unclosed configuration block",
                    "There is no closing brace for this block before the end of the file. This may be caused by "
                        + "incorrect brace nesting elsewhere in this file.", range(openBrace),
                    context: range(from: type, to: openBrace))
                return Block(
                    type: text(type), labels: labels, body: body, leadingComments: leading, typeRange: range(type),
                    labelRanges: labelRanges, range: range(Int(type.start), Int(close.start)))
            }
        default:
            body = parseSingleAttributeBody(openBrace: openBrace)
            closeEnd = previousEnd
        }
        var block = Block(
            type: text(type), labels: labels, body: body, leadingComments: leading, typeRange: range(type),
            labelRanges: labelRanges, range: range(Int(type.start), closeEnd))
        block.trailingComment = trailingComment()
        let end = peek()
        if end.kind == .newline || end.kind == .endOfFile {
            read()
        } else {
            error(
                "Missing newline after block definition", "A block definition must end with a newline.", range(end),
                context: range(from: type, to: end))
            recoverAfterBodyItem()
        }
        return block
    }

    /// Whether only newlines stand between here and an opening brace.
    func isBraceAfterNewlines() -> Bool {
        var skip = 0
        while peek(skip: skip).kind == .newline { skip += 1 }
        return peek(skip: skip).kind == .openBrace
    }

    mutating func parseSingleAttributeBody(openBrace: Token) -> Body {
        let name = peek()
        guard name.kind == .identifier else {
            error(
                "Argument or block definition required", "An argument or block definition is required here.",
                range(name))
            recover(to: .closeBrace)
            return Body()
        }
        read()
        let next = peek()
        var items: [BodyItem] = []
        switch next.kind {
        case .equal:
            if let attribute = parseAttribute(name: name, leading: [], singleLine: true) {
                items.append(.attribute(attribute))
            }
        case .openQuote, .openBrace, .identifier:
            error(
                "Argument definition required",
                "A single-line block definition can contain only a single argument. If you meant to define argument "
                    + "\"\(text(name))\", use an equals sign to assign it a value. To define a nested block, place it "
                    + "on a line of its own within its parent block.", range(from: name, to: next))
            recover(to: .closeBrace)
            return Body(items)
        default:
            error(
                "Argument or block definition required",
                "An argument or block definition is required here. To set an argument, use the equals sign \"=\" "
                    + "to introduce the argument value.", range(name))
            recover(to: .closeBrace)
            return Body(items)
        }
        let close = read()
        if close.kind != .closeBrace {
            switch close.kind {
            case .endOfFile:
                error(
                    "Unclosed configuration block",
                    "There is no closing brace for this block before the end of the file.", range(openBrace))
            case .comma:
                error(
                    "Invalid single-argument block definition",
                    "Only one argument is allowed in a single-line block definition.", range(close))
            case .newline:
                error(
                    "Invalid single-argument block definition",
                    "The closing brace for a single-line block definition must be on the same line.", range(close))
            default:
                error(
                    "Invalid single-argument block definition",
                    "A single-line block definition must end with a closing brace immediately after its single "
                        + "argument.", range(close))
            }
            recover(to: .closeBrace)
        }
        return Body(items, range: range(Int(openBrace.end), previousEnd))
    }

    /// A quoted string with no interpolation, as block labels need.
    mutating func parseStringLiteral() -> (value: String, range: SourceRange) {
        let open = peek()
        let expression = parseQuotedTemplate()
        guard case .template(let template) = expression.kind, let value = template.literalValue else {
            error(
                "Invalid string literal",
                "Template sequences are not allowed in this string. To include a literal \"$\", double it (as "
                    + "\"$$\") to escape it.", expression.range)
            return ("", range(open))
        }
        return (value, expression.range)
    }
}
