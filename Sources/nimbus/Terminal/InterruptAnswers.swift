import ArgumentParser
import NimbusCore
import NimbusGraph

/// Where answers to a paused run come from: `--answer id=value` flags, `--yes`, or the terminal.
struct AnswerOptions: ParsableArguments {
    @Option(
        name: .customLong("answer"),
        help: ArgumentHelp(
            "Answer a question or approval without a terminal (repeatable): by interrupt id or by the question's key "
                + "(engine=postgres). The value is read as JSON when it parses, else as text.",
            valueName: "key=value"))
    var answers: [String] = []

    @Flag(name: .shortAndLong, help: "Answer yes to every approval (questions with choices still need an answer).")
    var yes = false

    /// The `--answer` flags as a map.
    func parsed() throws -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for answer in answers {
            guard let equals = answer.firstIndex(of: "="), equals != answer.startIndex else {
                throw ValidationError("--answer takes key=value, not '\(answer)'")
            }
            let id = String(answer[..<equals])
            let text = String(answer[answer.index(after: equals)...])
            result[id] = (try? JSONValue(parsing: text)) ?? .string(text)
        }
        return result
    }

    /// The `--answer` flags as text, for workflows that take answers up front.
    func parsedText() throws -> [String: String] {
        try parsed().mapValues { $0.stringValue ?? $0.jsonText }
    }

    /// Answers for `interrupts`: from flags (by interrupt id or the question's `key`), `--yes` for approvals, or by
    /// asking on the terminal. `nil` when some interrupt stays unanswered and there is no terminal to ask on.
    func answers(for interrupts: [Interrupt], interactive: Bool) throws -> [String: JSONValue]? {
        let given = try parsed()
        var result: [String: JSONValue] = [:]
        for interrupt in interrupts {
            if let answer = given[interrupt.id] ?? interrupt.value["key"]?.stringValue.flatMap({ given[$0] }) {
                result[interrupt.id] = answer
                continue
            }
            let choices = interrupt.value["choices"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if yes && choices.isEmpty {
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
            let hint = choices.isEmpty ? "[y/N]" : "[\(choices.joined(separator: "/"))]"
            guard let reply = Console.ask("[\(where_)] \(question) \(hint) ") else { return nil }
            let trimmed = reply.trimmingCharacters(in: .whitespaces)
            if !choices.isEmpty {
                result[interrupt.id] = .string(trimmed)
                continue
            }
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
    var flags: [String] = []
    for interrupt in interrupts {
        let question = interrupt.value["question"]?.stringValue ?? interrupt.value.jsonText
        let choices = interrupt.value["choices"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let key = interrupt.value["key"]?.stringValue ?? interrupt.id
        Console.progress("  \(key): \(question)" + (choices.isEmpty ? "" : " (\(choices.joined(separator: ", ")))"))
        flags.append("--answer '\(key)=\(choices.first ?? "true")'")
    }
    Console.progress("Continue it with: nimbus runs resume \(threadID) \(flags.joined(separator: " "))")
}
