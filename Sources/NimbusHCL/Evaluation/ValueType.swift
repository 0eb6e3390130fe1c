import NimbusCore

/// Terraform's types: the primitives, the collections (list, set, map of one element type), the structural
/// types (object, tuple) and `any` (the dynamic pseudo-type).
public indirect enum ValueType: Hashable, Sendable, CustomStringConvertible {
    case string
    case number
    case bool
    case any
    case list(ValueType)
    case set(ValueType)
    case map(ValueType)
    /// Attribute types, and which attributes a type constraint marks `optional(…)`.
    case object([String: ValueType], optional: Set<String> = [])
    case tuple([ValueType])

    /// Terraform's spelling: `list(string)`, `object({ name = string })`.
    public var description: String {
        switch self {
        case .string: "string"
        case .number: "number"
        case .bool: "bool"
        case .any: "any"
        case .list(let element): "list(\(element))"
        case .set(let element): "set(\(element))"
        case .map(let element): "map(\(element))"
        case .object(let attributes, let optional):
            "object({"
                + attributes.keys.sorted().map {
                    optional.contains($0) ? "\($0) = optional(\(attributes[$0]!))" : "\($0) = \(attributes[$0]!)"
                }.joined(separator: ", ") + "})"
        case .tuple(let elements): "tuple([\(elements.map(\.description).joined(separator: ", "))])"
        }
    }

    public var isPrimitive: Bool {
        switch self {
        case .string, .number, .bool: true
        default: false
        }
    }

    /// Whether the type contains `any` somewhere.
    public var hasDynamic: Bool {
        switch self {
        case .any: true
        case .string, .number, .bool: false
        case .list(let element), .set(let element), .map(let element): element.hasDynamic
        case .object(let attributes, _): attributes.values.contains { $0.hasDynamic }
        case .tuple(let elements): elements.contains { $0.hasDynamic }
        }
    }

    /// Reads a type constraint expression such as `map(object({ name = string, size = optional(number) }))`,
    /// or the legacy quoted forms `"string"`, `"list"` and `"map"`.
    public static func constraint(_ expression: HCLExpression) -> Result<ValueType, TypeConstraintError> {
        Result { () throws(TypeConstraintError) in try parse(expression, depth: 0) }
    }

    private static func parse(_ expression: HCLExpression, depth: Int) throws(TypeConstraintError) -> ValueType {
        guard depth < 64 else {
            throw TypeConstraintError(message: "type constraint nested too deeply", range: expression.range)
        }
        switch expression.kind {
        case .variable(let name):
            switch name {
            case "string": return .string
            case "number": return .number
            case "bool": return .bool
            case "any": return .any
            // Terraform reads the bare keywords as list(any) and map(any), for configurations from before 0.12.
            case "list" where depth == 0: return .list(.any)
            case "map" where depth == 0: return .map(.any)
            case "list", "set", "map", "object", "tuple":
                throw TypeConstraintError(
                    message: "the \(name) type constructor requires one argument specifying the element type",
                    range: expression.range,
                    suggestion: name == "object" || name == "tuple" ? nil : "write \(name)(string), or \(name)(any)")
            default:
                throw TypeConstraintError(
                    message: "'\(name)' is not a type; use string, number, bool, any, list(…), set(…), map(…), "
                        + "object({…}) or tuple([…])", range: expression.range,
                    suggestion: closestMatch(
                        to: name, in: ["string", "number", "bool", "any", "list", "set", "map", "object", "tuple"]
                    ).map { "did you mean '\($0)'?" })
            }
        case .template(let template):
            switch template.literalValue {
            case "string": return .string
            case "list": return .list(.string)
            case "map": return .map(.string)
            default:
                throw TypeConstraintError(
                    message: "a quoted type constraint must be \"string\", \"list\" or \"map\"",
                    range: expression.range,
                    suggestion: "write the type without quotes, such as string or list(string)")
            }
        case .call(let name, let arguments, _):
            guard arguments.count == 1 else {
                throw TypeConstraintError(
                    message: "the \(name) type constructor takes exactly one argument, not \(arguments.count)",
                    range: expression.range)
            }
            let argument = arguments[0]
            switch name {
            case "list": return .list(try parse(argument, depth: depth + 1))
            case "set": return .set(try parse(argument, depth: depth + 1))
            case "map": return .map(try parse(argument, depth: depth + 1))
            case "tuple":
                guard case .tuple(let elements) = argument.kind else {
                    throw TypeConstraintError(
                        message: "the tuple type constructor requires a list of element types, like tuple([string])",
                        range: argument.range)
                }
                var types: [ValueType] = []
                for element in elements { types.append(try parse(element, depth: depth + 1)) }
                return .tuple(types)
            case "object":
                guard case .object(let items) = argument.kind else {
                    throw TypeConstraintError(
                        message: "the object type constructor requires an object of attribute types, like "
                            + "object({ name = string })", range: argument.range)
                }
                var attributes: [String: ValueType] = [:]
                var optional: Set<String> = []
                for item in items {
                    guard let key = item.literalKey else {
                        throw TypeConstraintError(
                            message: "object type attribute names must be plain names", range: item.key.range)
                    }
                    if attributes[key] != nil {
                        throw TypeConstraintError(
                            message: "attribute '\(key)' is defined twice in this object type", range: item.key.range)
                    }
                    if case .call("optional", let optionalArguments, _) = item.value.kind {
                        guard (1...2).contains(optionalArguments.count) else {
                            throw TypeConstraintError(
                                message: "optional() takes a type and, optionally, a default value",
                                range: item.value.range)
                        }
                        attributes[key] = try parse(optionalArguments[0], depth: depth + 1)
                        optional.insert(key)
                    } else {
                        attributes[key] = try parse(item.value, depth: depth + 1)
                    }
                }
                return .object(attributes, optional: optional)
            case "optional":
                throw TypeConstraintError(
                    message: "optional() is allowed only for an attribute of an object type", range: expression.range)
            default:
                throw TypeConstraintError(
                    message: "'\(name)' is not a type constructor; use list, set, map, object or tuple",
                    range: expression.range,
                    suggestion: closestMatch(to: name, in: ["list", "set", "map", "object", "tuple"]).map {
                        "did you mean '\($0)'?"
                    })
            }
        default:
            throw TypeConstraintError(
                message: "a type constraint must be a type name or a type constructor call, such as string or "
                    + "list(string)", range: expression.range)
        }
    }
}

/// Why an expression is not a valid type constraint.
public struct TypeConstraintError: Error, Sendable, Hashable {
    public var message: String
    public var range: SourceRange
    public var suggestion: String?
}
