public import Foundation
public import Logging
public import NimbusCore

/// One write of a finished task, resolved to its field.
@usableFromInline
struct FieldWrite: Sendable {
    @usableFromInline let field: Int
    @usableFromInline let value: any Sendable

    @inlinable init(field: Int, value: any Sendable) {
        self.field = field
        self.value = value
    }
}

/// How a task ended.
@usableFromInline
enum TaskOutcome: Sendable {
    case finished(writes: [FieldWrite], routes: [Route])
    case interrupted([Interrupt])
    case failed(any Error)
    case cancelled
}

/// Where a run stands between two steps: what a checkpoint records, short of the encoded state. Runs without a
/// store never pay for encoding, ids or dates.
@usableFromInline
struct Position: Sendable {
    /// The checkpoint this position was saved as; empty without a store.
    @usableFromInline var checkpointID: String
    @usableFromInline var step: Int
    @usableFromInline var source: Checkpoint.Source
    @usableFromInline var tasks: [GraphTask]
    @usableFromInline var barriers: [String: [String]]
    @usableFromInline var nodes: [String]

    @inlinable init(
        checkpointID: String = "", step: Int, source: Checkpoint.Source, tasks: [GraphTask],
        barriers: [String: [String]], nodes: [String]
    ) {
        self.checkpointID = checkpointID
        self.step = step
        self.source = source
        self.tasks = tasks
        self.barriers = barriers
        self.nodes = nodes
    }

    @inlinable init(_ checkpoint: Checkpoint) {
        self.init(
            checkpointID: checkpoint.id, step: checkpoint.step, source: checkpoint.source, tasks: checkpoint.tasks,
            barriers: checkpoint.barriers, nodes: checkpoint.nodes)
    }
}

/// The superstep loop: runs a thread's tasks step by step, checkpointing as it goes.
@usableFromInline
struct Engine<State: GraphState>: Sendable {
    @usableFromInline let graph: CompiledGraph<State>
    @usableFromInline let environment: RunEnvironment
    @usableFromInline let stepLimit: Int
    @usableFromInline let metadata: [String: JSONValue]
    @usableFromInline let parentThreadID: String?
    @usableFromInline let requireNewThread: Bool

    @inlinable init(
        graph: CompiledGraph<State>, environment: RunEnvironment, stepLimit: Int, metadata: [String: JSONValue],
        parentThreadID: String?, requireNewThread: Bool = false
    ) {
        self.graph = graph
        self.environment = environment
        self.stepLimit = stepLimit
        self.metadata = metadata
        self.parentThreadID = parentThreadID
        self.requireNewThread = requireNewThread
    }

    @inlinable var store: (any CheckpointStore)? { environment.store }
    @inlinable var schema: StateSchema<State> { State.schema }
    @inlinable var threadID: String { environment.threadID }

    // MARK: - Starting and resuming

    @inlinable func start(_ input: State) async throws -> RunResult<State> {
        let clock = ContinuousClock()
        let started = clock.now
        var parentCheckpoint: String?
        var createdAt = Date()
        if let store, let existing = try await store.thread(threadID) {
            if requireNewThread { throw GraphError.threadExists(threadID, graph: existing.graph) }
            switch existing.status {
            case .running, .interrupted, .paused:
                throw GraphError.threadBusy(threadID, status: existing.status)
            case .completed, .failed, .cancelled:
                parentCheckpoint = existing.checkpointID
                createdAt = existing.createdAt
            }
        }
        emit(.runStarted(graph: graph.name, resumed: false))
        let entry = [(GraphTask(id: "0.\(START)", node: START), [Route]())]
        let (tasks, barriers) =
            needsRouters(entry)
            ? try await plan(finished: entry, state: input, barriers: [:], nextStep: 1)
            : assemble(finished: entry, routed: [], barriers: [:], nextStep: 1)
        var position = Position(step: 0, source: .input, tasks: tasks, barriers: barriers, nodes: [])
        var record = ThreadRecord(
            threadID: threadID, graph: graph.name, status: .running, step: 0, parentThreadID: parentThreadID,
            owner: RunEnvironment.owner, createdAt: createdAt, metadata: metadata)
        if let store {
            let checkpoint = Checkpoint(
                threadID: threadID, parentID: parentCheckpoint, step: 0, source: .input,
                state: try StateCoding.encode(input), tasks: tasks, barriers: barriers)
            record.checkpointID = checkpoint.id
            try await store.save(checkpoint, thread: record)
            position.checkpointID = checkpoint.id
            if environment.wantsDebug { emit(.checkpointSaved(id: checkpoint.id, step: 0)) }
        }
        if environment.wantsValues { emit(.values(step: 0, state: try JSONValue(encoding: input))) }
        return try await loop(from: position, state: input, record: &record, fresh: true, started: started)
    }

    @usableFromInline func resume(answers: [String: JSONValue]) async throws -> RunResult<State> {
        let clock = ContinuousClock()
        let started = clock.now
        guard let store else { throw GraphError.checkpointStoreRequired("resuming a run") }
        guard var record = try await store.thread(threadID) else {
            let known = try await store.threads(status: nil, limit: 200).map(\.threadID)
            throw GraphError.unknownThread(threadID, known: known)
        }
        guard record.status != .completed else { throw GraphError.nothingToResume(threadID, status: record.status) }
        let pendingIDs = record.interrupts.map(\.id)
        for id in answers.keys.sorted() where !pendingIDs.contains(id) {
            throw GraphError.unknownInterrupt(id, pending: pendingIDs)
        }
        // An answer the question does not take is refused before anything is stored: the question stays pending.
        // A subgraph's answers come from its parent, which checked them (a stale one asks its question again).
        for interrupt in record.interrupts where environment.namespace.isEmpty {
            if let answer = answers[interrupt.id], let refusal = interrupt.refusal(of: answer) { throw refusal }
        }
        guard let checkpoint = try await store.latestCheckpoint(threadID: threadID) else {
            throw GraphError.corruptCheckpoint(threadID: threadID, detail: "the thread has no checkpoint")
        }
        let state: State
        do {
            state = try StateCoding.decode(State.self, from: checkpoint.state)
        } catch {
            throw GraphError.corruptCheckpoint(threadID: threadID, detail: JSONValueError.describe(error))
        }
        // Answers are stored before anything runs, so a crash after this point does not lose them.
        var resumeWrites: [PendingWrite] = []
        for interrupt in record.interrupts {
            let answer: JSONValue?
            switch interrupt.kind {
            case .node: answer = answers[interrupt.id]
            // A static gate is passed by resuming; an answer is optional.
            case .before, .after: answer = answers[interrupt.id] ?? .bool(true)
            }
            guard let answer else { continue }
            let owner = ownerTaskID(of: interrupt)
            resumeWrites.append(
                PendingWrite(taskID: owner, kind: .resume, key: interrupt.id, value: try StateCoding.encode(answer)))
        }
        if !resumeWrites.isEmpty {
            try await store.saveWrites(resumeWrites, threadID: threadID, checkpointID: checkpoint.id)
        }
        record.status = .running
        record.owner = RunEnvironment.owner
        record.error = nil
        record.updatedAt = Date()
        try await store.saveThread(record)
        emit(.runStarted(graph: graph.name, resumed: true))
        return try await loop(
            from: Position(checkpoint), state: state, record: &record, fresh: false, started: started)
    }

    /// The task of this run an interrupt belongs to: its own task, or the subgraph task it came from.
    @usableFromInline func ownerTaskID(of interrupt: Interrupt) -> String {
        let depth = environment.namespace.count
        if interrupt.namespace.count > depth { return interrupt.namespace[depth] }
        return interrupt.taskID
    }

    // MARK: - The loop

    @inlinable func loop(
        from initial: Position, state initialState: State, record: inout ThreadRecord, fresh: Bool,
        started: ContinuousClock.Instant
    ) async throws -> RunResult<State> {
        var position = initial
        var state = initialState
        var isFresh = fresh
        let clock = ContinuousClock()

        while true {
            let stored =
                isFresh || !environment.hasStore
                ? [] : try await store!.writes(threadID: threadID, checkpointID: position.checkpointID)
            let resumed: Set<String> = stored.isEmpty ? [] : Set(stored.filter { $0.kind == .resume }.map(\.key))

            // A static gate after the nodes that produced this position.
            if position.source == .step, !graph.interruptAfter.isEmpty {
                let gated = position.nodes.filter(graph.interruptAfter.contains)
                let id = environment.interruptPrefix + "\(position.step).after"
                if !gated.isEmpty, !resumed.contains(id) {
                    let interrupt = Interrupt(
                        id: id, kind: .after, node: gated[0], taskID: "\(position.step).after",
                        namespace: environment.namespace, value: ["after": .array(gated.map(JSONValue.string))])
                    return try await pause(
                        with: [interrupt], position: position, state: state, record: &record, started: started)
                }
            }

            let tasks = position.tasks
            if tasks.isEmpty {
                return try await finish(position: position, state: state, record: &record, started: started)
            }
            let stepNumber = position.step + 1
            if stepNumber > stepLimit {
                let error = GraphError.stepLimit(
                    stepLimit, lastNodes: position.nodes.isEmpty ? tasks.map(\.node) : position.nodes)
                try await fail(error, record: &record, position: position, started: started)
                throw error
            }

            // Static gates before nodes.
            if !graph.interruptBefore.isEmpty {
                let gates = tasks.filter { graph.interruptBefore.contains($0.node) }.compactMap { task -> Interrupt? in
                    let id = environment.interruptPrefix + "\(task.id)#before"
                    guard !resumed.contains(id) else { return nil }
                    var value: [String: JSONValue] = ["before": .string(task.node)]
                    if let input = task.input { value["input"] = input }
                    return Interrupt(
                        id: id, kind: .before, node: task.node, taskID: task.id, namespace: environment.namespace,
                        value: .object(value))
                }
                if !gates.isEmpty {
                    return try await pause(
                        with: gates, position: position, state: state, record: &record, started: started)
                }
            }

            let timed = environment.wantsDebug
            let stepStarted = timed ? clock.now : nil
            if timed { emit(.stepStarted(step: stepNumber, tasks: tasks)) }
            let outcomes: [TaskOutcome]
            if stored.isEmpty, tasks.count == 1 {
                // The common case, without the frame of a step: one fresh task, nothing recorded.
                let recorder = TaskRecorder(
                    task: tasks[0], checkpointID: position.checkpointID, environment: environment, recorded: [:],
                    answers: [:])
                outcomes = [await runTask(tasks[0], recorder: recorder, state: state, step: stepNumber, persist: false)]
            } else {
                outcomes = try await runStep(
                    tasks, checkpointID: position.checkpointID, state: state, stored: stored, step: stepNumber)
            }

            // Failures win over interrupts; interrupts over progress.
            if Task.isCancelled || outcomes.contains(where: { if case .cancelled = $0 { true } else { false } }) {
                record.status = .cancelled
                record.updatedAt = Date()
                try? await store?.saveThread(record)
                emit(.runFinished(status: .cancelled, steps: position.step, duration: clock.now - started))
                await environment.flushEventLog()
                throw CancellationError()
            }
            var interrupts: [Interrupt] = []
            for (task, outcome) in zip(tasks, outcomes) {
                switch outcome {
                case .failed(let error):
                    let graphError =
                        error as? GraphError ?? GraphError.nodeFailed(task.node, attempts: 1, underlying: error)
                    try await fail(graphError, record: &record, position: position, started: started)
                    throw graphError
                case .interrupted(let raised):
                    interrupts += raised
                default:
                    break
                }
            }
            if !interrupts.isEmpty {
                return try await pause(
                    with: interrupts, position: position, state: state, record: &record, started: started)
            }

            // Apply all writes together, in task order.
            var finished: [(GraphTask, [Route])] = []
            finished.reserveCapacity(tasks.count)
            var exclusiveWriters: [Int: GraphTask] = [:]
            var newState = state
            for (task, outcome) in zip(tasks, outcomes) {
                guard case .finished(let writes, let routes) = outcome else { continue }
                for write in writes {
                    let field = schema.fields[write.field]
                    if field.isExclusive {
                        if let other = exclusiveWriters[write.field], other.id != task.id {
                            let names = other.node == task.node ? [other.id, task.id] : [other.node, task.node]
                            let error = GraphError.conflictingWrites(field: field.name, nodes: names)
                            try await fail(error, record: &record, position: position, started: started)
                            throw error
                        }
                        exclusiveWriters[write.field] = task
                    }
                    do {
                        try field.apply(&newState, write.value)
                    } catch {
                        let failure =
                            error as? GraphError ?? GraphError.nodeFailed(task.node, attempts: 1, underlying: error)
                        try await fail(failure, record: &record, position: position, started: started)
                        throw failure
                    }
                }
                finished.append((task, routes))
            }

            let next: (tasks: [GraphTask], barriers: [String: [String]])
            do {
                next =
                    needsRouters(finished)
                    ? try await plan(
                        finished: finished, state: newState, barriers: position.barriers, nextStep: stepNumber + 1)
                    : assemble(finished: finished, routed: [], barriers: position.barriers, nextStep: stepNumber + 1)
            } catch {
                let failure =
                    error as? GraphError ?? GraphError(.nodeFailed, "a router failed: \(error)", underlying: error)
                try await fail(failure, record: &record, position: position, started: started)
                throw failure
            }
            var ran: [String] = []
            for task in tasks where !ran.contains(task.node) { ran.append(task.node) }
            var nextPosition = Position(
                step: stepNumber, source: .step, tasks: next.tasks, barriers: next.barriers, nodes: ran)
            if let store {
                let checkpoint = Checkpoint(
                    threadID: threadID, parentID: position.checkpointID, step: stepNumber, source: .step,
                    state: try StateCoding.encode(newState), tasks: next.tasks, barriers: next.barriers, nodes: ran)
                nextPosition.checkpointID = checkpoint.id
                record.step = stepNumber
                record.checkpointID = checkpoint.id
                // A run that ends here records its completion in the same write.
                let ends = next.tasks.isEmpty && !ran.contains(where: graph.interruptAfter.contains)
                record.status = ends ? .completed : .running
                record.interrupts = []
                record.updatedAt = Date()
                try await store.save(checkpoint, thread: record)
                if environment.wantsDebug { emit(.checkpointSaved(id: checkpoint.id, step: stepNumber)) }
                if let retention = graph.retention, stepNumber % 10 == 0 {
                    _ = try? await store.prune(threadID: threadID, policy: retention)
                }
            } else {
                record.step = stepNumber
            }
            if environment.wantsValues { emit(.values(step: stepNumber, state: try JSONValue(encoding: newState))) }
            if let stepStarted { emit(.stepFinished(step: stepNumber, duration: clock.now - stepStarted)) }
            await environment.flushEventLog()
            position = nextPosition
            state = newState
            isFresh = true
        }
    }

    // MARK: - One superstep

    @inlinable func runStep(
        _ tasks: [GraphTask], checkpointID: String, state: State, stored: [PendingWrite], step: Int
    ) async throws -> [TaskOutcome] {
        // Siblings persist their writes as each finishes, so a crash or an interrupt never re-runs them.
        // A lone task needs no such protection: its writes go into the step's checkpoint.
        let persistEach = tasks.count > 1 && environment.hasStore
        let byTask = stored.isEmpty ? [:] : Dictionary(grouping: stored, by: \.taskID)

        var outcomes = [TaskOutcome?](repeating: nil, count: tasks.count)
        var toRun: [(Int, GraphTask, TaskRecorder)] = []
        toRun.reserveCapacity(tasks.count)
        for (index, task) in tasks.enumerated() {
            let writes = byTask[task.id] ?? []
            if writes.contains(where: { $0.kind == .done }) {
                outcomes[index] = try restoreOutcome(task, writes)
                continue
            }
            var recorded: [String: Data] = [:]
            var answers: [String: JSONValue] = [:]
            for write in writes {
                switch write.kind {
                case .step: recorded[write.key] = write.value
                case .resume: answers[write.key] = try? StateCoding.decode(JSONValue.self, from: write.value)
                default: break
                }
            }
            let recorder = TaskRecorder(
                task: task, checkpointID: checkpointID, environment: environment, recorded: recorded, answers: answers)
            toRun.append((index, task, recorder))
        }

        if toRun.count == 1 {
            let (index, task, recorder) = toRun[0]
            outcomes[index] = await runTask(task, recorder: recorder, state: state, step: step, persist: persistEach)
        } else if !toRun.isEmpty {
            await withTaskGroup(of: (Int, TaskOutcome).self) { group in
                for (index, task, recorder) in toRun {
                    // Each task starts on this thread and runs until it first suspends: nodes that do not wait
                    // cost no executor hop, and nodes that do still run concurrently.
                    group.addImmediateTask {
                        (
                            index,
                            await self.runTask(task, recorder: recorder, state: state, step: step, persist: persistEach)
                        )
                    }
                }
                for await (index, outcome) in group {
                    outcomes[index] = outcome
                }
            }
        }
        return outcomes.map { $0! }
    }

    @inlinable func runTask(
        _ task: GraphTask, recorder: TaskRecorder, state: State, step: Int, persist: Bool
    ) async -> TaskOutcome {
        guard let node = graph.core.nodes[task.node]?.node else {
            return .failed(
                GraphError(.invalidGraph, "the checkpoint names node '\(task.node)', which this graph lacks"))
        }
        let clock = ContinuousClock()
        let timed = environment.wantsDebug
        var attempt = 1
        while true {
            recorder.beginAttempt()
            let started = timed ? clock.now : nil
            if timed { emit(.nodeStarted(task, attempt: attempt)) }
            let context = NodeContext(recorder: recorder, step: step, attempt: attempt)
            do {
                try Task.checkCancellation()
                let update: Update<State>
                if let timeout = node.options.timeout {
                    update = try await withTimeout(timeout, node: task.node) { try await node.action(state, context) }
                } else {
                    update = try await node.action(state, context)
                }
                let raised = recorder.raised
                if !raised.isEmpty {
                    // The node swallowed its interrupt; it is still a pause.
                    return await interrupted(task, raised, recorder: recorder)
                }
                let writes = try resolve(update, task: task, options: node.options)
                if persist {
                    try await store!.saveWrites(
                        try encode(writes, routes: update.routes, task: task), threadID: threadID,
                        checkpointID: recorder.checkpointID)
                }
                if environment.wantsUpdates { emit(.updates(task, writes: try json(writes))) }
                if let started { emit(.nodeFinished(task, duration: clock.now - started)) }
                return .finished(writes: writes, routes: update.routes)
            } catch is NodeInterruptSignal {
                return await interrupted(task, recorder.raised, recorder: recorder)
            } catch {
                if Task.isCancelled { return .cancelled }
                if let policy = node.options.retry, attempt < policy.maxAttempts, Engine.isRetryable(error, policy) {
                    let delay = policy.delay(afterAttempt: attempt)
                    environment.logger.debug(
                        "retrying node",
                        metadata: ["node": "\(task.node)", "attempt": "\(attempt)", "error": "\(error)"])
                    if environment.wantsDebug {
                        emit(
                            .nodeRetrying(
                                task, attempt: attempt, delay: delay, error: SecretRedactor.redact("\(error)")))
                    }
                    do {
                        try await Task.sleep(for: delay)
                    } catch {
                        return .cancelled
                    }
                    attempt += 1
                    continue
                }
                let failure: GraphError
                if let graphError = error as? GraphError, graphError.kind != .nodeFailed || graphError.node == task.node
                {
                    failure = graphError
                } else {
                    failure = GraphError.nodeFailed(task.node, attempts: attempt, underlying: error)
                }
                if environment.wantsDebug { emit(.nodeFailed(task, error: SecretRedactor.redact(failure.message))) }
                return .failed(failure)
            }
        }
    }

    /// Errors that describe the graph itself (bad writes, missing store) never get better by retrying.
    @inlinable static func isRetryable(_ error: any Error, _ policy: RetryPolicy) -> Bool {
        if let graphError = error as? GraphError, graphError.kind != .nodeTimedOut, graphError.kind != .nodeFailed {
            return false
        }
        return policy.retryOn(error)
    }

    @usableFromInline func interrupted(
        _ task: GraphTask, _ raised: [Interrupt], recorder: TaskRecorder
    ) async -> TaskOutcome {
        if let store {
            let writes = raised.compactMap { interrupt in
                (try? StateCoding.encode(interrupt)).map {
                    PendingWrite(taskID: task.id, kind: .interrupt, key: interrupt.id, value: $0)
                }
            }
            try? await store.saveWrites(writes, threadID: threadID, checkpointID: recorder.checkpointID)
        }
        return .interrupted(raised)
    }

    /// Resolves an update's key paths to fields, checking each write's type.
    @inlinable func resolve(_ update: Update<State>, task: GraphTask, options: NodeOptions) throws -> [FieldWrite] {
        for route in update.routes where route.node != END && !options.destinations.contains(route.node) {
            throw GraphError.undeclaredRoute(from: task.node, to: route.node, allowed: options.destinations)
        }
        return try update.entries.map { entry in
            guard let index = schema.byKeyPath[entry.keyPath] else {
                throw GraphError.undeclaredField(node: task.node, keyPath: entry.keyPath.keyPath, stateType: State.self)
            }
            // The write's type is checked when the reducer applies it.
            return FieldWrite(field: index, value: entry.value)
        }
    }

    @usableFromInline func encode(_ writes: [FieldWrite], routes: [Route], task: GraphTask) throws -> [PendingWrite] {
        var result: [PendingWrite] = []
        for (sequence, write) in writes.enumerated() {
            let field = schema.fields[write.field]
            result.append(
                PendingWrite(
                    taskID: task.id, kind: .state, key: "\(sequence):\(field.name)",
                    value: try field.encodeWrite(write.value)))
        }
        if !routes.isEmpty {
            result.append(
                PendingWrite(taskID: task.id, kind: .route, key: "routes", value: try StateCoding.encode(routes)))
        }
        result.append(PendingWrite(taskID: task.id, kind: .done, key: "", value: Data("true".utf8)))
        return result
    }

    /// A finished task's outcome, rebuilt from its stored writes.
    @usableFromInline func restoreOutcome(_ task: GraphTask, _ writes: [PendingWrite]) throws -> TaskOutcome {
        var ordered: [(Int, FieldWrite)] = []
        var routes: [Route] = []
        for write in writes {
            switch write.kind {
            case .state:
                let parts = write.key.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, let sequence = Int(parts[0]), let index = schema.byName[String(parts[1])] else {
                    throw GraphError.corruptCheckpoint(
                        threadID: threadID, detail: "unreadable write '\(write.key)' of '\(task.id)'")
                }
                do {
                    ordered.append(
                        (sequence, FieldWrite(field: index, value: try schema.fields[index].decodeWrite(write.value))))
                } catch {
                    throw GraphError.corruptCheckpoint(
                        threadID: threadID,
                        detail: "the write to '\(parts[1])' by '\(task.id)': \(JSONValueError.describe(error))")
                }
            case .route:
                routes = (try? StateCoding.decode([Route].self, from: write.value)) ?? []
            default:
                break
            }
        }
        return .finished(writes: ordered.sorted { $0.0 < $1.0 }.map(\.1), routes: routes)
    }

    @usableFromInline func json(_ writes: [FieldWrite]) throws -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for write in writes {
            let field = schema.fields[write.field]
            result[field.name] = SecretRedactor.redact(try field.jsonWrite(write.value))
        }
        return result
    }

    // MARK: - Planning the next step

    /// The node table entry of a task's node (START for the run's input).
    @inlinable func runtime(of node: String) -> NodeRuntime<State>? {
        node == START ? graph.core.start : graph.core.nodes[node]
    }

    /// The tasks of the next step: edges, routers (run on the state after this step's writes), gotos and joins,
    /// in the order of the finished tasks; plain routes to one node merge, sends each get a task.
    @inlinable func plan(
        finished: [(GraphTask, [Route])], state: State, barriers: [String: [String]], nextStep: Int
    ) async throws -> ([GraphTask], [String: [String]]) {
        var routed: [[Route]] = []
        routed.reserveCapacity(finished.count)
        for (task, _) in finished {
            var routes: [Route] = []
            for edge in runtime(of: task.node)?.conditional ?? [] {
                let chosen: [Route]
                do {
                    chosen = try await edge.router(state)
                } catch {
                    throw GraphError(
                        .nodeFailed, "the router after '\(task.node)' failed: \(error)", node: task.node,
                        underlying: error)
                }
                for route in chosen where route.node != END && !edge.destinations.contains(route.node) {
                    throw GraphError.undeclaredRoute(from: task.node, to: route.node, allowed: edge.destinations)
                }
                routes += chosen
            }
            routed.append(routes)
        }
        return assemble(finished: finished, routed: routed, barriers: barriers, nextStep: nextStep)
    }

    /// Whether any finished task has routers to run; without them planning needs no suspension point.
    @inlinable func needsRouters(_ finished: [(GraphTask, [Route])]) -> Bool {
        finished.contains { runtime(of: $0.0.node)?.conditional.isEmpty == false }
    }

    /// Turns edges, router results, gotos and joins into the next step's tasks.
    @inlinable func assemble(
        finished: [(GraphTask, [Route])], routed: [[Route]], barriers: [String: [String]], nextStep: Int
    ) -> ([GraphTask], [String: [String]]) {
        var triggers: [Route] = []
        var barriers = barriers
        var joinsTouched = false
        for (index, (task, gotos)) in finished.enumerated() {
            guard let runtime = runtime(of: task.node) else { continue }
            for target in runtime.outgoing { triggers.append(Route(target)) }
            if index < routed.count { triggers += routed[index] }
            triggers += gotos
            for join in runtime.joins {
                joinsTouched = true
                var arrived = barriers[join.id] ?? []
                if !arrived.contains(task.node) { arrived.append(task.node) }
                barriers[join.id] = arrived
            }
        }
        if joinsTouched {
            for join in graph.definition.joins {
                if let arrived = barriers[join.id], join.sources.allSatisfy(arrived.contains) {
                    triggers.append(Route(join.target))
                    barriers[join.id] = nil
                }
            }
        }
        var tasks: [GraphTask] = []
        tasks.reserveCapacity(triggers.count)
        var sends: [String: Int] = [:]
        for route in triggers where route.node != END {
            if let input = route.input {
                let index = sends[route.node, default: 0]
                sends[route.node] = index + 1
                tasks.append(GraphTask(id: "\(nextStep).\(route.node).\(index)", node: route.node, input: input))
            } else if !tasks.contains(where: { $0.node == route.node && $0.input == nil }) {
                // Plain routes to one node merge into one task (the list is short: a linear scan beats a set).
                tasks.append(GraphTask(id: "\(nextStep).\(route.node)", node: route.node))
            }
        }
        return (tasks, barriers)
    }

    // MARK: - Endings

    @usableFromInline func finish(
        position: Position, state: State, record: inout ThreadRecord, started: ContinuousClock.Instant
    ) async throws -> RunResult<State> {
        if let store {
            // Usually the last checkpoint already recorded the completion; a resumed run that finds nothing
            // left to do records it here.
            if record.status != .completed || !record.interrupts.isEmpty {
                record.status = .completed
                record.interrupts = []
                record.updatedAt = Date()
                try await store.saveThread(record)
            }
            if let retention = graph.retention { _ = try? await store.prune(threadID: threadID, policy: retention) }
        }
        emit(.runFinished(status: .completed, steps: position.step, duration: ContinuousClock().now - started))
        await environment.flushEventLog()
        return RunResult(
            threadID: threadID, status: .completed, state: state, interrupts: [], steps: position.step,
            checkpointID: store == nil ? nil : position.checkpointID)
    }

    @usableFromInline func pause(
        with interrupts: [Interrupt], position: Position, state: State, record: inout ThreadRecord,
        started: ContinuousClock.Instant
    ) async throws -> RunResult<State> {
        guard let store else { throw GraphError.checkpointStoreRequired("interrupting a run") }
        record.status = .interrupted
        record.interrupts = interrupts
        record.updatedAt = Date()
        try await store.saveThread(record)
        emit(.interrupted(interrupts))
        emit(.runFinished(status: .interrupted, steps: position.step, duration: ContinuousClock().now - started))
        await environment.flushEventLog()
        return RunResult(
            threadID: threadID, status: .interrupted, state: state, interrupts: interrupts, steps: position.step,
            checkpointID: position.checkpointID)
    }

    @usableFromInline func fail(
        _ error: GraphError, record: inout ThreadRecord, position: Position, started: ContinuousClock.Instant
    ) async throws {
        environment.logger.debug(
            "run failed", metadata: ["thread": "\(threadID)", "error": "\(error.message)"])
        record.status = .failed
        record.error = SecretRedactor.redact(error.message)
        record.interrupts = []
        record.updatedAt = Date()
        try? await store?.saveThread(record)
        emit(.runFinished(status: .failed, steps: position.step, duration: ContinuousClock().now - started))
        await environment.flushEventLog()
    }

    @inlinable func emit(_ kind: GraphEvent.Kind) {
        environment.emit(kind)
    }
}

/// Runs `body`, failing with a timeout error naming `node` if it takes longer than `timeout`.
@inlinable
func withTimeout<T: Sendable>(
    _ timeout: Duration, node: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw GraphError.nodeTimedOut(node, after: timeout)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
