import NimbusCore

/// Why an expression could not be evaluated: a diagnostic that names the expression's place in the file.
public struct EvaluationError: Error, Sendable {
    public var diagnostic: Diagnostic
    init(_ summary: String, _ detail: String, _ range: SourceRange) {
        diagnostic = Diagnostic(.error, summary: summary, detail: detail, range: range)
    }
}

/// Evaluates expressions with Terraform's types and a subset of its functions.
///
/// Names come from ``variables``; with ``unknownForUndefined`` any other name (`var`, `local`, a resource type)
/// evaluates to an unknown value, as references do before Terraform plans, and operations on unknowns give
/// typed unknowns.
public struct Evaluator: Sendable {
    public var variables: [String: Value]
    public var unknownForUndefined: Bool
    /// File name for diagnostics.
    public var filename: String
    /// Functions that exist but are not evaluated here: calls to them give unknowns instead of errors.
    public var knownFunctions: Set<String> = []

    public init(variables: [String: Value] = [:], unknownForUndefined: Bool = false, filename: String = "") {
        self.variables = variables
        self.unknownForUndefined = unknownForUndefined
        self.filename = filename
    }

    /// The value of `expression`.
    public func evaluate(_ expression: HCLExpression) throws(EvaluationError) -> Value {
        do {
            return try value(expression, scope: [:], depth: 0)
        } catch {
            var failure = error
            failure.diagnostic.filename = filename
            throw failure
        }
    }

    static let maximumDepth = 512

    func value(_ expression: HCLExpression, scope: [String: Value], depth: Int) throws(EvaluationError) -> Value {
        guard depth < Self.maximumDepth else {
            throw EvaluationError(
                "HCLExpression too deep", "The expression nests too deeply to evaluate.", expression.range)
        }
        let next = depth + 1
        switch expression.kind {
        case .number(let text):
            guard let number = Number(text) else {
                throw EvaluationError(
                    "Invalid number literal", "\(text) cannot be represented as a number.", expression.range)
            }
            return .number(number)
        case .bool(let flag): return .bool(flag)
        case .null: return .null(.any)
        case .invalid:
            throw EvaluationError("Invalid expression", "This expression could not be parsed.", expression.range)
        case .template(let template):
            if let inner = template.unwrappedInterpolation { return try value(inner, scope: scope, depth: next) }
            return try render(template.parts, scope: scope, depth: next, range: expression.range)
        case .variable(let name):
            if let found = scope[name] ?? variables[name] { return found }
            if unknownForUndefined { return .unknown(.any) }
            throw EvaluationError(
                "Unknown variable", "There is no variable named \"\(name)\".", expression.range)
        case .attribute(let base, let name):
            return try attribute(try value(base, scope: scope, depth: next), name, range: expression.range)
        case .index(let base, let key):
            return try index(
                try value(base, scope: scope, depth: next), try value(key, scope: scope, depth: next),
                range: expression.range)
        case .legacyIndex(let base, let position):
            return try index(try value(base, scope: scope, depth: next), .int(position), range: expression.range)
        case .splat(let base, _, let steps):
            let source = try value(base, scope: scope, depth: next)
            if source.isUnknown { return .unknown(.any) }
            let items: [Value]
            if case .null = source {
                items = []
            } else if let elements = source.elements {
                items = elements
            } else {
                items = [source]
            }
            var results: [Value] = []
            for item in items {
                var current = item
                for step in steps {
                    switch step {
                    case .attribute(let name): current = try attribute(current, name, range: expression.range)
                    case .legacyIndex(let position):
                        current = try index(current, .int(position), range: expression.range)
                    case .index(let key):
                        current = try index(current, try value(key, scope: scope, depth: next), range: expression.range)
                    }
                }
                results.append(current)
            }
            return .tuple(results)
        case .call(let name, let arguments, let expand):
            return try call(name, arguments, expand: expand, scope: scope, depth: next, range: expression.range)
        case .tuple(let elements):
            var values: [Value] = []
            for element in elements { values.append(try value(element, scope: scope, depth: next)) }
            return .tuple(values)
        case .object(let items):
            var members: [String: Value] = [:]
            var unknownKey = false
            for item in items {
                let key: String
                if let literal = item.literalKey {
                    key = literal
                } else if case .bool(let flag) = item.key.kind {
                    key = flag ? "true" : "false"
                } else if case .null = item.key.kind {
                    key = "null"
                } else {
                    let keyValue = try value(item.key, scope: scope, depth: next)
                    if keyValue.isUnknown {
                        unknownKey = true
                        continue
                    }
                    guard case .string(let text) = try? keyValue.converted(to: .string) else {
                        throw EvaluationError(
                            "Incorrect key type", "Can't use this value as a key: a string is required.", item.key.range
                        )
                    }
                    key = text
                }
                members[key] = try value(item.value, scope: scope, depth: next)
            }
            return unknownKey ? .unknown(.any) : .object(members)
        case .forExpression(let loop):
            return try forExpression(loop, scope: scope, depth: next, range: expression.range)
        case .unary(let operation, let operand):
            let input = try value(operand, scope: scope, depth: next)
            switch operation {
            case .negate:
                if input.isUnknown { return .unknown(.number) }
                return .number(-(try number(input, operand.range, "operand")))
            case .not:
                if input.isUnknown { return .unknown(.bool) }
                return .bool(!(try bool(input, operand.range, "operand")))
            }
        case .binary(let operation, let left, let right):
            return try binary(
                operation, try value(left, scope: scope, depth: next), try value(right, scope: scope, depth: next),
                left: left.range, right: right.range, range: expression.range)
        case .conditional(let condition, let then, let otherwise):
            let test = try value(condition, scope: scope, depth: next)
            if test.isUnknown {
                let a = try value(then, scope: scope, depth: next)
                let b = try value(otherwise, scope: scope, depth: next)
                return .unknown(Value.unify([a.type, b.type]) ?? .any)
            }
            return try bool(test, condition.range, "condition")
                ? value(then, scope: scope, depth: next) : value(otherwise, scope: scope, depth: next)
        case .parenthesized(let inner):
            return try value(inner, scope: scope, depth: next)
        }
    }

    // MARK: - Operands

    func number(_ value: Value, _ range: SourceRange, _ what: String) throws(EvaluationError) -> Number {
        guard !value.isNull else {
            throw EvaluationError(
                "Invalid operand", "Unsuitable value for \(what): a number is required, not null.", range)
        }
        guard case .number(let result) = try? value.converted(to: .number) else {
            throw EvaluationError(
                "Invalid operand", "Unsuitable value for \(what): a number is required, not \(value.type).", range)
        }
        return result
    }

    func bool(_ value: Value, _ range: SourceRange, _ what: String) throws(EvaluationError) -> Bool {
        guard !value.isNull else {
            throw EvaluationError(
                "Invalid operand", "Unsuitable value for \(what): a bool is required, not null.", range)
        }
        guard case .bool(let result) = try? value.converted(to: .bool) else {
            throw EvaluationError(
                "Invalid operand", "Unsuitable value for \(what): a bool is required, not \(value.type).", range)
        }
        return result
    }

    func binary(
        _ operation: BinaryOperator, _ lhs: Value, _ rhs: Value, left: SourceRange, right: SourceRange,
        range: SourceRange
    ) throws(EvaluationError) -> Value {
        switch operation {
        case .equal, .notEqual:
            if lhs.containsUnknown || rhs.containsUnknown { return .unknown(.bool) }
            let same = Self.equal(lhs, rhs)
            return .bool(operation == .equal ? same : !same)
        case .and, .or:
            if lhs.isUnknown || rhs.isUnknown { return .unknown(.bool) }
            let a = try bool(lhs, left, "left operand")
            let b = try bool(rhs, right, "right operand")
            return .bool(operation == .and ? a && b : a || b)
        default:
            if lhs.isUnknown || rhs.isUnknown {
                return .unknown(operation.precedence == 4 ? .bool : .number)
            }
            let a = try number(lhs, left, "left operand")
            let b = try number(rhs, right, "right operand")
            switch operation {
            case .add: return .number(a + b)
            case .subtract: return .number(a - b)
            case .multiply: return .number(a * b)
            case .divide:
                guard let quotient = a / b else {
                    throw EvaluationError("Operation failed", "Error during operation: can't divide by zero.", range)
                }
                return .number(quotient)
            case .modulo: return .number(a % b)
            case .less: return .bool(a < b)
            case .lessOrEqual: return .bool(a < b || a == b)
            case .greater: return .bool(b < a)
            case .greaterOrEqual: return .bool(b < a || a == b)
            default: return .null(.any)
            }
        }
    }

    /// Terraform's equality: same type and same value; nulls are equal to each other whatever their type.
    static func equal(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.null, _), (_, .null): return false
        case (.list(let x, _), .list(let y, _)), (.tuple(let x), .tuple(let y)), (.set(let x, _), .set(let y, _)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.map(let x, _), .map(let y, _)), (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
        default: return a == b
        }
    }

    func attribute(_ base: Value, _ name: String, range: SourceRange) throws(EvaluationError) -> Value {
        switch base {
        case .unknown: return .unknown(.any)
        case .null:
            throw EvaluationError(
                "Attempt to get attribute from null value", "This value is null, so it does not have any attributes.",
                range)
        case .object(let members):
            guard let found = members[name] else {
                throw EvaluationError(
                    "Unsupported attribute", "This object does not have an attribute named \"\(name)\".", range)
            }
            return found
        case .map(let members, let element):
            guard let found = members[name] else {
                throw EvaluationError(
                    "Missing map element", "This map does not have an element with the key \"\(name)\".", range)
            }
            _ = element
            return found
        default:
            throw EvaluationError(
                "Unsupported attribute", "Can't access attributes on a value of type \(base.type).", range)
        }
    }

    func index(_ base: Value, _ key: Value, range: SourceRange) throws(EvaluationError) -> Value {
        if base.isUnknown || key.isUnknown { return .unknown(.any) }
        switch base {
        case .null:
            throw EvaluationError(
                "Attempt to index null value", "This value is null, so it does not have any indices.", range)
        case .list(let elements, _), .tuple(let elements):
            guard case .number(let number) = try? key.converted(to: .number), let position = number.intValue else {
                throw EvaluationError(
                    "Invalid index",
                    "The given key does not identify an element in this collection value: a whole number is required.",
                    range)
            }
            guard elements.indices.contains(position) else {
                throw EvaluationError(
                    "Invalid index",
                    "The given key does not identify an element in this collection value: index \(position) is out "
                        + "of range for \(elements.count) elements.", range)
            }
            return elements[position]
        case .map(let members, _), .object(let members):
            guard case .string(let name) = try? key.converted(to: .string) else {
                throw EvaluationError(
                    "Invalid index",
                    "The given key does not identify an element in this collection value: a string is required.", range)
            }
            guard let found = members[name] else {
                throw EvaluationError(
                    "Invalid index",
                    "The given key does not identify an element in this collection value: there is "
                        + "no element \"\(name)\".", range)
            }
            return found
        case .set:
            throw EvaluationError(
                "Invalid index",
                "Elements of a set are identified only by their value and don't have any separate index or key to select with.",
                range)
        default:
            throw EvaluationError(
                "Invalid index", "This value does not have any indices (it is a \(base.type)).", range)
        }
    }

    // MARK: - Templates and for-expressions

    func render(
        _ parts: [TemplatePart], scope: [String: Value], depth: Int, range: SourceRange
    )
        throws(EvaluationError) -> Value
    {
        var text = ""
        var unknown = false
        for part in parts {
            switch part {
            case .literal(let literal):
                text += literal
            case .interpolation(let expression, _):
                let result = try value(expression, scope: scope, depth: depth + 1)
                if result.isUnknown {
                    unknown = true
                    continue
                }
                if result.isNull {
                    throw EvaluationError(
                        "Invalid template interpolation value",
                        "The expression result is null. Cannot include a null value in a string template.",
                        expression.range)
                }
                guard case .string(let string) = try? result.converted(to: .string) else {
                    throw EvaluationError(
                        "Invalid template interpolation value",
                        "Cannot include the given value in a string template: string required, not \(result.type).",
                        expression.range)
                }
                text += string
            case .conditional(let conditional):
                let test = try value(conditional.condition, scope: scope, depth: depth + 1)
                if test.isUnknown {
                    unknown = true
                    continue
                }
                let branch =
                    try bool(test, conditional.condition.range, "condition")
                    ? conditional.then : conditional.otherwise ?? []
                let rendered = try render(branch, scope: scope, depth: depth + 1, range: range)
                if case .string(let string) = rendered { text += string } else { unknown = true }
            case .loop(let loop):
                let collection = try value(loop.collection, scope: scope, depth: depth + 1)
                guard let pairs = try iterate(collection, range: loop.collection.range) else {
                    unknown = true
                    continue
                }
                for (key, element) in pairs {
                    var inner = scope
                    if let name = loop.keyVariable { inner[name] = key }
                    inner[loop.valueVariable] = element
                    let rendered = try render(loop.body, scope: inner, depth: depth + 1, range: range)
                    if case .string(let string) = rendered { text += string } else { unknown = true }
                }
            }
        }
        return unknown ? .unknown(.string) : .string(text)
    }

    /// Key and value pairs of a collection, in Terraform's order; `nil` when it is unknown.
    func iterate(_ collection: Value, range: SourceRange) throws(EvaluationError) -> [(Value, Value)]? {
        switch collection {
        case .unknown: return nil
        case .list(let elements, _), .tuple(let elements):
            return elements.enumerated().map { (.int($0.offset), $0.element) }
        case .set(let elements, _):
            return elements.map { ($0, $0) }
        case .map(let members, _), .object(let members):
            return members.keys.sorted().map { (.string($0), members[$0]!) }
        case .null:
            throw EvaluationError(
                "Iteration over null value", "A null value cannot be used as the collection in a 'for' expression.",
                range)
        default:
            throw EvaluationError(
                "Iteration over non-iterable value",
                "A value of type \(collection.type) cannot be used as the collection in a 'for' expression.", range)
        }
    }

    func forExpression(
        _ loop: ForExpression, scope: [String: Value], depth: Int, range: SourceRange
    )
        throws(EvaluationError) -> Value
    {
        let collection = try value(loop.collection, scope: scope, depth: depth)
        guard let pairs = try iterate(collection, range: loop.collection.range) else { return .unknown(.any) }
        var elements: [Value] = []
        var members: [String: Value] = [:]
        var groups: [String: [Value]] = [:]
        for (key, element) in pairs {
            var inner = scope
            if let name = loop.keyVariable { inner[name] = key }
            inner[loop.valueVariable] = element
            if let condition = loop.condition {
                let test = try value(condition, scope: inner, depth: depth)
                if test.isUnknown { return .unknown(.any) }
                guard try bool(test, condition.range, "condition") else { continue }
            }
            let result = try value(loop.valueExpression, scope: inner, depth: depth)
            guard let keyExpression = loop.keyExpression else {
                elements.append(result)
                continue
            }
            let keyValue = try value(keyExpression, scope: inner, depth: depth)
            if keyValue.isUnknown { return .unknown(.any) }
            guard case .string(let name) = try? keyValue.converted(to: .string) else {
                throw EvaluationError(
                    "Invalid object key", "Key expression in 'for' expression must produce a string.",
                    keyExpression.range)
            }
            if loop.grouping {
                groups[name, default: []].append(result)
            } else {
                if members[name] != nil {
                    throw EvaluationError(
                        "Duplicate object key",
                        "Two different items produced the key \"\(name)\" in this 'for' expression. If duplicates are "
                            + "expected, use the ellipsis (...) after the value expression to enable grouping by key.",
                        keyExpression.range)
                }
                members[name] = result
            }
        }
        if loop.keyExpression == nil { return .tuple(elements) }
        if loop.grouping { return .object(groups.mapValues { .tuple($0) }) }
        return .object(members)
    }

    // MARK: - Calls

    func call(
        _ name: String, _ arguments: [HCLExpression], expand: Bool, scope: [String: Value], depth: Int,
        range: SourceRange
    ) throws(EvaluationError) -> Value {
        if name == "try" || name == "can" {
            for argument in arguments {
                if let result = try? value(argument, scope: scope, depth: depth) {
                    if name == "can" { return .bool(true) }
                    return result
                }
            }
            if name == "can" { return .bool(false) }
            throw EvaluationError(
                "Error in function call", "Call to function \"try\" failed: no expression succeeded.", range)
        }
        if name.contains("::") { return .unknown(.any) }
        if Functions.table[name] == nil, knownFunctions.contains(name) {
            // Still evaluate the arguments: their errors are real.
            for argument in arguments { _ = try value(argument, scope: scope, depth: depth) }
            return .unknown(.any)
        }
        guard let function = Functions.table[name] else {
            throw EvaluationError(
                "Call to unknown function",
                "There is no function named \"\(name)\"."
                    + (closestMatch(to: name, in: Functions.table.keys).map { " Did you mean \"\($0)\"?" } ?? ""),
                range)
        }
        var values: [Value] = []
        for argument in arguments { values.append(try value(argument, scope: scope, depth: depth)) }
        if expand, let last = values.popLast() {
            if last.isUnknown { return .unknown(.any) }
            guard let elements = last.elements else {
                throw EvaluationError(
                    "Invalid expanding argument value",
                    "The expanding argument (indicated by ...) must be of a tuple, list, or set type.", range)
            }
            values += elements
        }
        do {
            return try function(values)
        } catch {
            throw EvaluationError(
                "Error in function call", "Call to function \"\(name)\" failed: \(error.message)", range)
        }
    }
}
