public import Foundation
public import NimbusCore

/// The state a graph carries from step to step: a `Codable` struct whose fields say, in ``schema``,
/// how writes from nodes combine.
///
/// ```swift
/// struct Research: GraphState {
///     var topic = ""
///     var notes: [String] = []
///     var scores: [String: Int] = [:]
///     static let schema = StateSchema<Research>(
///         .field("topic", \.topic),                 // last value wins
///         .field("notes", \.notes, .append),        // writes are appended
///         .field("scores", \.scores, .merge)        // dictionaries merge, later keys win
///     )
/// }
/// ```
/// Only declared fields can be written by nodes; the names are what checkpoints and events use.
public protocol GraphState: Codable, Sendable {
    /// The writable fields and their reducers.
    static var schema: StateSchema<Self> { get }
}

/// How writes to one field combine: `lastValue`, `append`, `merge`, or a custom function.
public struct Reducer<Value: Codable & Sendable, Write: Codable & Sendable>: Sendable {
    /// A short name shown in errors and diagrams.
    public let name: String
    /// Whether at most one node may write the field in a step.
    @usableFromInline let isExclusive: Bool
    @usableFromInline let combine: @Sendable (inout Value, Write) throws -> Void

    @inlinable
    init(name: String, isExclusive: Bool, combine: @escaping @Sendable (inout Value, Write) throws -> Void) {
        self.name = name
        self.isExclusive = isExclusive
        self.combine = combine
    }

    /// A reducer with a combining function of your own. It must be deterministic: runs are replayed on resume.
    @inlinable
    public static func custom(
        _ name: String, _ combine: @escaping @Sendable (inout Value, Write) throws -> Void
    ) -> Reducer {
        Reducer(name: name, isExclusive: false, combine: combine)
    }
}

extension Reducer where Write == Value {
    /// The written value replaces the old one; two nodes writing in the same step is an error.
    @inlinable
    public static var lastValue: Reducer {
        Reducer(name: "lastValue", isExclusive: true) { value, write in value = write }
    }
}

extension Reducer where Value: RangeReplaceableCollection, Write == Value {
    /// The written elements are appended, in the deterministic order of the writing tasks.
    @inlinable
    public static var append: Reducer {
        Reducer(name: "append", isExclusive: false) { value, write in value.append(contentsOf: write) }
    }
}

/// Dictionaries, for the `merge` reducer.
public protocol MergeableDictionary: Codable {
    /// Adds or replaces the members of `other`.
    mutating func mergeReplacing(_ other: Self)
}

extension Dictionary: MergeableDictionary where Key: Codable, Value: Codable {
    public mutating func mergeReplacing(_ other: [Key: Value]) {
        merge(other) { _, new in new }
    }
}

extension Reducer where Value: MergeableDictionary, Write == Value {
    /// The written entries are merged in; a key written later in the step wins.
    @inlinable
    public static var merge: Reducer {
        Reducer(name: "merge", isExclusive: false) { value, write in value.mergeReplacing(write) }
    }
}

/// One writable field of a ``GraphState``: its name, key path and reducer, erased for storage.
public struct StateField<State: GraphState>: Sendable {
    /// The field's name in checkpoints, events and errors.
    public let name: String
    /// The reducer's name.
    public let reducerName: String
    @usableFromInline let keyPath: KeyPathKey
    @usableFromInline let isExclusive: Bool
    @usableFromInline let apply: @Sendable (inout State, any Sendable) throws -> Void
    @usableFromInline let encodeWrite: @Sendable (any Sendable) throws -> Data
    @usableFromInline let decodeWrite: @Sendable (Data) throws -> any Sendable
    @usableFromInline let jsonWrite: @Sendable (any Sendable) throws -> JSONValue

    @usableFromInline
    init(
        name: String, reducerName: String, keyPath: KeyPathKey, isExclusive: Bool,
        apply: @escaping @Sendable (inout State, any Sendable) throws -> Void,
        encodeWrite: @escaping @Sendable (any Sendable) throws -> Data,
        decodeWrite: @escaping @Sendable (Data) throws -> any Sendable,
        jsonWrite: @escaping @Sendable (any Sendable) throws -> JSONValue
    ) {
        self.name = name
        self.reducerName = reducerName
        self.keyPath = keyPath
        self.isExclusive = isExclusive
        self.apply = apply
        self.encodeWrite = encodeWrite
        self.decodeWrite = decodeWrite
        self.jsonWrite = jsonWrite
    }

    /// Declares a field whose writes combine with `reducer`.
    @inlinable
    public static func field<Value, Write>(
        _ name: String, _ keyPath: WritableKeyPath<State, Value>, _ reducer: Reducer<Value, Write>
    ) -> StateField {
        StateField(
            name: name,
            reducerName: reducer.name,
            keyPath: KeyPathKey(keyPath),
            isExclusive: reducer.isExclusive,
            apply: { [typedKeyPath = TypedKeyPath(keyPath)] state, write in
                guard let typed = write as? Write else {
                    throw GraphError.wrongWriteType(field: name, expected: "\(Write.self)", found: "\(type(of: write))")
                }
                try reducer.combine(&state[keyPath: typedKeyPath.keyPath], typed)
            },
            encodeWrite: { write in try StateCoding.encode(write as! Write) },
            decodeWrite: { data in try StateCoding.decode(Write.self, from: data) },
            jsonWrite: { write in try JSONValue(encoding: write as! Write) }
        )
    }

    /// Declares a field where the last written value wins.
    @inlinable
    public static func field<Value: Codable & Sendable>(
        _ name: String, _ keyPath: WritableKeyPath<State, Value>
    )
        -> StateField
    {
        field(name, keyPath, Reducer<Value, Value>.lastValue)
    }
}

/// The declared fields of a ``GraphState``.
public struct StateSchema<State: GraphState>: Sendable {
    @usableFromInline let fields: [StateField<State>]
    @usableFromInline let byKeyPath: [KeyPathKey: Int]
    @usableFromInline let byName: [String: Int]

    /// Declares the state's writable fields.
    public init(_ fields: StateField<State>...) {
        self.init(fields)
    }

    /// Declares the state's writable fields.
    public init(_ fields: [StateField<State>]) {
        self.fields = fields
        var byKeyPath: [KeyPathKey: Int] = [:]
        var byName: [String: Int] = [:]
        for (index, field) in fields.enumerated() {
            byKeyPath[field.keyPath] = index
            byName[field.name] = index
        }
        self.byKeyPath = byKeyPath
        self.byName = byName
    }

    /// The field names in declaration order.
    public var fieldNames: [String] { fields.map(\.name) }

    func field(named name: String) -> StateField<State>? {
        byName[name].map { fields[$0] }
    }

    var duplicateNames: [String] {
        Dictionary(grouping: fields.map(\.name), by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
    }
}

/// A key path as a dictionary key. Key paths are immutable values, safe to share across tasks.
@usableFromInline
struct KeyPathKey: Hashable, @unchecked Sendable {
    @usableFromInline let keyPath: AnyKeyPath
    @inlinable init(_ keyPath: AnyKeyPath) { self.keyPath = keyPath }
}

/// A typed writable key path, shareable across tasks: key paths are immutable values.
@usableFromInline
struct TypedKeyPath<Root, Value>: @unchecked Sendable {
    @usableFromInline let keyPath: WritableKeyPath<Root, Value>
    @inlinable init(_ keyPath: WritableKeyPath<Root, Value>) { self.keyPath = keyPath }
}

/// JSON encoding used for states, writes and recorded results in checkpoints.
@usableFromInline
enum StateCoding {
    @usableFromInline static func encode<T: Encodable>(_ value: T) throws -> Data {
        try StreamingJSONEncoder.encode(value)
    }

    @usableFromInline static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try decoder.decode(type, from: data)
    }
}
