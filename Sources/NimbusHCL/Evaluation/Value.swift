import Foundation

/// A Terraform value: known or unknown (not decided until apply), possibly null, with its type.
public indirect enum Value: Hashable, Sendable, CustomStringConvertible {
    case null(ValueType)
    /// A value that will only be known later (a resource attribute, a variable with no default).
    case unknown(ValueType)
    case string(String)
    case number(Number)
    case bool(Bool)
    /// Elements all of the element type.
    case list([Value], ValueType)
    /// Unique elements in a canonical order.
    case set([Value], ValueType)
    case map([String: Value], ValueType)
    case object([String: Value])
    case tuple([Value])

    public static func int(_ value: Int) -> Value { .number(Number(value)) }

    public var type: ValueType {
        switch self {
        case .null(let type), .unknown(let type): type
        case .string: .string
        case .number: .number
        case .bool: .bool
        case .list(_, let element): .list(element)
        case .set(_, let element): .set(element)
        case .map(_, let element): .map(element)
        case .object(let attributes): .object(attributes.mapValues(\.type))
        case .tuple(let elements): .tuple(elements.map(\.type))
        }
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var isUnknown: Bool {
        if case .unknown = self { return true }
        return false
    }

    /// Whether this value or anything inside it is unknown.
    public var containsUnknown: Bool {
        switch self {
        case .unknown: true
        case .list(let elements, _), .set(let elements, _), .tuple(let elements):
            elements.contains { $0.containsUnknown }
        case .map(let members, _), .object(let members): members.values.contains { $0.containsUnknown }
        default: false
        }
    }

    /// The elements of a list, set or tuple.
    public var elements: [Value]? {
        switch self {
        case .list(let elements, _), .set(let elements, _), .tuple(let elements): elements
        default: nil
        }
    }

    /// The members of a map or object.
    public var members: [String: Value]? {
        switch self {
        case .map(let members, _), .object(let members): members
        default: nil
        }
    }

    /// HCL-like text for messages and test output: `{ a = 1, b = "x" }`.
    public var description: String {
        switch self {
        case .null: "null"
        case .unknown(let type): "(unknown \(type))"
        case .string(let value):
            {
                var quoted = ""
                JSONDocument.writeString(value, into: &quoted)
                return quoted
            }()
        case .number(let value): value.description
        case .bool(let value): value ? "true" : "false"
        case .list(let elements, _), .tuple(let elements):
            "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .set(let elements, _): "toset([" + elements.map(\.description).joined(separator: ", ") + "])"
        case .map(let members, _), .object(let members):
            "{" + members.keys.sorted().map { " \($0) = \(members[$0]!.description)" }.joined(separator: ",") + " }"
        }
    }

    /// A set with duplicates removed and elements in a canonical order.
    public static func makeSet(_ elements: [Value], element: ValueType) -> Value {
        var seen = Set<Value>()
        var unique: [Value] = []
        for value in elements where seen.insert(value).inserted { unique.append(value) }
        unique.sort { $0.description < $1.description }
        return .set(unique, element)
    }

    // MARK: - Conversion

    /// The value converted to `type` by Terraform's rules (numbers and bools to strings and back, tuples to
    /// lists and sets, objects to maps, and so on).
    public func converted(to target: ValueType) throws(ConversionError) -> Value {
        if case .any = target { return self }
        switch self {
        case .null: return .null(target)
        case .unknown: return .unknown(target)
        default: break
        }
        if type == target { return self }
        switch target {
        case .any: return self
        case .string:
            switch self {
            case .string: return self
            case .number(let value): return .string(value.description)
            case .bool(let value): return .string(value ? "true" : "false")
            default: throw ConversionError("a string is required, not \(type)")
            }
        case .number:
            switch self {
            case .number: return self
            case .string(let text):
                guard let number = Number(text.trimmingCharacters(in: .whitespaces)) else {
                    throw ConversionError("a number is required, not the string \"\(text)\"")
                }
                return .number(number)
            default: throw ConversionError("a number is required, not \(type)")
            }
        case .bool:
            switch self {
            case .bool: return self
            case .string("true"): return .bool(true)
            case .string("false"): return .bool(false)
            default:
                throw ConversionError("a bool is required, not \(type == .string ? description : type.description)")
            }
        case .list(let element), .set(let element):
            guard let elements else { throw ConversionError("a \(target) is required, not \(type)") }
            var converted: [Value] = []
            var elementType = element
            if case .any = element {
                guard let unified = Value.unify(elements.map(\.type)) else {
                    throw ConversionError("all elements of a \(target) must have the same type")
                }
                elementType = unified
            }
            for (index, value) in elements.enumerated() {
                do {
                    converted.append(try value.converted(to: elementType))
                } catch {
                    throw ConversionError("element \(index): \(error.message)")
                }
            }
            if case .set = target { return Value.makeSet(converted, element: elementType) }
            return .list(converted, elementType)
        case .map(let element):
            guard let members else { throw ConversionError("a \(target) is required, not \(type)") }
            var elementType = element
            if case .any = element {
                guard let unified = Value.unify(members.values.map(\.type)) else {
                    throw ConversionError("all elements of a map must have the same type")
                }
                elementType = unified
            }
            var converted: [String: Value] = [:]
            for (key, value) in members {
                do {
                    converted[key] = try value.converted(to: elementType)
                } catch {
                    throw ConversionError("element \"\(key)\": \(error.message)")
                }
            }
            return .map(converted, elementType)
        case .object(let attributes, let optional):
            guard let members else { throw ConversionError("an object is required, not \(type)") }
            var converted: [String: Value] = [:]
            for (name, attributeType) in attributes {
                guard let value = members[name] else {
                    if optional.contains(name) {
                        converted[name] = .null(attributeType)
                        continue
                    }
                    throw ConversionError("attribute \"\(name)\" is required")
                }
                do {
                    converted[name] = try value.converted(to: attributeType)
                } catch {
                    throw ConversionError("attribute \"\(name)\": \(error.message)")
                }
            }
            return .object(converted)
        case .tuple(let types):
            guard let elements else { throw ConversionError("a tuple is required, not \(type)") }
            guard elements.count == types.count else {
                throw ConversionError("a tuple of \(types.count) elements is required, not \(elements.count)")
            }
            var converted: [Value] = []
            for (index, (value, elementType)) in zip(elements, types).enumerated() {
                do {
                    converted.append(try value.converted(to: elementType))
                } catch {
                    throw ConversionError("element \(index): \(error.message)")
                }
            }
            return .tuple(converted)
        }
    }

    /// The one type all of `types` convert to, if there is one.
    public static func unify(_ types: [ValueType]) -> ValueType? {
        let known = types.filter { $0 != .any }
        guard let first = known.first else { return types.isEmpty ? .any : .any }
        if known.allSatisfy({ $0 == first }) { return first }
        if known.allSatisfy(\.isPrimitive) { return .string }
        // Objects with different attributes and tuples unify to maps and lists of a common element type.
        var elementTypes: [ValueType] = []
        var kind: Int?
        for type in known {
            switch type {
            case .object(let attributes, _):
                guard kind == nil || kind == 0 else { return nil }
                kind = 0
                elementTypes += attributes.values
            case .map(let element):
                guard kind == nil || kind == 0 else { return nil }
                kind = 0
                elementTypes.append(element)
            case .tuple(let elements):
                guard kind == nil || kind == 1 else { return nil }
                kind = 1
                elementTypes += elements
            case .list(let element):
                guard kind == nil || kind == 1 else { return nil }
                kind = 1
                elementTypes.append(element)
            default: return nil
            }
        }
        guard let element = unify(elementTypes) else { return nil }
        return kind == 0 ? .map(element) : .list(element)
    }

    // MARK: - JSON

    /// The value as JSON text, as `jsonencode` writes it (object keys sorted).
    public func jsonText() throws(ConversionError) -> String {
        var output = ""
        try writeJSON(into: &output)
        return output
    }

    private func writeJSON(into output: inout String) throws(ConversionError) {
        switch self {
        case .null: output += "null"
        case .unknown: throw ConversionError("an unknown value cannot be encoded as JSON")
        case .string(let value): JSONDocument.writeString(value, into: &output, escapingHTML: true)
        case .number(let value): output += value.description
        case .bool(let value): output += value ? "true" : "false"
        case .list(let elements, _), .set(let elements, _), .tuple(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                try element.writeJSON(into: &output)
            }
            output += "]"
        case .map(let members, _), .object(let members):
            output += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { output += "," }
                JSONDocument.writeString(key, into: &output, escapingHTML: true)
                output += ":"
                try members[key]!.writeJSON(into: &output)
            }
            output += "}"
        }
    }

    /// The value a JSON document stands for (objects become objects, arrays tuples).
    public init(json: JSONDocument) {
        switch json {
        case .null: self = .null(.any)
        case .bool(let value): self = .bool(value)
        case .number(let text): self = .number(Number(text) ?? .zero)
        case .string(let value): self = .string(value)
        case .array(let elements): self = .tuple(elements.map(Value.init(json:)))
        case .object(let members):
            var result: [String: Value] = [:]
            for (key, value) in members { result[key] = Value(json: value) }
            self = .object(result)
        }
    }
}

/// Why a value cannot be converted to a type.
public struct ConversionError: Error, Sendable {
    public var message: String
    init(_ message: String) { self.message = message }
}
