import Foundation

/// A template piece before directives are nested: literals and sequences in source order.
private enum FlatPart {
    case literal(String, lineStart: Bool)
    case interpolation(HCLExpression, StripMarkers)
    case ifStart(HCLExpression, StripMarkers, Token)
    case elseMarker(StripMarkers, Token)
    case endIf(StripMarkers, Token)
    case forStart(String?, String, HCLExpression, StripMarkers, Token)
    case endFor(StripMarkers, Token)

    var markers: StripMarkers? {
        switch self {
        case .literal: nil
        case .interpolation(_, let markers), .ifStart(_, let markers, _), .elseMarker(let markers, _),
            .endIf(let markers, _), .forStart(_, _, _, let markers, _), .endFor(let markers, _):
            markers
        }
    }
}

extension ParserState {
    mutating func parseQuotedTemplate() -> HCLExpression {
        let open = read()
        // Most strings are one literal: no need for the general template machinery.
        if tokens[index].kind == .quotedLiteral, tokens[index + 1].kind == .closeQuote, open.end - open.start == 1 {
            let literal = tokens[index]
            index += 2
            return HCLExpression(
                .template(Template([.literal(decodeQuoted(literal))])),
                range: range(Int(open.start), Int(literal.end) + 1))
        }
        if tokens[index].kind == .closeQuote, open.end - open.start == 1 {
            index += 1
            return HCLExpression(.template(Template([])), range: range(Int(open.start), Int(open.end) + 1))
        }
        newlines.append(true)
        defer { newlines.removeLast() }
        if open.end - open.start == 2 {
            warning(
                "Escaped quotes inside an interpolation",
                "Terraform 0.12 and later reject \\\" inside ${…}; write plain quotes there. This file is read anyway.",
                range(open))
        }
        let parts = parseTemplateBody(end: .closeQuote, heredoc: nil)
        let close = tokens[index]
        if close.kind == .closeQuote {
            index += 1
        } else {
            error(
                "Unterminated template string", "No closing marker was found for the string.",
                range(open).through(range(close)))
        }
        return HCLExpression(.template(Template(parts)), range: range(Int(open.start), previousEnd))
    }

    mutating func parseHeredoc() -> HCLExpression {
        let open = read()
        newlines.append(true)
        defer { newlines.removeLast() }
        var start = Int(open.start) + 2
        let flush = bytes[start] == UInt8(ascii: "-")
        if flush { start += 1 }
        var end = Int(open.end)
        while end > start, bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let marker = String(decoding: bytes[start..<end], as: UTF8.self)
        let heredoc = Template.Heredoc(marker: marker, flush: flush)
        let parts = parseTemplateBody(end: .closeHeredoc, heredoc: heredoc)
        let close = tokens[index]
        if close.kind == .closeHeredoc {
            index += 1
        } else {
            error(
                "Unterminated template string", "No closing marker was found for the heredoc \"\(marker)\".",
                range(open))
        }
        return HCLExpression(.template(Template(parts, heredoc: heredoc)), range: range(Int(open.start), previousEnd))
    }

    /// Parses literal text and sequences up to `end`, then strips, removes heredoc indentation and nests
    /// directives.
    mutating func parseTemplateBody(end: TokenKind, heredoc: Template.Heredoc?) -> [TemplatePart] {
        guard enter() else { return [] }
        defer { leave() }
        // Most heredocs are plain text (policies, scripts): one pass over their bytes is enough.
        if let heredoc, !heredoc.flush {
            var last = index
            while tokens[last].kind == .heredocLiteral { last += 1 }
            if tokens[last].kind == end {
                defer { index = last }
                guard last > index else { return [] }
                let text = decodeHeredoc(Token(.heredocLiteral, Int(tokens[index].start), Int(tokens[last - 1].end)))
                return [.literal(text)]
            }
        }
        var flat: [FlatPart] = []
        var lineStart = true
        loop: while !aborted {
            let token = tokens[index]
            switch token.kind {
            case .quotedLiteral:
                index += 1
                flat.append(.literal(decodeQuoted(token), lineStart: false))
            case .quotedNewline where interpolationDepth > 0:
                index += 1
                warning(
                    "Multi-line string inside an interpolation",
                    "Terraform rejects quoted strings split over several lines; this file is read anyway.", range(token)
                )
                flat.append(.literal("\n", lineStart: false))
            case .quotedNewline:
                index += 1
                error(
                    "Invalid multi-line string",
                    "Quoted strings may not be split over multiple lines. To produce a multi-line string, either use "
                        + "the \\n escape to represent a newline character or use the \"heredoc\" multi-line template "
                        + "syntax.", range(token))
                flat.append(.literal("\n", lineStart: false))
            case .heredocLiteral:
                index += 1
                let value = decodeHeredoc(token)
                flat.append(.literal(value, lineStart: lineStart))
                lineStart = value.utf8.last == UInt8(ascii: "\n")
            case .templateInterpolation:
                index += 1
                lineStart = false
                newlines.append(false)
                interpolationDepth += 1
                let expression = parseExpression()
                interpolationDepth -= 1
                let after = closeSequence(opener: token)
                newlines.removeLast()
                flat.append(
                    .interpolation(expression, StripMarkers(before: token.end - token.start == 3, after: after)))
            case .templateControl:
                index += 1
                lineStart = false
                interpolationDepth += 1
                let part = parseDirective(token)
                interpolationDepth -= 1
                if let part { flat.append(part) }
            default:
                break loop
            }
        }
        if heredoc?.flush == true { removeIndentation(&flat) }
        if flat.contains(where: { $0.markers != nil }) {
            applyStripMarkers(&flat)
            return nest(flat)
        }
        // Only literal text: one part.
        var text = ""
        for case .literal(let literal, _) in flat { text += literal }
        return text.isEmpty ? [] : [.literal(text)]
    }

    /// Reads the `}` or `~}` that ends a template sequence; returns whether it strips.
    mutating func closeSequence(opener: Token) -> Bool {
        newlines.append(false)
        defer { newlines.removeLast() }
        let close = peek()
        if close.kind == .templateSequenceEnd {
            read()
            return close.end - close.start == 2
        }
        error(
            "Extra characters after interpolation expression",
            "Expected a closing brace to end the interpolation expression, but found \(close.kind).", range(close),
            context: range(from: opener, to: close))
        recover(to: .templateSequenceEnd)
        return false
    }

    private mutating func parseDirective(_ opener: Token) -> FlatPart? {
        newlines.append(false)
        defer { newlines.removeLast() }
        let before = opener.end - opener.start == 3
        let keyword = peek()
        if isKeyword(keyword, "if") {
            read()
            let condition = parseExpression()
            let after = closeSequence(opener: opener)
            return .ifStart(condition, StripMarkers(before: before, after: after), opener)
        }
        if isKeyword(keyword, "else") {
            read()
            return .elseMarker(StripMarkers(before: before, after: closeSequence(opener: opener)), opener)
        }
        if isKeyword(keyword, "endif") {
            read()
            return .endIf(StripMarkers(before: before, after: closeSequence(opener: opener)), opener)
        }
        if isKeyword(keyword, "endfor") {
            read()
            return .endFor(StripMarkers(before: before, after: closeSequence(opener: opener)), opener)
        }
        if isKeyword(keyword, "for") {
            read()
            var first = peek()
            guard first.kind == .identifier else {
                error("Invalid template for directive", "A variable name is required after 'for'.", range(first))
                recover(to: .templateSequenceEnd)
                return nil
            }
            read()
            var keyVariable: String?
            var valueVariable = text(first)
            if peek().kind == .comma {
                read()
                first = peek()
                guard first.kind == .identifier else {
                    error(
                        "Invalid template for directive", "A value variable name is required after the comma.",
                        range(first))
                    recover(to: .templateSequenceEnd)
                    return nil
                }
                read()
                keyVariable = valueVariable
                valueVariable = text(first)
            }
            guard isKeyword(peek(), "in") else {
                error(
                    "Invalid template for directive", "The 'in' keyword is required after the variable names.",
                    range(peek()))
                recover(to: .templateSequenceEnd)
                return nil
            }
            read()
            let collection = parseExpression()
            let after = closeSequence(opener: opener)
            return .forStart(keyVariable, valueVariable, collection, StripMarkers(before: before, after: after), opener)
        }
        error(
            "Invalid template directive",
            "A template directive keyword (\"if\", \"for\", etc) is expected at the beginning of a %{ sequence.",
            range(keyword), context: range(from: opener, to: keyword))
        recover(to: .templateSequenceEnd)
        return nil
    }

    /// `<<-` heredocs: removes the smallest indentation of their lines from every line.
    private func removeIndentation(_ flat: inout [FlatPart]) {
        var minimum = Int.max
        for part in flat {
            guard case .literal(let text, let lineStart) = part, lineStart else {
                continue
            }
            let spaces = text.unicodeScalars.prefix { $0.properties.isWhitespace && $0 != "\n" }.count
            let rest = text.unicodeScalars.dropFirst(spaces)
            if rest.isEmpty || rest.first == "\n" || (rest.first == "\r" && rest.count == 2) {
                // Blank lines do not count, unless the sequence after them starts on that line.
                if rest.isEmpty { minimum = min(minimum, spaces) }
                continue
            }
            minimum = min(minimum, spaces)
        }
        // A sequence at the very start of a line has no indentation.
        var startOfLine = true
        for part in flat {
            switch part {
            case .literal(let text, _):
                startOfLine = text.utf8.last == UInt8(ascii: "\n")
            default:
                if startOfLine { minimum = 0 }
                startOfLine = false
            }
        }
        guard minimum != Int.max, minimum > 0 else { return }
        for offset in flat.indices {
            guard case .literal(let text, let lineStart) = flat[offset], lineStart else { continue }
            var scalars = Substring(text).unicodeScalars[...]
            var removed = 0
            while removed < minimum, let first = scalars.first, first.properties.isWhitespace, first != "\n" {
                scalars = scalars.dropFirst()
                removed += 1
            }
            flat[offset] = .literal(String(String.UnicodeScalarView(scalars)), lineStart: true)
        }
    }

    private func applyStripMarkers(_ flat: inout [FlatPart]) {
        for offset in flat.indices {
            guard case .literal(var text, let lineStart) = flat[offset] else { continue }
            if offset > 0, flat[offset - 1].markers?.after == true {
                text = String(text.unicodeScalars.drop { $0.properties.isWhitespace }.map(Character.init))
            }
            if offset + 1 < flat.count, flat[offset + 1].markers?.before == true {
                var scalars = Array(text.unicodeScalars)
                while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
                text = String(String.UnicodeScalarView(scalars))
            }
            flat[offset] = .literal(text, lineStart: lineStart)
        }
    }

    /// Turns the flat list into nested directives.
    private mutating func nest(_ flat: [FlatPart]) -> [TemplatePart] {
        enum Frame {
            case conditional(HCLExpression, StripMarkers, Token, then: [TemplatePart]?, elseMarkers: StripMarkers)
            case loop(String?, String, HCLExpression, StripMarkers, Token)
        }
        var stack: [(frame: Frame, parts: [TemplatePart])] = []
        var current: [TemplatePart] = []
        for part in flat {
            switch part {
            case .literal(let text, _):
                if text.isEmpty { continue }
                if case .literal(let previous)? = current.last {
                    current[current.count - 1] = .literal(previous + text)
                } else {
                    current.append(.literal(text))
                }
            case .interpolation(let expression, let markers):
                current.append(.interpolation(expression, markers))
            case .ifStart(let condition, let markers, let token):
                stack.append((.conditional(condition, markers, token, then: nil, elseMarkers: .none), current))
                current = []
            case .forStart(let key, let value, let collection, let markers, let token):
                stack.append((.loop(key, value, collection, markers, token), current))
                current = []
            case .elseMarker(let markers, let token):
                guard let top = stack.last,
                    case .conditional(let condition, let ifMarkers, let ifToken, nil, _) = top.frame
                else {
                    error(
                        "Unexpected else directive", "An else directive must be inside an if directive.",
                        range(token))
                    continue
                }
                stack[stack.count - 1].frame = .conditional(
                    condition, ifMarkers, ifToken, then: current, elseMarkers: markers)
                current = []
            case .endIf(let markers, let token):
                guard let top = stack.last,
                    case .conditional(let condition, let ifMarkers, _, let then, let elseMarkers) = top.frame
                else {
                    error("Unexpected endif directive", "There is no if directive for this endif.", range(token))
                    continue
                }
                stack.removeLast()
                let conditional = TemplateConditional(
                    condition: condition, then: then ?? current, otherwise: then == nil ? nil : current,
                    ifMarkers: ifMarkers, elseMarkers: elseMarkers, endMarkers: markers)
                current = top.parts + [.conditional(conditional)]
            case .endFor(let markers, let token):
                guard let top = stack.last,
                    case .loop(let key, let value, let collection, let forMarkers, _) = top.frame
                else {
                    error("Unexpected endfor directive", "There is no for directive for this endfor.", range(token))
                    continue
                }
                stack.removeLast()
                let loop = TemplateLoop(
                    keyVariable: key, valueVariable: value, collection: collection, body: current,
                    forMarkers: forMarkers, endMarkers: markers)
                current = top.parts + [.loop(loop)]
            }
        }
        while let top = stack.popLast() {
            switch top.frame {
            case .conditional(_, _, let token, _, _):
                error("Unterminated template if directive", "There is no endif for this if directive.", range(token))
            case .loop(_, _, _, _, let token):
                error("Unterminated template for directive", "There is no endfor for this for directive.", range(token))
            }
            current = top.parts + current
        }
        return current
    }

    // MARK: - Escapes

    mutating func decodeQuoted(_ token: Token) -> String {
        let start = Int(token.start)
        let end = Int(token.end)
        var needsWork = false
        var ascii = true
        for position in start..<end {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "$") || byte == UInt8(ascii: "%") { needsWork = true }
            if byte >= 0x80 { ascii = false }
        }
        if !needsWork { return normalized(String(decoding: bytes[start..<end], as: UTF8.self), ascii: ascii) }
        var output: [UInt8] = []
        output.reserveCapacity(end - start)
        var position = start
        while position < end {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\\"), position + 1 < end {
                let selector = bytes[position + 1]
                switch selector {
                case UInt8(ascii: "n"): output.append(0x0A)
                case UInt8(ascii: "r"): output.append(0x0D)
                case UInt8(ascii: "t"): output.append(0x09)
                case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let digits = selector == UInt8(ascii: "u") ? 4 : 8
                    if position + 2 + digits <= end,
                        let value = UInt32(
                            String(decoding: bytes[(position + 2)..<(position + 2 + digits)], as: UTF8.self), radix: 16),
                        let scalar = Unicode.Scalar(value)
                    {
                        output.append(contentsOf: Array(String(Character(scalar)).utf8))
                        position += 2 + digits
                        continue
                    }
                    invalidEscape(position, position + 2)
                default:
                    invalidEscape(position, position + 2)
                    output.append(selector)
                }
                position += 2
                continue
            }
            if byte == UInt8(ascii: "$") || byte == UInt8(ascii: "%"), position + 2 < end, bytes[position + 1] == byte,
                bytes[position + 2] == UInt8(ascii: "{")
            {
                output.append(byte)
                output.append(UInt8(ascii: "{"))
                position += 3
                continue
            }
            output.append(byte)
            position += 1
        }
        return normalized(String(decoding: output, as: UTF8.self), ascii: ascii)
    }

    func decodeHeredoc(_ token: Token) -> String {
        let start = Int(token.start)
        let end = Int(token.end)
        var output: [UInt8] = []
        output.reserveCapacity(end - start)
        var ascii = true
        var position = start
        while position < end {
            let byte = bytes[position]
            if byte >= 0x80 { ascii = false }
            if byte == UInt8(ascii: "$") || byte == UInt8(ascii: "%"), position + 2 < end, bytes[position + 1] == byte,
                bytes[position + 2] == UInt8(ascii: "{")
            {
                output.append(byte)
                output.append(UInt8(ascii: "{"))
                position += 3
                continue
            }
            output.append(byte)
            position += 1
        }
        return normalized(String(decoding: output, as: UTF8.self), ascii: ascii)
    }

    /// String literals are NFC-normalised, as the HCL specification asks.
    func normalized(_ text: String, ascii: Bool) -> String {
        ascii ? text : text.precomposedStringWithCanonicalMapping
    }

    mutating func invalidEscape(_ start: Int, _ end: Int) {
        let selector = String(decoding: bytes[(start + 1)..<min(end, bytes.count)], as: UTF8.self)
        error(
            "Invalid escape sequence", "The symbol \"\(selector)\" is not a valid escape sequence selector.",
            range(start, min(end, bytes.count)))
    }
}
