extension HCLExpression {
    /// A compact, position-free description of the expression's structure, for tests and debugging:
    /// `(+ (var a) (num 1))`.
    public var structure: String {
        var output = ""
        dump(self, into: &output)
        return output
    }
}

extension Body {
    /// A compact description of the body's structure, one item per line.
    public var structure: String {
        var output = ""
        dump(self, indent: "", into: &output)
        return output
    }
}

private func dump(_ body: Body, indent: String, into output: inout String) {
    for item in body.items {
        switch item {
        case .attribute(let attribute):
            output += "\(indent)\(attribute.name) = "
            dump(attribute.value, into: &output)
            output += "\n"
        case .block(let block):
            output += "\(indent)\(block.type)"
            for label in block.labels { output += " \(quoted(label))" }
            output += " {\n"
            dump(block.body, indent: indent + "  ", into: &output)
            output += "\(indent)}\n"
        }
    }
}

private func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

private func dump(_ expression: HCLExpression, into output: inout String) {
    switch expression.kind {
    case .number(let text): output += "(num \(text))"
    case .bool(let value): output += value ? "true" : "false"
    case .null: output += "null"
    case .template(let template):
        output += template.heredoc.map { "(heredoc\($0.flush ? "-" : "")" } ?? "(tpl"
        dump(template.parts, into: &output)
        output += ")"
    case .variable(let name): output += "(var \(name))"
    case .attribute(let base, let name):
        output += "(. "
        dump(base, into: &output)
        output += " \(name))"
    case .index(let base, let key):
        output += "([] "
        dump(base, into: &output)
        output += " "
        dump(key, into: &output)
        output += ")"
    case .legacyIndex(let base, let index):
        output += "(.n "
        dump(base, into: &output)
        output += " \(index))"
    case .splat(let base, let full, let steps):
        output += full ? "([*] " : "(.* "
        dump(base, into: &output)
        for step in steps {
            switch step {
            case .attribute(let name): output += " .\(name)"
            case .legacyIndex(let index): output += " .\(index)"
            case .index(let key):
                output += " ["
                dump(key, into: &output)
                output += "]"
            }
        }
        output += ")"
    case .call(let name, let arguments, let expand):
        output += "(call \(name)"
        for argument in arguments {
            output += " "
            dump(argument, into: &output)
        }
        output += expand ? " ...)" : ")"
    case .tuple(let elements):
        output += "(tuple"
        for element in elements {
            output += " "
            dump(element, into: &output)
        }
        output += ")"
    case .object(let items):
        output += "(object"
        for item in items {
            output += " ("
            dump(item.key, into: &output)
            output += " = "
            dump(item.value, into: &output)
            output += ")"
        }
        output += ")"
    case .forExpression(let loop):
        output += "(for \(loop.keyVariable.map { "\($0), " } ?? "")\(loop.valueVariable) in "
        dump(loop.collection, into: &output)
        output += " : "
        if let key = loop.keyExpression {
            dump(key, into: &output)
            output += " => "
        }
        dump(loop.valueExpression, into: &output)
        if loop.grouping { output += "..." }
        if let condition = loop.condition {
            output += " if "
            dump(condition, into: &output)
        }
        output += ")"
    case .unary(let operation, let operand):
        output += "(\(operation.rawValue) "
        dump(operand, into: &output)
        output += ")"
    case .binary(let operation, let left, let right):
        output += "(\(operation.rawValue) "
        dump(left, into: &output)
        output += " "
        dump(right, into: &output)
        output += ")"
    case .conditional(let condition, let then, let otherwise):
        output += "(? "
        dump(condition, into: &output)
        output += " "
        dump(then, into: &output)
        output += " "
        dump(otherwise, into: &output)
        output += ")"
    case .parenthesized(let inner):
        output += "(paren "
        dump(inner, into: &output)
        output += ")"
    case .invalid: output += "(invalid)"
    }
}

private func dump(_ parts: [TemplatePart], into output: inout String) {
    for part in parts {
        output += " "
        switch part {
        case .literal(let text): output += quoted(text)
        case .interpolation(let expression, let markers):
            output += "${\(markers.before ? "~" : "")"
            dump(expression, into: &output)
            output += "\(markers.after ? "~" : "")}"
        case .conditional(let conditional):
            output += "%{if "
            dump(conditional.condition, into: &output)
            output += "}"
            dump(conditional.then, into: &output)
            if let otherwise = conditional.otherwise {
                output += " %{else}"
                dump(otherwise, into: &output)
            }
            output += " %{endif}"
        case .loop(let loop):
            output += "%{for \(loop.keyVariable.map { "\($0), " } ?? "")\(loop.valueVariable) in "
            dump(loop.collection, into: &output)
            output += "}"
            dump(loop.body, into: &output)
            output += " %{endfor}"
        }
    }
}
