/// Converts between HCL native syntax and Terraform's JSON syntax (`.tf.json`).
///
/// HCL to JSON keeps every value: literals become JSON values, strings become templates (with `$${` for a
/// literal `${`), and any other expression becomes a `"${…}"` string. JSON to HCL needs to know which keys are
/// blocks; it uses Terraform's own block types (resource, data, module, variable, output, provider, terraform,
/// locals, moved, import, check and their nested lifecycle, provisioner, dynamic, validation… blocks) and
/// reads everything else as attributes.
public enum TerraformJSON {
    // MARK: - HCL to JSON

    /// The JSON syntax of a body.
    public static func document(from body: Body) -> JSONDocument {
        var members: [(String, JSONDocument)] = []
        var blockOrder: [String] = []
        var blocks: [String: [Block]] = [:]
        var slots: [String: Int] = [:]
        for item in body.items {
            switch item {
            case .attribute(let attribute):
                members.append((attribute.name, value(attribute.value)))
            case .block(let block):
                if blocks[block.type] == nil {
                    blockOrder.append(block.type)
                    slots[block.type] = members.count
                    members.append((block.type, .null))
                }
                blocks[block.type, default: []].append(block)
            }
        }
        for type in blockOrder {
            let group = blocks[type]!
            members[slots[type]!] = (type, nest(group.map { ($0.labels, document(from: $0.body)) }, depth: 0))
        }
        return .object(members)
    }

    private static func nest(_ entries: [([String], JSONDocument)], depth: Int) -> JSONDocument {
        let leaves = entries.filter { $0.0.count <= depth }
        if !leaves.isEmpty || entries.isEmpty {
            if entries.count == 1 { return entries[0].1 }
            return .array(entries.map(\.1))
        }
        var order: [String] = []
        var groups: [String: [([String], JSONDocument)]] = [:]
        for entry in entries {
            let label = entry.0[depth]
            if groups[label] == nil { order.append(label) }
            groups[label, default: []].append(entry)
        }
        return .object(order.map { ($0, nest(groups[$0]!, depth: depth + 1)) })
    }

    /// The JSON form of one expression.
    public static func value(_ expression: HCLExpression) -> JSONDocument {
        switch expression.kind {
        case .number(let text):
            return isJSONNumber(text) ? .number(text) : .string("${\(text)}")
        case .bool(let value): return .bool(value)
        case .null: return .null
        case .template(let template):
            if let literal = template.literalValue { return .string(escapeTemplate(literal)) }
            return .string(Printer.templateSource(template))
        case .tuple(let elements): return .array(elements.map(value))
        case .object(let items):
            return .object(
                items.map { item in
                    let key: String
                    if let literal = item.literalKey {
                        key = escapeTemplate(literal)
                    } else if case .bool(let flag) = item.key.kind {
                        key = flag ? "true" : "false"
                    } else if case .null = item.key.kind {
                        key = "null"
                    } else {
                        key = "${\(Printer.print(item.key))}"
                    }
                    return (key, value(item.value))
                })
        case .unary(.negate, let operand):
            if case .number(let text) = operand.kind, isJSONNumber(text) { return .number("-" + text) }
            return .string("${\(Printer.print(expression))}")
        default:
            return .string("${\(Printer.print(expression))}")
        }
    }

    static func escapeTemplate(_ text: String) -> String {
        guard text.contains("${") || text.contains("%{") else { return text }
        return text.replacingOccurrences(of: "${", with: "$${").replacingOccurrences(of: "%{", with: "%%{")
    }

    static func isJSONNumber(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first else { return false }
        // HCL allows leading zeros (`007`); JSON does not.
        if first == UInt8(ascii: "0"), bytes.count > 1, bytes[1] >= 48, bytes[1] <= 57 { return false }
        return true
    }

    // MARK: - JSON to HCL

    /// Block types and how many labels they take, by the block they appear in ("" for the top level).
    static let blockSchema: [String: [String: Int]] = [
        "": [
            "resource": 2, "data": 2, "module": 1, "provider": 1, "variable": 1, "output": 1, "locals": 0,
            "terraform": 0, "moved": 0, "import": 0, "check": 1, "removed": 0, "ephemeral": 2,
        ],
        "terraform": ["required_providers": 0, "backend": 1, "cloud": 0, "provider_meta": 1],
        "resource": ["lifecycle": 0, "provisioner": 1, "connection": 0, "dynamic": 1],
        "data": ["lifecycle": 0, "dynamic": 1],
        "dynamic": ["content": 0],
        "variable": ["validation": 0],
        "output": ["precondition": 0],
        "check": ["data": 2, "assert": 0],
        "lifecycle": ["precondition": 0, "postcondition": 0],
        "provisioner": ["connection": 0],
        "cloud": ["workspaces": 0],
    ]

    /// Reads a `.tf.json` document into a file.
    public static func parse(_ text: String, filename: String = "") -> (file: ConfigFile, diagnostics: [Diagnostic]) {
        let document: JSONDocument
        do {
            document = try JSONDocument.parse(text)
        } catch {
            let diagnostic = Diagnostic(
                .error, summary: "Invalid JSON", detail: error.message, filename: filename, range: .none)
            return (ConfigFile(filename: filename, body: Body()), [diagnostic])
        }
        var diagnostics: [Diagnostic] = []
        let body = self.body(from: document, blockType: "", filename: filename, diagnostics: &diagnostics)
        return (ConfigFile(filename: filename, body: body), diagnostics)
    }

    static func body(
        from document: JSONDocument, blockType: String, filename: String, diagnostics: inout [Diagnostic]
    )
        -> Body
    {
        guard case .object(let members) = document else {
            diagnostics.append(
                Diagnostic(
                    .error, summary: "Incorrect JSON value type",
                    detail: "A JSON object is required here, to define arguments and blocks.", filename: filename,
                    range: .none))
            return Body()
        }
        var items: [BodyItem] = []
        let schema = blockSchema[blockType] ?? [:]
        for (key, value) in members {
            if key == "//" { continue }
            if let labels = schema[key], key != "locals" || blockType.isEmpty {
                for (labelValues, blockBody) in flatten(value, labels: labels) {
                    let body = self.body(from: blockBody, blockType: key, filename: filename, diagnostics: &diagnostics)
                    items.append(.block(Block(type: key, labels: labelValues, body: body)))
                }
            } else {
                items.append(
                    .attribute(
                        Attribute(
                            name: key, value: expression(from: value, filename: filename, diagnostics: &diagnostics))))
            }
        }
        return Body(items)
    }

    private static func flatten(_ value: JSONDocument, labels: Int) -> [([String], JSONDocument)] {
        if case .array(let elements) = value { return elements.flatMap { flatten($0, labels: labels) } }
        guard labels > 0 else { return [([], value)] }
        guard case .object(let members) = value else { return [] }
        var result: [([String], JSONDocument)] = []
        for (label, inner) in members {
            for (rest, body) in flatten(inner, labels: labels - 1) { result.append(([label] + rest, body)) }
        }
        return result
    }

    /// The expression a JSON value stands for: strings are templates, `"${x}"` is the expression `x`.
    public static func expression(
        from value: JSONDocument, filename: String, diagnostics: inout [Diagnostic]
    )
        -> HCLExpression
    {
        switch value {
        case .null: return HCLExpression(.null)
        case .bool(let flag): return HCLExpression(.bool(flag))
        case .number(let text):
            if text.hasPrefix("-") {
                return HCLExpression(.unary(.negate, HCLExpression(.number(String(text.dropFirst())))))
            }
            return HCLExpression(.number(text))
        case .string(let text):
            let (template, problems) = HCLParser.parseTemplate(text, filename: filename)
            diagnostics += problems
            if case .template(let parsed) = template.kind, let inner = parsed.unwrappedInterpolation { return inner }
            return template
        case .array(let elements):
            return HCLExpression(
                .tuple(elements.map { expression(from: $0, filename: filename, diagnostics: &diagnostics) }))
        case .object(let members):
            return HCLExpression(
                .object(
                    members.map { key, member in
                        let (keyTemplate, problems) = HCLParser.parseTemplate(key, filename: filename)
                        diagnostics += problems
                        var keyExpression = keyTemplate
                        if case .template(let parsed) = keyTemplate.kind {
                            if let literal = parsed.literalValue, isIdentifier(literal) {
                                keyExpression = HCLExpression(.variable(literal))
                            } else if let inner = parsed.unwrappedInterpolation {
                                keyExpression = HCLExpression(.parenthesized(inner))
                            }
                        }
                        return ObjectItem(
                            key: keyExpression,
                            value: expression(from: member, filename: filename, diagnostics: &diagnostics))
                    }))
        }
    }
}
