/// A point in a source file: 1-based line and column (columns count Unicode scalars, a tab is one column)
/// and the 0-based byte offset.
public struct SourcePosition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var byte: Int

    public init(line: Int, column: Int, byte: Int) {
        self.line = line
        self.column = column
        self.byte = byte
    }

    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool { lhs.byte < rhs.byte }
    public var description: String { "\(line):\(column)" }
}

/// A span of a source file, from `start` (inclusive) to `end` (exclusive).
public struct SourceRange: Hashable, Sendable, CustomStringConvertible {
    public var start: SourcePosition
    public var end: SourcePosition

    public init(start: SourcePosition, end: SourcePosition) {
        self.start = start
        self.end = end
    }

    /// An empty range at the start of a file, for nodes that were built rather than parsed.
    public static let none = SourceRange(
        start: SourcePosition(line: 0, column: 0, byte: 0), end: SourcePosition(line: 0, column: 0, byte: 0))

    /// The range from the start of `self` to the end of `other`.
    public func through(_ other: SourceRange) -> SourceRange { SourceRange(start: start, end: other.end) }

    public var description: String { "\(start)-\(end)" }
}

/// Maps byte offsets of one source text to lines and columns.
public struct LineTable: Sendable {
    /// Byte offset where each line starts.
    let lineStarts: [Int]
    let bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var starts = [0]
        starts.reserveCapacity(bytes.count / 24 + 1)
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            starts.append(index + 1)
        }
        lineStarts = starts
    }

    /// The position of byte offset `byte`.
    public func position(_ byte: Int) -> SourcePosition {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= byte { low = mid } else { high = mid - 1 }
        }
        var column = 1
        var index = lineStarts[low]
        let end = min(byte, bytes.count)
        while index < end {
            // Continuation bytes do not start a new column.
            if bytes[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        return SourcePosition(line: low + 1, column: column, byte: byte)
    }

    public func range(_ start: Int, _ end: Int) -> SourceRange {
        SourceRange(start: position(start), end: position(end))
    }
}
