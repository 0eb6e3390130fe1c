public import NimbusCore

/// One message of the AWS event-stream encoding (`application/vnd.amazon.eventstream`), which Bedrock's
/// ConverseStream uses: typed headers (`:event-type`, `:message-type`, …) and a payload.
public struct AWSEventStreamMessage: Sendable, Hashable {
    /// A header value, with the types the encoding defines.
    public enum HeaderValue: Sendable, Hashable {
        case bool(Bool)
        case byte(Int8)
        case short(Int16)
        case integer(Int32)
        case long(Int64)
        case bytes([UInt8])
        case string(String)
        case timestamp(Int64)
        case uuid([UInt8])

        public var stringValue: String? {
            if case .string(let value) = self { return value }
            return nil
        }
    }

    public var headers: [(name: String, value: HeaderValue)]
    public var payload: [UInt8]

    public init(headers: [(name: String, value: HeaderValue)], payload: [UInt8]) {
        self.headers = headers
        self.payload = payload
    }

    /// The value of the string header `name` (`:event-type`, `:message-type`, `:exception-type`).
    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value.stringValue
    }

    public static func == (lhs: AWSEventStreamMessage, rhs: AWSEventStreamMessage) -> Bool {
        lhs.payload == rhs.payload && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(payload)
        for header in headers {
            hasher.combine(header.name)
            hasher.combine(header.value)
        }
    }

    /// The message in its wire form: prelude (total length, headers length, prelude CRC), headers, payload and the
    /// message CRC, all big-endian.
    public func encoded() -> [UInt8] {
        var headerBytes: [UInt8] = []
        for (name, value) in headers {
            let nameBytes = Array(name.utf8)
            headerBytes.append(UInt8(nameBytes.count))
            headerBytes += nameBytes
            switch value {
            case .bool(let flag): headerBytes.append(flag ? 0 : 1)
            case .byte(let number):
                headerBytes.append(2)
                headerBytes.append(UInt8(bitPattern: number))
            case .short(let number):
                headerBytes.append(3)
                headerBytes += Self.bigEndian(UInt16(bitPattern: number))
            case .integer(let number):
                headerBytes.append(4)
                headerBytes += Self.bigEndian(UInt32(bitPattern: number))
            case .long(let number):
                headerBytes.append(5)
                headerBytes += Self.bigEndian(UInt64(bitPattern: number))
            case .bytes(let bytes):
                headerBytes.append(6)
                headerBytes += Self.bigEndian(UInt16(bytes.count)) + bytes
            case .string(let text):
                let bytes = Array(text.utf8)
                headerBytes.append(7)
                headerBytes += Self.bigEndian(UInt16(bytes.count)) + bytes
            case .timestamp(let millis):
                headerBytes.append(8)
                headerBytes += Self.bigEndian(UInt64(bitPattern: millis))
            case .uuid(let bytes):
                headerBytes.append(9)
                headerBytes += bytes
            }
        }
        let total = 12 + headerBytes.count + payload.count + 4
        var message = Self.bigEndian(UInt32(total)) + Self.bigEndian(UInt32(headerBytes.count))
        message += Self.bigEndian(CRC32.checksum(message))
        message += headerBytes
        message += payload
        message += Self.bigEndian(CRC32.checksum(message))
        return message
    }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
}

/// Decodes AWS event-stream messages as bytes arrive, checking both CRCs of every message.
public struct AWSEventStreamDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var offset = 0

    /// Messages larger than this are refused (the format allows 16 MB).
    public static let maximumMessageLength = 16 * 1024 * 1024

    public init() {}

    /// The messages completed by `bytes`.
    public mutating func decode(_ bytes: [UInt8]) throws -> [AWSEventStreamMessage] {
        buffer.append(contentsOf: bytes)
        var messages: [AWSEventStreamMessage] = []
        while buffer.count - offset >= 12 {
            let total = Int(read32(offset))
            let headersLength = Int(read32(offset + 4))
            let preludeCRC = read32(offset + 8)
            let computed = buffer.withUnsafeBytes {
                CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + 8]))
            }
            guard computed == preludeCRC else {
                throw AWSEventStreamError(
                    "the prelude checksum is wrong (0x\(String(preludeCRC, radix: 16)) sent, "
                        + "0x\(String(computed, radix: 16)) computed)")
            }
            guard total >= 16, total <= Self.maximumMessageLength, headersLength <= total - 16 else {
                throw AWSEventStreamError(
                    "a message declares impossible lengths (total \(total), headers \(headersLength))")
            }
            guard buffer.count - offset >= total else { break }
            let end = offset + total
            let messageCRC = read32(end - 4)
            let computedMessage = buffer.withUnsafeBytes {
                CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[offset..<end - 4]))
            }
            guard computedMessage == messageCRC else {
                throw AWSEventStreamError(
                    "a message checksum is wrong (0x\(String(messageCRC, radix: 16)) sent, "
                        + "0x\(String(computedMessage, radix: 16)) computed)")
            }
            let headers = try parseHeaders(from: offset + 12, to: offset + 12 + headersLength)
            let payload = Array(buffer[(offset + 12 + headersLength)..<(end - 4)])
            messages.append(AWSEventStreamMessage(headers: headers, payload: payload))
            offset = end
        }
        if offset > 0, offset == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            offset = 0
        } else if offset > 65536 {
            buffer.removeFirst(offset)
            offset = 0
        }
        return messages
    }

    /// Checks that the stream did not stop inside a message.
    public func finish() throws {
        if buffer.count > offset {
            throw AWSEventStreamError("the stream ended inside a message (\(buffer.count - offset) bytes left over)")
        }
    }

    private func read32(_ at: Int) -> UInt32 {
        UInt32(buffer[at]) << 24 | UInt32(buffer[at + 1]) << 16 | UInt32(buffer[at + 2]) << 8 | UInt32(buffer[at + 3])
    }

    private func readInteger(_ at: Int, bytes: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<bytes { value = value << 8 | UInt64(buffer[at + index]) }
        return value
    }

    private func parseHeaders(
        from start: Int, to end: Int
    ) throws -> [(name: String, value: AWSEventStreamMessage.HeaderValue)] {
        var headers: [(name: String, value: AWSEventStreamMessage.HeaderValue)] = []
        var position = start
        func need(_ count: Int) throws {
            guard position + count <= end else { throw AWSEventStreamError("a header runs past the end of its block") }
        }
        while position < end {
            try need(1)
            let nameLength = Int(buffer[position])
            position += 1
            try need(nameLength + 1)
            let name = String(decoding: buffer[position..<position + nameLength], as: UTF8.self)
            position += nameLength
            let type = buffer[position]
            position += 1
            let value: AWSEventStreamMessage.HeaderValue
            switch type {
            case 0: value = .bool(true)
            case 1: value = .bool(false)
            case 2:
                try need(1)
                value = .byte(Int8(bitPattern: buffer[position]))
                position += 1
            case 3:
                try need(2)
                value = .short(Int16(bitPattern: UInt16(readInteger(position, bytes: 2))))
                position += 2
            case 4:
                try need(4)
                value = .integer(Int32(bitPattern: UInt32(readInteger(position, bytes: 4))))
                position += 4
            case 5, 8:
                try need(8)
                let number = Int64(bitPattern: readInteger(position, bytes: 8))
                value = type == 5 ? .long(number) : .timestamp(number)
                position += 8
            case 6, 7:
                try need(2)
                let length = Int(readInteger(position, bytes: 2))
                position += 2
                try need(length)
                let bytes = Array(buffer[position..<position + length])
                value = type == 6 ? .bytes(bytes) : .string(String(decoding: bytes, as: UTF8.self))
                position += length
            case 9:
                try need(16)
                value = .uuid(Array(buffer[position..<position + 16]))
                position += 16
            default:
                throw AWSEventStreamError("header '\(name)' has the unknown type \(type)")
            }
            headers.append((name, value))
        }
        return headers
    }
}

/// A malformed AWS event stream.
public struct AWSEventStreamError: NimbusError {
    public let message: String
    init(_ description: String) { message = "invalid AWS event stream: " + description }
    public var errorCode: ErrorCode { ErrorCode("aws_event_stream", "invalid", .upstream) }
}

/// CRC-32 (IEEE 802.3, as zlib computes it), which the AWS event-stream encoding uses for both its checksums.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        return crc
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = (crc >> 8) ^ table[Int((crc ^ UInt32(byte)) & 0xFF)] }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
