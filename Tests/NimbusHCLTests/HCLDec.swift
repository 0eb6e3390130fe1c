import NimbusHCL

/// A small version of HashiCorp's `hcldec`: decodes a body with a spec written in HCL (literal, object, attr,
/// block, block_list, block_map), as the spec suite's `.hcldec` files describe.
struct HCLDecSpec {
    indirect enum Node {
        case literal(HCLExpression)
        case object([(String, Node)])
        case attribute(name: String, type: ValueType, required: Bool)
        case block(type: String, Node)
        case blockList(type: String, Node)
        case blockMap(type: String, labels: [String], Node)
    }

    var root: Node
    var variables: [String: Value]

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(_ body: Body) throws {
        var variables: [String: Value] = [:]
        var root: Node?
        for block in body.blocks {
            if block.type == "variables" {
                for attribute in block.body.attributes {
                    variables[attribute.name] = try Evaluator().evaluate(attribute.value)
                }
            } else {
                root = try Self.node(block, name: nil)
            }
        }
        guard let root else { throw Failure(description: "the spec has no root") }
        self.root = root
        self.variables = variables
    }

    static func node(_ block: Block, name: String?) throws -> Node {
        let body = block.body
        let label = block.labels.first ?? name ?? ""
        func nested() throws -> Node {
            guard let inner = body.blocks.first else { return .object([]) }
            return try node(inner, name: nil)
        }
        func literalString(_ attribute: String) -> String? {
            guard case .template(let template)? = body.attribute(attribute)?.value.kind else { return nil }
            return template.literalValue
        }
        switch block.type {
        case "literal":
            guard let value = body.attribute("value") else { throw Failure(description: "literal without value") }
            return .literal(value.value)
        case "object":
            return .object(
                try body.blocks.map { child in
                    (child.labels.first ?? literalString("name") ?? "", try node(child, name: nil))
                })
        case "attr":
            let type: ValueType
            if let expression = body.attribute("type")?.value {
                type = try ValueType.constraint(expression).get()
            } else {
                type = .any
            }
            var required = false
            if case .bool(true)? = body.attribute("required")?.value.kind { required = true }
            return .attribute(name: literalString("name") ?? label, type: type, required: required)
        case "block":
            return .block(type: literalString("block_type") ?? label, try nested())
        case "block_list":
            return .blockList(type: literalString("block_type") ?? label, try nested())
        case "block_map":
            var labels: [String] = []
            if case .tuple(let elements)? = body.attribute("labels")?.value.kind {
                labels = elements.compactMap { if case .template(let t) = $0.kind { t.literalValue } else { nil } }
            }
            return .blockMap(type: literalString("block_type") ?? label, labels: labels, try nested())
        default:
            throw Failure(description: "unsupported spec block \(block.type)")
        }
    }

    /// Decodes `body`; problems are collected as diagnostics, as hcldec reports them.
    func decode(_ body: Body, diagnostics: inout [Diagnostic]) -> Value {
        decode(root, body, diagnostics: &diagnostics)
    }

    private func decode(_ node: Node, _ body: Body, diagnostics: inout [Diagnostic]) -> Value {
        switch node {
        case .literal(let expression):
            return (try? Evaluator(variables: variables).evaluate(expression)) ?? .null(.any)
        case .object(let children):
            var attributes = Set<String>()
            var blocks = Set<String>()
            for (_, child) in children {
                switch child {
                case .attribute(let name, _, _): attributes.insert(name)
                case .block(let type, _), .blockList(let type, _), .blockMap(let type, _, _): blocks.insert(type)
                default: break
                }
            }
            for attribute in body.attributes where !attributes.contains(attribute.name) {
                diagnostics.append(
                    Diagnostic(
                        .error, summary: "Unsupported argument",
                        detail: "An argument named \"\(attribute.name)\" is not expected here.",
                        range: attribute.nameRange))
            }
            for block in body.blocks where !blocks.contains(block.type) {
                diagnostics.append(
                    Diagnostic(
                        .error, summary: "Unsupported block type",
                        detail: "Blocks of type \"\(block.type)\" are not expected here.", range: block.typeRange))
            }
            var members: [String: Value] = [:]
            for (name, child) in children { members[name] = decode(child, body, diagnostics: &diagnostics) }
            return .object(members)
        case .attribute(let name, let type, let required):
            guard let attribute = body.attribute(name) else {
                if required {
                    diagnostics.append(
                        Diagnostic(
                            .error, summary: "Missing required argument",
                            detail: "The argument \"\(name)\" is required.", range: body.range))
                }
                return .null(type)
            }
            do {
                let value = try Evaluator(variables: variables).evaluate(attribute.value)
                return try value.converted(to: type)
            } catch let error as EvaluationError {
                diagnostics.append(error.diagnostic)
            } catch {
                diagnostics.append(
                    Diagnostic(
                        .error, summary: "Incorrect attribute value type", detail: "\(error)",
                        range: attribute.value.range))
            }
            return .null(type)
        case .block(let type, let inner):
            let matching = body.blocks(type)
            guard let first = matching.first else { return .null(.any) }
            if matching.count > 1 {
                diagnostics.append(
                    Diagnostic(
                        .error, summary: "Duplicate \(type) block", detail: "Only one \(type) block is allowed.",
                        range: matching[1].typeRange))
            }
            return decode(inner, first.body, diagnostics: &diagnostics)
        case .blockList(let type, let inner):
            return .tuple(body.blocks(type).map { decode(inner, $0.body, diagnostics: &diagnostics) })
        case .blockMap(let type, let labels, let inner):
            var result: [String: Value] = [:]
            for block in body.blocks(type) {
                guard block.labels.count == labels.count else {
                    diagnostics.append(
                        Diagnostic(
                            .error, summary: "Wrong number of labels",
                            detail: "A \(type) block needs \(labels.count) labels.", range: block.typeRange))
                    continue
                }
                let value = decode(inner, block.body, diagnostics: &diagnostics)
                insert(value, at: block.labels, into: &result)
            }
            return .object(result)
        }
    }

    private func insert(_ value: Value, at labels: [String], into members: inout [String: Value]) {
        guard let first = labels.first else { return }
        if labels.count == 1 {
            members[first] = value
            return
        }
        var inner = members[first]?.members ?? [:]
        insert(value, at: Array(labels.dropFirst()), into: &inner)
        members[first] = .object(inner)
    }
}
