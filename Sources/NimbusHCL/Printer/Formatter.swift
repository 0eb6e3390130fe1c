/// Formats HCL source the way `terraform fmt` does, changing only whitespace: two-space indentation by
/// bracket nesting, one space between most tokens, `=` aligned in runs of attribute lines, trailing
/// comments aligned, at most one blank line in a row, and one newline at the end.
///
/// Works on the token stream rather than the syntax tree, so every comment and every line break the
/// author chose inside an expression stays where it was.
public enum Formatter {
    /// The formatted text of `source`, or the parse diagnostics when it is not valid HCL.
    public static func format(_ source: String, filename: String = "") -> Result<String, FormatError> {
        let (file, diagnostics) = HCLParser.parse(source, filename: filename)
        if diagnostics.hasErrors { return .failure(FormatError(diagnostics: diagnostics)) }
        return .success(String(decoding: format(file), as: UTF8.self))
    }

    /// The formatted bytes of a parsed file. With `terraform`, also what `terraform fmt` rewrites in `.tf`
    /// files: an attribute value that is only an interpolation loses its quotes (`"${var.x}"` → `var.x`, in
    /// parentheses when it spans lines), and a variable's legacy quoted type is unquoted (`"list"` →
    /// `list(string)`).
    public static func format(_ file: ConfigFile, terraform: Bool = false) -> [UInt8] {
        if terraform {
            let edits = terraformEdits(file.body, file: file, variableBody: false)
            if !edits.isEmpty {
                let rewritten = apply(edits, to: file.source)
                let (tokens, _) = Lexer.tokenize(rewritten)
                return format(bytes: rewritten, tokens: tokens)
            }
        }
        return format(bytes: file.source, tokens: file.tokens)
    }

    /// The tree `format(file, terraform: true)` gives back when parsed: the same rewrites, on the tree.
    public static func terraformNormalized(_ file: ConfigFile) -> Body {
        normalized(file.body, file: file, variableBody: false)
    }

    static func normalized(_ body: Body, file: ConfigFile, variableBody: Bool) -> Body {
        var body = body
        body.items = body.items.map { item in
            switch item {
            case .attribute(var attribute):
                if variableBody, attribute.name == "type", let type = legacyType(attribute.value) {
                    attribute.value = HCLParser.parseExpression(type).expression
                } else if let (_, _, multiline) = unwrappable(attribute.value, in: file),
                    let inner = interpolationOnly(attribute.value)
                {
                    attribute.value = multiline ? HCLExpression(.parenthesized(inner)) : inner
                }
                return .attribute(attribute)
            case .block(var block):
                block.body = normalized(block.body, file: file, variableBody: block.type == "variable")
                return .block(block)
            }
        }
        return body
    }

    /// For a value that is only `"${…}"` written plainly: the indices of its opening and closing quote tokens and
    /// whether it spans lines. Legacy forms inside (escaped quotes, strings over several lines) stay wrapped, as
    /// unwrapping would make them errors.
    static func unwrappable(_ value: HCLExpression, in file: ConfigFile) -> (Int, Int, Bool)? {
        let start = value.range.start.byte
        let end = value.range.end.byte
        guard interpolationOnly(value) != nil, end > start, end <= file.source.count,
            let first = tokenIndex(startingAt: start, in: file.tokens)
        else { return nil }
        let tokens = file.tokens
        var last = first
        while last < tokens.count, Int(tokens[last].end) < end { last += 1 }
        guard last < tokens.count, last - first >= 4, tokens[first].kind == .openQuote,
            tokens[first].end - tokens[first].start == 1, tokens[first + 1].kind == .templateInterpolation,
            tokens[first + 1].end - tokens[first + 1].start == 2, tokens[last].kind == .closeQuote,
            tokens[last - 1].kind == .templateSequenceEnd, tokens[last - 1].end - tokens[last - 1].start == 1
        else { return nil }
        var multiline = false
        for token in tokens[(first + 2)..<(last - 1)] {
            if token.kind == .quotedNewline || (token.kind == .openQuote && token.end - token.start == 2) { return nil }
            if token.kind == .newline { multiline = true }
        }
        return (first, last, multiline)
    }

    static func legacyType(_ value: HCLExpression) -> String? {
        guard case .template(let template) = value.kind, template.heredoc == nil else { return nil }
        switch template.literalValue {
        case "string": return "string"
        case "list": return "list(string)"
        case "map": return "map(string)"
        default: return nil
        }
    }

    static func interpolationOnly(_ value: HCLExpression) -> HCLExpression? {
        guard case .template(let template) = value.kind, template.heredoc == nil, template.parts.count == 1,
            case .interpolation(let inner, let markers) = template.parts[0], markers == .none
        else { return nil }
        return inner
    }

    /// Byte ranges to replace, for the `terraform fmt` rewrites.
    static func terraformEdits(_ body: Body, file: ConfigFile, variableBody: Bool) -> [(Range<Int>, [UInt8])] {
        var edits: [(Range<Int>, [UInt8])] = []
        for item in body.items {
            switch item {
            case .attribute(let attribute):
                let value = attribute.value
                let start = value.range.start.byte
                let end = value.range.end.byte
                guard end > start, end <= file.source.count else { continue }
                if variableBody, attribute.name == "type", let type = legacyType(value) {
                    edits.append((start..<end, Array(type.utf8)))
                    continue
                }
                guard let (first, last, multiline) = unwrappable(value, in: file) else { continue }
                let tokens = file.tokens
                edits.append((Int(tokens[first].start)..<Int(tokens[first + 1].end), multiline ? [0x28] : []))
                edits.append((Int(tokens[last - 1].start)..<Int(tokens[last].end), multiline ? [0x29] : []))
            case .block(let block):
                edits += terraformEdits(block.body, file: file, variableBody: block.type == "variable")
            }
        }
        return edits
    }

    static func tokenIndex(startingAt byte: Int, in tokens: [Token]) -> Int? {
        var low = 0
        var high = tokens.count - 1
        while low < high {
            let middle = (low + high) / 2
            if Int(tokens[middle].start) < byte { low = middle + 1 } else { high = middle }
        }
        return Int(tokens[low].start) == byte ? low : nil
    }

    static func apply(_ edits: [(Range<Int>, [UInt8])], to source: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(source.count)
        var position = 0
        for (range, replacement) in edits.sorted(by: { $0.0.lowerBound < $1.0.lowerBound })
        where range.lowerBound >= position {
            output.append(contentsOf: source[position..<range.lowerBound])
            output.append(contentsOf: replacement)
            position = range.upperBound
        }
        output.append(contentsOf: source[position...])
        return output
    }

    /// Formats tokens of `bytes`; the tokens must be those the lexer produced for them.
    public static func format(bytes: [UInt8], tokens: [Token]) -> [UInt8] {
        var lines = splitLines(tokens)
        indent(&lines, tokens)
        space(&lines, tokens, bytes)
        align(&lines, tokens, bytes)
        return write(lines, tokens, bytes)
    }

    /// The problem that stops a file from being formatted.
    public struct FormatError: Error, Sendable {
        public var diagnostics: [Diagnostic]
    }

    // MARK: - Lines and cells

    /// One line: token indices split into the part before `=`, the `=` and value, and a trailing comment.
    struct Line {
        var lead: [Int] = []
        var assign: [Int] = []
        var comment: [Int] = []
        var spaces: [Int: Int] = [:]
        var blank: Bool { lead.isEmpty && assign.isEmpty && comment.isEmpty }
        var all: [Int] { lead + assign + comment }
    }

    static func bracketChange(_ kind: TokenKind) -> Int {
        switch kind {
        case .openBrace, .openBracket, .openParen, .templateControl, .templateInterpolation: 1
        case .closeBrace, .closeBracket, .closeParen, .templateSequenceEnd: -1
        default: 0
        }
    }

    static func splitLines(_ tokens: [Token]) -> [Line] {
        var lines: [Line] = []
        var current = Line()
        for (index, token) in tokens.enumerated() {
            if token.kind == .endOfFile { break }
            if token.kind == .newline {
                lines.append(current)
                current = Line()
                continue
            }
            current.lead.append(index)
        }
        if !current.lead.isEmpty { lines.append(current) }
        for offset in lines.indices {
            var line = lines[offset]
            if line.lead.count > 1, let last = line.lead.last, tokens[last].kind == .comment {
                line.comment = [last]
                line.lead.removeLast()
            }
            for (position, index) in line.lead.enumerated() where position > 0 && tokens[index].kind == .equal {
                var net = 0
                for later in line.lead[position...] {
                    net += bracketChange(tokens[later].kind)
                    if tokens[later].kind == .openHeredoc { break }
                }
                if net == 0 {
                    line.assign = Array(line.lead[position...])
                    line.lead = Array(line.lead[..<position])
                }
                break
            }
            lines[offset] = line
        }
        return lines
    }

    static func indent(_ lines: inout [Line], _ tokens: [Token]) {
        var indents: [Int] = []
        for offset in lines.indices {
            guard let first = lines[offset].lead.first ?? lines[offset].comment.first else { continue }
            var net = 0
            for index in lines[offset].lead + lines[offset].assign {
                net += bracketChange(tokens[index].kind)
                if tokens[index].kind == .openHeredoc { break }
            }
            if net > 0 {
                lines[offset].spaces[first] = 2 * indents.count
                indents.append(net)
            } else if net < 0 {
                var closed = -net
                while closed > 0, let last = indents.last {
                    if closed > last {
                        closed -= last
                        indents.removeLast()
                    } else if closed < last {
                        indents[indents.count - 1] -= closed
                        closed = 0
                    } else {
                        indents.removeLast()
                        closed = 0
                    }
                }
                lines[offset].spaces[first] = 2 * indents.count
            } else {
                lines[offset].spaces[first] = 2 * indents.count
            }
        }
    }

    static func space(_ lines: inout [Line], _ tokens: [Token], _ bytes: [UInt8]) {
        for offset in lines.indices {
            for cell in [lines[offset].lead, lines[offset].assign] {
                for (position, index) in cell.enumerated() {
                    if position == 0, cell == lines[offset].assign { lines[offset].spaces[index] = 1 }
                    guard position + 1 < cell.count else { continue }
                    let before: TokenKind? = position > 0 ? tokens[cell[position - 1]].kind : nil
                    let after = cell[position + 1]
                    let spaced = spaceAfter(
                        tokens[index], before: before, after: tokens[after].kind, bytes: bytes)
                    lines[offset].spaces[after] = spaced ? 1 : 0
                }
            }
        }
    }

    static func spaceAfter(_ subject: Token, before: TokenKind?, after: TokenKind, bytes: [UInt8]) -> Bool {
        let kind = subject.kind
        switch true {
        case kind == .identifier && after == .openParen: return false
        case (kind == .identifier && after == .doubleColon) || (kind == .doubleColon && after == .identifier):
            return false
        case kind == .dot || after == .dot: return false
        case after == .comma || after == .ellipsis: return false
        case kind == .comma: return true
        case kind == .quotedLiteral || kind == .heredocLiteral || kind == .openQuote || kind == .openHeredoc
            || after == .quotedLiteral || after == .heredocLiteral || after == .closeQuote || after == .closeHeredoc
            || kind == .quotedNewline || after == .quotedNewline:
            return false
        case kind == .identifier && before == .identifier && subject.end - subject.start == 2
            && bytes[Int(subject.start)] == UInt8(ascii: "i") && bytes[Int(subject.start) + 1] == UInt8(ascii: "n"):
            return true
        case after == .openBracket && (kind == .identifier || kind == .number || bracketChange(kind) < 0):
            return false
        case kind == .minus:
            switch before {
            case nil, .openParen, .openBrace, .openBracket, .equal, .colon, .comma, .question, .plus, .star, .slash,
                .percent, .minus, .equalEqual, .notEqual, .greater, .greaterEqual, .less, .lessEqual, .and, .or, .bang,
                .templateInterpolation, .templateControl, .fatArrow:
                return false
            default: return true
            }
        case kind == .openBrace || after == .closeBrace:
            return !(kind == .openBrace && after == .closeBrace)
        case (kind == .templateInterpolation || kind == .templateControl) && after == .openBrace: return true
        case kind == .closeBrace && after == .templateSequenceEnd: return true
        case kind == .templateSequenceEnd && (after == .templateInterpolation || after == .templateControl):
            return false
        case bracketChange(kind) > 0: return false
        case bracketChange(after) < 0: return false
        case kind == .bang: return false
        default: return true
        }
    }

    static func columns(_ cell: [Int], _ line: Line, _ tokens: [Token], _ bytes: [UInt8]) -> Int {
        var total = 0
        for index in cell {
            total += line.spaces[index] ?? 0
            for byte in bytes[tokens[index].byteRange] where byte & 0xC0 != 0x80 { total += 1 }
        }
        return total
    }

    static func align(_ lines: inout [Line], _ tokens: [Token], _ bytes: [UInt8]) {
        var chainStart = -1
        var widest = 0
        func closeAssign(_ end: Int, _ lines: inout [Line]) {
            for offset in chainStart..<end {
                let width = columns(lines[offset].lead, lines[offset], tokens, bytes)
                lines[offset].spaces[lines[offset].assign[0]] = widest - width + 1
            }
            chainStart = -1
            widest = 0
        }
        for offset in lines.indices {
            if lines[offset].assign.isEmpty {
                if chainStart != -1 { closeAssign(offset, &lines) }
            } else {
                if chainStart == -1 { chainStart = offset }
                widest = max(widest, columns(lines[offset].lead, lines[offset], tokens, bytes))
            }
        }
        if chainStart != -1 { closeAssign(lines.count, &lines) }

        func closeComments(_ end: Int, _ lines: inout [Line]) {
            for offset in chainStart..<end {
                let line = lines[offset]
                let width = columns(line.lead, line, tokens, bytes) + columns(line.assign, line, tokens, bytes)
                lines[offset].spaces[line.comment[0]] = widest - width + 1
            }
            chainStart = -1
            widest = 0
        }
        for offset in lines.indices {
            if lines[offset].comment.isEmpty {
                if chainStart != -1 { closeComments(offset, &lines) }
            } else {
                if chainStart == -1 { chainStart = offset }
                let line = lines[offset]
                widest = max(
                    widest, columns(line.lead, line, tokens, bytes) + columns(line.assign, line, tokens, bytes))
            }
        }
        if chainStart != -1 { closeComments(lines.count, &lines) }
    }

    static func write(_ lines: [Line], _ tokens: [Token], _ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 8)
        var previousBlank = true
        for line in lines {
            if line.blank {
                if !previousBlank { output.append(0x0A) }
                previousBlank = true
                continue
            }
            previousBlank = false
            for index in line.all {
                let spaces = line.spaces[index] ?? 0
                for _ in 0..<spaces { output.append(0x20) }
                var range = tokens[index].byteRange
                if tokens[index].kind == .comment {
                    while range.count > 0, bytes[range.upperBound - 1] == 0x20 || bytes[range.upperBound - 1] == 0x09 {
                        range = range.lowerBound..<(range.upperBound - 1)
                    }
                }
                output.append(contentsOf: bytes[range])
            }
            output.append(0x0A)
        }
        while output.count >= 2, output[output.count - 1] == 0x0A, output[output.count - 2] == 0x0A {
            output.removeLast()
        }
        if output == [0x0A] { return [] }
        return output
    }
}
