public import Foundation
public import Logging
public import NimbusCore
import Synchronization

/// What a running node can do besides reading state: read its send input, ask a person (`interrupt`),
/// record side effects so they are never repeated (`step`), and report progress (`emit`).
public struct NodeContext: Sendable {
    /// The node's name.
    public var node: String { recorder.task.node }
    /// The task's id, unique within the thread and stable across resumes.
    public var taskID: String { recorder.task.id }
    /// The thread the run belongs to.
    public var threadID: String { recorder.environment.threadID }
    /// The superstep this task runs in (1 for the first).
    public let step: Int
    /// Which attempt this is (1 for the first; more with a retry policy).
    public let attempt: Int
    /// The subgraph path, empty in the top-level graph.
    public var namespace: [String] { recorder.environment.namespace }
    /// A logger whose messages carry the thread and node.
    public var logger: Logger {
        var logger = recorder.environment.logger
        logger[metadataKey: "thread"] = "\(threadID)"
        logger[metadataKey: "node"] = "\(node)"
        return logger
    }

    @usableFromInline let recorder: TaskRecorder

    @usableFromInline init(recorder: TaskRecorder, step: Int, attempt: Int) {
        self.recorder = recorder
        self.step = step
        self.attempt = attempt
    }

    /// The input a router sent to this task with `Route.send(_:_:)`.
    public func input<T: Decodable>(_ type: T.Type) throws -> T {
        guard let input = recorder.task.input else {
            throw GraphError.badInput(node: node, expected: "\(T.self)", detail: "the task was not started by a send")
        }
        do {
            return try input.decode(type)
        } catch let error as JSONValueError {
            throw GraphError.badInput(node: node, expected: "\(T.self)", detail: error.message)
        }
    }

    /// Whether the task was started with a send input.
    public var hasInput: Bool { recorder.task.input != nil }

    /// Pauses the run to ask a question; returns the answer once the run is resumed with one.
    ///
    /// The node is re-run from the start on resume, and this call then returns the answer instead of pausing.
    /// Side effects before the call belong in ``step(_:_:)`` so they are not repeated. Several calls in one
    /// node are matched to answers by their order. Do not catch the error this throws.
    @discardableResult
    public func interrupt(_ value: some Encodable & Sendable) throws -> JSONValue {
        try ask(value, accepts: nil)
    }

    /// Pauses the run to ask a question that takes only `accepts`; returns the answer in its canonical form
    /// (``AcceptedAnswers/reading(_:)``: the choice, a boolean, or step numbers).
    ///
    /// A resume with any other answer is refused before anything is stored, so the node never sees one; an answer
    /// stored some other way that is not accepted asks the question again.
    public func interrupt(_ value: some Encodable & Sendable, accepts: AcceptedAnswers) throws -> JSONValue {
        try ask(value, accepts: accepts)
    }

    private func ask(_ value: some Encodable & Sendable, accepts: AcceptedAnswers?) throws -> JSONValue {
        let index = recorder.nextInterruptIndex()
        let id = recorder.interruptID(index)
        if let answer = recorder.answer(for: id) {
            guard let accepts else { return answer }
            if let reading = accepts.reading(answer) { return reading }
        }
        guard recorder.environment.store != nil else {
            throw GraphError.checkpointStoreRequired("interrupt() in node '\(node)'")
        }
        let interrupt = Interrupt(
            id: id, kind: .node, node: node, taskID: taskID, namespace: namespace,
            value: SecretRedactor.redact(try JSONValue(encoding: value)), accepts: accepts)
        recorder.raise([interrupt])
        throw NodeInterruptSignal()
    }

    /// Pauses the run to ask a question and decodes the answer as `Answer`.
    public func interrupt<Answer: Decodable>(_ value: some Encodable & Sendable, answer: Answer.Type) throws -> Answer {
        let json = try interrupt(value)
        do {
            return try json.decode(Answer.self, lenient: true)
        } catch let error as JSONValueError {
            throw GraphError.badInput(node: node, expected: "\(Answer.self) (the answer)", detail: error.message)
        }
    }

    /// Runs side-effecting work once: its result is stored before the node goes on, and a re-run of the task
    /// (after a resume, a retry or a crash) returns the stored result instead of doing the work again.
    ///
    /// Steps are matched by name and by their order among steps of that name in the task. The intent to run is
    /// stored before the work starts, so if a process dies after the work but before its result is stored, the
    /// re-run sees ``RecordedStep/mayHaveRunBefore`` and can check with the system it changes (using
    /// ``RecordedStep/idempotencyKey``) instead of doing the work twice.
    public func step<T: Codable & Sendable>(_ name: String, _ body: (RecordedStep) async throws -> T) async throws -> T
    {
        let occurrence = recorder.nextStepOccurrence(name)
        let key = "\(name)#\(occurrence)"
        if let recorded = recorder.recordedResult(key) {
            do {
                return try StateCoding.decode(T.self, from: recorded)
            } catch {
                throw GraphError.corruptCheckpoint(
                    threadID: threadID, detail: "the recorded result of step '\(key)' in '\(taskID)' is not a \(T.self)"
                )
            }
        }
        let intentKey = key + RecordedStep.intentSuffix
        let info = RecordedStep(
            name: name, occurrence: occurrence, idempotencyKey: "\(threadID)/\(taskID)/\(key)",
            mayHaveRunBefore: recorder.recordedResult(intentKey) != nil)
        if !info.mayHaveRunBefore { try await recorder.record(intentKey, Data("true".utf8)) }
        let result = try await body(info)
        let data = try StateCoding.encode(result)
        try await recorder.record(key, data)
        return result
    }

    /// Runs side-effecting work once (see ``step(_:_:)``).
    public func step<T: Codable & Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T {
        try await step(name) { (_: RecordedStep) in try await body() }
    }

    /// Emits a custom event (progress, a model token, anything a UI may show).
    public func emit(_ name: String, _ payload: some Encodable) {
        guard recorder.environment.wants(.custom) else { return }
        let json = (try? JSONValue(encoding: payload)) ?? .null
        recorder.environment.emit(.custom(recorder.task, name: name, payload: json))
    }

    /// Emits a progress event: a message and, when known, the fraction done.
    public func progress(_ message: String, fraction: Double? = nil) {
        var payload: [String: JSONValue] = ["message": .string(message)]
        if let fraction { payload["fraction"] = .double(fraction) }
        emit("progress", JSONValue.object(payload))
    }
}

/// Facts about one recorded step, for work that wants to be idempotent on its own.
public struct RecordedStep: Sendable {
    public let name: String
    /// The step's position among steps with the same name in its task.
    public let occurrence: Int
    /// The same on every re-run of this step: `thread/task/name#occurrence`.
    public let idempotencyKey: String
    /// Whether an earlier run of this step started but its result was never stored (the process died or the
    /// step threw): the work may or may not have happened.
    public let mayHaveRunBefore: Bool

    static let intentSuffix = "!started"
}

/// Thrown by `interrupt` to end a node; the runtime turns it into a pause.
@usableFromInline
struct NodeInterruptSignal: Error {
    @usableFromInline init() {}
}

/// Per-task bookkeeping shared by the node's context and the runtime: interrupt numbering, answers,
/// recorded step results and raised interrupts.
@usableFromInline
final class TaskRecorder: Sendable {
    @usableFromInline let task: GraphTask
    @usableFromInline let checkpointID: String
    @usableFromInline let environment: RunEnvironment

    private struct Counters {
        var interruptIndex = 0
        var stepOccurrences: [String: Int] = [:]
        var recorded: [String: Data]
        var raised: [Interrupt] = []
    }

    private let counters: Mutex<Counters>
    @usableFromInline let answers: [String: JSONValue]

    @usableFromInline init(
        task: GraphTask, checkpointID: String, environment: RunEnvironment, recorded: [String: Data],
        answers: [String: JSONValue]
    ) {
        self.task = task
        self.checkpointID = checkpointID
        self.environment = environment
        self.answers = answers
        self.counters = Mutex(Counters(recorded: recorded))
    }

    /// Starts a new attempt: numbering restarts so the re-run meets the same steps and interrupts.
    @usableFromInline func beginAttempt() {
        counters.withLock { counters in
            counters.interruptIndex = 0
            counters.stepOccurrences = [:]
            counters.raised = []
        }
    }

    func nextInterruptIndex() -> Int {
        counters.withLock { counters in
            defer { counters.interruptIndex += 1 }
            return counters.interruptIndex
        }
    }

    func interruptID(_ index: Int) -> String {
        environment.interruptPrefix + "\(task.id)#\(index)"
    }

    func answer(for id: String) -> JSONValue? { answers[id] }

    @usableFromInline func raise(_ interrupts: [Interrupt]) {
        counters.withLock { $0.raised.append(contentsOf: interrupts) }
    }

    @usableFromInline var raised: [Interrupt] { counters.withLock { $0.raised } }

    func nextStepOccurrence(_ name: String) -> Int {
        counters.withLock { counters in
            let occurrence = counters.stepOccurrences[name, default: 0]
            counters.stepOccurrences[name] = occurrence + 1
            return occurrence
        }
    }

    func recordedResult(_ key: String) -> Data? {
        counters.withLock { $0.recorded[key] }
    }

    func record(_ key: String, _ data: Data) async throws {
        counters.withLock { $0.recorded[key] = data }
        if let store = environment.store {
            try await store.saveWrites(
                [PendingWrite(taskID: task.id, kind: .step, key: key, value: data)],
                threadID: environment.threadID, checkpointID: checkpointID)
        }
    }
}
