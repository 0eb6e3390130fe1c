import ArgumentParser
import NimbusCore
import NimbusGraph

/// Where answers to a paused run come from: `--answer id=value` flags, `--yes`, or the terminal.
struct AnswerOptions: ParsableArguments {
    @Option(
        name: .customLong("answer"),
        help: ArgumentHelp(
            "Answer a pending interrupt without a terminal (repeatable). The value is read as JSON when it parses, else as text.",
            valueName: "id=value"))
    var answers: [String] = []

    @Flag(name: .shortAndLong, help: "Answer yes to every approval.")
    var yes = false

    /// The `--answer` flags as a map.
    func parsed() throws -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for answer in answers {
            guard let equals = answer.firstIndex(of: "=") else {
                throw ValidationError("--answer takes id=value, not '\(answer)'")
            }
            let id = String(answer[..<equals])
            let text = String(answer[answer.index(after: equals)...])
            result[id] = (try? JSONValue(parsing: text)) ?? .string(text)
        }
        return result
    }

    /// Answers for `interrupts`: from flags, `--yes`, or by asking on the terminal. `nil` when some interrupt
    /// stays unanswered and there is no terminal to ask on.
    func answers(for interrupts: [Interrupt], interactive: Bool) throws -> [String: JSONValue]? {
        var result = try parsed().filter { key, _ in interrupts.contains { $0.id == key } }
        for interrupt in interrupts where result[interrupt.id] == nil {
            if yes {
                result[interrupt.id] = .bool(true)
                continue
            }
            guard interactive else { return nil }
            let question =
                interrupt.value["question"]?.stringValue ?? interrupt.value.stringValue
                ?? interrupt.value.prettyJSONText
            if let summary = interrupt.value["summary"]?.stringValue { Console.progress(summary) }
            let where_ =
                interrupt.namespace.isEmpty
                ? interrupt.node : interrupt.namespace.joined(separator: "/") + "/" + interrupt.node
            guard let reply = Console.ask("[\(where_)] \(question) [y/N] ") else { return nil }
            let trimmed = reply.trimmingCharacters(in: .whitespaces)
            switch trimmed.lowercased() {
            case "y", "yes": result[interrupt.id] = .bool(true)
            case "", "n", "no": result[interrupt.id] = .bool(false)
            default: result[interrupt.id] = (try? JSONValue(parsing: trimmed)) ?? .string(trimmed)
            }
        }
        return result
    }
}

/// Prints how to continue a paused run from another shell.
func printResumeHint(threadID: String, interrupts: [Interrupt]) {
    Console.progress("The run is waiting for an answer:")
    for interrupt in interrupts {
        let question = interrupt.value["question"]?.stringValue ?? interrupt.value.jsonText
        Console.progress("  \(interrupt.id): \(question)")
    }
    let flags = interrupts.map { "--answer '\($0.id)=true'" }.joined(separator: " ")
    Console.progress("Continue it with: nimbus runs resume \(threadID) \(flags)")
}
