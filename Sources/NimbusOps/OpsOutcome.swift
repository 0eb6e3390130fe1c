public import NimbusAgents
import NimbusCore
public import NimbusGraph
public import NimbusProducts
public import NimbusStore

/// How a request ended or where it waits: what `nimbus ask --output json`, the REST API and MCP return. Its JSON
/// (snake_case keys) is documented in docs/outcomes.md.
public struct OpsOutcome: ProductOutcome {
    /// The graph thread, also the request's id in history and audit.
    public var threadID: String
    public var status: RequestRecord.Status
    public var answer: String?
    /// `offline` or the model's name.
    public var strategy: String
    /// The steps still planned (with `--plan`, or waiting for approval).
    public var plan: [PlannedStep]
    /// What ran, or was refused, declined or skipped.
    public var steps: [ExecutedStep]
    /// The open approval question, when the run waits for one.
    public var approval: PendingApproval?
    /// Secrets this call's steps returned (a presigned URL, a new secret key), for the person who asked and
    /// nobody else: everything stored, logged or sent to a model has them redacted, so show them now or never.
    public var revealed: [RevealedSecrets.Secret] = []
    public var questions: [Interrupt]

    /// An approval question and the interrupt id that answers it.
    public struct PendingApproval: Sendable, Codable, Hashable {
        public var interruptID: String
        public var question: ApprovalQuestion

        enum CodingKeys: String, CodingKey {
            case interruptID = "interrupt_id"
            case question
        }
    }

    public var state: ProductState {
        switch status {
        case .awaitingApproval: .waiting
        case .completed, .planned, .declined, .running: .done
        case .refused: .refused
        case .failed: .failed
        }
    }

    init(threadID: String, state: OpsWorkflow.State, interrupts: [Interrupt]) {
        self.threadID = threadID
        strategy = state.strategy
        plan = state.loop.plan
        steps = state.loop.executed
        answer = state.answer
        status = state.status
        questions = interrupts
        if let interrupt = interrupts.first {
            status = .awaitingApproval
            let question = (try? interrupt.value.decode(ApprovalQuestion.self)) ?? ApprovalGate.question(for: plan)
            approval = PendingApproval(interruptID: interrupt.id, question: question)
        }
    }

    // MARK: JSON

    enum CodingKeys: String, CodingKey {
        case status, answer, strategy, plan, steps, approval, revealed, questions
        case threadID = "thread_id"
    }

    /// A step as the JSON shows it: the plan's fields, and for what ran its status, result and failure.
    struct StepJSON: Codable {
        var number: Int
        var tool: String
        var arguments: JSONValue
        var access: ToolAccess
        var actions: [String]
        var summary: String
        /// The decision in words: `runs`, `asks first`, `approved by --yes`, `refused`, …
        var decision: String
        var status: ExecutedStep.Status?
        var result: JSONValue?
        var reason: String?
        var error: String?
        var errorCode: String?
        var hint: String?

        enum CodingKeys: String, CodingKey {
            case number, tool, arguments, access, actions, summary, decision, status, result, reason, error, hint
            case errorCode = "error_code"
        }

        init(_ step: PlannedStep, executed: ExecutedStep? = nil) {
            number = step.number
            tool = step.tool
            arguments = step.arguments
            access = step.access
            actions = step.actions
            summary = step.summary
            decision = step.decision.label
            status = executed?.status
            result = executed?.result
            reason = executed?.reason
            error = executed?.failure?.message
            errorCode = executed?.failure?.code
            hint = executed?.failure?.hint
        }

        var planned: PlannedStep {
            PlannedStep(
                number: number, tool: tool, arguments: arguments, access: access, actions: actions, summary: summary,
                decision: StepDecision(label: decision, reason: reason))
        }

        var executed: ExecutedStep {
            ExecutedStep(
                step: planned, status: status ?? .skipped, result: result,
                failure: error.map { StepFailure(message: $0, code: errorCode, hint: hint) }, reason: reason)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(threadID, forKey: .threadID)
        try container.encode(status, forKey: .status)
        try container.encode(answer, forKey: .answer)
        try container.encode(strategy, forKey: .strategy)
        try container.encode(plan.map { StepJSON($0) }, forKey: .plan)
        try container.encode(steps.map { StepJSON($0.step, executed: $0) }, forKey: .steps)
        try container.encodeIfPresent(approval, forKey: .approval)
        try container.encode(revealed, forKey: .revealed)
        try container.encode(questions, forKey: .questions)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        threadID = try container.decode(String.self, forKey: .threadID)
        status = try container.decode(RequestRecord.Status.self, forKey: .status)
        answer = try container.decodeIfPresent(String.self, forKey: .answer)
        strategy = try container.decode(String.self, forKey: .strategy)
        plan = try container.decode([StepJSON].self, forKey: .plan).map(\.planned)
        steps = try container.decode([StepJSON].self, forKey: .steps).map(\.executed)
        approval = try container.decodeIfPresent(PendingApproval.self, forKey: .approval)
        revealed = try container.decodeIfPresent([RevealedSecrets.Secret].self, forKey: .revealed) ?? []
        questions = try container.decodeIfPresent([Interrupt].self, forKey: .questions) ?? []
    }
}

extension StepDecision {
    /// The decision a ``label`` names (what the JSON of a step carries), with the reason a refusal or skip gave.
    init(label: String, reason: String?) {
        switch label {
        case "runs": self = .run(rule: nil)
        case "asks first": self = .needsApproval(rule: nil)
        case "declined": self = .declined
        case "refused": self = .refused(reason: reason ?? "")
        case "nothing to do": self = .skip(reason: reason ?? "")
        case "not reviewed": self = .pending
        default:
            if label.hasPrefix("allowed by ") {
                self = .run(rule: String(label.dropFirst("allowed by ".count)))
            } else if label.hasPrefix("approved by ") {
                self = .approved(by: String(label.dropFirst("approved by ".count)))
            } else {
                self = .pending
            }
        }
    }
}
