import Foundation
public import NimbusCore

/// Checks JSON against a JSON Schema, for the subset agents use: `type` (one or several), `properties`,
/// `required`, `additionalProperties`, `items`, `minItems`/`maxItems`, `enum`, `const`, `minimum`/`maximum` (and
/// their exclusive forms), `minLength`/`maxLength`, `pattern`, `anyOf`/`oneOf`/`allOf`, and local `$ref`s into
/// `$defs` or `definitions`. Unknown keywords are ignored, as JSON Schema prescribes.
///
/// Model answers are never handed to an agent without passing this check.
public struct JSONSchemaValidator: Sendable {
    public let schema: JSONValue

    public init(schema: JSONValue) {
        self.schema = schema
    }

    /// One way the value breaks the schema, at a path such as `$.items[2].name`.
    public struct Violation: Sendable, Hashable, CustomStringConvertible {
        public var path: String
        public var problem: String
        public var description: String { "\(path): \(problem)" }
    }

    /// Every violation found (empty when the value is valid).
    public func violations(of value: JSONValue) -> [Violation] {
        var found: [Violation] = []
        check(value, against: schema, path: "$", depth: 0, into: &found)
        return found
    }

    /// Whether the value matches the schema.
    public func isValid(_ value: JSONValue) -> Bool { violations(of: value).isEmpty }

    private func check(
        _ value: JSONValue, against schema: JSONValue, path: String, depth: Int, into found: inout [Violation]
    ) {
        guard depth < 64 else {
            found.append(Violation(path: path, problem: "the schema nests too deeply (a $ref cycle?)"))
            return
        }
        switch schema {
        case .bool(true): return
        case .bool(false):
            found.append(Violation(path: path, problem: "no value is allowed here"))
            return
        case .object: break
        default: return
        }
        if let reference = schema["$ref"]?.stringValue {
            guard let target = resolve(reference) else {
                found.append(Violation(path: path, problem: "the schema's $ref '\(reference)' cannot be resolved"))
                return
            }
            check(value, against: target, path: path, depth: depth + 1, into: &found)
        }

        if let expected = schema["type"] {
            let names = expected.arrayValue?.compactMap(\.stringValue) ?? expected.stringValue.map { [$0] } ?? []
            if !names.isEmpty, !names.contains(where: { Self.matches(value, type: $0) }) {
                let wanted = names.count == 1 ? names[0] : "one of " + names.joined(separator: ", ")
                found.append(Violation(path: path, problem: "should be \(wanted) but is \(Self.typeName(value))"))
                return
            }
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(value) {
            let list = options.map(\.jsonText).joined(separator: ", ")
            found.append(Violation(path: path, problem: "\(value.jsonText) is not one of \(list)"))
        }
        if let constant = schema["const"], constant != value {
            found.append(Violation(path: path, problem: "should be \(constant.jsonText) but is \(value.jsonText)"))
        }

        switch value {
        case .int, .double:
            let number = value.doubleValue!
            if let minimum = schema["minimum"]?.doubleValue, number < minimum {
                found.append(
                    Violation(path: path, problem: "\(value.jsonText) is less than the minimum \(minimum.clean)"))
            }
            if let maximum = schema["maximum"]?.doubleValue, number > maximum {
                found.append(
                    Violation(path: path, problem: "\(value.jsonText) is more than the maximum \(maximum.clean)"))
            }
            if let minimum = schema["exclusiveMinimum"]?.doubleValue, number <= minimum {
                found.append(Violation(path: path, problem: "\(value.jsonText) should be more than \(minimum.clean)"))
            }
            if let maximum = schema["exclusiveMaximum"]?.doubleValue, number >= maximum {
                found.append(Violation(path: path, problem: "\(value.jsonText) should be less than \(maximum.clean)"))
            }
        case .string(let text):
            let length = text.count
            if let minimum = schema["minLength"]?.intValue, length < minimum {
                found.append(Violation(path: path, problem: "is \(length) characters long, fewer than \(minimum)"))
            }
            if let maximum = schema["maxLength"]?.intValue, length > maximum {
                found.append(Violation(path: path, problem: "is \(length) characters long, more than \(maximum)"))
            }
            if let pattern = schema["pattern"]?.stringValue {
                if let expression = try? NSRegularExpression(pattern: pattern) {
                    let range = NSRange(text.startIndex..., in: text)
                    if expression.firstMatch(in: text, range: range) == nil {
                        found.append(Violation(path: path, problem: "\(value.jsonText) does not match /\(pattern)/"))
                    }
                }
            }
        case .array(let elements):
            if let minimum = schema["minItems"]?.intValue, elements.count < minimum {
                found.append(Violation(path: path, problem: "has \(elements.count) items, fewer than \(minimum)"))
            }
            if let maximum = schema["maxItems"]?.intValue, elements.count > maximum {
                found.append(Violation(path: path, problem: "has \(elements.count) items, more than \(maximum)"))
            }
            if let items = schema["items"] {
                for (index, element) in elements.enumerated() {
                    check(element, against: items, path: "\(path)[\(index)]", depth: depth + 1, into: &found)
                }
            }
        case .object(let members):
            let properties = schema["properties"]?.objectValue ?? [:]
            for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
                found.append(Violation(path: path, problem: "the required property '\(name)' is missing"))
            }
            for name in members.keys.sorted() {
                let member = members[name]!
                let memberPath =
                    Self.isIdentifier(name) ? "\(path).\(name)" : "\(path)[\(JSONValue.string(name).jsonText)]"
                if let propertySchema = properties[name] {
                    check(member, against: propertySchema, path: memberPath, depth: depth + 1, into: &found)
                } else if let additional = schema["additionalProperties"] {
                    if additional == .bool(false) {
                        let hint = closestMatch(to: name, in: properties.keys).map { " (did you mean '\($0)'?)" } ?? ""
                        found.append(Violation(path: path, problem: "the property '\(name)' is not allowed\(hint)"))
                    } else {
                        check(member, against: additional, path: memberPath, depth: depth + 1, into: &found)
                    }
                }
            }
        default: break
        }

        if let all = schema["allOf"]?.arrayValue {
            for part in all { check(value, against: part, path: path, depth: depth + 1, into: &found) }
        }
        if let any = schema["anyOf"]?.arrayValue {
            let results = any.map { option in collect(value, option, path, depth) }
            if !results.contains(where: \.isEmpty) {
                found.append(
                    Violation(
                        path: path,
                        problem: "matches none of the \(any.count) allowed shapes (anyOf): " + Self.summary(results)))
            }
        }
        if let one = schema["oneOf"]?.arrayValue {
            let results = one.map { option in collect(value, option, path, depth) }
            let matching = results.filter(\.isEmpty).count
            if matching == 0 {
                found.append(
                    Violation(
                        path: path,
                        problem: "matches none of the \(one.count) allowed shapes (oneOf): " + Self.summary(results)))
            } else if matching > 1 {
                found.append(
                    Violation(path: path, problem: "matches \(matching) of the oneOf shapes; exactly one is allowed"))
            }
        }
    }

    private func collect(_ value: JSONValue, _ schema: JSONValue, _ path: String, _ depth: Int) -> [Violation] {
        var found: [Violation] = []
        check(value, against: schema, path: path, depth: depth + 1, into: &found)
        return found
    }

    private static func summary(_ results: [[Violation]]) -> String {
        results.enumerated().map { index, violations in
            "#\(index + 1) " + (violations.first.map { "\($0.path) \($0.problem)" } ?? "")
        }.joined(separator: "; ")
    }

    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        if reference == "#" { return schema }
        var current: JSONValue? = schema
        for component in reference.dropFirst(2).split(separator: "/") {
            let key = component.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            current = current?[key]
        }
        return current
    }

    static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("number", .int), ("number", .double): true
        case ("integer", .int): true
        case ("integer", .double(let number)): number.rounded() == number
        default: false
        }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    private static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || CharacterSet.letters.contains(first) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || CharacterSet.alphanumerics.contains($0) }
    }
}

extension Double {
    fileprivate var clean: String {
        rounded() == self && abs(self) < 1e15 ? String(Int(self)) : String(self)
    }
}
