/// Rewriting expressions: every sub-expression is offered to a transform, outermost first; where it answers with
/// a replacement that replacement is used as is, elsewhere the walk goes on into the parts. Used to rename
/// references (`aws_iam_role.this` → `aws_iam_role.api_this`) and to wire one part of a module to another
/// (`var.target_group_arn` → `aws_lb_target_group.alb.arn`).
extension HCLExpression {
    public func rewritten(_ transform: (HCLExpression) -> HCLExpression?) -> HCLExpression {
        if let replacement = transform(self) { return replacement }
        func walk(_ expression: HCLExpression) -> HCLExpression { expression.rewritten(transform) }
        let kind: Kind
        switch self.kind {
        case .number, .bool, .null, .variable, .invalid: return self
        case .template(let template): kind = .template(template.rewritten(transform))
        case .attribute(let base, let name): kind = .attribute(walk(base), name)
        case .index(let base, let key): kind = .index(walk(base), walk(key))
        case .legacyIndex(let base, let index): kind = .legacyIndex(walk(base), index)
        case .splat(let base, let full, let steps):
            kind = .splat(
                walk(base), full: full,
                steps: steps.map { step in
                    if case .index(let key) = step { return .index(walk(key)) }
                    return step
                })
        case .call(let name, let arguments, let expandFinal):
            kind = .call(name, arguments.map(walk), expandFinal: expandFinal)
        case .tuple(let elements): kind = .tuple(elements.map(walk))
        case .object(let items):
            kind = .object(
                items.map { ObjectItem(key: walk($0.key), value: walk($0.value), usesColon: $0.usesColon) })
        case .forExpression(var loop):
            loop.collection = walk(loop.collection)
            loop.keyExpression = loop.keyExpression.map(walk)
            loop.valueExpression = walk(loop.valueExpression)
            loop.condition = loop.condition.map(walk)
            kind = .forExpression(loop)
        case .unary(let op, let operand): kind = .unary(op, walk(operand))
        case .binary(let op, let left, let right): kind = .binary(op, walk(left), walk(right))
        case .conditional(let condition, let then, let otherwise):
            kind = .conditional(walk(condition), walk(then), walk(otherwise))
        case .parenthesized(let inner): kind = .parenthesized(walk(inner))
        }
        return HCLExpression(kind, range: range)
    }

    /// The dotted names at the root of a traversal (`aws_lb.this.arn` → `["aws_lb", "this", "arn"]`); nil when the
    /// expression is not a plain chain of names.
    public var traversalNames: [String]? {
        switch kind {
        case .variable(let name): return [name]
        case .attribute(let base, let name): return base.traversalNames.map { $0 + [name] }
        default: return nil
        }
    }
}

extension Template {
    func rewritten(_ transform: (HCLExpression) -> HCLExpression?) -> Template {
        Template(parts.map { $0.rewritten(transform) }, heredoc: heredoc)
    }
}

extension TemplatePart {
    func rewritten(_ transform: (HCLExpression) -> HCLExpression?) -> TemplatePart {
        switch self {
        case .literal: return self
        case .interpolation(let expression, let markers):
            return .interpolation(expression.rewritten(transform), markers)
        case .conditional(var conditional):
            conditional.condition = conditional.condition.rewritten(transform)
            conditional.then = conditional.then.map { $0.rewritten(transform) }
            conditional.otherwise = conditional.otherwise?.map { $0.rewritten(transform) }
            return .conditional(conditional)
        case .loop(var loop):
            loop.collection = loop.collection.rewritten(transform)
            loop.body = loop.body.map { $0.rewritten(transform) }
            return .loop(loop)
        }
    }
}

extension Body {
    /// The body with every attribute's value (and every nested block's) rewritten.
    public func rewritten(_ transform: (HCLExpression) -> HCLExpression?) -> Body {
        var body = self
        body.items = items.map { item in
            switch item {
            case .attribute(var attribute):
                attribute.value = attribute.value.rewritten(transform)
                return .attribute(attribute)
            case .block(let block): return .block(block.rewritten(transform))
            }
        }
        return body
    }
}

extension Block {
    /// The block with every expression in its body rewritten; type and labels stay.
    public func rewritten(_ transform: (HCLExpression) -> HCLExpression?) -> Block {
        var block = self
        block.body = body.rewritten(transform)
        return block
    }
}
