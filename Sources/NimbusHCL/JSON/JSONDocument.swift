/// A JSON value that keeps the order of object members and the exact text of numbers, as Terraform's
/// JSON syntax needs (the order of blocks matters, and numbers may be larger than a `Double`).
public indirect enum JSONDocument: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number as written.
    case number(String)
    case string(String)
    case array([JSONDocument])
    case object([(String, JSONDocument)])

    public static func == (lhs: JSONDocument, rhs: JSONDocument) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b || (Double(a) != nil && Double(a) == Double(b))
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let value): hasher.combine(value)
        case .number(let text): hasher.combine(Double(text) ?? 0)
        case .string(let value): hasher.combine(value)
        case .array(let elements): hasher.combine(elements)
        case .object(let members):
            for (key, value) in members {
                hasher.combine(key)
                hasher.combine(value)
            }
        }
    }

    /// The member named `key` of an object.
    public subscript(key: String) -> JSONDocument? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// JSON text, indented by two spaces when `pretty`.
    public func text(pretty: Bool = true) -> String {
        var output = ""
        write(into: &output, indent: pretty ? "" : nil)
        return output
    }

    private func write(into output: inout String, indent: String?) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let text): output += text
        case .string(let value): JSONDocument.writeString(value, into: &output)
        case .array(let elements):
            if elements.isEmpty {
                output += "[]"
                return
            }
            output += "["
            let inner = indent.map { $0 + "  " }
            for (position, element) in elements.enumerated() {
                if position > 0 { output += "," }
                if let inner { output += "\n" + inner }
                element.write(into: &output, indent: inner)
            }
            if let indent { output += "\n" + indent }
            output += "]"
        case .object(let members):
            if members.isEmpty {
                output += "{}"
                return
            }
            output += "{"
            let inner = indent.map { $0 + "  " }
            for (position, (key, value)) in members.enumerated() {
                if position > 0 { output += "," }
                if let inner { output += "\n" + inner }
                JSONDocument.writeString(key, into: &output)
                output += indent == nil ? ":" : ": "
                value.write(into: &output, indent: inner)
            }
            if let indent { output += "\n" + indent }
            output += "}"
        }
    }

    /// A JSON string literal as Go's encoding/json writes it (control characters other than \n, \r, \t as `\u00XX`),
    /// which is what Terraform prints — NimbusCore's `JSONValue.writeString` writes `\b` and `\f` instead.
    /// `escapingHTML` also writes `<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes, as `jsonencode` does.
    static func writeString(_ value: String, into output: inout String, escapingHTML: Bool = false) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "<" where escapingHTML: output += "\\u003c"
            case ">" where escapingHTML: output += "\\u003e"
            case "&" where escapingHTML: output += "\\u0026"
            case "\u{2028}" where escapingHTML: output += "\\u2028"
            case "\u{2029}" where escapingHTML: output += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }

    /// Parses JSON text; the error names the line and column of the problem.
    public static func parse(_ text: String) throws(HCLError) -> JSONDocument {
        var reader = JSONReader(bytes: Array(text.utf8))
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        if reader.position < reader.bytes.count { throw reader.failure("extra characters after the JSON value") }
        return value
    }
}

private struct JSONReader {
    let bytes: [UInt8]
    var position = 0

    func failure(_ what: String) -> HCLError {
        let place = LineTable(bytes).position(min(position, bytes.count))
        return HCLError.invalidJSON("\(what) at line \(place.line), column \(place.column)")
    }

    mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func value(depth: Int) throws(HCLError) -> JSONDocument {
        guard depth < HCLParser.maximumNesting else { throw failure("JSON nested too deeply") }
        guard position < bytes.count else { throw failure("unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            position += 1
            var members: [(String, JSONDocument)] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                    throw failure("expected a quoted member name")
                }
                let key = try string()
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                    throw failure("expected ':' after member name")
                }
                position += 1
                skipWhitespace()
                members.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                guard position < bytes.count else { throw failure("unterminated object") }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                if bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    return .object(members)
                }
                throw failure("expected ',' or '}' in object")
            }
        case UInt8(ascii: "["):
            position += 1
            var elements: [JSONDocument] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                guard position < bytes.count else { throw failure("unterminated array") }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                if bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    return .array(elements)
                }
                throw failure("expected ',' or ']' in array")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            let start = position
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            let digits = position
            while position < bytes.count, bytes[position] >= 48, bytes[position] <= 57 { position += 1 }
            guard position > digits else { throw failure("unexpected character") }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                let fraction = position
                while position < bytes.count, bytes[position] >= 48, bytes[position] <= 57 { position += 1 }
                guard position > fraction else { throw failure("expected digits after the decimal point") }
            }
            if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")
                {
                    position += 1
                }
                let exponent = position
                while position < bytes.count, bytes[position] >= 48, bytes[position] <= 57 { position += 1 }
                guard position > exponent else { throw failure("expected digits in the exponent") }
            }
            return .number(String(decoding: bytes[start..<position], as: UTF8.self))
        }
    }

    mutating func literal(_ word: String) throws(HCLError) {
        let expected = Array(word.utf8)
        guard position + expected.count <= bytes.count, Array(bytes[position..<(position + expected.count)]) == expected
        else { throw failure("unexpected character") }
        position += expected.count
    }

    mutating func string() throws(HCLError) -> String {
        position += 1
        var output: [UInt8] = []
        while true {
            guard position < bytes.count else { throw failure("unterminated string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: output, as: UTF8.self)
            }
            if byte < 0x20 { throw failure("control character in string") }
            if byte != UInt8(ascii: "\\") {
                output.append(byte)
                position += 1
                continue
            }
            guard position + 1 < bytes.count else { throw failure("unterminated escape") }
            let selector = bytes[position + 1]
            position += 2
            switch selector {
            case UInt8(ascii: "\""): output.append(0x22)
            case UInt8(ascii: "\\"): output.append(0x5C)
            case UInt8(ascii: "/"): output.append(0x2F)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var value = try hex4()
                if value >= 0xD800, value < 0xDC00, position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                {
                    position += 2
                    let low = try hex4()
                    value = 0x10000 + ((value - 0xD800) << 10) + (low &- 0xDC00)
                }
                let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
                output.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: throw failure("invalid escape")
            }
        }
    }

    mutating func hex4() throws(HCLError) -> UInt32 {
        guard position + 4 <= bytes.count,
            let value = UInt32(String(decoding: bytes[position..<(position + 4)], as: UTF8.self), radix: 16)
        else { throw failure("invalid \\u escape") }
        position += 4
        return value
    }
}
