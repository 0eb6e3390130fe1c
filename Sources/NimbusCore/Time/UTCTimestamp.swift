public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A time as ISO 8601 in UTC to the second (`2026-12-08T00:13:31Z`), the same text as `date.formatted(.iso8601)`,
/// written directly: listings format two per row, and the format style is slow on a hot path.
public enum UTCTimestamp {
    public static func string(_ date: Date) -> String {
        var seconds = time_t(floor(date.timeIntervalSince1970))
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return date.formatted(.iso8601) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20)
        func digits(_ value: Int32, _ count: Int) {
            var divisor: Int32 = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                bytes.append(UInt8(48 + (rest / divisor) % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(parts.tm_year + 1900, 4)
        bytes.append(0x2D)
        digits(parts.tm_mon + 1, 2)
        bytes.append(0x2D)
        digits(parts.tm_mday, 2)
        bytes.append(0x54)
        digits(parts.tm_hour, 2)
        bytes.append(0x3A)
        digits(parts.tm_min, 2)
        bytes.append(0x3A)
        digits(parts.tm_sec, 2)
        bytes.append(0x5A)
        return String(decoding: bytes, as: UTF8.self)
    }
}
