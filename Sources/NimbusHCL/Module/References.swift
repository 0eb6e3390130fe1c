/// A reference from one part of a module to another: `var.region`, `local.tags`, `aws_s3_bucket.logs`,
/// `data.aws_iam_policy_document.read`, `module.network`.
public struct Reference: Sendable, Hashable {
    /// The referenced object's address (`var.region`, `aws_s3_bucket.logs`).
    public var address: String
    /// Where the reference is written.
    public var range: SourceRange
    public var file: String
}

/// Names that are not references to objects of the module.
private let builtInRoots: Set<String> = ["each", "count", "self", "path", "terraform"]

extension Module {
    /// Every object's address and the references its expressions make, in file order.
    public var referenceGraph: [(from: String, references: [Reference])] {
        var graph: [(String, [Reference])] = []
        for variable in variables {
            // A variable's validations may refer to the variable itself; its type is not an expression.
            var references: [Reference] = []
            if let value = variable.defaultValue {
                references += Module.references(in: value, scope: [], file: variable.file)
            }
            for validation in variable.validations {
                references += Module.references(in: validation.condition, scope: [], file: variable.file)
                if let message = validation.message {
                    references += Module.references(in: message, scope: [], file: variable.file)
                }
            }
            graph.append(("var.\(variable.name)", references))
        }
        for local in locals {
            graph.append(("local.\(local.name)", Module.references(in: local.value, scope: [], file: local.file)))
        }
        for resource in resources {
            graph.append((resource.address, Module.references(in: resource.block.body, scope: [], file: resource.file)))
        }
        for call in moduleCalls {
            graph.append(("module.\(call.name)", Module.references(in: call.block.body, scope: [], file: call.file)))
        }
        for output in outputs {
            graph.append(
                ("output.\(output.name)", Module.references(in: output.block.body, scope: [], file: output.file)))
        }
        for provider in providers {
            let name = "provider.\(provider.name)" + (provider.alias.map { ".\($0)" } ?? "")
            graph.append((name, Module.references(in: provider.block.body, scope: [], file: provider.file)))
        }
        for item in imports {
            var references: [Reference] = []
            if let to = item.to { references += Module.references(in: to, scope: [], file: item.file) }
            if let id = item.id { references += Module.references(in: id, scope: [], file: item.file) }
            graph.append(("import", references))
        }
        return graph
    }

    /// References made by a block body, skipping what is not an expression (`provider`, `providers`,
    /// `lifecycle.ignore_changes`) and adding `dynamic` blocks' iterators to the scope.
    static func references(in body: Body, scope: Set<String>, file: String) -> [Reference] {
        var result: [Reference] = []
        for attribute in body.attributes where attribute.name != "provider" && attribute.name != "providers" {
            result += references(in: attribute.value, scope: scope, file: file)
        }
        for block in body.blocks {
            switch block.type {
            case "lifecycle":
                for attribute in block.body.attributes where attribute.name != "ignore_changes" {
                    result += references(in: attribute.value, scope: scope, file: file)
                }
                for inner in block.body.blocks { result += references(in: inner.body, scope: scope, file: file) }
            case "provisioner":
                // `when = destroy` and `on_failure = continue` are keywords, not references.
                for attribute in block.body.attributes where attribute.name != "when" && attribute.name != "on_failure"
                {
                    result += references(in: attribute.value, scope: scope, file: file)
                }
                for inner in block.body.blocks { result += references(in: inner.body, scope: scope, file: file) }
            case "dynamic":
                var iterator = block.labels.first ?? ""
                if let name = block.body.attribute("iterator"), case .variable(let given) = name.value.kind {
                    iterator = given
                }
                for attribute in block.body.attributes where attribute.name != "iterator" {
                    result += references(in: attribute.value, scope: scope, file: file)
                }
                for inner in block.body.blocks {
                    result += references(in: inner.body, scope: scope.union([iterator]), file: file)
                }
            default:
                result += references(in: block.body, scope: scope, file: file)
            }
        }
        return result
    }

    /// The root name and the attribute names right after it: `data.aws_ami.ubuntu.id` → ("data", [aws_ami, ubuntu, id]).
    static func traversal(_ expression: HCLExpression) -> (root: String, names: [String])? {
        switch expression.kind {
        case .variable(let name): return (name, [])
        case .attribute(let base, let name):
            guard var chain = traversal(base) else { return nil }
            chain.names.append(name)
            return chain
        case .index(let base, _), .legacyIndex(let base, _), .splat(let base, _, _):
            guard let chain = traversal(base) else { return nil }
            // Names after an index are attributes of the element, not part of the address.
            return (chain.root, chain.names + ["[]"])
        default: return nil
        }
    }

    /// The address a traversal refers to, or nil when it is not a reference to a module object.
    static func address(root: String, names: [String]) -> String? {
        let names = Array(names.prefix { $0 != "[]" })
        switch root {
        case "var", "local", "module":
            return names.first.map { "\(root).\($0)" } ?? root
        case "data":
            return names.count >= 2 ? "data.\(names[0]).\(names[1])" : "data"
        default:
            if builtInRoots.contains(root) { return nil }
            return names.first.map { "\(root).\($0)" } ?? root
        }
    }

    /// References in one expression; names bound by for-expressions are not references.
    static func references(in expression: HCLExpression, scope: Set<String>, file: String) -> [Reference] {
        var result: [Reference] = []
        collect(expression, scope: scope, file: file, depth: 0, into: &result)
        return result
    }

    private static func collect(
        _ expression: HCLExpression, scope: Set<String>, file: String, depth: Int, into result: inout [Reference]
    ) {
        guard depth < 512 else { return }
        func visit(_ inner: HCLExpression, _ scope: Set<String> = scope) {
            collect(inner, scope: scope, file: file, depth: depth + 1, into: &result)
        }
        func visitKeys(_ chain: HCLExpression) {
            switch chain.kind {
            case .attribute(let base, _), .legacyIndex(let base, _): visitKeys(base)
            case .index(let base, let key):
                visitKeys(base)
                visit(key)
            case .splat(let base, _, let steps):
                visitKeys(base)
                for case .index(let key) in steps { visit(key) }
            default: break
            }
        }
        switch expression.kind {
        case .variable, .attribute, .index, .legacyIndex, .splat:
            if let chain = traversal(expression) {
                if !scope.contains(chain.root), let address = address(root: chain.root, names: chain.names) {
                    result.append(Reference(address: address, range: expression.range, file: file))
                }
                visitKeys(expression)
                return
            }
            switch expression.kind {
            case .attribute(let base, _), .legacyIndex(let base, _): visit(base)
            case .index(let base, let key):
                visit(base)
                visit(key)
            case .splat(let base, _, let steps):
                visit(base)
                for case .index(let key) in steps { visit(key) }
            default: break
            }
        case .call(_, let arguments, _):
            for argument in arguments { visit(argument) }
        case .tuple(let elements):
            for element in elements { visit(element) }
        case .object(let items):
            for item in items {
                // A bare name as a key is a literal, not a reference.
                if case .variable = item.key.kind {} else { visit(item.key) }
                visit(item.value)
            }
        case .forExpression(let loop):
            visit(loop.collection)
            var inner = scope
            inner.insert(loop.valueVariable)
            if let key = loop.keyVariable { inner.insert(key) }
            if let key = loop.keyExpression { visit(key, inner) }
            visit(loop.valueExpression, inner)
            if let condition = loop.condition { visit(condition, inner) }
        case .unary(_, let operand):
            visit(operand)
        case .binary(_, let left, let right):
            visit(left)
            visit(right)
        case .conditional(let a, let b, let c):
            visit(a)
            visit(b)
            visit(c)
        case .parenthesized(let inner):
            visit(inner)
        case .template(let template):
            collect(template.parts, scope: scope, file: file, depth: depth + 1, into: &result)
        case .number, .bool, .null, .invalid:
            break
        }
    }

    private static func collect(
        _ parts: [TemplatePart], scope: Set<String>, file: String, depth: Int, into result: inout [Reference]
    ) {
        for part in parts {
            switch part {
            case .literal: break
            case .interpolation(let expression, _):
                collect(expression, scope: scope, file: file, depth: depth, into: &result)
            case .conditional(let conditional):
                collect(conditional.condition, scope: scope, file: file, depth: depth, into: &result)
                collect(conditional.then, scope: scope, file: file, depth: depth, into: &result)
                collect(conditional.otherwise ?? [], scope: scope, file: file, depth: depth, into: &result)
            case .loop(let loop):
                collect(loop.collection, scope: scope, file: file, depth: depth, into: &result)
                var inner = scope
                inner.insert(loop.valueVariable)
                if let key = loop.keyVariable { inner.insert(key) }
                collect(loop.body, scope: inner, file: file, depth: depth, into: &result)
            }
        }
    }
}
