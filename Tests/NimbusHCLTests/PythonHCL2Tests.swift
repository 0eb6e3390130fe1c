import Foundation
import NimbusHCL
import Testing

/// python-hcl2's fixtures: every HCL file parses, and our tree agrees with python-hcl2's JSON once its
/// conventions are undone (values as HCL source text, `"${…}"` for expressions, quoted labels, blocks as lists,
/// `__is_block__`/`__comments__`/`__start_line__` metadata).
@Suite(.enabled(if: Conformance.available, Comment(rawValue: Conformance.missing)))
struct PythonHCL2Tests {
    static let sources = Conformance.files(under: "python-hcl2", extensions: [".tf", ".tfvars", ".hcl2"])

    struct Pair: CustomTestStringConvertible, Sendable {
        var source: String
        var json: String
        var testDescription: String { "\(source) ~ \((json as NSString).lastPathComponent)" }
    }

    static let pairs: [Pair] = {
        var pairs: [Pair] = []
        let v7 = "python-hcl2/v7_test_helpers/"
        for source in sources where source.hasPrefix(v7 + "terraform-config/") {
            var name = (source as NSString).lastPathComponent
            name = name.replacingOccurrences(of: ".tfvars", with: ".json").replacingOccurrences(
                of: ".hcl2", with: ".json"
            )
            .replacingOccurrences(of: ".tf", with: ".json")
            pairs.append(Pair(source: source, json: v7 + "terraform-config-json/" + name))
        }
        pairs.append(Pair(source: v7 + "with-meta/data_sources.tf", json: v7 + "with-meta/data_sources.json"))
        let head = "python-hcl2/head_test_integration/"
        for source in sources where source.hasPrefix(head + "hcl2_original/") {
            let name = ((source as NSString).lastPathComponent as NSString).deletingPathExtension
            pairs.append(Pair(source: source, json: head + "json_serialized/\(name).json"))
        }
        for source in sources where source.hasPrefix(head + "hcl2_reconstructed/") {
            let name = ((source as NSString).lastPathComponent as NSString).deletingPathExtension
            pairs.append(Pair(source: source, json: head + "json_reserialized/\(name).json"))
        }
        for name in ["builder_basic", "comments", "operator_precedence", "template_directives"] {
            pairs.append(Pair(source: head + "specialized/\(name).tf", json: head + "specialized/\(name).json"))
        }
        pairs.append(Pair(source: head + "specialized/heredocs.tf", json: head + "specialized/heredocs_preserved.json"))
        return pairs.filter {
            FileManager.default.fileExists(atPath: Conformance.hcl.appendingPathComponent($0.json).path)
        }
    }()

    /// JSON files left out, and why.
    static let notCompared = [
        "heredocs_flattened.json: python-hcl2's lossy option that turns heredocs into one-line strings and drops "
            + "their final newline; heredocs_preserved.json is compared instead",
        "builder_basic_reparsed.json, builder_basic_reserialized.json, template_directives_reserialized.json: "
            + "outputs of python-hcl2's own builder and reconstructor with no .tf of their own",
    ]

    @Test("every python-hcl2 HCL fixture parses and round-trips", arguments: sources)
    func parses(_ name: String) throws {
        let (file, diagnostics) = HCLParser.parse(Conformance.bytes(name), filename: name)
        #expect(!diagnostics.hasErrors, "\(errors(diagnostics))")
        if !diagnostics.hasErrors { try checkRoundTrips(file) }
    }

    @Test("JSON agrees with python-hcl2's", arguments: pairs)
    func agrees(_ pair: Pair) throws {
        if let problem = try Self.compare(pair) { Issue.record(Comment(rawValue: problem)) }
    }

    @Test func summary() throws {
        let parsed = Self.sources.filter { !HCLParser.parse(Conformance.bytes($0)).diagnostics.hasErrors }.count
        let agreed = Self.pairs.filter { (try? Self.compare($0)) == .some(nil) }.count
        report("python-hcl2 fixtures parse", passed: parsed, total: Self.sources.count)
        report("python-hcl2 JSON agreement", passed: agreed, total: Self.pairs.count, skipped: Self.notCompared)
        #expect(parsed == Self.sources.count)
        #expect(agreed == Self.pairs.count)
    }

    static func compare(_ pair: Pair) throws -> String? {
        let (file, diagnostics) = HCLParser.parse(Conformance.bytes(pair.source), filename: pair.source)
        guard !diagnostics.hasErrors else { return "does not parse: \(errors(diagnostics))" }
        let json = try JSONDocument.parse(Conformance.text(pair.json))
        return compare(file.body, json, path: "", style: pair.json.contains("/v7_test_helpers/") ? .v7 : .head)
    }

    /// python-hcl2 7 writes strings as they evaluate and bare names as plain strings, and drops a heredoc's last
    /// newline; later versions write HCL source: quoted strings with their quotes, other expressions bare.
    enum Style { case v7, head }

    static func isMetadata(_ key: String) -> Bool { key.hasPrefix("__") && key.hasSuffix("__") }

    /// A label or key as python-hcl2 wrote it: plain, or quoted HCL source (`"\"web\""`).
    static func unquote(_ key: String) -> String {
        guard key.count >= 2, key.hasPrefix("\""), key.hasSuffix("\"") else { return key }
        let (expression, diagnostics) = HCLParser.parseExpression(key)
        if !diagnostics.hasErrors, case .template(let template) = expression.kind, let literal = template.literalValue {
            return literal
        }
        return key
    }

    static func compare(_ body: Body, _ json: JSONDocument, path: String, style: Style) -> String? {
        guard case .object(let members) = json else { return "\(path): python-hcl2 has \(json), not a body" }
        var theirs: [String: JSONDocument] = [:]
        for (key, value) in members where !isMetadata(key) { theirs[key] = value }
        for attribute in body.attributes {
            guard let value = theirs.removeValue(forKey: attribute.name) else {
                return "\(path)\(attribute.name): missing in python-hcl2's JSON"
            }
            let mine = canonical(attribute.value, style: style, mine: true)
            let other = canonical(expression(from: value, style: style), style: style, mine: false)
            if mine != other { return "\(path)\(attribute.name): we have \(mine), python-hcl2 \(other)" }
        }
        var types: [String] = []
        for block in body.blocks where !types.contains(block.type) { types.append(block.type) }
        for type in types {
            let blocks = body.blocks(type)
            guard case .array(let elements)? = theirs.removeValue(forKey: type), elements.count == blocks.count else {
                return "\(path)\(type): python-hcl2 does not have \(blocks.count) such blocks"
            }
            for (block, element) in zip(blocks, elements) {
                var current = element
                for label in block.labels {
                    guard case .object(let labelled) = current,
                        let next = labelled.first(where: { !isMetadata($0.0) && unquote($0.0) == label })?.1
                    else { return "\(path)\(type): no label \"\(label)\" in python-hcl2's JSON" }
                    current = next
                }
                let inner = path + type + "." + block.labels.joined(separator: ".") + "."
                if let problem = compare(block.body, current, path: inner, style: style) {
                    return problem
                }
            }
        }
        if let extra = theirs.keys.sorted().first { return "\(path)\(extra): only in python-hcl2's JSON" }
        return nil
    }

    /// The expression python-hcl2's JSON value stands for.
    static func expression(from json: JSONDocument, style: Style) -> HCLExpression {
        func expression(from json: JSONDocument) -> HCLExpression { Self.expression(from: json, style: style) }
        switch json {
        case .null: return HCLExpression(.null)
        case .bool(let flag): return HCLExpression(.bool(flag))
        case .number(let text): return HCLExpression(.number(text))
        case .array(let elements): return HCLExpression(.tuple(elements.map(expression(from:))))
        case .object(let members):
            return HCLExpression(
                .object(
                    members.filter { !isMetadata($0.0) }.map { key, value in
                        var keyExpression = expression(from: .string(key))
                        if case .template(let template) = keyExpression.kind, let literal = template.literalValue {
                            keyExpression = HCLExpression(.variable(literal))
                        }
                        return ObjectItem(key: keyExpression, value: expression(from: value))
                    }))
        case .string(let text):
            // Newer python-hcl2 writes string values as HCL source, quotes included.
            if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
                let inner = String(text.dropFirst().dropLast())
                if inner.hasPrefix("<<") {
                    let (heredoc, diagnostics) = HCLParser.parseExpression(inner + "\n")
                    if !diagnostics.hasErrors { return heredoc }
                }
                let (quoted, diagnostics) = HCLParser.parseExpression(text)
                if !diagnostics.hasErrors { return quoted }
            }
            let (template, _) = HCLParser.parseTemplate(text)
            if case .template(let parsed) = template.kind, let inner = parsed.unwrappedInterpolation { return inner }
            if style == .head {
                let (source, diagnostics) = HCLParser.parseExpression(text)
                if !diagnostics.hasErrors { return source }
            }
            return template
        }
    }

    /// The expression with what python-hcl2 does not keep removed: parentheses, number spelling, the difference
    /// between a bare and a quoted object key, and `-` applied to a number literal.
    static func canonical(_ expression: HCLExpression, style: Style, mine: Bool) -> String {
        var expression = expression
        if style == .v7, mine {
            if case .variable(let name) = expression.kind {
                expression = HCLExpression(.template(Template([.literal(name)])))
            }
            if case .template(var template) = expression.kind, template.heredoc != nil,
                case .literal(let text)? = template.parts.last, text.hasSuffix("\n")
            {
                template.parts[template.parts.count - 1] = .literal(String(text.dropLast()))
                if text == "\n" { template.parts.removeLast() }
                expression = HCLExpression(.template(template))
            }
        }
        if style == .v7, mine { expression = bareNamesAsStrings(expression) }
        return normalized(expression).structure
    }

    /// python-hcl2 7 writes a bare name that is an object's value, inside a function call, as a quoted string.
    static func bareNamesAsStrings(_ expression: HCLExpression, inCall: Bool = false) -> HCLExpression {
        switch expression.kind {
        case .object(let items) where inCall:
            return HCLExpression(
                .object(
                    items.map { item in
                        if case .variable(let name) = item.value.kind {
                            return ObjectItem(
                                key: item.key, value: HCLExpression(.template(Template([.literal(name)]))))
                        }
                        return ObjectItem(key: item.key, value: bareNamesAsStrings(item.value, inCall: true))
                    }))
        case .call(let name, let arguments, let expand):
            return HCLExpression(
                .call(name, arguments.map { bareNamesAsStrings($0, inCall: true) }, expandFinal: expand))
        default: return expression
        }
    }

    /// A key written as a reference (`aws.ue1`, in a module's providers map) or a number, as its text.
    static func keyText(_ key: HCLExpression) -> String? {
        switch key.kind {
        case .variable(let name): return name
        case .number(let text): return text
        case .attribute(let base, let name): return keyText(base).map { $0 + "." + name }
        default: return nil
        }
    }

    static func normalized(_ expression: HCLExpression) -> HCLExpression {
        func n(_ e: HCLExpression) -> HCLExpression { normalized(e) }
        switch expression.kind {
        case .parenthesized(let inner): return n(inner)
        case .number(let text): return HCLExpression(.number(Number(text)?.description ?? text))
        case .unary(.negate, let operand):
            if case .number(let text) = n(operand).kind, let number = Number(text) {
                return HCLExpression(.number((-number).description))
            }
            return HCLExpression(.unary(.negate, n(operand)))
        case .unary(let operation, let operand): return HCLExpression(.unary(operation, n(operand)))
        case .binary(let operation, let a, let b): return HCLExpression(.binary(operation, n(a), n(b)))
        case .conditional(let a, let b, let c): return HCLExpression(.conditional(n(a), n(b), n(c)))
        case .tuple(let elements): return HCLExpression(.tuple(elements.map(n)))
        case .object(let items):
            return HCLExpression(
                .object(
                    items.map { item in
                        var key = n(item.key)
                        if let literal = item.literalKey ?? keyText(item.key) {
                            key = HCLExpression(.variable(literal))
                        }
                        return ObjectItem(key: key, value: n(item.value))
                    }))
        case .call(let name, let arguments, let expand):
            return HCLExpression(.call(name, arguments.map(n), expandFinal: expand))
        case .attribute(let base, let name): return HCLExpression(.attribute(n(base), name))
        case .index(let base, let key): return HCLExpression(.index(n(base), n(key)))
        case .legacyIndex(let base, let index):
            return HCLExpression(.index(n(base), HCLExpression(.number("\(index)"))))
        case .splat(let base, let full, let steps):
            return HCLExpression(
                .splat(
                    n(base), full: full,
                    steps: steps.map { step in
                        if case .index(let key) = step { return .index(n(key)) }
                        return step
                    }))
        case .forExpression(var loop):
            loop.collection = n(loop.collection)
            loop.keyExpression = loop.keyExpression.map(n)
            loop.valueExpression = n(loop.valueExpression)
            loop.condition = loop.condition.map(n)
            return HCLExpression(.forExpression(loop))
        case .template(var template):
            if let inner = template.unwrappedInterpolation { return n(inner) }
            template.parts = normalizedParts(template.parts)
            template.heredoc = nil
            return HCLExpression(.template(template))
        default: return expression
        }
    }

    static func normalizedParts(_ parts: [TemplatePart]) -> [TemplatePart] {
        parts.map { part in
            switch part {
            case .interpolation(let expression, _): return .interpolation(normalized(expression), .none)
            case .conditional(var conditional):
                conditional.condition = normalized(conditional.condition)
                conditional.then = normalizedParts(conditional.then)
                conditional.otherwise = conditional.otherwise.map(normalizedParts)
                conditional.ifMarkers = .none
                conditional.elseMarkers = .none
                conditional.endMarkers = .none
                return .conditional(conditional)
            case .loop(var loop):
                loop.collection = normalized(loop.collection)
                loop.body = normalizedParts(loop.body)
                loop.forMarkers = .none
                loop.endMarkers = .none
                return .loop(loop)
            case .literal: return part
            }
        }
    }
}
