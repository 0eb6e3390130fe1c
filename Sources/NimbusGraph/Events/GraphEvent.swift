public import Foundation
public import NimbusCore

/// Which events a consumer wants; cheaper runs come from asking for less.
public struct EventModes: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The whole state after each step.
    public static let values = EventModes(rawValue: 1 << 0)
    /// Each node's writes as it finishes.
    public static let updates = EventModes(rawValue: 1 << 1)
    /// Events emitted by nodes: progress, model tokens, anything custom.
    public static let custom = EventModes(rawValue: 1 << 2)
    /// Lifecycle: run, step and node start and finish (with durations), retries, failures, checkpoints.
    public static let debug = EventModes(rawValue: 1 << 3)

    public static let all: EventModes = [.values, .updates, .custom, .debug]
}

/// Something that happened in a run. Events from subgraphs carry the subgraph path in ``namespace``.
public struct GraphEvent: Sendable {
    /// The subgraph path (`["planner"]`), empty for the top-level graph.
    public var namespace: [String]
    public var threadID: String
    public var time: Date
    public var kind: Kind

    public enum Kind: Sendable {
        case runStarted(graph: String, resumed: Bool)
        case stepStarted(step: Int, tasks: [GraphTask])
        case nodeStarted(GraphTask, attempt: Int)
        case nodeFinished(GraphTask, duration: Duration)
        case nodeRetrying(GraphTask, attempt: Int, delay: Duration, error: String)
        case nodeFailed(GraphTask, error: String)
        /// A node's writes, field name to written value.
        case updates(GraphTask, writes: [String: JSONValue])
        /// The whole state after a step.
        case values(step: Int, state: JSONValue)
        case custom(GraphTask, name: String, payload: JSONValue)
        case checkpointSaved(id: String, step: Int)
        case stepFinished(step: Int, duration: Duration)
        case interrupted([Interrupt])
        case runFinished(status: RunStatus, steps: Int, duration: Duration)

        var mode: EventModes {
            switch self {
            case .values: .values
            case .updates: .updates
            case .custom: .custom
            default: .debug
            }
        }
    }

    public init(namespace: [String], threadID: String, kind: Kind, time: Date = Date()) {
        self.namespace = namespace
        self.threadID = threadID
        self.kind = kind
        self.time = time
    }

    /// The mode this event belongs to.
    public var mode: EventModes { kind.mode }

    /// A short name for the event type (`node_finished`, `custom`, …).
    public var name: String {
        switch kind {
        case .runStarted: "run_started"
        case .stepStarted: "step_started"
        case .nodeStarted: "node_started"
        case .nodeFinished: "node_finished"
        case .nodeRetrying: "node_retrying"
        case .nodeFailed: "node_failed"
        case .updates: "updates"
        case .values: "values"
        case .custom: "custom"
        case .checkpointSaved: "checkpoint_saved"
        case .stepFinished: "step_finished"
        case .interrupted: "interrupted"
        case .runFinished: "run_finished"
        }
    }

    /// The node the event is about, if any.
    public var node: String? {
        switch kind {
        case .nodeStarted(let task, _), .nodeFinished(let task, _), .nodeRetrying(let task, _, _, _),
            .nodeFailed(let task, _), .updates(let task, _), .custom(let task, _, _):
            task.node
        default: nil
        }
    }

    /// The event as JSON (for storage, logs and the server), with secrets redacted.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "event": .string(name), "thread_id": .string(threadID),
            "time": .string(time.formatted(.iso8601)),
        ]
        if !namespace.isEmpty { object["namespace"] = .array(namespace.map(JSONValue.string)) }
        func task(_ task: GraphTask) -> JSONValue {
            var members: [String: JSONValue] = ["id": .string(task.id), "node": .string(task.node)]
            if let input = task.input { members["input"] = input }
            return .object(members)
        }
        func milliseconds(_ duration: Duration) -> JSONValue {
            let (seconds, attoseconds) = duration.components
            return .double(Double(seconds) * 1000 + Double(attoseconds) / 1e15)
        }
        switch kind {
        case .runStarted(let graph, let resumed):
            object["graph"] = .string(graph)
            object["resumed"] = .bool(resumed)
        case .stepStarted(let step, let tasks):
            object["step"] = .int(step)
            object["tasks"] = .array(tasks.map(task))
        case .nodeStarted(let started, let attempt):
            object["task"] = task(started)
            object["attempt"] = .int(attempt)
        case .nodeFinished(let finished, let duration):
            object["task"] = task(finished)
            object["duration_ms"] = milliseconds(duration)
        case .nodeRetrying(let retrying, let attempt, let delay, let error):
            object["task"] = task(retrying)
            object["attempt"] = .int(attempt)
            object["delay_ms"] = milliseconds(delay)
            object["error"] = .string(error)
        case .nodeFailed(let failed, let error):
            object["task"] = task(failed)
            object["error"] = .string(error)
        case .updates(let updated, let writes):
            object["task"] = task(updated)
            object["writes"] = .object(writes)
        case .values(let step, let state):
            object["step"] = .int(step)
            object["state"] = state
        case .custom(let emitted, let name, let payload):
            object["task"] = task(emitted)
            object["name"] = .string(name)
            object["payload"] = payload
        case .checkpointSaved(let id, let step):
            object["checkpoint_id"] = .string(id)
            object["step"] = .int(step)
        case .stepFinished(let step, let duration):
            object["step"] = .int(step)
            object["duration_ms"] = milliseconds(duration)
        case .interrupted(let interrupts):
            object["interrupts"] = (try? JSONValue(encoding: interrupts)) ?? .array([])
        case .runFinished(let status, let steps, let duration):
            object["status"] = .string(status.rawValue)
            object["steps"] = .int(steps)
            object["duration_ms"] = milliseconds(duration)
        }
        return SecretRedactor.redact(.object(object))
    }
}

/// Where a run's lifecycle events are kept for later (`nimbus runs show --events`). NimbusStore's SQLite store
/// is one; events are handed over once per step, in order.
public protocol GraphEventLog: Sendable {
    func append(_ events: [GraphEvent]) async throws
}
