/// Checks an operation's parameters against its input shape before anything is sent: unknown names (with a
/// "did you mean"), missing required members, values of the wrong JSON type.
struct ParameterValidator {
    let operation: OperationModel

    func validate(_ parameters: OrderedJSON) throws(AWSModelError) {
        guard let input = operation.input else {
            if let members = parameters.members, let first = members.first {
                throw .unknownParameter(first.0, name: first.0, operation: operation.name, known: [])
            }
            return
        }
        if parameters.isNull { return try checkRequired(input.shape, present: [], path: "") }
        try check(parameters, ref: input, path: "")
    }

    private func join(_ path: String, _ name: String) -> String { path.isEmpty ? name : path + "." + name }

    private func checkRequired(_ shape: Shape, present: Set<String>, path: String) throws(AWSModelError) {
        for name in shape.required where !present.contains(name) {
            throw .missingParameter(join(path, name), operation: operation.name)
        }
    }

    private func check(_ value: OrderedJSON, ref: ShapeRef, path: String) throws(AWSModelError) {
        let shape = ref.shape
        if value.isNull { return }
        if shape.isDocument { return }
        func wrong(_ expected: String) -> AWSModelError {
            .wrongType(path, operation: operation.name, expected: expected, found: describe(value))
        }
        switch shape.type {
        case .structure:
            guard let members = value.members else { throw wrong("an object") }
            var present = Set<String>()
            for (key, memberValue) in members {
                guard let member = shape.member(named: key) else {
                    throw .unknownParameter(
                        join(path, key), name: key, operation: operation.name, known: shape.members.map(\.name))
                }
                if !memberValue.isNull { present.insert(key) }
                try check(memberValue, ref: member.ref, path: join(path, key))
            }
            try checkRequired(shape, present: present, path: path)
            if shape.isUnion, present.count > 1 {
                throw wrong("an object with exactly one member set")
            }
        case .list:
            guard let elements = value.arrayValue else { throw wrong("an array") }
            guard let memberRef = shape.member else { return }
            for (index, element) in elements.enumerated() {
                try check(element, ref: memberRef, path: "\(path)[\(index)]")
            }
        case .map:
            guard let entries = value.members else { throw wrong("an object") }
            guard let valueRef = shape.value else { return }
            for (key, entry) in entries { try check(entry, ref: valueRef, path: "\(path).\(key)") }
        case .string:
            guard value.stringValue != nil else { throw wrong("a string") }
        case .integer, .long, .byte, .short, .biginteger:
            guard let number = value.doubleValue, number == number.rounded() else { throw wrong("an integer") }
        case .float, .double, .bigdecimal:
            if let text = value.stringValue, ["NaN", "Infinity", "-Infinity"].contains(text) { return }
            guard value.doubleValue != nil else { throw wrong("a number") }
        case .boolean:
            guard value.boolValue != nil else { throw wrong("a boolean") }
        case .blob:
            guard value.stringValue != nil else { throw wrong("a string (the blob's contents)") }
        case .timestamp:
            guard Timestamps.seconds(from: value) != nil else {
                throw wrong("a timestamp (ISO 8601 text such as 2024-05-01T12:00:00Z, or epoch seconds)")
            }
        default:
            return
        }
    }

    private func describe(_ value: OrderedJSON) -> String {
        switch value {
        case .string(let text): "the string \"\(text.prefix(40))\""
        case .number(let text): "the number \(text)"
        case .bool(let flag): "the boolean \(flag)"
        case .array: "an array"
        case .object: "an object"
        case .null: "null"
        }
    }
}
