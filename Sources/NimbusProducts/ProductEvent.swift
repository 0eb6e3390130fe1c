public import Foundation
import NimbusCore
public import NimbusGraph
import Synchronization

/// What a product reports while it runs, in the words a person or a client watches: the same events for the
/// command line's progress lines, the server's WebSocket and MCP progress notifications. JSON with snake_case
/// keys and a `type` (see docs/outcomes.md).
public struct ProductEvent: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A run started or resumed.
        case started
        /// An agent (a node, inside its phase: `generate › resources`) began.
        case agentStarted = "agent_started"
        /// An agent said what it is doing (`message`, and `fraction` done when known).
        case progress
        /// An agent failed an attempt and will try again.
        case retrying
        /// An agent failed.
        case failed
        /// The run waits for answers (`questions`).
        case waiting
        /// The run ended or paused (`status`, `steps`).
        case finished
    }

    public var type: Kind
    public var threadID: String
    public var time: Date
    /// `generate › resources`, `execute`; nil for the run as a whole.
    public var agent: String?
    public var message: String?
    public var fraction: Double?
    /// The questions a waiting run asks, by key.
    public var questions: [String]?
    /// `completed`, `interrupted`, `failed` for ``Kind/finished``.
    public var status: String?
    public var steps: Int?

    public init(
        type: Kind, threadID: String, time: Date = Date(), agent: String? = nil, message: String? = nil,
        fraction: Double? = nil, questions: [String]? = nil, status: String? = nil, steps: Int? = nil
    ) {
        self.type = type
        self.threadID = threadID
        self.time = time
        self.agent = agent
        self.message = message
        self.fraction = fraction
        self.questions = questions
        self.status = status
        self.steps = steps
    }

    enum CodingKeys: String, CodingKey {
        case type, time, agent, message, fraction, questions, status, steps
        case threadID = "thread_id"
    }
}

/// Turns a run's graph events into ``ProductEvent``s: subgraph tasks are named by the phase that runs them
/// (`planner › review`), secrets are redacted, and only what a person would watch is kept.
public final class ProductEventTranslator: Sendable {
    /// The graph events the translation reads.
    public static let modes: EventModes = [.custom, .debug]

    /// Subgraph task ids → the phase (top-level node) they run in.
    private let phases = Mutex<[String: String]>([:])

    public init() {}

    public func translate(_ event: GraphEvent) -> ProductEvent? {
        func make(_ type: ProductEvent.Kind, agent: String? = nil, message: String? = nil) -> ProductEvent {
            ProductEvent(
                type: type, threadID: event.threadID, time: event.time, agent: agent,
                message: message.map { SecretRedactor.redact($0) })
        }
        switch event.kind {
        case .runStarted(_, let resumed) where event.namespace.isEmpty:
            return make(.started, message: resumed ? "resumed" : "started")
        case .nodeStarted(let task, let attempt):
            if event.namespace.isEmpty { phases.withLock { $0[task.id] = task.node } }
            return make(
                .agentStarted, agent: name(task, event.namespace), message: attempt > 1 ? "attempt \(attempt)" : nil)
        case .custom(let task, "progress", let payload):
            guard let message = payload["message"]?.stringValue else { return nil }
            var typed = make(.progress, agent: name(task, event.namespace), message: message)
            typed.fraction = payload["fraction"]?.doubleValue
            return typed
        case .nodeRetrying(let task, let attempt, _, let error):
            return make(.retrying, agent: name(task, event.namespace), message: "attempt \(attempt) failed: \(error)")
        case .nodeFailed(let task, let error):
            return make(.failed, agent: name(task, event.namespace), message: error)
        case .interrupted(let interrupts) where event.namespace.isEmpty:
            var typed = make(.waiting)
            typed.questions = interrupts.map(\.questionKey)
            return typed
        case .runFinished(let status, let steps, _) where event.namespace.isEmpty:
            var typed = make(.finished)
            typed.status = status.rawValue
            typed.steps = steps
            return typed
        default:
            return nil
        }
    }

    private func name(_ task: GraphTask, _ namespace: [String]) -> String {
        guard !namespace.isEmpty else { return task.node }
        let phase = phases.withLock { phases in namespace.map { phases[$0] ?? $0 }.first ?? "" }
        return "\(phase) › \(task.node)"
    }
}
