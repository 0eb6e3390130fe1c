/// Splits newline-delimited JSON (Ollama's streaming format) into lines as bytes arrive, whatever the chunking.
public struct NDJSONSplitter: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// The complete, non-blank lines in the bytes received so far.
    public mutating func split(_ bytes: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = bytes.startIndex
        for index in bytes.indices where bytes[index] == 0x0A {
            pending.append(contentsOf: bytes[start..<index])
            emit(into: &lines)
            start = index + 1
        }
        pending.append(contentsOf: bytes[start...])
        return lines
    }

    /// The last line, when the stream did not end with a newline.
    public mutating func finish() -> [[UInt8]] {
        var lines: [[UInt8]] = []
        emit(into: &lines)
        return lines
    }

    private mutating func emit(into lines: inout [[UInt8]]) {
        var line = pending
        pending.removeAll(keepingCapacity: true)
        while let last = line.last, last == 0x0D || last == 0x20 || last == 0x09 { line.removeLast() }
        if line.contains(where: { $0 != 0x20 && $0 != 0x09 }) { lines.append(line) }
    }
}
