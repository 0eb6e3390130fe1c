import Foundation
import NimbusCore
import NimbusGraph
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Writing to the terminal: results on standard output, progress and questions on standard error.
///
/// Everything printed is made printable first (``TerminalText``): text from the cloud — a log line, a tag, a
/// key — cannot clear the screen, retitle the window or hide what follows. Writes go straight to the file
/// descriptors: when the reader goes away (`nimbus transfer … | head -2`), output stops quietly and the command
/// finishes its work instead of dying of SIGPIPE.
enum Console {
    static var standardInputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
    static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Progress as JSON lines on standard error (`--log-format json`), like the logs.
    static let progressAsJSON = Atomic<Bool>(false)
    /// Set when standard output's reader has gone: nothing more is written there.
    static let outputClosed = Atomic<Bool>(false)

    static func out(_ text: String) {
        guard !outputClosed.load(ordering: .relaxed) else { return }
        if !write(TerminalText.printable(text) + "\n", to: STDOUT_FILENO) {
            outputClosed.store(true, ordering: .relaxed)
        }
    }

    /// A JSON document on standard output. The JSON writer escapes every control character, so it is printed as
    /// is (a visible escape inside a string literal would not be JSON).
    static func json(_ value: JSONValue) {
        outVerbatim(value.prettyJSONText + "\n")
    }

    /// Text exactly as given, for output that is data rather than words (a file's formatted contents).
    static func outVerbatim(_ text: String) {
        guard !outputClosed.load(ordering: .relaxed) else { return }
        if !write(text, to: STDOUT_FILENO) { outputClosed.store(true, ordering: .relaxed) }
    }

    static func progress(_ text: String) {
        if progressAsJSON.load(ordering: .relaxed) {
            let line: JSONValue = [
                "time": .string(Date().formatted(.iso8601)), "level": "info", "label": "nimbus.progress",
                "message": .string(SecretRedactor.redact(text)),
            ]
            _ = write(line.jsonText + "\n", to: STDERR_FILENO)
            return
        }
        _ = write(TerminalText.printable(text) + "\n", to: STDERR_FILENO)
    }

    /// Writes our own terminal drawing (a progress bar's `\r` redraw) to standard error as is.
    static func draw(_ text: String) {
        _ = write(text, to: STDERR_FILENO)
    }

    /// Writes a prompt (printable) to standard error, without a newline.
    static func prompt(_ text: String) {
        _ = write(TerminalText.printable(text), to: STDERR_FILENO)
    }

    /// Asks a question on the terminal; `nil` at end of input.
    static func ask(_ question: String) -> String? {
        prompt(question)
        return readLine(strippingNewline: true)
    }

    /// Writes all of `text`; false when the reader is gone (EPIPE) or the descriptor fails.
    @discardableResult
    static func write(_ text: String, to descriptor: Int32) -> Bool {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            bytes = bytes.dropFirst(written)
        }
        return true
    }

    /// Prints rows as aligned columns.
    static func table(_ header: [String], _ rows: [[String]]) {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        out(line(header))
        for row in rows { out(line(row)) }
    }

    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        formatter.timeZone = TimeZone.current
        return formatter.string(from: date)
    }
}
