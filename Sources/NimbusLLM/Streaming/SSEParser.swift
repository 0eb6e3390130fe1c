/// One server-sent event.
public struct SSEEvent: Sendable, Hashable {
    /// The `event:` field, when the server named the event type.
    public var event: String?
    /// The `data:` lines joined with newlines.
    public var data: String
    /// The last `id:` seen.
    public var id: String?

    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// An incremental parser for `text/event-stream` (the WHATWG server-sent events format): feed it bytes as they
/// arrive, in chunks of any size, and it returns the events completed so far.
///
/// Lines end in LF, CR LF or CR, even when a chunk boundary falls between CR and LF; comments (`:`) and unknown
/// fields are skipped; `data:` lines of one event are joined with newlines.
public struct SSEParser: Sendable {
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var eventName: String?
    private var lastID: String?
    private var skipLineFeed = false

    public init() {}

    /// Parses the next chunk; returns the events it completed.
    public mutating func parse(_ bytes: [UInt8]) -> [SSEEvent] {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// Parses the next chunk; returns the events it completed.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) -> [SSEEvent] {
        var events: [SSEEvent] = []
        var start = 0
        var index = 0
        let count = bytes.count
        if skipLineFeed, count > 0 {
            skipLineFeed = false
            if bytes[0] == 0x0A {
                start = 1
                index = 1
            }
        }
        while index < count {
            let byte = bytes[index]
            if byte == 0x0A || byte == 0x0D {
                if line.isEmpty {
                    process(UnsafeRawBufferPointer(rebasing: bytes[start..<index]), into: &events)
                } else {
                    line.append(contentsOf: bytes[start..<index])
                    line.withUnsafeBytes { process($0, into: &events) }
                    line.removeAll(keepingCapacity: true)
                }
                if byte == 0x0D {
                    if index + 1 < count {
                        if bytes[index + 1] == 0x0A { index += 1 }
                    } else {
                        skipLineFeed = true
                    }
                }
                start = index + 1
            }
            index += 1
        }
        if start < count { line.append(contentsOf: bytes[start..<count]) }
        return events
    }

    /// Ends the stream: an event whose blank line never came is still delivered, since servers that close the
    /// connection after their last event often omit it.
    public mutating func finish() -> [SSEEvent] {
        var events: [SSEEvent] = []
        if !line.isEmpty {
            let pending = line
            line = []
            pending.withUnsafeBytes { process($0, into: &events) }
        }
        if hasData { dispatch(into: &events) }
        return events
    }

    private mutating func process(_ line: UnsafeRawBufferPointer, into events: inout [SSEEvent]) {
        if line.isEmpty {
            if hasData {
                dispatch(into: &events)
            } else {
                eventName = nil
            }
            return
        }
        if line[0] == 0x3A { return }  // a comment, such as a keep-alive
        var colon = line.count
        for index in 0..<line.count where line[index] == 0x3A {
            colon = index
            break
        }
        var valueStart = min(colon + 1, line.count)
        if valueStart < line.count, line[valueStart] == 0x20 { valueStart += 1 }
        let field = UnsafeRawBufferPointer(rebasing: line[0..<colon])
        let value = UnsafeRawBufferPointer(rebasing: line[valueStart..<line.count])
        if Self.equals(field, "data") {
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        } else if Self.equals(field, "event") {
            eventName = String(decoding: value, as: UTF8.self)
        } else if Self.equals(field, "id") {
            if !value.contains(0) { lastID = String(decoding: value, as: UTF8.self) }
        }
    }

    private mutating func dispatch(into events: inout [SSEEvent]) {
        events.append(SSEEvent(event: eventName, data: String(decoding: data, as: UTF8.self), id: lastID))
        data.removeAll(keepingCapacity: true)
        hasData = false
        eventName = nil
    }

    private static func equals(_ bytes: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        guard bytes.count == name.utf8CodeUnitCount else { return false }
        let pointer = name.utf8Start
        for index in 0..<bytes.count where bytes[index] != pointer[index] { return false }
        return true
    }
}
