import Foundation

/// The Terraform standard functions NimbusHCL evaluates.
enum Functions {
    typealias Function = @Sendable ([Value]) throws(ConversionError) -> Value

    static let table: [String: Function] = [
        "merge": merge, "concat": concat, "lookup": lookup, "length": length, "format": format, "join": join,
        "split": split, "jsonencode": jsonencode, "jsondecode": jsondecode, "tomap": tomap, "toset": toset,
        "tolist": tolist, "tostring": tostring, "tonumber": tonumber, "tobool": tobool, "coalesce": coalesce,
        "contains": contains, "keys": keys, "values": values, "lower": lower, "upper": upper, "replace": replace,
        "cidrsubnet": cidrsubnet, "min": minimum, "max": maximum, "abs": absolute, "floor": floor, "ceil": ceil,
        "element": element, "distinct": distinct, "flatten": flatten, "trimspace": trimspace,
        "startswith": startswith, "endswith": endswith, "strcontains": strcontains, "regex": regex,
    ]

    static func arity(_ arguments: [Value], _ count: ClosedRange<Int>, _ name: String) throws(ConversionError) {
        guard count.contains(arguments.count) else {
            let expected =
                count.lowerBound == count.upperBound
                ? "\(count.lowerBound)" : "\(count.lowerBound) to \(count.upperBound)"
            throw ConversionError("\(name) takes \(expected) arguments, not \(arguments.count)")
        }
    }

    static func string(_ value: Value, _ what: String) throws(ConversionError) -> String {
        guard case .string(let text) = try value.converted(to: .string) else {
            throw ConversionError("\(what) must be a string")
        }
        return text
    }

    static func integer(_ value: Value, _ what: String) throws(ConversionError) -> Int {
        guard case .number(let number) = try value.converted(to: .number), let integer = number.intValue else {
            throw ConversionError("\(what) must be a whole number")
        }
        return integer
    }

    /// Whether any argument is unknown, in which case most functions return an unknown result.
    static func unknown(_ arguments: [Value]) -> Bool { arguments.contains { $0.containsUnknown } }

    static let merge: Function = { arguments throws(ConversionError) in
        if unknown(arguments) { return .unknown(.any) }
        var members: [String: Value] = [:]
        var allMaps = true
        for argument in arguments where !argument.isNull {
            guard let found = argument.members else {
                throw ConversionError("arguments must be maps or objects, got \(argument.type)")
            }
            if case .object = argument { allMaps = false }
            members.merge(found) { _, new in new }
        }
        if allMaps, let element = Value.unify(members.values.map(\.type)), !members.isEmpty {
            return (try? Value.object(members).converted(to: .map(element))) ?? .object(members)
        }
        return .object(members)
    }

    static let concat: Function = { arguments throws(ConversionError) in
        if unknown(arguments) { return .unknown(.any) }
        var elements: [Value] = []
        for argument in arguments {
            guard let found = argument.elements else {
                throw ConversionError("all arguments must be lists or tuples; got \(argument.type)")
            }
            elements += found
        }
        if let element = Value.unify(elements.map(\.type)), !elements.isEmpty,
            case .list(let converted, let type)? = try? Value.tuple(elements).converted(to: .list(element))
        {
            return .list(converted, type)
        }
        return .tuple(elements)
    }

    static let lookup: Function = { arguments throws(ConversionError) in
        try arity(arguments, 2...3, "lookup")
        if arguments[0].isUnknown || arguments[1].isUnknown { return .unknown(.any) }
        guard let members = arguments[0].members else { throw ConversionError("the first argument must be a map") }
        let key = try string(arguments[1], "the key")
        if let found = members[key] { return found }
        if arguments.count == 3 { return arguments[2] }
        throw ConversionError("the given key \"\(key)\" is not in the map and no default was given")
    }

    static let length: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "length")
        switch arguments[0] {
        case .unknown: return .unknown(.number)
        case .string(let text): return .int(text.count)
        case .null: throw ConversionError("argument must not be null")
        default:
            if let elements = arguments[0].elements { return .int(elements.count) }
            if let members = arguments[0].members { return .int(members.count) }
            throw ConversionError("argument must be a string, a collection type, or a structural type")
        }
    }

    static let format: Function = { arguments throws(ConversionError) in
        guard let first = arguments.first else { throw ConversionError("format needs a format string") }
        if unknown(arguments) { return .unknown(.string) }
        let spec = Array(try string(first, "the format").unicodeScalars)
        var output = ""
        var next = 1
        var index = 0
        while index < spec.count {
            let scalar = spec[index]
            guard scalar == "%" else {
                output.unicodeScalars.append(scalar)
                index += 1
                continue
            }
            index += 1
            guard index < spec.count else { throw ConversionError("the format string ends with an incomplete %") }
            if spec[index] == "%" {
                output += "%"
                index += 1
                continue
            }
            var flags = ""
            while index < spec.count, "+- #0".unicodeScalars.contains(spec[index]) {
                flags.unicodeScalars.append(spec[index])
                index += 1
            }
            var width = ""
            while index < spec.count, spec[index].properties.numericType != nil {
                width.unicodeScalars.append(spec[index])
                index += 1
            }
            var precision: Int?
            if index < spec.count, spec[index] == "." {
                index += 1
                var digits = ""
                while index < spec.count, spec[index].properties.numericType != nil {
                    digits.unicodeScalars.append(spec[index])
                    index += 1
                }
                precision = Int(digits) ?? 0
            }
            guard index < spec.count else { throw ConversionError("the format string ends inside a verb") }
            let verb = spec[index]
            index += 1
            guard next < arguments.count else {
                throw ConversionError("not enough arguments for the format string (verb %\(verb))")
            }
            let argument = arguments[next]
            next += 1
            var piece: String
            switch verb {
            case "s":
                piece = try string(argument, "argument \(next - 1)")
                if let precision { piece = String(piece.prefix(precision)) }
            case "d":
                piece = String(try integer(argument, "argument \(next - 1) for %d"))
                if flags.contains("+"), !piece.hasPrefix("-") { piece = "+" + piece }
            case "f", "e", "g":
                guard case .number(let number) = try argument.converted(to: .number) else {
                    throw ConversionError("argument \(next - 1) for %\(verb) must be a number")
                }
                piece = String(format: "%\(flags)\(precision.map { ".\($0)" } ?? "")\(verb)", number.doubleValue)
            case "t":
                guard case .bool(let flag) = try argument.converted(to: .bool) else {
                    throw ConversionError("argument \(next - 1) for %t must be a bool")
                }
                piece = flag ? "true" : "false"
            case "v":
                if case .string(let text) = argument {
                    piece = text
                } else if argument.type.isPrimitive {
                    piece = try string(argument, "argument")
                } else {
                    piece = try argument.jsonText()
                }
            case "q":
                var quoted = ""
                JSONDocument.writeString(try string(argument, "argument \(next - 1) for %q"), into: &quoted)
                piece = quoted
            default:
                throw ConversionError("unsupported format verb %\(verb)")
            }
            if let padding = Int(width), piece.count < padding {
                let fill = String(
                    repeating: flags.contains("0") && !flags.contains("-") ? "0" : " ", count: padding - piece.count)
                piece = flags.contains("-") ? piece + fill : fill + piece
            }
            output += piece
        }
        if next < arguments.count { throw ConversionError("too many arguments for the format string") }
        return .string(output)
    }

    static let join: Function = { arguments throws(ConversionError) in
        guard arguments.count >= 2 else { throw ConversionError("join takes a separator and at least one list") }
        if unknown(arguments) { return .unknown(.string) }
        let separator = try string(arguments[0], "the separator")
        var items: [String] = []
        for list in arguments.dropFirst() {
            guard let elements = list.elements else { throw ConversionError("join needs lists of strings") }
            for element in elements {
                if element.isNull {
                    throw ConversionError("element of the list is null; cannot concatenate null values")
                }
                items.append(try string(element, "each element"))
            }
        }
        return .string(items.joined(separator: separator))
    }

    static let split: Function = { arguments throws(ConversionError) in
        try arity(arguments, 2...2, "split")
        if unknown(arguments) { return .unknown(.list(.string)) }
        let separator = try string(arguments[0], "the separator")
        let text = try string(arguments[1], "the string")
        let parts: [String] =
            separator.isEmpty ? text.map(String.init) : text.components(separatedBy: separator)
        return .list(parts.map(Value.string), .string)
    }

    static let jsonencode: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "jsonencode")
        if unknown(arguments) { return .unknown(.string) }
        return .string(try arguments[0].jsonText())
    }

    static let jsondecode: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "jsondecode")
        if unknown(arguments) { return .unknown(.any) }
        do {
            return Value(json: try JSONDocument.parse(try string(arguments[0], "the argument")))
        } catch let error as HCLError {
            throw ConversionError(error.message)
        } catch {
            throw ConversionError("\(error)")
        }
    }

    static let tomap: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "tomap")
        return try arguments[0].converted(to: .map(.any))
    }

    static let toset: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "toset")
        return try arguments[0].converted(to: .set(.any))
    }

    static let tolist: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "tolist")
        return try arguments[0].converted(to: .list(.any))
    }

    static let tostring: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "tostring")
        return try arguments[0].converted(to: .string)
    }

    static let tonumber: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "tonumber")
        return try arguments[0].converted(to: .number)
    }

    static let tobool: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "tobool")
        return try arguments[0].converted(to: .bool)
    }

    static let coalesce: Function = { arguments throws(ConversionError) in
        for argument in arguments {
            if argument.isUnknown { return .unknown(.any) }
            if argument.isNull { continue }
            if case .string("") = argument { continue }
            return argument
        }
        throw ConversionError("no non-null, non-empty-string arguments")
    }

    static let contains: Function = { arguments throws(ConversionError) in
        try arity(arguments, 2...2, "contains")
        if unknown(arguments) { return .unknown(.bool) }
        guard let elements = arguments[0].elements else {
            throw ConversionError("the first argument must be a list or set")
        }
        return .bool(elements.contains { Evaluator.equal($0, arguments[1]) })
    }

    static let keys: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "keys")
        if unknown(arguments) { return .unknown(.list(.string)) }
        guard let members = arguments[0].members else { throw ConversionError("the argument must be a map or object") }
        return .list(members.keys.sorted().map(Value.string), .string)
    }

    static let values: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "values")
        if unknown(arguments) { return .unknown(.any) }
        guard let members = arguments[0].members else { throw ConversionError("the argument must be a map or object") }
        let ordered = members.keys.sorted().map { members[$0]! }
        if case .map(_, let element) = arguments[0] { return .list(ordered, element) }
        return .tuple(ordered)
    }

    static let lower: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "lower")
        if unknown(arguments) { return .unknown(.string) }
        return .string(try string(arguments[0], "the argument").lowercased())
    }

    static let upper: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "upper")
        if unknown(arguments) { return .unknown(.string) }
        return .string(try string(arguments[0], "the argument").uppercased())
    }

    static let trimspace: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "trimspace")
        if unknown(arguments) { return .unknown(.string) }
        return .string(try string(arguments[0], "the argument").trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `startswith(string, prefix)`, `endswith(string, suffix)`, `strcontains(string, substring)`.
    static let startswith = affix("startswith") { $0.hasPrefix($1) }
    static let endswith = affix("endswith") { $0.hasSuffix($1) }
    static let strcontains = affix("strcontains") { $0.contains($1) }

    static func affix(_ name: String, _ test: @escaping @Sendable (String, String) -> Bool) -> Function {
        { arguments throws(ConversionError) in
            try arity(arguments, 2...2, name)
            if unknown(arguments) { return .unknown(.bool) }
            return .bool(test(try string(arguments[0], "the string"), try string(arguments[1], "the second argument")))
        }
    }

    /// `regex(pattern, string)`: the first match (a string, or its capture groups: a list, or an object when they
    /// are named), an error when nothing matches. RE2's `(?P<name>…)` is read as `(?<name>…)`.
    static let regex: Function = { arguments throws(ConversionError) in
        try arity(arguments, 2...2, "regex")
        if unknown(arguments) { return .unknown(.any) }
        let pattern = try string(arguments[0], "the pattern").replacingOccurrences(of: "(?P<", with: "(?<")
        let text = try string(arguments[1], "the string")
        guard let expression = try? NSRegularExpression(pattern: pattern) else {
            throw ConversionError("invalid regular expression \(pattern)")
        }
        guard let match = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else {
            throw ConversionError("pattern did not match any part of the given string")
        }
        func group(_ range: NSRange) -> Value {
            Range(range, in: text).map { .string(String(text[$0])) } ?? .null(.string)
        }
        guard match.numberOfRanges > 1 else { return group(match.range) }
        let names = pattern.matches(of: /\(\?<([A-Za-z_][A-Za-z0-9_]*)>/).map { String($0.output.1) }
        if !names.isEmpty {
            return .object(Dictionary(uniqueKeysWithValues: names.map { ($0, group(match.range(withName: $0))) }))
        }
        return .tuple((1..<match.numberOfRanges).map { group(match.range(at: $0)) })
    }

    /// `replace(string, substring, replacement)`; a substring wrapped in slashes is a regular expression.
    static let replace: Function = { arguments throws(ConversionError) in
        try arity(arguments, 3...3, "replace")
        if unknown(arguments) { return .unknown(.string) }
        let text = try string(arguments[0], "the string")
        let search = try string(arguments[1], "the substring")
        let replacement = try string(arguments[2], "the replacement")
        if search.count >= 2, search.hasPrefix("/"), search.hasSuffix("/") {
            let pattern = String(search.dropFirst().dropLast())
            guard let expression = try? NSRegularExpression(pattern: pattern) else {
                throw ConversionError("invalid regular expression /\(pattern)/")
            }
            let template = replacement.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "${", with: "$").replacingOccurrences(of: "}", with: "")
            return .string(
                expression.stringByReplacingMatches(
                    in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template))
        }
        guard !search.isEmpty else { return .string(text) }
        return .string(text.replacingOccurrences(of: search, with: replacement))
    }

    static let minimum: Function = { arguments throws(ConversionError) in
        try numbers(arguments, "min").min().map(Value.number) ?? .unknown(.number)
    }

    static let maximum: Function = { arguments throws(ConversionError) in
        try numbers(arguments, "max").max().map(Value.number) ?? .unknown(.number)
    }

    static func numbers(_ arguments: [Value], _ name: String) throws(ConversionError) -> [Number] {
        guard !arguments.isEmpty else { throw ConversionError("\(name) needs at least one number") }
        if unknown(arguments) { return [] }
        var result: [Number] = []
        for argument in arguments {
            guard case .number(let number) = try argument.converted(to: .number) else {
                throw ConversionError("\(name) needs numbers")
            }
            result.append(number)
        }
        return result
    }

    static let absolute: Function = { arguments throws(ConversionError) in
        let number = try numbers(arguments, "abs")
        guard let first = number.first else { return .unknown(.number) }
        return .number(first.isNegative ? -first : first)
    }

    static let floor: Function = { arguments throws(ConversionError) in
        try numbers(arguments, "floor").first.map { .number($0.floor) } ?? .unknown(.number)
    }

    static let ceil: Function = { arguments throws(ConversionError) in
        try numbers(arguments, "ceil").first.map { .number($0.ceiling) } ?? .unknown(.number)
    }

    static let element: Function = { arguments throws(ConversionError) in
        try arity(arguments, 2...2, "element")
        if unknown(arguments) { return .unknown(.any) }
        guard let elements = arguments[0].elements, !elements.isEmpty else {
            throw ConversionError("cannot use element function with an empty list")
        }
        let position = try integer(arguments[1], "the index")
        guard position >= 0 else { throw ConversionError("cannot use element function with a negative index") }
        return elements[position % elements.count]
    }

    static let distinct: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "distinct")
        if unknown(arguments) { return .unknown(.any) }
        guard let elements = arguments[0].elements else { throw ConversionError("the argument must be a list") }
        var seen = Set<Value>()
        let unique = elements.filter { seen.insert($0).inserted }
        if case .list(_, let type) = arguments[0] { return .list(unique, type) }
        return .tuple(unique)
    }

    static let flatten: Function = { arguments throws(ConversionError) in
        try arity(arguments, 1...1, "flatten")
        if unknown(arguments) { return .unknown(.any) }
        func flat(_ value: Value) -> [Value] {
            guard let elements = value.elements else { return [value] }
            return elements.flatMap(flat)
        }
        guard arguments[0].elements != nil else { throw ConversionError("the argument must be a list") }
        return .tuple(flat(arguments[0]))
    }

    /// `cidrsubnet(prefix, newbits, netnum)` for IPv4 and IPv6.
    static let cidrsubnet: Function = { arguments throws(ConversionError) in
        try arity(arguments, 3...3, "cidrsubnet")
        if unknown(arguments) { return .unknown(.string) }
        let prefix = try string(arguments[0], "the prefix")
        let newBits = try integer(arguments[1], "newbits")
        let number = try integer(arguments[2], "netnum")
        guard let slash = prefix.firstIndex(of: "/"), let length = Int(prefix[prefix.index(after: slash)...]) else {
            throw ConversionError("invalid CIDR address \"\(prefix)\"")
        }
        let address = String(prefix[..<slash])
        guard let (bits, isV6) = parseAddress(address) else {
            throw ConversionError("invalid CIDR address \"\(prefix)\"")
        }
        let total = isV6 ? 128 : 32
        guard length >= 0, length <= total else { throw ConversionError("invalid prefix length in \"\(prefix)\"") }
        guard newBits >= 0, length + newBits <= total else {
            throw ConversionError("insufficient address space to extend prefix of \(length) by \(newBits)")
        }
        guard number >= 0, newBits >= 63 || number < 1 << newBits else {
            throw ConversionError("prefix extension of \(newBits) does not accommodate a subnet numbered \(number)")
        }
        let newLength = length + newBits
        let shift = total - newLength
        let masked = length == 0 ? UInt128(0) : bits & ~((UInt128(1) << (total - length)) - 1) & mask(total)
        let subnet = masked | (shift >= 128 ? 0 : UInt128(number) << shift)
        return .string(format(subnet, isV6: isV6) + "/\(newLength)")
    }

    static func mask(_ total: Int) -> UInt128 { total == 128 ? ~UInt128(0) : (UInt128(1) << total) - 1 }

    static func parseAddress(_ text: String) -> (UInt128, Bool)? {
        if text.contains(":") {
            let halves = text.components(separatedBy: "::")
            guard halves.count <= 2 else { return nil }
            func groups(_ part: String) -> [UInt16]? {
                if part.isEmpty { return [] }
                var result: [UInt16] = []
                for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                    guard let value = UInt16(group, radix: 16) else { return nil }
                    result.append(value)
                }
                return result
            }
            guard let head = groups(halves[0]) else { return nil }
            let tail = halves.count == 2 ? groups(halves[1]) : []
            guard let tail else { return nil }
            let missing = 8 - head.count - tail.count
            guard missing >= 0, halves.count == 2 || missing == 0 else { return nil }
            var value = UInt128(0)
            for group in head + [UInt16](repeating: 0, count: missing) + tail { value = value << 16 | UInt128(group) }
            return (value, true)
        }
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value = UInt128(0)
        for octet in octets {
            guard let byte = UInt8(octet) else { return nil }
            value = value << 8 | UInt128(byte)
        }
        return (value, false)
    }

    static func format(_ value: UInt128, isV6: Bool) -> String {
        if !isV6 {
            return (0..<4).reversed().map { String((value >> ($0 * 8)) & 0xFF) }.joined(separator: ".")
        }
        let groups = (0..<8).reversed().map { UInt16((value >> ($0 * 16)) & 0xFFFF) }
        // The longest run of two or more zero groups becomes "::".
        var bestStart = -1
        var bestLength = 1
        var position = 0
        while position < 8 {
            if groups[position] == 0 {
                var end = position
                while end < 8, groups[end] == 0 { end += 1 }
                if end - position > bestLength {
                    bestStart = position
                    bestLength = end - position
                }
                position = end
            } else {
                position += 1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        if bestStart < 0 { return hex.joined(separator: ":") }
        return hex[..<bestStart].joined(separator: ":") + "::" + hex[(bestStart + bestLength)...].joined(separator: ":")
    }
}
