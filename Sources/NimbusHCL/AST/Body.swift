/// A parsed or built HCL file: its body, and for parsed files the source and tokens the formatter works on.
public struct ConfigFile: Sendable {
    public var filename: String
    public var body: Body
    /// The source bytes, for parsed files.
    public var source: [UInt8]
    /// Every token of the source including comments and newlines, for parsed files.
    public var tokens: [Token]

    public init(filename: String = "", body: Body, source: [UInt8] = [], tokens: [Token] = []) {
        self.filename = filename
        self.body = body
        self.source = source
        self.tokens = tokens
    }
}

/// The contents of a file or a block: attributes and blocks in order, with their comments.
public struct Body: Sendable, Hashable {
    public var items: [BodyItem]
    /// Comments after the last item (before the closing brace or the end of the file).
    public var trailingComments: [String]
    public var range: SourceRange

    public init(_ items: [BodyItem] = [], trailingComments: [String] = [], range: SourceRange = .none) {
        self.items = items
        self.trailingComments = trailingComments
        self.range = range
    }

    public static func == (lhs: Body, rhs: Body) -> Bool {
        lhs.items == rhs.items && lhs.trailingComments == rhs.trailingComments
    }
    public func hash(into hasher: inout Hasher) { hasher.combine(items) }

    /// The attributes, in order.
    public var attributes: [Attribute] {
        items.compactMap { if case .attribute(let attribute) = $0 { attribute } else { nil } }
    }

    /// The blocks, in order.
    public var blocks: [Block] {
        items.compactMap { if case .block(let block) = $0 { block } else { nil } }
    }

    /// The attribute named `name`, if any.
    public func attribute(_ name: String) -> Attribute? { attributes.first { $0.name == name } }

    /// The blocks of type `type`.
    public func blocks(_ type: String) -> [Block] { blocks.filter { $0.type == type } }
}

/// An attribute or a block.
///
/// Boxed, because items are moved around a lot while bodies are built and a box moves as one pointer.
public indirect enum BodyItem: Sendable, Hashable {
    case attribute(Attribute)
    case block(Block)

    public var leadingComments: [String] {
        switch self {
        case .attribute(let attribute): attribute.leadingComments
        case .block(let block): block.leadingComments
        }
    }

    public var range: SourceRange {
        switch self {
        case .attribute(let attribute): attribute.range
        case .block(let block): block.range
        }
    }
}

/// `name = value`
public struct Attribute: Sendable, Hashable {
    public var name: String
    public var value: HCLExpression
    /// Comments on the lines just above, as written (`# …`, `// …`, `/* … */`).
    public var leadingComments: [String]
    /// A comment after the value on the same line.
    public var trailingComment: String?
    public var nameRange: SourceRange
    public var range: SourceRange

    public init(
        name: String, value: HCLExpression, leadingComments: [String] = [], trailingComment: String? = nil,
        nameRange: SourceRange = .none, range: SourceRange = .none
    ) {
        self.name = name
        self.value = value
        self.leadingComments = leadingComments
        self.trailingComment = trailingComment
        self.nameRange = nameRange
        self.range = range
    }

    public static func == (lhs: Attribute, rhs: Attribute) -> Bool {
        lhs.name == rhs.name && lhs.value == rhs.value && lhs.leadingComments == rhs.leadingComments
            && lhs.trailingComment == rhs.trailingComment
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(value)
    }
}

/// `type "label" label { body }`
public struct Block: Sendable, Hashable {
    public var type: String
    public var labels: [String]
    public var body: Body
    public var leadingComments: [String]
    public var trailingComment: String?
    public var typeRange: SourceRange
    public var labelRanges: [SourceRange]
    /// From the type to the closing brace.
    public var range: SourceRange

    public init(
        type: String, labels: [String] = [], body: Body = Body(), leadingComments: [String] = [],
        trailingComment: String? = nil, typeRange: SourceRange = .none, labelRanges: [SourceRange] = [],
        range: SourceRange = .none
    ) {
        self.type = type
        self.labels = labels
        self.body = body
        self.leadingComments = leadingComments
        self.trailingComment = trailingComment
        self.typeRange = typeRange
        self.labelRanges = labelRanges
        self.range = range
    }

    public static func == (lhs: Block, rhs: Block) -> Bool {
        lhs.type == rhs.type && lhs.labels == rhs.labels && lhs.body == rhs.body
            && lhs.leadingComments == rhs.leadingComments && lhs.trailingComment == rhs.trailingComment
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(labels)
        hasher.combine(body)
    }
}
