import Foundation
import NimbusCore
import NimbusGraph

#if canImport(Glibc)
import Glibc
#endif

/// Writing to the terminal: results on standard output, progress and questions on standard error.
enum Console {
    static var standardInputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
    static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func progress(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Asks a question on the terminal; `nil` at end of input.
    static func ask(_ question: String) -> String? {
        FileHandle.standardError.write(Data(question.utf8))
        return readLine(strippingNewline: true)
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

/// Prints a run's events as plain progress lines on standard error.
struct ProgressPrinter: Sendable {
    func handle(_ event: GraphEvent) {
        let indent = String(repeating: "  ", count: event.namespace.count)
        switch event.kind {
        case .runStarted(let graph, let resumed):
            Console.progress("\(indent)\(resumed ? "resuming" : "running") \(graph) on thread \(event.threadID)")
        case .stepStarted(let step, let tasks):
            var counts: [(String, Int)] = []
            for task in tasks {
                if let index = counts.firstIndex(where: { $0.0 == task.node }) {
                    counts[index].1 += 1
                } else {
                    counts.append((task.node, 1))
                }
            }
            let names = counts.map { $0.1 > 1 ? "\($0.0) ×\($0.1)" : $0.0 }.joined(separator: ", ")
            Console.progress("\(indent)step \(step): \(names)")
        case .nodeFinished(let task, let duration):
            Console.progress("\(indent)  done \(task.node)\(label(task)) in \(milliseconds(duration))")
        case .nodeRetrying(let task, let attempt, let delay, let error):
            Console.progress(
                "\(indent)  retrying \(task.node) (attempt \(attempt) failed: \(error)) in \(milliseconds(delay))")
        case .nodeFailed(let task, let error):
            Console.progress("\(indent)  failed \(task.node): \(error)")
        case .custom(let task, let name, let payload):
            if name == "progress", let message = payload["message"]?.stringValue {
                Console.progress("\(indent)  \(task.node): \(message)")
            }
        case .runFinished(let status, let steps, let duration):
            Console.progress("\(indent)\(status.rawValue) after \(steps) steps in \(milliseconds(duration))")
        default:
            break
        }
    }

    private func label(_ task: GraphTask) -> String {
        guard let input = task.input else { return "" }
        return "[\(input.stringValue ?? input.jsonText)]"
    }

    private func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let value = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return value < 10 ? String(format: "%.1f ms", value) : String(format: "%.0f ms", value)
    }
}
