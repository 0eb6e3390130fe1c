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
    ///
    /// A flag's answer that the question does not take is refused with the question and its accepted answers (on a
    /// terminal, it is said and the question asked instead); nothing is resumed, so the run still waits.
    func answers(for interrupts: [Interrupt], threadID: String, interactive: Bool) throws -> [String: JSONValue]? {
        let given = try parsed()
        var result: [String: JSONValue] = [:]
        for interrupt in interrupts {
            if let answer = given[interrupt.id] ?? interrupt.value["key"]?.stringValue.flatMap({ given[$0] }) {
                guard let refusal = interrupt.refusal(of: answer) else {
                    result[interrupt.id] = answer
                    continue
                }
                guard interactive else {
                    printResumeHint(threadID: threadID, interrupts: interrupts)
                    throw refusal
                }
                Console.progress(refusal.message)
            }
            let choices = choices(of: interrupt)
            if yes && choices.isEmpty {
                result[interrupt.id] = .bool(true)
                continue
            }
            guard interactive, let answer = ask(interrupt) else { return nil }
            result[interrupt.id] = answer
        }
        return result
    }

    /// Asks one interrupt on the terminal until the answer is one it takes; `nil` at the end of input.
    private func ask(_ interrupt: Interrupt) -> JSONValue? {
        let question =
            interrupt.value["question"]?.stringValue ?? interrupt.value.stringValue ?? interrupt.value.prettyJSONText
        if let summary = interrupt.value["summary"]?.stringValue { Console.progress(summary) }
        let where_ =
            interrupt.namespace.isEmpty
            ? interrupt.node : interrupt.namespace.joined(separator: "/") + "/" + interrupt.node
        let choices = choices(of: interrupt)
        let hint = interrupt.accepts?.hint ?? (choices.isEmpty ? "y/N" : choices.joined(separator: "/"))
        while true {
            guard let reply = Console.ask("[\(where_)] \(question) [\(hint)] ") else { return nil }
            switch terminalAnswer(reply, for: interrupt) {
            case .success(let answer): return answer
            case .failure(let problem): Console.progress(problem.message)
            }
        }
    }

    /// The choices a question offers: its accepted choices, else the `choices` its value lists.
    private func choices(of interrupt: Interrupt) -> [String] {
        if let accepts = interrupt.accepts { return accepts.kind == .choice ? accepts.choices : [] }
        return interrupt.value["choices"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }
}

/// Reads a reply typed at the terminal: an empty reply is a no to a yes-or-no question; a reply the question does not
/// take is a failure that says what it takes, and the caller asks again.
func terminalAnswer(_ reply: String, for interrupt: Interrupt) -> Result<JSONValue, GraphError> {
    let trimmed = reply.trimmingCharacters(in: .whitespaces)
    guard let accepts = interrupt.accepts else {
        // A question without declared answers takes anything; its value's choices take their text as it is.
        if interrupt.value["choices"]?.arrayValue?.isEmpty == false { return .success(.string(trimmed)) }
        switch trimmed.lowercased() {
        case "y", "yes": return .success(.bool(true))
        case "", "n", "no": return .success(.bool(false))
        default: return .success((try? JSONValue(parsing: trimmed)) ?? .string(trimmed))
        }
    }
    let answer: JSONValue = trimmed.isEmpty && accepts.kind != .choice ? .bool(false) : .string(trimmed)
    if let refusal = interrupt.refusal(of: answer) { return .failure(refusal) }
    return .success(answer)
}

/// Prints how to continue a paused run from another shell.
func printResumeHint(threadID: String, interrupts: [Interrupt]) {
    Console.progress("The run is waiting for an answer:")
    var flags: [String] = []
    for interrupt in interrupts {
        let question = interrupt.value["question"]?.stringValue ?? interrupt.value.jsonText
        let choices =
            interrupt.accepts.map { $0.kind == .choice ? $0.choices : [] }
            ?? interrupt.value["choices"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let key = interrupt.questionKey
        let accepted =
            interrupt.accepts.map { " (\($0))" } ?? (choices.isEmpty ? "" : " (\(choices.joined(separator: ", ")))")
        Console.progress("  \(key): \(question)" + accepted)
        flags.append("--answer '\(key)=\(choices.first ?? "true")'")
    }
    Console.progress("Continue it with: nimbus runs resume \(threadID) \(flags.joined(separator: " "))")
}
