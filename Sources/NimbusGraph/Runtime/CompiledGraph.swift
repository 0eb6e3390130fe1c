public import Foundation
public import NimbusCore

/// How a run ended (or paused): the thread, the status, the state and any pending interrupts.
public struct RunResult<State: GraphState>: Sendable {
    public let threadID: String
    /// `.completed` or `.interrupted`; failures are thrown.
    public let status: RunStatus
    /// The state at the end of the run, or at the pause.
    public let state: State
    /// What the run waits for; answer with ``CompiledGraph/resume(threadID:answers:configuration:)``.
    public let interrupts: [Interrupt]
    /// Supersteps run on the thread so far.
    public let steps: Int
    /// The newest checkpoint, when the graph has a store.
    public let checkpointID: String?
}

/// The state of a thread at one checkpoint.
public struct StateSnapshot<State: GraphState>: Sendable {
    public let threadID: String
    public let checkpointID: String
    public let parentID: String?
    public let step: Int
    public let source: Checkpoint.Source
    public let state: State
    /// What runs next from here; empty when the run is over.
    public let next: [GraphTask]
    /// The nodes whose writes made this checkpoint.
    public let nodes: [String]
    public let createdAt: Date
}

/// A checked graph, ready to run. It is a value: share it across tasks and runs freely.
public struct CompiledGraph<State: GraphState>: Sendable {
    /// Everything the graph is, in one reference: copying a compiled graph costs one retain.
    @usableFromInline let core: GraphCore<State>

    /// The graph's name, stored with each thread so runs can be resumed by a process that knows the graph.
    @inlinable public var name: String { core.name }
    /// Where runs persist, if anywhere.
    @inlinable public var checkpointer: (any CheckpointStore)? { core.checkpointer }
    @inlinable public var interruptBefore: Set<String> { core.interruptBefore }
    @inlinable public var interruptAfter: Set<String> { core.interruptAfter }
    @inlinable public var stepLimit: Int { core.stepLimit }
    @inlinable public var retention: RetentionPolicy? { core.retention }
    @inlinable public var eventLog: (any GraphEventLog)? { core.eventLog }
    @inlinable var definition: StateGraph<State> { core.definition }

    init(
        name: String, definition: StateGraph<State>, checkpointer: (any CheckpointStore)?,
        interruptBefore: Set<String>, interruptAfter: Set<String>, stepLimit: Int, retention: RetentionPolicy?,
        eventLog: (any GraphEventLog)?
    ) {
        core = GraphCore(
            name: name, definition: definition, checkpointer: checkpointer, interruptBefore: interruptBefore,
            interruptAfter: interruptAfter, stepLimit: stepLimit, retention: retention, eventLog: eventLog)
    }

    /// The node names, in the order they were added.
    public var nodeNames: [String] { definition.nodeOrder }

    /// The graph as a Mermaid flowchart.
    public func mermaid() -> String { definition.mermaid(title: name) }

    // MARK: - Running

    /// Runs the graph from `input` to the end or to the first pause.
    ///
    /// Throws ``GraphError`` when a node fails (after its retries), the step limit is reached or writes conflict;
    /// the thread is then marked failed and can be resumed after a fix.
    @inlinable
    public func invoke(
        _ input: State, configuration: RunConfiguration = RunConfiguration()
    ) async throws -> RunResult<State> {
        try await engine(configuration, modes: [], sink: nil).start(input)
    }

    /// Runs the graph, handing events of the chosen modes to `onEvent` as they happen.
    @inlinable
    public func invoke(
        _ input: State, configuration: RunConfiguration = RunConfiguration(), modes: EventModes,
        onEvent: @escaping @Sendable (GraphEvent) -> Void
    ) async throws -> RunResult<State> {
        try await engine(configuration, modes: modes, sink: onEvent).start(input)
    }

    /// Continues a paused, failed, cancelled or crashed run from its newest checkpoint.
    ///
    /// - Parameter answers: answers to pending interrupts, by interrupt id. Static gates need no answer.
    public func resume(
        threadID: String, answers: [String: JSONValue] = [:], configuration: RunConfiguration = RunConfiguration()
    ) async throws -> RunResult<State> {
        var configuration = configuration
        configuration.threadID = threadID
        return try await engine(configuration, modes: [], sink: nil).resume(answers: answers)
    }

    /// Continues a run, handing events of the chosen modes to `onEvent`.
    public func resume(
        threadID: String, answers: [String: JSONValue] = [:], configuration: RunConfiguration = RunConfiguration(),
        modes: EventModes, onEvent: @escaping @Sendable (GraphEvent) -> Void
    ) async throws -> RunResult<State> {
        var configuration = configuration
        configuration.threadID = threadID
        return try await engine(configuration, modes: modes, sink: onEvent).resume(answers: answers)
    }

    /// The run's events as an asynchronous sequence. The run stops when the consumer stops iterating.
    public func stream(
        _ input: State, configuration: RunConfiguration = RunConfiguration(), modes: EventModes = .all
    ) -> AsyncThrowingStream<GraphEvent, any Error> {
        eventStream { sink in try await engine(configuration, modes: modes, sink: sink).start(input) }
    }

    /// A resumed run's events as an asynchronous sequence.
    public func streamResume(
        threadID: String, answers: [String: JSONValue] = [:], configuration: RunConfiguration = RunConfiguration(),
        modes: EventModes = .all
    ) -> AsyncThrowingStream<GraphEvent, any Error> {
        var resumed = configuration
        resumed.threadID = threadID
        let configuration = resumed
        return eventStream { sink in try await engine(configuration, modes: modes, sink: sink).resume(answers: answers)
        }
    }

    private func eventStream(
        _ run: @escaping @Sendable (@escaping @Sendable (GraphEvent) -> Void) async throws -> RunResult<State>
    ) -> AsyncThrowingStream<GraphEvent, any Error> {
        AsyncThrowingStream(bufferingPolicy: .unbounded) { continuation in
            // The producer lives exactly as long as the consumer: cancelled when iteration stops.
            let producer = Task {
                do {
                    _ = try await run { event in continuation.yield(event) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in producer.cancel() }
        }
    }

    @inlinable
    func engine(
        _ configuration: RunConfiguration, modes: EventModes, sink: (@Sendable (GraphEvent) -> Void)?
    ) -> Engine<State> {
        let environment = RunEnvironment(
            store: checkpointer, eventLog: eventLog, namespace: [],
            threadID: configuration.threadID ?? SortableID().rawValue, modes: modes, sink: sink,
            logger: configuration.logger)
        return Engine(
            graph: self, environment: environment, stepLimit: configuration.stepLimit ?? stepLimit,
            metadata: configuration.metadata, parentThreadID: nil, requireNewThread: configuration.requireNewThread)
    }

    /// Runs this graph as a node of another graph, on a thread of its own named after the parent task.
    /// A re-run of the parent task continues the child thread instead of starting over.
    func runAsSubgraph(name: String, input: State, parent: NodeContext) async throws -> State {
        let parentEnvironment = parent.recorder.environment
        let store = parentEnvironment.store ?? checkpointer
        // The parent checkpoint in the id keeps a later run of the parent thread from finding this one's child.
        let childThread = "\(parentEnvironment.threadID)/\(parent.taskID)/\(parent.recorder.checkpointID)"
        let environment = parentEnvironment.child(threadID: childThread, task: parent.recorder.task, store: store)
        let engine = Engine(
            graph: self, environment: environment, stepLimit: stepLimit, metadata: ["subgraph": .string(name)],
            parentThreadID: parentEnvironment.threadID)
        let result: RunResult<State>
        if let store, let existing = try await store.thread(childThread) {
            if existing.status == .completed {
                guard let checkpoint = try await store.latestCheckpoint(threadID: childThread) else {
                    throw GraphError.corruptCheckpoint(threadID: childThread, detail: "the thread has no checkpoint")
                }
                return try decodeState(checkpoint)
            }
            let pending = Set(existing.interrupts.map(\.id))
            let answers = parent.recorder.answers.filter { pending.contains($0.key) }
            result = try await engine.resume(answers: answers)
        } else {
            result = try await engine.start(input)
        }
        if result.status == .interrupted {
            parent.recorder.raise(result.interrupts)
            throw NodeInterruptSignal()
        }
        return result.state
    }

    // MARK: - Inspecting

    /// The thread's state at a checkpoint (the newest when `checkpointID` is `nil`).
    public func state(threadID: String, checkpointID: String? = nil) async throws -> StateSnapshot<State> {
        let store = try requireStore("reading a run's state")
        let checkpoint: Checkpoint?
        if let checkpointID {
            checkpoint = try await store.checkpoint(threadID: threadID, id: checkpointID)
            guard checkpoint != nil else { throw GraphError.unknownCheckpoint(checkpointID, threadID: threadID) }
        } else {
            checkpoint = try await store.latestCheckpoint(threadID: threadID)
        }
        guard let checkpoint else {
            let known = try await store.threads(status: nil, limit: 200).map(\.threadID)
            throw GraphError.unknownThread(threadID, known: known)
        }
        return try snapshot(checkpoint)
    }

    /// A stored run as a result — its status, its state at the newest checkpoint, what it waits for — without
    /// running anything (what `runs show` and an API's `GET` of a run report).
    public func result(threadID: String) async throws -> RunResult<State> {
        let store = try requireStore("reading a run")
        let snapshot = try await state(threadID: threadID)
        guard let record = try await store.thread(threadID) else {
            throw GraphError.unknownThread(threadID, known: [])
        }
        return RunResult(
            threadID: threadID, status: record.status, state: snapshot.state, interrupts: record.interrupts,
            steps: record.step, checkpointID: snapshot.checkpointID)
    }

    /// The thread's checkpoints, newest first.
    public func history(threadID: String, limit: Int? = nil) async throws -> [StateSnapshot<State>] {
        let store = try requireStore("reading a run's history")
        return try await store.checkpoints(threadID: threadID, limit: limit).map(snapshot)
    }

    /// Starts a new thread from an old checkpoint with an edited state. The new thread is paused at the same
    /// point as the checkpoint; ``resume(threadID:answers:configuration:)`` runs it on from there.
    public func fork(
        threadID: String, checkpointID: String, newThreadID: String? = nil, edit: (inout State) throws -> Void
    ) async throws -> StateSnapshot<State> {
        let store = try requireStore("forking a run")
        guard let source = try await store.checkpoint(threadID: threadID, id: checkpointID) else {
            throw GraphError.unknownCheckpoint(checkpointID, threadID: threadID)
        }
        var state = try decodeState(source)
        try edit(&state)
        let newThread = newThreadID ?? SortableID().rawValue
        if try await store.thread(newThread) != nil {
            throw GraphError.threadBusy(newThread, status: .paused)
        }
        let checkpoint = Checkpoint(
            threadID: newThread, parentID: source.id, step: source.step, source: .fork,
            state: try StateCoding.encode(state), tasks: source.tasks, barriers: source.barriers, nodes: source.nodes,
            metadata: ["forked_from": .string("\(threadID)@\(source.id)")])
        let record = ThreadRecord(
            threadID: newThread, graph: name, status: .paused, step: source.step, checkpointID: checkpoint.id,
            parentThreadID: threadID, owner: RunEnvironment.owner)
        try await store.save(checkpoint, thread: record)
        return try snapshot(checkpoint)
    }

    private func requireStore(_ feature: String) throws -> any CheckpointStore {
        guard let checkpointer else { throw GraphError.checkpointStoreRequired(feature) }
        return checkpointer
    }

    private func decodeState(_ checkpoint: Checkpoint) throws -> State {
        do {
            return try StateCoding.decode(State.self, from: checkpoint.state)
        } catch {
            throw GraphError.corruptCheckpoint(threadID: checkpoint.threadID, detail: JSONValueError.describe(error))
        }
    }

    private func snapshot(_ checkpoint: Checkpoint) throws -> StateSnapshot<State> {
        StateSnapshot(
            threadID: checkpoint.threadID, checkpointID: checkpoint.id, parentID: checkpoint.parentID,
            step: checkpoint.step, source: checkpoint.source, state: try decodeState(checkpoint),
            next: checkpoint.tasks, nodes: checkpoint.nodes, createdAt: checkpoint.createdAt)
    }
}

/// What one node is at run time: its action and options, and where the run goes after it.
@usableFromInline
struct NodeRuntime<State: GraphState>: Sendable {
    @usableFromInline let node: StateGraph<State>.Node
    @usableFromInline let outgoing: [String]
    @usableFromInline let conditional: [StateGraph<State>.ConditionalEdge]
    /// The joins the node is a source of.
    @usableFromInline let joins: [StateGraph<State>.Join]
}

/// The immutable body of a compiled graph, with a per-node table so a task costs one lookup.
@usableFromInline
final class GraphCore<State: GraphState>: Sendable {
    @usableFromInline let name: String
    @usableFromInline let checkpointer: (any CheckpointStore)?
    @usableFromInline let interruptBefore: Set<String>
    @usableFromInline let interruptAfter: Set<String>
    @usableFromInline let stepLimit: Int
    @usableFromInline let retention: RetentionPolicy?
    @usableFromInline let eventLog: (any GraphEventLog)?
    @usableFromInline let definition: StateGraph<State>
    @usableFromInline let nodes: [String: NodeRuntime<State>]
    /// The node table entry of START, for the first step's routing.
    @usableFromInline let start: NodeRuntime<State>

    init(
        name: String, definition: StateGraph<State>, checkpointer: (any CheckpointStore)?,
        interruptBefore: Set<String>, interruptAfter: Set<String>, stepLimit: Int, retention: RetentionPolicy?,
        eventLog: (any GraphEventLog)?
    ) {
        self.name = name
        self.definition = definition
        self.checkpointer = checkpointer
        self.interruptBefore = interruptBefore
        self.interruptAfter = interruptAfter
        self.stepLimit = stepLimit
        self.retention = retention
        self.eventLog = eventLog
        func runtime(for node: StateGraph<State>.Node) -> NodeRuntime<State> {
            NodeRuntime(
                node: node,
                outgoing: definition.edges.filter { $0.from == node.name && $0.to != END }.map(\.to),
                conditional: definition.conditionalEdges.filter { $0.source == node.name },
                joins: definition.joins.filter { $0.sources.contains(node.name) })
        }
        var nodes: [String: NodeRuntime<State>] = [:]
        for (name, node) in definition.nodes { nodes[name] = runtime(for: node) }
        self.nodes = nodes
        self.start = runtime(
            for: StateGraph<State>.Node(
                name: START, kind: .function, options: NodeOptions(), action: { _, _ in Update() }))
    }
}
