/// Why the builder refused a name: it is not an HCL identifier.
public struct BuilderError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    static func invalidName(_ name: String, as what: String) -> BuilderError {
        BuilderError(
            message: "'\(name)' cannot be \(what): use letters, digits, '_' and '-', starting with a letter or '_'")
    }
}

func checkedName(_ name: String, as what: String) throws(BuilderError) -> String {
    guard isIdentifier(name) else { throw BuilderError.invalidName(name, as: what) }
    return name
}

/// Collects attributes and blocks for ``Body/init(_:)`` and ``Block/init(_:_:comments:content:)``.
@resultBuilder
public enum BodyBuilder {
    public static func buildExpression(_ attribute: Attribute) -> [BodyItem] { [.attribute(attribute)] }
    public static func buildExpression(_ block: Block) -> [BodyItem] { [.block(block)] }
    public static func buildExpression(_ items: [BodyItem]) -> [BodyItem] { items }
    public static func buildBlock(_ parts: [BodyItem]...) -> [BodyItem] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [BodyItem]?) -> [BodyItem] { part ?? [] }
    public static func buildEither(first: [BodyItem]) -> [BodyItem] { first }
    public static func buildEither(second: [BodyItem]) -> [BodyItem] { second }
    public static func buildArray(_ parts: [[BodyItem]]) -> [BodyItem] { parts.flatMap { $0 } }
}

extension Body {
    /// A body built from attributes and blocks:
    ///
    /// ```swift
    /// let file = try Body {
    ///     try Block("resource", "aws_s3_bucket", "this") {
    ///         try Attribute("bucket", .reference("var.bucket_name"))
    ///     }
    /// }
    /// print(Printer.print(file))
    /// ```
    public init(@BodyBuilder _ content: () throws -> [BodyItem]) rethrows {
        self.init(try content())
    }
}

extension Block {
    /// A block with a checked type; labels may be any text (they are printed quoted). Throws ``BuilderError``
    /// for a bad type, or what `content` throws.
    public init(
        _ type: String, _ labels: String..., comments: [String] = [],
        @BodyBuilder content: () throws -> [BodyItem] = { [] }
    ) throws {
        self.init(
            type: try checkedName(type, as: "a block type"), labels: labels, body: Body(try content()),
            leadingComments: comments.map(commentLine))
    }
}

extension Attribute {
    /// An attribute with a checked name.
    public init(_ name: String, _ value: HCLExpression, comments: [String] = []) throws(BuilderError) {
        self.init(
            name: try checkedName(name, as: "an attribute name"), value: value,
            leadingComments: comments.map(commentLine))
    }
}

/// `# text` for each line of a comment given as plain text.
func commentLine(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { "# " + $0 }.joined(separator: "\n")
        .replacingOccurrences(of: "\r", with: "")
}

/// A piece of a built template: literal text or an interpolated expression.
public enum TemplatePiece: Sendable, ExpressibleByStringInterpolation {
    case text(String)
    case value(HCLExpression)
    public init(stringLiteral value: String) { self = .text(value) }
    /// Swift interpolation inside a piece is literal text: `"-\(suffix)"` is the text `-logs`, not an HCL expression.
    public init(stringInterpolation: DefaultStringInterpolation) {
        self = .text(String(stringInterpolation: stringInterpolation))
    }
}

extension HCLExpression {
    /// A string, escaped as needed when printed (`${` becomes `$${`).
    public static func string(_ value: String) -> HCLExpression {
        HCLExpression(.template(Template([.literal(value)])))
    }

    /// Text printed as a heredoc when it ends with a newline, otherwise as a quoted string.
    public static func heredoc(_ value: String, marker: String = "EOT") -> HCLExpression {
        HCLExpression(.template(Template([.literal(value)], heredoc: Template.Heredoc(marker: marker, flush: false))))
    }

    public static func number(_ value: Int) -> HCLExpression {
        value < 0
            ? HCLExpression(.unary(.negate, HCLExpression(.number(String(value.magnitude)))))
            : HCLExpression(.number(String(value)))
    }

    /// A number; infinities and NaN have no HCL spelling and are refused.
    public static func number(_ value: Double) throws(BuilderError) -> HCLExpression {
        guard value.isFinite else { throw BuilderError(message: "\(value) is not a finite number") }
        // The shortest text that reads back as the same Double, as people write numbers.
        var text = value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text.hasPrefix("-")
            ? HCLExpression(.unary(.negate, HCLExpression(.number(String(text.dropFirst())))))
            : HCLExpression(.number(text))
    }

    public static func bool(_ value: Bool) -> HCLExpression { HCLExpression(.bool(value)) }
    public static var null: HCLExpression { HCLExpression(.null) }

    public static func list(_ elements: [HCLExpression]) -> HCLExpression { HCLExpression(.tuple(elements)) }

    /// An object; keys that are not identifiers are quoted.
    public static func object(_ members: [(String, HCLExpression)]) -> HCLExpression {
        HCLExpression(
            .object(
                members.map { key, value in
                    ObjectItem(key: isIdentifier(key) ? HCLExpression(.variable(key)) : .string(key), value: value)
                }))
    }

    /// An object with keys in sorted order.
    public static func object(_ members: [String: HCLExpression]) -> HCLExpression {
        object(members.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// A reference such as `var.region`, `aws_s3_bucket.this.arn` or `each.value`; every part is checked.
    public static func reference(_ path: String) throws(BuilderError) -> HCLExpression {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var expression = HCLExpression(.variable(try checkedName(parts[0], as: "a reference")))
        for part in parts.dropFirst() {
            if let index = Int(part), index >= 0 {
                expression = HCLExpression(.index(expression, .number(index)))
            } else {
                expression = HCLExpression(
                    .attribute(expression, try checkedName(part, as: "an attribute in a reference")))
            }
        }
        return expression
    }

    /// A function call; provider functions (`provider::time::rfc3339_parse`) are allowed.
    public static func call(
        _ name: String, _ arguments: HCLExpression..., expandingLast: Bool = false
    )
        throws(BuilderError) -> HCLExpression
    {
        for part in name.components(separatedBy: "::") { _ = try checkedName(part, as: "a function name") }
        return HCLExpression(.call(name, arguments, expandFinal: expandingLast && !arguments.isEmpty))
    }

    /// `"text ${expression} text"`
    public static func template(_ pieces: TemplatePiece...) -> HCLExpression { template(pieces) }

    /// `"text ${expression} text"`, from pieces built in a loop.
    public static func template(_ pieces: [TemplatePiece]) -> HCLExpression {
        HCLExpression(
            .template(
                Template(
                    pieces.map { piece in
                        switch piece {
                        case .text(let text): .literal(text)
                        case .value(let value): .interpolation(value, .none)
                        }
                    })))
    }

    /// `base.name`
    public func attribute(_ name: String) throws(BuilderError) -> HCLExpression {
        HCLExpression(.attribute(asTerm, try checkedName(name, as: "an attribute name")))
    }

    /// `base[key]`
    public func index(_ key: HCLExpression) -> HCLExpression { HCLExpression(.index(asTerm, key)) }

    /// `base[*].name…`
    public func splat(_ names: String...) throws(BuilderError) -> HCLExpression {
        var steps: [TraversalStep] = []
        for name in names { steps.append(.attribute(try checkedName(name, as: "an attribute name"))) }
        return HCLExpression(.splat(asTerm, full: true, steps: steps))
    }

    /// `condition ? then : otherwise`
    public static func conditional(
        _ condition: HCLExpression, _ then: HCLExpression, _ otherwise: HCLExpression
    )
        -> HCLExpression
    {
        let wrap: (HCLExpression) -> HCLExpression = { expression in
            if case .conditional = expression.kind { return HCLExpression(.parenthesized(expression)) }
            return expression
        }
        return HCLExpression(.conditional(wrap(condition), wrap(then), otherwise))
    }

    /// `[for value in collection : element if condition]`; `key` names the index or key variable.
    public static func forList(
        _ value: String, key: String? = nil, in collection: HCLExpression, yield element: HCLExpression,
        where condition: HCLExpression? = nil
    ) throws(BuilderError) -> HCLExpression {
        HCLExpression(
            .forExpression(
                ForExpression(
                    keyVariable: try key.map { (name: String) throws(BuilderError) in
                        try checkedName(name, as: "a variable")
                    },
                    valueVariable: try checkedName(value, as: "a variable"), collection: collection,
                    valueExpression: element, condition: condition)))
    }

    /// `{for key, value in collection : keyExpression => valueExpression if condition}`
    public static func forObject(
        key: String, value: String, in collection: HCLExpression, yieldKey keyExpression: HCLExpression,
        value valueExpression: HCLExpression, grouping: Bool = false, where condition: HCLExpression? = nil
    ) throws(BuilderError) -> HCLExpression {
        HCLExpression(
            .forExpression(
                ForExpression(
                    keyVariable: try checkedName(key, as: "a variable"),
                    valueVariable: try checkedName(value, as: "a variable"),
                    collection: collection, keyExpression: keyExpression, valueExpression: valueExpression,
                    grouping: grouping, condition: condition)))
    }

    /// `left op right`, with parentheses added where precedence needs them.
    public static func binary(
        _ operation: BinaryOperator, _ left: HCLExpression, _ right: HCLExpression
    ) -> HCLExpression {
        func wrap(_ operand: HCLExpression, right: Bool) -> HCLExpression {
            switch operand.kind {
            case .binary(let inner, _, _):
                if inner.precedence < operation.precedence || (right && inner.precedence == operation.precedence) {
                    return HCLExpression(.parenthesized(operand))
                }
                return operand
            case .conditional: return HCLExpression(.parenthesized(operand))
            default: return operand
            }
        }
        return HCLExpression(.binary(operation, wrap(left, right: false), wrap(right, right: true)))
    }

    /// `-x` or `!x`
    public static func unary(_ operation: UnaryOperator, _ operand: HCLExpression) -> HCLExpression {
        HCLExpression(.unary(operation, operand.asTerm))
    }

    public static func + (lhs: HCLExpression, rhs: HCLExpression) -> HCLExpression { binary(.add, lhs, rhs) }
    public static func - (lhs: HCLExpression, rhs: HCLExpression) -> HCLExpression { binary(.subtract, lhs, rhs) }
    public static func * (lhs: HCLExpression, rhs: HCLExpression) -> HCLExpression { binary(.multiply, lhs, rhs) }
    public static func / (lhs: HCLExpression, rhs: HCLExpression) -> HCLExpression { binary(.divide, lhs, rhs) }
    public static func && (lhs: HCLExpression, rhs: HCLExpression) -> HCLExpression { binary(.and, lhs, rhs) }
    public static func || (lhs: HCLExpression, rhs: HCLExpression) -> HCLExpression { binary(.or, lhs, rhs) }
    public static prefix func ! (operand: HCLExpression) -> HCLExpression { unary(.not, operand) }

    /// The expression in parentheses when it is an operation, so a postfix or unary operator binds to all of it.
    var asTerm: HCLExpression {
        switch kind {
        case .binary, .unary, .conditional: HCLExpression(.parenthesized(self))
        default: self
        }
    }
}
