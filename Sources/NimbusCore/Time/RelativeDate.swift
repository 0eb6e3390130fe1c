public import Foundation

/// A point in time as people write it for "since": `30m`, `2h`, `7d`, `90s`, `1w`, or an ISO 8601 date-time or
/// date (`2026-01-31T12:00:00Z`, `2026-01-31`, local midnight).
public enum RelativeDate {
    /// The time `text` names, counted back from `now`; nil if it names none.
    public static func since(_ text: String, now: Date = Date()) -> Date? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        if let unit = text.last, let seconds = units[unit], let amount = Double(text.dropLast()), amount >= 0 {
            return now.addingTimeInterval(-amount * seconds)
        }
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        let day = DateFormatter()
        day.dateFormat = "yyyy-MM-dd"
        day.timeZone = TimeZone.current
        return day.date(from: text)
    }
}
