import Foundation

/// Timestamps on the wire: ISO 8601 (`2015-01-25T08:00:00Z`), RFC 822 / HTTP dates (`Sun, 25 Jan 2015 08:00:00
/// GMT`) and Unix epoch seconds, read and written without Foundation's formatters.
enum Timestamps {
    /// Seconds since 1970 from a parameter: a number of seconds, or a string in any of the three formats.
    static func seconds(from value: OrderedJSON) -> Double? {
        switch value {
        case .number(let text): return Double(text)
        case .string(let text): return parse(text)
        default: return nil
        }
    }

    /// Parses ISO 8601 (with offsets and fractions), RFC 822 / RFC 7231 dates or epoch seconds.
    static func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let number = Double(trimmed) { return number }
        if let iso = parseISO8601(trimmed) { return iso }
        return parseHTTPDate(trimmed)
    }

    static func parseISO8601(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for offset in 0..<count {
                let byte = bytes[index + offset]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += count
            return value
        }
        func expect(_ character: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == character else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(UInt8(ascii: "-")), let month = number(2), expect(UInt8(ascii: "-")),
            let day = number(2)
        else { return nil }
        guard index < bytes.count,
            bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: "t")
                || bytes[index] == UInt8(ascii: " ")
        else {
            return index == bytes.count
                ? Double(CivilTime.epochSeconds(year: year, month: month, day: day, hour: 0, minute: 0, second: 0))
                : nil
        }
        index += 1
        guard let hour = number(2), expect(UInt8(ascii: ":")), let minute = number(2), expect(UInt8(ascii: ":")),
            let second = number(2)
        else { return nil }
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"): index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
                guard let hours = number(2) else { return nil }
                _ = expect(UInt8(ascii: ":"))
                let minutes = number(2) ?? 0
                offset = sign * (hours * 3600 + minutes * 60)
            default: return nil
            }
        }
        guard index == bytes.count else { return nil }
        let base = CivilTime.epochSeconds(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return Double(base - offset) + fraction
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let monthNames = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    private static let dayNames = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]

    /// `Sun, 25 Jan 2015 08:00:00 GMT` (also without the weekday, with fractions, or with a numeric zone).
    static func parseHTTPDate(_ text: String) -> Double? {
        var parts = text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        if let first = parts.first, first.count >= 3, Int(first) == nil { parts.removeFirst() }
        guard parts.count >= 4, let day = Int(parts[0]),
            let month = months.firstIndex(of: String(parts[1].prefix(3)).lowercased()), var year = Int(parts[2])
        else { return nil }
        if year < 100 { year += year < 70 ? 2000 : 1900 }
        let time = parts[3].split(separator: ":")
        guard time.count >= 2, let hour = Int(time[0]), let minute = Int(time[1]) else { return nil }
        var seconds = 0.0
        if time.count > 2 { seconds = Double(time[2]) ?? 0 }
        var offset = 0
        if parts.count > 4, let zone = parts.last, zone.first == "+" || zone.first == "-", zone.count == 5,
            let value = Int(zone.dropFirst())
        {
            offset = (zone.first == "-" ? -1 : 1) * ((value / 100) * 3600 + (value % 100) * 60)
        }
        let base = CivilTime.epochSeconds(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: 0)
        return Double(base - offset) + seconds
    }

    /// `2015-01-25T08:00:00Z`, with milliseconds when the time has a fraction.
    static func iso8601(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.down))
        let millis = Int(((seconds - Double(whole)) * 1000).rounded())
        let civil = CivilTime(epochSeconds: whole)
        var text =
            "\(pad(civil.year, 4))-\(pad(civil.month))-\(pad(civil.day))T\(pad(civil.hour)):\(pad(civil.minute)):\(pad(civil.second))"
        if millis > 0 { text += "." + pad(millis, 3) }
        return text + "Z"
    }

    /// `Sun, 25 Jan 2015 08:00:00 GMT`.
    static func httpDate(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.down))
        let civil = CivilTime(epochSeconds: whole)
        let days = whole >= 0 ? whole / 86_400 : (whole - 86_399) / 86_400
        let weekday = dayNames[((days % 7) + 7) % 7]
        return
            "\(weekday), \(pad(civil.day)) \(monthNames[civil.month - 1]) \(civil.year) \(pad(civil.hour)):\(pad(civil.minute)):\(pad(civil.second)) GMT"
    }

    /// Epoch seconds as text: an integer when whole, else with up to three decimals.
    static func epochText(_ seconds: Double) -> String {
        if seconds == seconds.rounded() { return String(Int(seconds)) }
        var text = String(format: "%.3f", seconds)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    private static func pad(_ number: Int, _ width: Int = 2) -> String {
        let text = String(number)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
