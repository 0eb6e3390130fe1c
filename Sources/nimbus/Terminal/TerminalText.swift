/// Text made safe for a terminal: control characters, which a log line or tag from the cloud could use to clear
/// the screen, set the window title or rewrite what was printed (`\u{1B}[2J`, `\u{1B}]0;…\u{07}`), are shown as
/// visible escapes (`\e`, `\x07`, `\u{202E}`) instead of being obeyed. Line feeds and tabs stay.
enum TerminalText {
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                output.append(scalar)
                continue
            }
            let escape: String
            switch scalar.value {
            case 0x1B: escape = "\\e"
            case 0x0D: escape = "\\r"
            case 0x08: escape = "\\b"
            case 0..<0x100: escape = "\\x" + hex(scalar.value, width: 2)
            default: escape = "\\u{" + hex(scalar.value, width: 4) + "}"
            }
            output.append(contentsOf: escape.unicodeScalars)
        }
        return String(output)
    }

    /// C0 controls but line feed and tab, DEL, C1 controls, and the bidirectional overrides and isolates that
    /// can make text read other than it is.
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: return false
        case 0..<0x20, 0x7F, 0x80...0x9F: return true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: return true
        default: return false
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
