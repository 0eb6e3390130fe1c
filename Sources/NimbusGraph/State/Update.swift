public import NimbusCore

/// What a node returns: writes to state fields, combined by each field's reducer at the end of the step,
/// and optionally where to go next.
///
/// ```swift
/// var update = Update<Research>()
/// update.write(\.topic, "S3 encryption")
/// update.append(\.notes, "found 3 buckets")
/// return update
/// ```
public struct Update<State: GraphState>: Sendable {
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline let keyPath: KeyPathKey
        @usableFromInline let value: any Sendable

        @inlinable init(keyPath: KeyPathKey, value: any Sendable) {
            self.keyPath = keyPath
            self.value = value
        }
    }

    @usableFromInline var entries: [Entry] = []
    @usableFromInline var routes: [Route] = []

    /// An update with no writes.
    @inlinable public init() {}

    /// An update with one write.
    @inlinable public init<Value: Sendable>(_ keyPath: WritableKeyPath<State, Value>, _ value: Value) {
        write(keyPath, value)
    }

    /// An update built by a closure.
    @inlinable public init(_ build: (inout Update) throws -> Void) rethrows {
        try build(&self)
    }

    /// Writes a value to a field; its reducer decides what that means (replace, append, merge).
    @inlinable public mutating func write<Value: Sendable>(_ keyPath: WritableKeyPath<State, Value>, _ value: Value) {
        entries.append(Entry(keyPath: KeyPathKey(keyPath), value: value))
    }

    /// Writes to a field whose custom reducer takes writes of another type than the field's.
    @inlinable public mutating func write<Write: Sendable>(to keyPath: PartialKeyPath<State>, _ value: Write) {
        entries.append(Entry(keyPath: KeyPathKey(keyPath), value: value))
    }

    /// Appends one element to an `append` field.
    @inlinable public mutating func append<Element: Sendable>(
        _ keyPath: WritableKeyPath<State, [Element]>, _ element: Element
    ) {
        entries.append(Entry(keyPath: KeyPathKey(keyPath), value: [element]))
    }

    /// Sends the run to these nodes after this step, in addition to the node's edges.
    /// The node must declare them as `destinations` when it is added.
    public mutating func goto(_ routes: Route...) {
        self.routes.append(contentsOf: routes)
    }

    /// Sends the run to these nodes after this step.
    public mutating func goto(_ routes: [Route]) {
        self.routes.append(contentsOf: routes)
    }

    /// Whether the update writes nothing and routes nowhere.
    public var isEmpty: Bool { entries.isEmpty && routes.isEmpty }
}

/// The node names that mark where a graph starts and ends.
public let START = "__start__"
/// The node name that ends a run.
public let END = "__end__"

/// Where a run goes next: a node, optionally with an input of its own (a *send*), which is how one
/// router fans out N different inputs to N parallel runs of the same node.
public struct Route: Sendable, Hashable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The node to run, or ``END``.
    public let node: String
    /// The input the node reads with `context.input(_:)`; `nil` for a plain route.
    public let input: JSONValue?

    /// A plain route to `node`.
    public init(_ node: String) {
        self.node = node
        self.input = nil
    }

    public init(stringLiteral node: String) {
        self.init(node)
    }

    /// A route to `node` with an input of its own; several sends to one node run in parallel.
    public static func send(_ node: String, _ input: some Encodable) throws -> Route {
        Route(node: node, input: try JSONValue(encoding: input))
    }

    /// A route to `node` with a JSON input.
    public static func send(_ node: String, json input: JSONValue) -> Route {
        Route(node: node, input: input)
    }

    /// The route that ends the run (for this branch).
    public static var end: Route { Route(END) }

    private init(node: String, input: JSONValue?) {
        self.node = node
        self.input = input
    }

    public var description: String {
        input.map { "send(\(node), \($0.jsonText))" } ?? node
    }
}
