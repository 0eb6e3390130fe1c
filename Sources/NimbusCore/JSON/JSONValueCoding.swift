import Foundation

extension JSONValue {
    /// Encodes any `Encodable` value into a `JSONValue` without going through text.
    public init(encoding value: some Encodable) throws {
        if let json = value as? JSONValue {
            self = json
            return
        }
        let encoder = JSONValueEncoderImpl(codingPath: [])
        try value.encode(to: encoder)
        self = encoder.box.resolve()
    }

    /// Decodes this value into a `Decodable` type, with an error that names the bad path.
    ///
    /// With `lenient`, strings stand in for numbers and booleans (`"8"` for `8`, `"true"` for `true`),
    /// which is what values from environment variables and command-line flags need.
    public func decode<T: Decodable>(_ type: T.Type, lenient: Bool = false) throws -> T {
        if let json = self as? T { return json }
        do {
            return try T(from: JSONValueDecoderImpl(value: self, codingPath: [], lenient: lenient))
        } catch let error as DecodingError {
            throw JSONValueError.decodingFailed(JSONValueError.describe(error))
        }
    }
}

// MARK: - Encoder

private final class EncodedValueBox {
    var value: JSONValue?
    var object: [String: EncodedValueBox]?
    var array: [EncodedValueBox]?

    init() {}

    func resolve() -> JSONValue {
        if let object { return .object(object.mapValues { $0.resolve() }) }
        if let array { return .array(array.map { $0.resolve() }) }
        return value ?? .object([:])
    }
}

private struct JSONCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

private final class JSONValueEncoderImpl: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    let box = EncodedValueBox()

    init(codingPath: [any CodingKey]) { self.codingPath = codingPath }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if box.object == nil { box.object = [:] }
        return KeyedEncodingContainer(KeyedBoxContainer<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if box.array == nil { box.array = [] }
        return UnkeyedBoxContainer(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleBoxContainer(box: box, codingPath: codingPath)
    }
}

private func encodeAny(_ value: some Encodable, codingPath: [any CodingKey]) throws -> EncodedValueBox {
    if let json = value as? JSONValue {
        let box = EncodedValueBox()
        box.value = json
        return box
    }
    if let date = value as? Date {
        let box = EncodedValueBox()
        box.value = .string(date.formatted(.iso8601))
        return box
    }
    if let data = value as? Data {
        let box = EncodedValueBox()
        box.value = .string(data.base64EncodedString())
        return box
    }
    if let url = value as? URL {
        let box = EncodedValueBox()
        box.value = .string(url.absoluteString)
        return box
    }
    let encoder = JSONValueEncoderImpl(codingPath: codingPath)
    try value.encode(to: encoder)
    return encoder.box
}

private struct KeyedBoxContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: EncodedValueBox
    let codingPath: [any CodingKey]

    private func set(_ value: JSONValue, _ key: Key) {
        let child = EncodedValueBox()
        child.value = value
        box.object![key.stringValue] = child
    }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(.double(value), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(.double(Double(value)), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(.int(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(.int(Int(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(.int(Int(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(.int(Int(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(.int(Int(value)), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(.int(Int(value)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(.int(Int(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(.int(Int(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.int(Int(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(.int(Int(value)), key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        box.object![key.stringValue] = try encodeAny(value, codingPath: codingPath + [key])
    }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        // Absent optionals are omitted, as JSONEncoder does.
        guard let value else { return }
        try encode(value, forKey: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = EncodedValueBox()
        child.object = [:]
        box.object![key.stringValue] = child
        return KeyedEncodingContainer(KeyedBoxContainer<NestedKey>(box: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = EncodedValueBox()
        child.array = []
        box.object![key.stringValue] = child
        return UnkeyedBoxContainer(box: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let encoder = JSONValueEncoderImpl(codingPath: codingPath + [key])
        box.object![key.stringValue] = encoder.box
        return encoder
    }
}

private struct UnkeyedBoxContainer: UnkeyedEncodingContainer {
    let box: EncodedValueBox
    let codingPath: [any CodingKey]
    var count: Int { box.array!.count }

    private func append(_ value: JSONValue) {
        let child = EncodedValueBox()
        child.value = value
        box.array!.append(child)
    }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode(_ value: Bool) throws { append(.bool(value)) }
    mutating func encode(_ value: String) throws { append(.string(value)) }
    mutating func encode(_ value: Double) throws { append(.double(value)) }
    mutating func encode(_ value: Float) throws { append(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { append(.int(value)) }
    mutating func encode(_ value: Int64) throws { append(.int(Int(value))) }
    mutating func encode(_ value: UInt64) throws { append(.int(Int(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        box.array!.append(try encodeAny(value, codingPath: codingPath + [JSONCodingKey(intValue: count)]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = EncodedValueBox()
        child.object = [:]
        let key = JSONCodingKey(intValue: count)
        box.array!.append(child)
        return KeyedEncodingContainer(KeyedBoxContainer<NestedKey>(box: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = EncodedValueBox()
        child.array = []
        let key = JSONCodingKey(intValue: count)
        box.array!.append(child)
        return UnkeyedBoxContainer(box: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        let encoder = JSONValueEncoderImpl(codingPath: codingPath + [JSONCodingKey(intValue: count)])
        box.array!.append(encoder.box)
        return encoder
    }
}

private struct SingleBoxContainer: SingleValueEncodingContainer {
    let box: EncodedValueBox
    let codingPath: [any CodingKey]

    private func set(_ value: JSONValue) {
        box.value = value
        box.object = nil
        box.array = nil
    }

    mutating func encodeNil() throws { set(.null) }
    mutating func encode(_ value: Bool) throws { set(.bool(value)) }
    mutating func encode(_ value: String) throws { set(.string(value)) }
    mutating func encode(_ value: Double) throws { set(.double(value)) }
    mutating func encode(_ value: Float) throws { set(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { set(.int(value)) }
    mutating func encode(_ value: Int8) throws { set(.int(Int(value))) }
    mutating func encode(_ value: Int16) throws { set(.int(Int(value))) }
    mutating func encode(_ value: Int32) throws { set(.int(Int(value))) }
    mutating func encode(_ value: Int64) throws { set(.int(Int(value))) }
    mutating func encode(_ value: UInt) throws { set(.int(Int(value))) }
    mutating func encode(_ value: UInt8) throws { set(.int(Int(value))) }
    mutating func encode(_ value: UInt16) throws { set(.int(Int(value))) }
    mutating func encode(_ value: UInt32) throws { set(.int(Int(value))) }
    mutating func encode(_ value: UInt64) throws { set(.int(Int(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let encoded = try encodeAny(value, codingPath: codingPath)
        box.value = encoded.value
        box.object = encoded.object
        box.array = encoded.array
    }
}

// MARK: - Decoder

private struct JSONValueDecoderImpl: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let lenient: Bool
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw DecodingError.typeMismatch(
                [String: JSONValue].self,
                .init(codingPath: codingPath, debugDescription: "expected an object, found \(value.typeName)"))
        }
        return KeyedDecodingContainer(
            KeyedValueContainer<Key>(members: members, codingPath: codingPath, lenient: lenient))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else {
            throw DecodingError.typeMismatch(
                [JSONValue].self,
                .init(codingPath: codingPath, debugDescription: "expected an array, found \(value.typeName)"))
        }
        return UnkeyedValueContainer(elements: elements, codingPath: codingPath, lenient: lenient)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueContainer(value: value, codingPath: codingPath, lenient: lenient)
    }
}

private func decodeScalar<T>(
    _ type: T.Type, from value: JSONValue, codingPath: [any CodingKey], lenient: Bool
) throws -> T {
    func mismatch() -> DecodingError {
        DecodingError.typeMismatch(
            type, .init(codingPath: codingPath, debugDescription: "found \(value.typeName) \(value.jsonText)"))
    }
    if type == Bool.self {
        if case .bool(let flag) = value { return flag as! T }
        if lenient, case .string(let text) = value {
            switch text.lowercased() {
            case "true", "yes", "on", "1": return true as! T
            case "false", "no", "off", "0": return false as! T
            default: break
            }
        }
        throw mismatch()
    }
    if type == String.self {
        switch value {
        case .string(let text): return text as! T
        case .int(let number) where lenient: return String(number) as! T
        case .double(let number) where lenient: return String(number) as! T
        case .bool(let flag) where lenient: return String(flag) as! T
        default: throw mismatch()
        }
    }
    var number = value
    if lenient, case .string(let text) = value {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let integer = Int(trimmed) {
            number = .int(integer)
        } else if let double = Double(trimmed) {
            number = .double(double)
        }
    }
    if type == Double.self, let double = number.doubleValue { return double as! T }
    if type == Float.self, let double = number.doubleValue { return Float(double) as! T }
    guard let integer = number.intValue else { throw mismatch() }
    switch type {
    case is Int.Type: return integer as! T
    case is Int64.Type: return Int64(integer) as! T
    case is Int32.Type:
        guard let narrow = Int32(exactly: integer) else { throw mismatch() }
        return narrow as! T
    case is Int16.Type:
        guard let narrow = Int16(exactly: integer) else { throw mismatch() }
        return narrow as! T
    case is Int8.Type:
        guard let narrow = Int8(exactly: integer) else { throw mismatch() }
        return narrow as! T
    case is UInt.Type:
        guard let narrow = UInt(exactly: integer) else { throw mismatch() }
        return narrow as! T
    case is UInt64.Type:
        guard let narrow = UInt64(exactly: integer) else { throw mismatch() }
        return narrow as! T
    case is UInt32.Type:
        guard let narrow = UInt32(exactly: integer) else { throw mismatch() }
        return narrow as! T
    case is UInt16.Type:
        guard let narrow = UInt16(exactly: integer) else { throw mismatch() }
        return narrow as! T
    case is UInt8.Type:
        guard let narrow = UInt8(exactly: integer) else { throw mismatch() }
        return narrow as! T
    default: throw mismatch()
    }
}

private func decodeValue<T: Decodable>(
    _ type: T.Type, from value: JSONValue, codingPath: [any CodingKey], lenient: Bool
) throws -> T {
    if type == JSONValue.self { return value as! T }
    if type == Date.self {
        guard case .string(let text) = value, let date = try? Date(text, strategy: .iso8601) else {
            throw DecodingError.typeMismatch(
                type, .init(codingPath: codingPath, debugDescription: "expected an ISO 8601 date"))
        }
        return date as! T
    }
    if type == Data.self {
        guard case .string(let text) = value, let data = Data(base64Encoded: text) else {
            throw DecodingError.typeMismatch(
                type, .init(codingPath: codingPath, debugDescription: "expected base64 data"))
        }
        return data as! T
    }
    if type == URL.self {
        guard case .string(let text) = value, let url = URL(string: text) else {
            throw DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "expected a URL"))
        }
        return url as! T
    }
    return try T(from: JSONValueDecoderImpl(value: value, codingPath: codingPath, lenient: lenient))
}

private struct KeyedValueContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]
    let lenient: Bool

    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }
    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func member(_ key: Key) throws -> JSONValue {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "no value for '\(key.stringValue)'"))
        }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool { (members[key.stringValue] ?? .null).isNull }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try scalar(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try scalar(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try scalar(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try scalar(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try scalar(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try scalar(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try scalar(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try scalar(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try scalar(type, key) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decodeValue(type, from: try member(key), codingPath: codingPath + [key], lenient: lenient)
    }

    private func scalar<T>(_ type: T.Type, _ key: Key) throws -> T {
        try decodeScalar(type, from: try member(key), codingPath: codingPath + [key], lenient: lenient)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try JSONValueDecoderImpl(value: try member(key), codingPath: codingPath + [key], lenient: lenient)
            .container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try JSONValueDecoderImpl(value: try member(key), codingPath: codingPath + [key], lenient: lenient)
            .unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        JSONValueDecoderImpl(value: members["super"] ?? .null, codingPath: codingPath, lenient: lenient)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        JSONValueDecoderImpl(value: members[key.stringValue] ?? .null, codingPath: codingPath + [key], lenient: lenient)
    }
}

private struct UnkeyedValueContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    let lenient: Bool
    var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey], lenient: Bool) {
        self.elements = elements
        self.codingPath = codingPath
        self.lenient = lenient
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next<T>(_ type: T.Type) throws -> (JSONValue, [any CodingKey]) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                type, .init(codingPath: codingPath, debugDescription: "the array has only \(elements.count) elements"))
        }
        defer { currentIndex += 1 }
        return (elements[currentIndex], codingPath + [JSONCodingKey(intValue: currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try scalar(type) }
    mutating func decode(_ type: String.Type) throws -> String { try scalar(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try scalar(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try scalar(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try scalar(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, path) = try next(type)
        return try decodeValue(type, from: value, codingPath: path, lenient: lenient)
    }

    private mutating func scalar<T>(_ type: T.Type) throws -> T {
        let (value, path) = try next(type)
        return try decodeScalar(type, from: value, codingPath: path, lenient: lenient)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let (value, path) = try next([String: JSONValue].self)
        return try JSONValueDecoderImpl(value: value, codingPath: path, lenient: lenient).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, path) = try next([JSONValue].self)
        return try JSONValueDecoderImpl(value: value, codingPath: path, lenient: lenient).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, path) = try next(JSONValue.self)
        return JSONValueDecoderImpl(value: value, codingPath: path, lenient: lenient)
    }
}

private struct SingleValueContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let lenient: Bool

    func decodeNil() -> Bool { value.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try scalar(type) }
    func decode(_ type: String.Type) throws -> String { try scalar(type) }
    func decode(_ type: Double.Type) throws -> Double { try scalar(type) }
    func decode(_ type: Float.Type) throws -> Float { try scalar(type) }
    func decode(_ type: Int.Type) throws -> Int { try scalar(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try scalar(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try scalar(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try scalar(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try scalar(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try scalar(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try scalar(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try scalar(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try scalar(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try scalar(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decodeValue(type, from: value, codingPath: codingPath, lenient: lenient)
    }

    private func scalar<T>(_ type: T.Type) throws -> T {
        try decodeScalar(type, from: value, codingPath: codingPath, lenient: lenient)
    }
}
