public import Foundation
import Synchronization

/// A 26-character, time-ordered, unique identifier (ULID layout: 48 bits of milliseconds, 80 random bits).
///
/// Ids made later sort after ids made earlier, also within one millisecond in one process, so a
/// list of ids sorted as strings is in creation order. Used for thread, checkpoint, job and event ids.
public struct SortableID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The 26 characters, Crockford base 32.
    public let rawValue: String

    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    private struct Generator {
        var milliseconds: UInt64 = 0
        var random: (UInt16, UInt64) = (0, 0)
        /// Seeded once from the system; ids need uniqueness, not secrecy, and a system call per millisecond
        /// showed up in profiles of checkpointing runs.
        var rng: SplitMix64 = {
            var system = SystemRandomNumberGenerator()
            return SplitMix64(seed: system.next())
        }()
    }

    private static let state = Mutex(Generator())

    /// A new id for the current time.
    public init() {
        self.init(date: Date())
    }

    /// A new id for `date`; within one millisecond, ids keep increasing.
    public init(date: Date) {
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let (time, random) = SortableID.state.withLock { state -> (UInt64, (UInt16, UInt64)) in
            if milliseconds <= state.milliseconds {
                // Same (or earlier) millisecond: keep the clock and increment the random part so order holds.
                var (high, low) = state.random
                low &+= 1
                if low == 0 { high &+= 1 }
                state.random = (high, low)
            } else {
                state.milliseconds = milliseconds
                // Keep the top bit clear so increments within a millisecond cannot overflow.
                state.random = (UInt16(truncatingIfNeeded: state.rng.next()), state.rng.next() >> 1)
            }
            return (state.milliseconds, state.random)
        }
        rawValue = SortableID.encode(time: time, high: random.0, low: random.1)
    }

    /// Wraps an existing id after checking its form.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 26, bytes.allSatisfy({ SortableID.alphabet.contains($0) }) else { return nil }
        rawValue = text
    }

    /// The millisecond the id was made.
    public var date: Date {
        var milliseconds: UInt64 = 0
        for byte in rawValue.utf8.prefix(10) {
            milliseconds = milliseconds << 5 | UInt64(SortableID.alphabet.firstIndex(of: byte) ?? 0)
        }
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    public var description: String { rawValue }

    public static func < (lhs: SortableID, rhs: SortableID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = SortableID(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a sortable id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    private static func encode(time: UInt64, high: UInt16, low: UInt64) -> String {
        var output = [UInt8](repeating: 0, count: 26)
        var value = time
        for index in stride(from: 9, through: 0, by: -1) {
            output[index] = alphabet[Int(value & 31)]
            value >>= 5
        }
        // 80 random bits: 16 high bits and 64 low bits, written as 16 base-32 digits.
        var lowBits = low
        var highBits = UInt64(high)
        for index in stride(from: 25, through: 10, by: -1) {
            output[index] = alphabet[Int(lowBits & 31)]
            lowBits = (lowBits >> 5) | ((highBits & 31) << 59)
            highBits >>= 5
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// A small, fast pseudo-random generator (SplitMix64) for id entropy.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
