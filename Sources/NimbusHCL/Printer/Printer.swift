/// Prints syntax trees as canonical HCL in `terraform fmt` style.
///
/// Used for generated code: blocks and objects one item per line, tuples on one line unless an element
/// spans lines, comments kept, `=` aligned. Parsing the output gives back an equal tree.
public enum Printer {
    /// The formatted text of a body (a whole file, usually).
    public static func print(_ body: Body) -> String {
        var writer = SourceWriter()
        writer.body(body, indent: "")
        return formatted(writer.output)
    }

    /// A whole file: its source re-formatted when it was parsed, otherwise printed from the tree.
    public static func print(_ file: ConfigFile) -> String {
        if !file.tokens.isEmpty { return String(decoding: Formatter.format(file), as: UTF8.self) }
        return print(file.body)
    }

    /// An expression on its own (multi-line for objects with items and heredocs).
    public static func print(_ expression: HCLExpression) -> String {
        var writer = SourceWriter()
        writer.expression(expression, indent: "")
        return writer.output
    }

    /// The contents of a template without its quotes, as the JSON syntax stores templates.
    public static func templateSource(_ template: Template) -> String {
        var writer = SourceWriter()
        writer.templateParts(template.parts, quoted: false, indent: "")
        return writer.output
    }

    static func formatted(_ text: String) -> String {
        switch Formatter.format(text) {
        case .success(let result): result
        case .failure: text
        }
    }
}

/// Whether `name` can be written as a bare identifier.
func isIdentifier(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first else { return false }
    guard first == "_" || first.properties.isIDStart else { return false }
    for scalar in name.unicodeScalars.dropFirst()
    where !(scalar == "-" || scalar == "_" || scalar.properties.isIDContinue) {
        return false
    }
    return true
}

struct SourceWriter {
    var output = ""

    mutating func body(_ body: Body, indent: String) {
        var previous: BodyItem?
        for item in body.items {
            if let previous {
                let blockInvolved: Bool
                switch (previous, item) {
                case (.attribute, .attribute): blockInvolved = false
                default: blockInvolved = true
                }
                if blockInvolved || !item.leadingComments.isEmpty { output += "\n" }
            }
            for comment in item.leadingComments { output += indent + comment + "\n" }
            switch item {
            case .attribute(let attribute):
                output += indent + attribute.name + " = "
                expression(attribute.value, indent: indent, heredocAllowed: attribute.trailingComment == nil)
                if let comment = attribute.trailingComment { output += " " + comment }
                output += "\n"
            case .block(let block):
                output += indent + block.type
                for label in block.labels { output += " " + quote(label) }
                if block.body.items.isEmpty && block.body.trailingComments.isEmpty {
                    output += " {}"
                } else {
                    output += " {\n"
                    self.body(block.body, indent: indent + "  ")
                    output += indent + "}"
                }
                if let comment = block.trailingComment { output += " " + comment }
                output += "\n"
            }
            previous = item
        }
        for comment in body.trailingComments { output += indent + comment + "\n" }
    }

    func quote(_ text: String) -> String {
        "\"" + escape(text, quoted: true) + "\""
    }

    func escape(_ text: String, quoted: Bool) -> String {
        var result = ""
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            if scalar == "{", let previous, previous == "$" || previous == "%" {
                result.unicodeScalars.append(previous)
            }
            switch scalar {
            case "\\" where quoted: result += "\\\\"
            case "\"" where quoted: result += "\\\""
            case "\n" where quoted: result += "\\n"
            case "\r" where quoted: result += "\\r"
            case "\t" where quoted: result += "\\t"
            default:
                if quoted, scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
            previous = scalar
        }
        return result
    }

    mutating func expression(_ expression: HCLExpression, indent: String, heredocAllowed: Bool = false) {
        switch expression.kind {
        case .number(let text): output += text
        case .bool(let value): output += value ? "true" : "false"
        case .null: output += "null"
        case .invalid: output += "null"
        case .variable(let name): output += name
        case .template(let template):
            // A heredoc's end marker must end its line, so heredocs are printed only where a newline follows.
            if heredocAllowed, let heredoc = template.heredoc, Self.printableAsHeredoc(template) {
                // The text is written as it is, even for `<<-`: indenting it would move what strip markers and
                // the indentation rule remove.
                let marker = heredocMarker(heredoc.marker, template)
                output += (heredoc.flush ? "<<-" : "<<") + marker + "\n"
                var writer = SourceWriter()
                writer.templateParts(template.parts, quoted: false, indent: indent)
                output += writer.output
                if !writer.output.isEmpty, !writer.output.hasSuffix("\n") { output += "\n" }
                output += (heredoc.flush ? indent : "") + marker
            } else {
                output += "\""
                templateParts(template.parts, quoted: true, indent: indent)
                output += "\""
            }
        case .attribute(let base, let name):
            self.expression(base, indent: indent)
            output += "." + name
        case .index(let base, let key):
            self.expression(base, indent: indent)
            output += "["
            self.expression(key, indent: indent)
            output += "]"
        case .legacyIndex(let base, let index):
            self.expression(base, indent: indent)
            output += ".\(index)"
        case .splat(let base, let full, let steps):
            self.expression(base, indent: indent)
            output += full ? "[*]" : ".*"
            for step in steps {
                switch step {
                case .attribute(let name): output += "." + name
                case .legacyIndex(let index): output += ".\(index)"
                case .index(let key):
                    output += "["
                    self.expression(key, indent: indent)
                    output += "]"
                }
            }
        case .call(let name, let arguments, let expand):
            output += name + "("
            let multiline = arguments.contains { spansLines($0) }
            for (position, argument) in arguments.enumerated() {
                if multiline { output += "\n" + indent + "  " } else if position > 0 { output += " " }
                self.expression(argument, indent: multiline ? indent + "  " : indent, heredocAllowed: multiline)
                // A heredoc's end marker must be alone on its line.
                if isHeredoc(argument) { output += "\n" + indent + "  " }
                if position == arguments.count - 1, expand { output += "..." }
                if position < arguments.count - 1 || multiline { output += "," }
            }
            if multiline { output += "\n" + indent }
            output += ")"
        case .tuple(let elements):
            let multiline = elements.contains { spansLines($0) }
            output += "["
            for (position, element) in elements.enumerated() {
                if multiline { output += "\n" + indent + "  " } else if position > 0 { output += ", " }
                self.expression(element, indent: multiline ? indent + "  " : indent, heredocAllowed: multiline)
                if isHeredoc(element) { output += "\n" + indent + "  " }
                if multiline { output += "," }
            }
            if multiline { output += "\n" + indent }
            output += "]"
        case .object(let items):
            if items.isEmpty {
                output += "{}"
                return
            }
            output += "{\n"
            for item in items {
                output += indent + "  "
                objectKey(item.key, indent: indent + "  ")
                output += item.usesColon ? ": " : " = "
                self.expression(item.value, indent: indent + "  ", heredocAllowed: true)
                output += "\n"
            }
            output += indent + "}"
        case .forExpression(let loop):
            output += loop.producesObject ? "{" : "["
            output += "for "
            if let key = loop.keyVariable { output += key + ", " }
            output += loop.valueVariable + " in "
            self.expression(loop.collection, indent: indent)
            output += " : "
            if let key = loop.keyExpression {
                self.expression(key, indent: indent)
                output += " => "
            }
            self.expression(loop.valueExpression, indent: indent)
            if loop.grouping { output += "..." }
            if let condition = loop.condition {
                output += " if "
                self.expression(condition, indent: indent)
            }
            output += loop.producesObject ? "}" : "]"
        case .unary(let operation, let operand):
            output += operation.rawValue
            self.expression(operand, indent: indent)
        case .binary(let operation, let left, let right):
            self.expression(left, indent: indent)
            output += " " + operation.rawValue + " "
            self.expression(right, indent: indent)
        case .conditional(let condition, let then, let otherwise):
            self.expression(condition, indent: indent)
            output += " ? "
            self.expression(then, indent: indent)
            output += " : "
            self.expression(otherwise, indent: indent)
        case .parenthesized(let inner):
            output += "("
            self.expression(inner, indent: indent)
            output += ")"
        }
    }

    mutating func objectKey(_ key: HCLExpression, indent: String) {
        if case .variable(let name) = key.kind {
            output += name
        } else {
            expression(key, indent: indent)
        }
    }

    func isHeredoc(_ expression: HCLExpression) -> Bool {
        guard case .template(let template) = expression.kind, template.heredoc != nil else { return false }
        return Self.printableAsHeredoc(template)
    }

    static func stripsBefore(_ part: TemplatePart) -> Bool {
        switch part {
        case .literal: false
        case .interpolation(_, let markers): markers.before
        case .conditional(let conditional): conditional.ifMarkers.before
        case .loop(let loop): loop.forMarkers.before
        }
    }

    /// A heredoc's text ends with a newline, unless a strip marker at its end removed it.
    static func printableAsHeredoc(_ template: Template) -> Bool {
        switch template.parts.last {
        case nil: return true
        case .literal(let text): return text.hasSuffix("\n")
        case .interpolation(_, let markers): return markers.after
        case .conditional(let conditional): return conditional.endMarkers.after
        case .loop(let loop): return loop.endMarkers.after
        }
    }

    /// Whether an expression prints on more than one line.
    func spansLines(_ expression: HCLExpression) -> Bool {
        switch expression.kind {
        case .object(let items): return !items.isEmpty
        case .template(let template):
            return template.heredoc != nil && Self.printableAsHeredoc(template)
        case .tuple(let elements): return elements.contains { spansLines($0) }
        case .call(_, let arguments, _): return arguments.contains { spansLines($0) }
        default: return false
        }
    }

    func heredocMarker(_ preferred: String, _ template: Template) -> String {
        var marker = isIdentifier(preferred) ? preferred : "EOT"
        let text = Printer.templateSource(template)
        let lines = Set(
            text.split(separator: "\n", omittingEmptySubsequences: false).map {
                $0.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            })
        while lines.contains(Substring(marker)) { marker += "X" }
        return marker
    }

    mutating func templateParts(_ parts: [TemplatePart], quoted: Bool, indent: String) {
        var stripsAfter = false
        templateParts(parts, quoted: quoted, indent: indent, stripsAfter: &stripsAfter, endStripsBefore: false)
    }

    /// `stripsAfter`: whether the sequence just printed ends with `~}`. In a heredoc a literal after it that
    /// starts with a space must start on a new line, or parsing would strip the space.
    mutating func templateParts(
        _ parts: [TemplatePart], quoted: Bool, indent: String, stripsAfter: inout Bool, endStripsBefore: Bool
    ) {
        for (position, part) in parts.enumerated() {
            if case .literal(let text) = part {
                if stripsAfter, !quoted, let first = text.unicodeScalars.first, first.properties.isWhitespace {
                    output += "\n"
                }
                output += escape(text, quoted: quoted)
                // Likewise a literal ending in a newline before `%{~` or `${~` needs one more line to strip.
                let nextStrips = position + 1 < parts.count ? Self.stripsBefore(parts[position + 1]) : endStripsBefore
                if !quoted, text.hasSuffix("\n"), nextStrips {
                    output += "\n"
                }
                stripsAfter = false
                continue
            }
            switch part {
            case .literal:
                break
            case .interpolation(let expression, let markers):
                output += markers.before ? "${~" : "${"
                self.expression(expression, indent: indent)
                output += markers.after ? "~}" : "}"
                stripsAfter = markers.after
            case .conditional(let conditional):
                output += conditional.ifMarkers.before ? "%{~ if " : "%{ if "
                self.expression(conditional.condition, indent: indent)
                output += conditional.ifMarkers.after ? " ~}" : " }"
                stripsAfter = conditional.ifMarkers.after
                templateParts(
                    conditional.then, quoted: quoted, indent: indent, stripsAfter: &stripsAfter,
                    endStripsBefore: conditional.otherwise == nil
                        ? conditional.endMarkers.before : conditional.elseMarkers.before)
                if let otherwise = conditional.otherwise {
                    output += conditional.elseMarkers.before ? "%{~ else" : "%{ else"
                    output += conditional.elseMarkers.after ? " ~}" : " }"
                    stripsAfter = conditional.elseMarkers.after
                    templateParts(
                        otherwise, quoted: quoted, indent: indent, stripsAfter: &stripsAfter,
                        endStripsBefore: conditional.endMarkers.before)
                }
                output += conditional.endMarkers.before ? "%{~ endif" : "%{ endif"
                output += conditional.endMarkers.after ? " ~}" : " }"
                stripsAfter = conditional.endMarkers.after
            case .loop(let loop):
                output += loop.forMarkers.before ? "%{~ for " : "%{ for "
                if let key = loop.keyVariable { output += key + ", " }
                output += loop.valueVariable + " in "
                self.expression(loop.collection, indent: indent)
                output += loop.forMarkers.after ? " ~}" : " }"
                stripsAfter = loop.forMarkers.after
                templateParts(
                    loop.body, quoted: quoted, indent: indent, stripsAfter: &stripsAfter,
                    endStripsBefore: loop.endMarkers.before)
                output += loop.endMarkers.before ? "%{~ endfor" : "%{ endfor"
                output += loop.endMarkers.after ? " ~}" : " }"
                stripsAfter = loop.endMarkers.after
            }
        }
    }
}
