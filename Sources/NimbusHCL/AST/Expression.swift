/// An HCL expression: what an attribute's value, an argument or an interpolation is made of.
///
/// Two expressions are equal when they have the same structure and values; where they came from
/// (``range``) does not count, so a printed and re-parsed expression equals the original.
public struct HCLExpression: Sendable, Hashable {
    public var kind: Kind
    public var range: SourceRange

    public init(_ kind: Kind, range: SourceRange = .none) {
        self.kind = kind
        self.range = range
    }

    /// What kind of expression this is, with its parts.
    // Only the cases that hold an expression directly are boxed, so leaves (names, numbers, strings) cost no
    // allocation of their own.
    public enum Kind: Sendable, Hashable {
        /// A number as written (`5`, `3.14`, `1e-3`).
        case number(String)
        case bool(Bool)
        case null
        /// A quoted string or heredoc, possibly with interpolations and directives.
        case template(Template)
        /// A bare name: `var`, `local`, `each`, a for-expression variable.
        case variable(String)
        /// `object.name`
        indirect case attribute(HCLExpression, String)
        /// `collection[key]`
        indirect case index(HCLExpression, HCLExpression)
        /// `list.0`, the legacy index form kept for old configurations.
        indirect case legacyIndex(HCLExpression, Int)
        /// `list.*.name` (attribute-only) or `list[*].name[0]` (full), with the steps applied to each element.
        indirect case splat(HCLExpression, full: Bool, steps: [TraversalStep])
        /// `name(arguments)`; `expandFinal` when the last argument is followed by `...`.
        /// Provider functions keep their full name (`provider::time::rfc3339_parse`).
        case call(String, [HCLExpression], expandFinal: Bool)
        case tuple([HCLExpression])
        case object([ObjectItem])
        indirect case forExpression(ForExpression)
        indirect case unary(UnaryOperator, HCLExpression)
        indirect case binary(BinaryOperator, HCLExpression, HCLExpression)
        indirect case conditional(HCLExpression, HCLExpression, HCLExpression)
        indirect case parenthesized(HCLExpression)
        /// Stands in for an expression that could not be parsed; a diagnostic says why.
        case invalid
    }

    public static func == (lhs: HCLExpression, rhs: HCLExpression) -> Bool { lhs.kind == rhs.kind }
    public func hash(into hasher: inout Hasher) { hasher.combine(kind) }
}

/// One step after a splat operator.
public enum TraversalStep: Sendable, Hashable {
    case attribute(String)
    case index(HCLExpression)
    case legacyIndex(Int)
}

/// One `key = value` element of an object constructor.
public struct ObjectItem: Sendable, Hashable {
    /// The key: a bare identifier is a literal name (`{ name = 1 }`); anything else is an expression.
    public var key: HCLExpression
    public var value: HCLExpression
    /// Written with `:` instead of `=`; kept for printing only.
    public var usesColon: Bool

    public init(key: HCLExpression, value: HCLExpression, usesColon: Bool = false) {
        self.key = key
        self.value = value
        self.usesColon = usesColon
    }

    public static func == (lhs: ObjectItem, rhs: ObjectItem) -> Bool { lhs.key == rhs.key && lhs.value == rhs.value }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(key)
        hasher.combine(value)
    }

    /// The literal name when the key is a bare identifier or a plain quoted string.
    public var literalKey: String? {
        switch key.kind {
        case .variable(let name): return name
        case .template(let template): return template.literalValue
        default: return nil
        }
    }
}

/// `[for k, v in collection : value if condition]` or `{for k, v in collection : key => value... if condition}`.
public struct ForExpression: Sendable, Hashable {
    public var keyVariable: String?
    public var valueVariable: String
    public var collection: HCLExpression
    /// The key expression of an object for-expression; `nil` for a tuple for-expression.
    public var keyExpression: HCLExpression?
    public var valueExpression: HCLExpression
    /// `...` after the value: group values with the same key into tuples.
    public var grouping: Bool
    public var condition: HCLExpression?

    public init(
        keyVariable: String? = nil, valueVariable: String, collection: HCLExpression,
        keyExpression: HCLExpression? = nil,
        valueExpression: HCLExpression, grouping: Bool = false, condition: HCLExpression? = nil
    ) {
        self.keyVariable = keyVariable
        self.valueVariable = valueVariable
        self.collection = collection
        self.keyExpression = keyExpression
        self.valueExpression = valueExpression
        self.grouping = grouping
        self.condition = condition
    }

    public var producesObject: Bool { keyExpression != nil }
}

/// `-x` and `!x`.
public enum UnaryOperator: String, Sendable, Hashable {
    case negate = "-"
    case not = "!"
}

/// The binary operators, with the precedence levels of the HCL specification.
public enum BinaryOperator: String, Sendable, Hashable, CaseIterable {
    case multiply = "*"
    case divide = "/"
    case modulo = "%"
    case add = "+"
    case subtract = "-"
    case greater = ">"
    case greaterOrEqual = ">="
    case less = "<"
    case lessOrEqual = "<="
    case equal = "=="
    case notEqual = "!="
    case and = "&&"
    case or = "||"

    /// Higher binds tighter: 6 for `* / %` down to 1 for `||`.
    public var precedence: Int {
        switch self {
        case .multiply, .divide, .modulo: 6
        case .add, .subtract: 5
        case .greater, .greaterOrEqual, .less, .lessOrEqual: 4
        case .equal, .notEqual: 3
        case .and: 2
        case .or: 1
        }
    }
}

/// A string template: a quoted string or a heredoc made of literal text, interpolations and directives.
public struct Template: Sendable, Hashable {
    public var parts: [TemplatePart]
    /// Set for heredocs: the marker and whether it was `<<-` (indentation removed).
    public var heredoc: Heredoc?

    public init(_ parts: [TemplatePart], heredoc: Heredoc? = nil) {
        self.parts = parts
        self.heredoc = heredoc
    }

    /// Equal when the parts are: a heredoc and a quoted string with the same text are the same value.
    public static func == (lhs: Template, rhs: Template) -> Bool { lhs.parts == rhs.parts }
    public func hash(into hasher: inout Hasher) { hasher.combine(parts) }

    /// How a heredoc was introduced.
    public struct Heredoc: Sendable, Hashable {
        public var marker: String
        public var flush: Bool
        public init(marker: String, flush: Bool) {
            self.marker = marker
            self.flush = flush
        }
    }

    /// The string when the template is only literal text.
    public var literalValue: String? {
        if parts.isEmpty { return "" }
        var result = ""
        for part in parts {
            guard case .literal(let text) = part else { return nil }
            result += text
        }
        return result
    }

    /// The expression when the template is exactly one interpolation (`"${x}"`), which evaluates unwrapped.
    public var unwrappedInterpolation: HCLExpression? {
        guard parts.count == 1, case .interpolation(let expression, _) = parts[0] else { return nil }
        return expression
    }
}

/// Whether a template sequence has `~` strip markers: `${~` strips before, `~}` strips after.
public struct StripMarkers: Sendable, Hashable {
    public var before: Bool
    public var after: Bool
    public init(before: Bool = false, after: Bool = false) {
        self.before = before
        self.after = after
    }
    public static let none = StripMarkers()
}

/// One piece of a template.
public enum TemplatePart: Sendable, Hashable {
    /// Literal text, escapes decoded and strip markers applied.
    case literal(String)
    case interpolation(HCLExpression, StripMarkers)
    /// `%{ if cond }…%{ else }…%{ endif }`; the markers are for the if, else (if any) and endif sequences.
    case conditional(TemplateConditional)
    /// `%{ for k, v in collection }…%{ endfor }`
    case loop(TemplateLoop)
}

/// A template `if` directive.
public struct TemplateConditional: Sendable, Hashable {
    public var condition: HCLExpression
    public var then: [TemplatePart]
    public var otherwise: [TemplatePart]?
    public var ifMarkers: StripMarkers
    public var elseMarkers: StripMarkers
    public var endMarkers: StripMarkers

    public init(
        condition: HCLExpression, then: [TemplatePart], otherwise: [TemplatePart]? = nil,
        ifMarkers: StripMarkers = .none, elseMarkers: StripMarkers = .none, endMarkers: StripMarkers = .none
    ) {
        self.condition = condition
        self.then = then
        self.otherwise = otherwise
        self.ifMarkers = ifMarkers
        self.elseMarkers = elseMarkers
        self.endMarkers = endMarkers
    }
}

/// A template `for` directive.
public struct TemplateLoop: Sendable, Hashable {
    public var keyVariable: String?
    public var valueVariable: String
    public var collection: HCLExpression
    public var body: [TemplatePart]
    public var forMarkers: StripMarkers
    public var endMarkers: StripMarkers

    public init(
        keyVariable: String? = nil, valueVariable: String, collection: HCLExpression, body: [TemplatePart],
        forMarkers: StripMarkers = .none, endMarkers: StripMarkers = .none
    ) {
        self.keyVariable = keyVariable
        self.valueVariable = valueVariable
        self.collection = collection
        self.body = body
        self.forMarkers = forMarkers
        self.endMarkers = endMarkers
    }
}
