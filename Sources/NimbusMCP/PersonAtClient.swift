import MCP
import NimbusAgents
import NimbusCore
import NimbusGraph
import Synchronization

/// What the connected client said about itself when it initialised: its name, and whether it can put a form in
/// front of the person using it (MCP elicitation in form mode).
final class ClientSession: Sendable {
    private let state = Mutex<(name: String, canAskForms: Bool)?>(nil)

    func initialized(info: Client.Info, capabilities: Client.Capabilities) {
        state.withLock { $0 = (info.name, capabilities.elicitation?.form != nil) }
    }

    /// `the MCP client 'claude-ai'`, for messages.
    var name: String { state.withLock { $0.map { "the MCP client '\($0.name)'" } } ?? "the MCP client" }
    var canAskForms: Bool { state.withLock { $0?.canAskForms } ?? false }
}

/// The person using the MCP client, reached through it with `elicitation/create`: asked to consent to a change,
/// or to answer a module's open questions. When the client declared no elicitation, nobody can be asked.
struct PersonAtClient: Sendable {
    let server: Server
    let session: ClientSession

    var canBeAsked: Bool { session.canAskForms }
    var clientName: String { session.name }

    /// Asks yes or no; only a submitted form with `approve` true is a yes.
    func consent(_ request: ConsentRequest) async throws -> ConsentAnswer {
        ConsentAnswer(
            try await server.requestElicitation(
                message: request.message, requestedSchema: ConsentRequest.schema, mode: .form))
    }

    /// Asks every open question in one form; nil when the person declined or closed it.
    func answers(to questions: OpenQuestions) async throws -> [String: JSONValue]? {
        let result = try await server.requestElicitation(
            message: questions.message, requestedSchema: questions.schema, mode: .form)
        guard result.action == .accept, let content = result.content else { return nil }
        return questions.answers(from: content.mapValues(JSONValue.init(mcp:)))
    }
}

/// One yes-or-no question before something changes: what would run, in a person's words.
struct ConsentRequest: Sendable, Hashable {
    var message: String

    /// The form: one boolean, `approve`, no by default.
    static let schema = Elicitation.RequestSchema(
        title: "Approve this change?",
        description: "Nimbus runs nothing that writes or deletes without your yes.",
        properties: [
            "approve": .object([
                "type": "boolean", "title": "Approve",
                "description": "Yes runs it; no, or closing this, runs nothing.", "default": false,
            ])
        ],
        required: ["approve"])

    /// The question for one tool call.
    static func step(_ step: PlannedStep, profile: String?, region: String?) -> ConsentRequest {
        let what =
            switch step.access {
            case .delete: "delete something in AWS"
            case .write: "change something"
            case .read: "read something your policy asks about first"
            }
        var lines = ["Nimbus wants to \(what): \(step.summary)."]
        if !step.actions.isEmpty { lines.append("AWS actions: \(step.actions.joined(separator: ", ")).") }
        lines.append("Profile \(profile ?? "default"), region \(region ?? "default").")
        lines.append("Approve it?")
        return ConsentRequest(message: SecretRedactor.redact(lines.joined(separator: "\n")))
    }

    /// The question an ops request's plan asks (``ApprovalQuestion``), with the whole plan.
    static func plan(_ question: ApprovalQuestion) -> ConsentRequest {
        ConsentRequest(message: SecretRedactor.redact(question.question + "\n" + question.summary))
    }
}

/// What the person answered.
enum ConsentAnswer: Sendable, Hashable {
    case approved
    case declined
    /// Closed without choosing.
    case cancelled

    init(_ result: CreateElicitation.Result) {
        switch result.action {
        case .accept: self = result.content?["approve"]?.boolValue == true ? .approved : .declined
        case .decline: self = .declined
        case .cancel: self = .cancelled
        }
    }
}

/// A run's open questions (a module's engine, say) as one form: a field per question — a choice, or yes or no —
/// read back as the answers the run takes, by interrupt id.
struct OpenQuestions: Sendable {
    let interrupts: [Interrupt]

    var message: String {
        "Nimbus needs a few answers to generate the module:\n" + lines.map { "  " + $0 }.joined(separator: "\n")
    }

    /// `engine: Which database engine? (one of postgres, mysql)`.
    var lines: [String] {
        interrupts.map { interrupt in
            let accepts = interrupt.accepts.map { " (\($0.description))" } ?? ""
            return "\(interrupt.questionKey): \(Self.question(interrupt))\(accepts)"
        }
    }

    /// Answers as `generate_module` takes them, for messages: `{"engine": "postgres"}`.
    var example: String {
        let members = interrupts.map { interrupt -> (String, JSONValue) in
            let choice = interrupt.accepts?.choices.first ?? (interrupt.accepts?.kind == .choice ? "" : "yes")
            return (interrupt.questionKey, .string(choice))
        }
        return JSONValue.object(Dictionary(members, uniquingKeysWith: { first, _ in first })).jsonText
    }

    var schema: Elicitation.RequestSchema {
        var properties: [String: MCP.Value] = [:]
        for interrupt in interrupts {
            var field: [String: MCP.Value] = [
                "title": .string(interrupt.questionKey), "description": .string(Self.question(interrupt)),
            ]
            switch interrupt.accepts?.kind {
            case .choice:
                field["type"] = "string"
                field["enum"] = .array(interrupt.accepts?.choices.map(MCP.Value.string) ?? [])
            case .yesNo, .approval:
                field["type"] = "boolean"
            case nil:
                field["type"] = "string"
            }
            properties[interrupt.questionKey] = .object(field)
        }
        return Elicitation.RequestSchema(
            title: "Questions about the module", properties: properties,
            required: interrupts.map(\.questionKey))
    }

    /// The form's content as answers by interrupt id; fields left out are left out.
    func answers(from content: [String: JSONValue]) -> [String: JSONValue] {
        var answers: [String: JSONValue] = [:]
        for interrupt in interrupts {
            guard let value = content[interrupt.questionKey], !value.isNull else { continue }
            answers[interrupt.id] = interrupt.accepts?.reading(value) ?? value
        }
        return answers
    }

    private static func question(_ interrupt: Interrupt) -> String {
        interrupt.value["question"]?.stringValue ?? interrupt.value.stringValue ?? interrupt.value.jsonText
    }
}
