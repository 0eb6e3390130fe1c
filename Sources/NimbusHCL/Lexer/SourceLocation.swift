/// A point in a source file: 1-based line and column (columns count Unicode scalars, a tab is one column)
/// and the 0-based byte offset.
public struct SourcePosition: Hashable, Sendable, Comparable, CustomStringConvertible {
    // Stored in 32 bits: a syntax tree holds two of these per node, and smaller nodes parse faster.
    private var storedLine: Int32
    private var storedColumn: Int32
    private var storedByte: Int32

    public var line: Int {
        get { Int(storedLine) }
        set { storedLine = Int32(clamping: newValue) }
    }
    public var column: Int {
        get { Int(storedColumn) }
        set { storedColumn = Int32(clamping: newValue) }
    }
    public var byte: Int {
        get { Int(storedByte) }
        set { storedByte = Int32(clamping: newValue) }
    }

    public init(line: Int, column: Int, byte: Int) {
        storedLine = Int32(clamping: line)
        storedColumn = Int32(clamping: column)
        storedByte = Int32(clamping: byte)
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
    /// Whether every byte is ASCII, so a column is a byte distance.
    let ascii: Bool
    /// For files that are not all ASCII, which lines are (their columns are byte distances too).
    let asciiLines: [Bool]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var starts = [0]
        starts.reserveCapacity(bytes.count / 24 + 1)
        var high: UInt8 = 0
        var lines: [Bool] = []
        bytes.withUnsafeBufferPointer { buffer in
            var lineHigh: UInt8 = 0
            for index in 0..<buffer.count {
                let byte = buffer[index]
                lineHigh |= byte
                if byte == 0x0A {
                    starts.append(index + 1)
                    lines.append(lineHigh < 0x80)
                    high |= lineHigh
                    lineHigh = 0
                }
            }
            lines.append(lineHigh < 0x80)
            high |= lineHigh
        }
        lineStarts = starts
        ascii = high < 0x80
        asciiLines = ascii ? [] : lines
    }

    /// The position of byte offset `byte`.
    public func position(_ byte: Int) -> SourcePosition {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) >> 1
            if lineStarts[mid] <= byte { low = mid } else { high = mid - 1 }
        }
        let start = lineStarts[low]
        if ascii { return SourcePosition(line: low + 1, column: byte - start + 1, byte: byte) }
        var column = 1
        var index = start
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

    /// The line holding `byte`, trying `hint` (and the line after it) before searching.
    func line(of byte: Int, hint: Int) -> Int {
        // Lookups move a few lines forward or back at a time: walk from the hint before searching.
        if hint < lineStarts.count {
            var line = hint
            var steps = 0
            while steps < 8 {
                if lineStarts[line] > byte {
                    guard line > 0 else { break }
                    line -= 1
                } else if line + 1 < lineStarts.count, lineStarts[line + 1] <= byte {
                    line += 1
                } else {
                    return line
                }
                steps += 1
            }
        }
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) >> 1
            if lineStarts[mid] <= byte { low = mid } else { high = mid - 1 }
        }
        return low
    }
}

/// Position lookups during one parse, which mostly move forward a little at a time.
final class LineCursor {
    let table: LineTable
    var hint = 0

    init(_ table: LineTable) { self.table = table }

    func position(_ byte: Int) -> SourcePosition {
        let line = table.line(of: byte, hint: hint)
        hint = line
        let start = table.lineStarts[line]
        if table.ascii || table.asciiLines[line] {
            return SourcePosition(line: line + 1, column: byte - start + 1, byte: byte)
        }
        var column = 1
        var index = start
        let end = min(byte, table.bytes.count)
        while index < end {
            if table.bytes[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        return SourcePosition(line: line + 1, column: column, byte: byte)
    }

    func range(_ start: Int, _ end: Int) -> SourceRange {
        SourceRange(start: position(start), end: position(end))
    }
}
