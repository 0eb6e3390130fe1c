public import Foundation

/// Encodes `Encodable` values straight into JSON bytes, without the intermediate tree `JSONEncoder` builds:
/// several times faster for the small states and records Nimbus writes on every graph step.
///
/// Output matches `JSONEncoder` with `.iso8601` dates, base64 data and non-conforming floats written as the
/// strings "NaN", "Infinity" and "-Infinity" (key order is the encoding order, not sorted). The rare `Encodable`
/// that goes back to a container after opening a nested one is handed to `JSONEncoder` instead.
public enum StreamingJSONEncoder {
    /// The value as JSON.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let writer = JSONByteWriter()
        do {
            try writer.write(value)
            writer.closeAll()
            if !writer.failed { return Data(writer.bytes) }
        } catch is InterleavedContainers {}
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try encoder.encode(value)
    }
}

/// Thrown when an encoding writes to a container that is no longer the innermost open one.
private struct InterleavedContainers: Error {}

/// The shared output and the stack of open containers.
private final class JSONByteWriter {
    var bytes: [UInt8] = []
    /// Open containers, innermost last: an id, the closing byte, and whether an element was written.
    var open: [(id: Int, closer: UInt8, hasElement: Bool)] = []
    var nextID = 0
    /// Set when a requirement that cannot throw met an interleaving; the caller falls back.
    var failed = false

    init() {
        bytes.reserveCapacity(256)
    }

    func write<T: Encodable>(_ value: T) throws {
        switch value {
        case let date as Date:
            writeString(date.formatted(.iso8601))
        case let data as Data:
            writeString(data.base64EncodedString())
        case let url as URL:
            writeString(url.absoluteString)
        case let decimal as Decimal:
            bytes.append(contentsOf: "\(decimal)".utf8)
        default:
            let start = bytes.count
            let depth = open.count
            try value.encode(to: StreamingEncoder(writer: self))
            // Close what the value opened, so the next write lands in the right place.
            while open.count > depth { bytes.append(open.removeLast().closer) }
            // A value that encoded nothing is an empty object, as JSONEncoder writes it.
            if bytes.count == start { bytes.append(contentsOf: "{}".utf8) }
        }
    }

    func openContainer(_ opener: UInt8, closer: UInt8) -> Int {
        bytes.append(opener)
        let id = nextID
        nextID += 1
        open.append((id, closer, false))
        return id
    }

    /// Writes the separator before an element of container `id`, closing containers nested in it.
    func beginElement(_ id: Int) throws {
        guard let index = open.lastIndex(where: { $0.id == id }) else { throw InterleavedContainers() }
        while open.count - 1 > index { bytes.append(open.removeLast().closer) }
        if open[index].hasElement { bytes.append(UInt8(ascii: ",")) }
        open[index].hasElement = true
    }

    func writeKey(_ key: String) {
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
    }

    func closeAll() {
        while let last = open.popLast() { bytes.append(last.closer) }
    }

    func writeString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [92, UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [92, UInt8(ascii: "f")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    func writeDouble(_ value: Double) {
        if value.isNaN {
            writeString("NaN")
        } else if value.isInfinite {
            writeString(value > 0 ? "Infinity" : "-Infinity")
        } else if value.rounded() == value, abs(value) < 1e15 {
            bytes.append(contentsOf: String(Int64(value)).utf8)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    func writeInteger<I: BinaryInteger>(_ value: I) {
        bytes.append(contentsOf: String(value).utf8)
    }
}

/// The encoder for one value; a value asking twice for its keyed container gets the same one.
private final class StreamingEncoder: Encoder {
    let writer: JSONByteWriter
    var keyedID: Int?
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(writer: JSONByteWriter) {
        self.writer = writer
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let id = keyedID ?? writer.openContainer(UInt8(ascii: "{"), closer: UInt8(ascii: "}"))
        keyedID = id
        return KeyedEncodingContainer(StreamingKeyedContainer<Key>(writer: writer, id: id))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        StreamingUnkeyedContainer(
            writer: writer, id: writer.openContainer(UInt8(ascii: "["), closer: UInt8(ascii: "]")))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        StreamingSingleValueContainer(writer: writer)
    }
}

private struct StreamingKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: JSONByteWriter
    let id: Int
    var codingPath: [any CodingKey] { [] }

    private func key(_ key: Key) throws {
        try writer.beginElement(id)
        writer.writeKey(key.stringValue)
    }

    private func keyOrFail(_ key: Key) {
        do { try self.key(key) } catch { writer.failed = true }
    }

    mutating func encodeNil(forKey key: Key) throws {
        try self.key(key)
        writer.bytes.append(contentsOf: "null".utf8)
    }
    mutating func encode(_ value: Bool, forKey key: Key) throws {
        try self.key(key)
        writer.bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }
    mutating func encode(_ value: String, forKey key: Key) throws {
        try self.key(key)
        writer.writeString(value)
    }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        try self.key(key)
        writer.writeDouble(value)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        try self.key(key)
        writer.writeDouble(Double(value))
    }
    mutating func encode(_ value: Int, forKey key: Key) throws {
        try self.key(key)
        writer.writeInteger(value)
    }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try encode(Int(value), forKey: key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try encode(Int(value), forKey: key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try encode(Int(value), forKey: key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try encode(Int(value), forKey: key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws {
        try self.key(key)
        writer.writeInteger(value)
    }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try encode(UInt(value), forKey: key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try encode(UInt(value), forKey: key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try encode(UInt(value), forKey: key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try encode(UInt(value), forKey: key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try self.key(key)
        try writer.write(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        keyOrFail(key)
        let nested = writer.openContainer(UInt8(ascii: "{"), closer: UInt8(ascii: "}"))
        return KeyedEncodingContainer(StreamingKeyedContainer<NestedKey>(writer: writer, id: nested))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        keyOrFail(key)
        return StreamingUnkeyedContainer(
            writer: writer, id: writer.openContainer(UInt8(ascii: "["), closer: UInt8(ascii: "]")))
    }

    mutating func superEncoder() -> any Encoder {
        do {
            try writer.beginElement(id)
            writer.writeKey("super")
        } catch {
            writer.failed = true
        }
        return StreamingEncoder(writer: writer)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        keyOrFail(key)
        return StreamingEncoder(writer: writer)
    }
}

private struct StreamingUnkeyedContainer: UnkeyedEncodingContainer {
    let writer: JSONByteWriter
    let id: Int
    var codingPath: [any CodingKey] { [] }
    private(set) var count = 0

    init(writer: JSONByteWriter, id: Int) {
        self.writer = writer
        self.id = id
    }

    private mutating func element() throws {
        try writer.beginElement(id)
        count += 1
    }

    private mutating func elementOrFail() {
        do { try element() } catch { writer.failed = true }
    }

    mutating func encodeNil() throws {
        try element()
        writer.bytes.append(contentsOf: "null".utf8)
    }
    mutating func encode(_ value: Bool) throws {
        try element()
        writer.bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }
    mutating func encode(_ value: String) throws {
        try element()
        writer.writeString(value)
    }
    mutating func encode(_ value: Double) throws {
        try element()
        writer.writeDouble(value)
    }
    mutating func encode(_ value: Int) throws {
        try element()
        writer.writeInteger(value)
    }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try element()
        try writer.write(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        elementOrFail()
        let nested = writer.openContainer(UInt8(ascii: "{"), closer: UInt8(ascii: "}"))
        return KeyedEncodingContainer(StreamingKeyedContainer<NestedKey>(writer: writer, id: nested))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        elementOrFail()
        return StreamingUnkeyedContainer(
            writer: writer, id: writer.openContainer(UInt8(ascii: "["), closer: UInt8(ascii: "]")))
    }

    mutating func superEncoder() -> any Encoder {
        elementOrFail()
        return StreamingEncoder(writer: writer)
    }
}

private struct StreamingSingleValueContainer: SingleValueEncodingContainer {
    let writer: JSONByteWriter
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { writer.bytes.append(contentsOf: "null".utf8) }
    mutating func encode(_ value: Bool) throws { writer.bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    mutating func encode(_ value: String) throws { writer.writeString(value) }
    mutating func encode(_ value: Double) throws { writer.writeDouble(value) }
    mutating func encode(_ value: Float) throws { writer.writeDouble(Double(value)) }
    mutating func encode(_ value: Int) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { writer.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try writer.write(value) }
}
