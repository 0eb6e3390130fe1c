import Foundation
import Logging
import NimbusCore

/// One write of a finished task, resolved to its field.
struct FieldWrite: Sendable {
    let field: Int
    let value: any Sendable
}

/// How a task ended.
enum TaskOutcome: Sendable {
    case finished(writes: [FieldWrite], routes: [Route])
    case interrupted([Interrupt])
    case failed(any Error)
    case cancelled
}

/// The superstep loop: runs a thread's tasks step by step, checkpointing as it goes.
struct Engine<State: GraphState>: Sendable {
    let graph: CompiledGraph<State>
    let environment: RunEnvironment
    let stepLimit: Int
    let metadata: [String: JSONValue]
    let parentThreadID: String?

    private var store: (any CheckpointStore)? { environment.store }
    private var schema: StateSchema<State> { State.schema }
    private var threadID: String { environment.threadID }

    // MARK: - Starting and resuming

    func start(_ input: State) async throws -> RunResult<State> {
        let clock = ContinuousClock()
        let started = clock.now
        var parentCheckpoint: String?
        var createdAt = Date()
        if let store, let existing = try await store.thread(threadID) {
            switch existing.status {
            case .running, .interrupted, .paused:
                throw GraphError.threadBusy(threadID, status: existing.status)
            case .completed, .failed, .cancelled:
                parentCheckpoint = existing.checkpointID
                createdAt = existing.createdAt
            }
        }
        emit(.runStarted(graph: graph.name, resumed: false))
        let (tasks, barriers) = try await plan(
            finished: [(GraphTask(id: "0.\(START)", node: START), [])], state: input, barriers: [:], nextStep: 1)
        let checkpoint = Checkpoint(
            threadID: threadID, parentID: parentCheckpoint, step: 0, source: .input,
            state: try StateCoding.encode(input), tasks: tasks, barriers: barriers)
        var record = ThreadRecord(
            threadID: threadID, graph: graph.name, status: .running, step: 0, checkpointID: checkpoint.id,
            parentThreadID: parentThreadID, owner: RunEnvironment.owner, createdAt: createdAt, metadata: metadata)
        if let store {
            try await store.save(checkpoint, thread: record)
            emit(.checkpointSaved(id: checkpoint.id, step: 0))
        }
        if environment.wants(.values) { emit(.values(step: 0, state: try JSONValue(encoding: input))) }
        return try await loop(from: checkpoint, state: input, record: &record, fresh: true, started: started)
    }

    func resume(answers: [String: JSONValue]) async throws -> RunResult<State> {
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
        return try await loop(from: checkpoint, state: state, record: &record, fresh: false, started: started)
    }

    /// The task of this run an interrupt belongs to: its own task, or the subgraph task it came from.
    private func ownerTaskID(of interrupt: Interrupt) -> String {
        let depth = environment.namespace.count
        if interrupt.namespace.count > depth { return interrupt.namespace[depth] }
        return interrupt.taskID
    }

    // MARK: - The loop

    private func loop(
        from initial: Checkpoint, state initialState: State, record: inout ThreadRecord, fresh: Bool,
        started: ContinuousClock.Instant
    ) async throws -> RunResult<State> {
        var checkpoint = initial
        var state = initialState
        var isFresh = fresh
        let clock = ContinuousClock()

        while true {
            let stored =
                isFresh || store == nil ? [] : try await store!.writes(threadID: threadID, checkpointID: checkpoint.id)
            let resumed = Set(stored.filter { $0.kind == .resume }.map(\.key))

            // A static gate after the nodes that produced this checkpoint.
            if checkpoint.source == .step {
                let gated = checkpoint.nodes.filter(graph.interruptAfter.contains)
                let id = environment.interruptPrefix + "\(checkpoint.step).after"
                if !gated.isEmpty, !resumed.contains(id) {
                    let interrupt = Interrupt(
                        id: id, kind: .after, node: gated[0], taskID: "\(checkpoint.step).after",
                        namespace: environment.namespace, value: ["after": .array(gated.map(JSONValue.string))])
                    return try await pause(
                        with: [interrupt], checkpoint: checkpoint, state: state, record: &record, started: started)
                }
            }

            let tasks = checkpoint.tasks
            if tasks.isEmpty {
                return try await finish(checkpoint: checkpoint, state: state, record: &record, started: started)
            }
            let stepNumber = checkpoint.step + 1
            if stepNumber > stepLimit {
                let error = GraphError.stepLimit(
                    stepLimit, lastNodes: checkpoint.nodes.isEmpty ? tasks.map(\.node) : checkpoint.nodes)
                try await fail(error, record: &record, checkpoint: checkpoint, started: started)
                throw error
            }

            // Static gates before nodes.
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
                    with: gates, checkpoint: checkpoint, state: state, record: &record, started: started)
            }

            let stepStarted = clock.now
            if environment.wants(.debug) { emit(.stepStarted(step: stepNumber, tasks: tasks)) }
            let outcomes = try await runStep(
                tasks, checkpoint: checkpoint, state: state, stored: stored, step: stepNumber)

            // Failures win over interrupts; interrupts over progress.
            if Task.isCancelled || outcomes.contains(where: { if case .cancelled = $0 { true } else { false } }) {
                record.status = .cancelled
                record.updatedAt = Date()
                try? await store?.saveThread(record)
                emit(.runFinished(status: .cancelled, steps: checkpoint.step, duration: clock.now - started))
                await environment.flushEventLog()
                throw CancellationError()
            }
            for (task, outcome) in zip(tasks, outcomes) {
                if case .failed(let error) = outcome {
                    let graphError =
                        error as? GraphError ?? GraphError.nodeFailed(task.node, attempts: 1, underlying: error)
                    try await fail(graphError, record: &record, checkpoint: checkpoint, started: started)
                    throw graphError
                }
            }
            let interrupts = outcomes.flatMap { outcome -> [Interrupt] in
                if case .interrupted(let raised) = outcome { return raised }
                return []
            }
            if !interrupts.isEmpty {
                return try await pause(
                    with: interrupts, checkpoint: checkpoint, state: state, record: &record, started: started)
            }

            // Apply all writes together, in task order.
            var finished: [(GraphTask, [Route])] = []
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
                            try await fail(error, record: &record, checkpoint: checkpoint, started: started)
                            throw error
                        }
                        exclusiveWriters[write.field] = task
                    }
                    do {
                        try field.apply(&newState, write.value)
                    } catch {
                        let failure =
                            error as? GraphError ?? GraphError.nodeFailed(task.node, attempts: 1, underlying: error)
                        try await fail(failure, record: &record, checkpoint: checkpoint, started: started)
                        throw failure
                    }
                }
                finished.append((task, routes))
            }

            let next: (tasks: [GraphTask], barriers: [String: [String]])
            do {
                next = try await plan(
                    finished: finished, state: newState, barriers: checkpoint.barriers, nextStep: stepNumber + 1)
            } catch {
                let failure =
                    error as? GraphError ?? GraphError(.nodeFailed, "a router failed: \(error)", underlying: error)
                try await fail(failure, record: &record, checkpoint: checkpoint, started: started)
                throw failure
            }
            var ran: [String] = []
            for task in tasks where !ran.contains(task.node) { ran.append(task.node) }
            let nextCheckpoint = Checkpoint(
                threadID: threadID, parentID: checkpoint.id, step: stepNumber, source: .step,
                state: try StateCoding.encode(newState), tasks: next.tasks, barriers: next.barriers, nodes: ran)
            record.step = stepNumber
            record.checkpointID = nextCheckpoint.id
            record.status = .running
            record.interrupts = []
            record.updatedAt = Date()
            if let store {
                try await store.save(nextCheckpoint, thread: record)
                if environment.wants(.debug) { emit(.checkpointSaved(id: nextCheckpoint.id, step: stepNumber)) }
                if let retention = graph.retention, stepNumber % 10 == 0 {
                    _ = try? await store.prune(threadID: threadID, policy: retention)
                }
            }
            if environment.wants(.values) { emit(.values(step: stepNumber, state: try JSONValue(encoding: newState))) }
            if environment.wants(.debug) { emit(.stepFinished(step: stepNumber, duration: clock.now - stepStarted)) }
            await environment.flushEventLog()
            checkpoint = nextCheckpoint
            state = newState
            isFresh = true
        }
    }

    // MARK: - One superstep

    private func runStep(
        _ tasks: [GraphTask], checkpoint: Checkpoint, state: State, stored: [PendingWrite], step: Int
    ) async throws -> [TaskOutcome] {
        let byTask = Dictionary(grouping: stored, by: \.taskID)
        // Siblings persist their writes as each finishes, so a crash or an interrupt never re-runs them.
        // A lone task needs no such protection: its writes go into the step's checkpoint.
        let persistEach = tasks.count > 1 && store != nil

        var outcomes = [TaskOutcome?](repeating: nil, count: tasks.count)
        var toRun: [(Int, GraphTask, TaskRecorder)] = []
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
                task: task, checkpointID: checkpoint.id, environment: environment, recorded: recorded, answers: answers)
            toRun.append((index, task, recorder))
        }

        if toRun.count == 1 {
            let (index, task, recorder) = toRun[0]
            outcomes[index] = await runTask(task, recorder: recorder, state: state, step: step, persist: persistEach)
        } else if !toRun.isEmpty {
            await withTaskGroup(of: (Int, TaskOutcome).self) { group in
                for (index, task, recorder) in toRun {
                    group.addTask {
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

    private func runTask(
        _ task: GraphTask, recorder: TaskRecorder, state: State, step: Int, persist: Bool
    ) async -> TaskOutcome {
        guard let node = graph.definition.nodes[task.node] else {
            return .failed(
                GraphError(.invalidGraph, "the checkpoint names node '\(task.node)', which this graph lacks"))
        }
        let clock = ContinuousClock()
        var attempt = 1
        while true {
            recorder.beginAttempt()
            let started = clock.now
            if environment.wants(.debug) { emit(.nodeStarted(task, attempt: attempt)) }
            let context = NodeContext(recorder: recorder, step: step, attempt: attempt)
            do {
                try Task.checkCancellation()
                let update = try await withTimeout(node.options.timeout, node: task.node) {
                    try await node.action(state, context)
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
                if environment.wants(.updates) { emit(.updates(task, writes: try json(writes))) }
                if environment.wants(.debug) { emit(.nodeFinished(task, duration: clock.now - started)) }
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
                    if environment.wants(.debug) {
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
                if environment.wants(.debug) { emit(.nodeFailed(task, error: SecretRedactor.redact(failure.message))) }
                return .failed(failure)
            }
        }
    }

    /// Errors that describe the graph itself (bad writes, missing store) never get better by retrying.
    static func isRetryable(_ error: any Error, _ policy: RetryPolicy) -> Bool {
        if let graphError = error as? GraphError, graphError.kind != .nodeTimedOut, graphError.kind != .nodeFailed {
            return false
        }
        return policy.retryOn(error)
    }

    private func interrupted(_ task: GraphTask, _ raised: [Interrupt], recorder: TaskRecorder) async -> TaskOutcome {
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
    private func resolve(_ update: Update<State>, task: GraphTask, options: NodeOptions) throws -> [FieldWrite] {
        for route in update.routes where route.node != END && !options.destinations.contains(route.node) {
            throw GraphError.undeclaredRoute(from: task.node, to: route.node, allowed: options.destinations)
        }
        return try update.entries.map { entry in
            guard let index = schema.byKeyPath[entry.keyPath] else {
                throw GraphError.undeclaredField(node: task.node, keyPath: entry.keyPath.keyPath, stateType: State.self)
            }
            let field = schema.fields[index]
            guard field.acceptsWrite(entry.value) else {
                throw GraphError.wrongWriteType(
                    field: field.name, expected: field.writeTypeName, found: "\(type(of: entry.value))")
            }
            return FieldWrite(field: index, value: entry.value)
        }
    }

    private func encode(_ writes: [FieldWrite], routes: [Route], task: GraphTask) throws -> [PendingWrite] {
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
    private func restoreOutcome(_ task: GraphTask, _ writes: [PendingWrite]) throws -> TaskOutcome {
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

    private func json(_ writes: [FieldWrite]) throws -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for write in writes {
            let field = schema.fields[write.field]
            result[field.name] = SecretRedactor.redact(try field.jsonWrite(write.value))
        }
        return result
    }

    // MARK: - Planning the next step

    /// The tasks of the next step: edges, routers (run on the state after this step's writes), gotos and joins,
    /// in the order of the finished tasks; plain routes to one node merge, sends each get a task.
    private func plan(
        finished: [(GraphTask, [Route])], state: State, barriers: [String: [String]], nextStep: Int
    ) async throws -> ([GraphTask], [String: [String]]) {
        let definition = graph.definition
        var triggers: [Route] = []
        var barriers = barriers
        for (task, gotos) in finished {
            for target in graph.outgoing[task.node] ?? [] { triggers.append(Route(target)) }
            for edge in graph.conditional[task.node] ?? [] {
                let routes: [Route]
                do {
                    routes = try await edge.router(state)
                } catch {
                    throw GraphError(
                        .nodeFailed, "the router after '\(task.node)' failed: \(error)", node: task.node,
                        underlying: error)
                }
                for route in routes where route.node != END && !edge.destinations.contains(route.node) {
                    throw GraphError.undeclaredRoute(from: task.node, to: route.node, allowed: edge.destinations)
                }
                triggers += routes
            }
            triggers += gotos
            for join in definition.joins where join.sources.contains(task.node) {
                var arrived = barriers[join.id] ?? []
                if !arrived.contains(task.node) { arrived.append(task.node) }
                barriers[join.id] = arrived
            }
        }
        for join in definition.joins {
            if let arrived = barriers[join.id], Set(arrived).isSuperset(of: join.sources) {
                triggers.append(Route(join.target))
                barriers[join.id] = nil
            }
        }
        var tasks: [GraphTask] = []
        var plain: Set<String> = []
        var sends: [String: Int] = [:]
        for route in triggers where route.node != END {
            if let input = route.input {
                let index = sends[route.node, default: 0]
                sends[route.node] = index + 1
                tasks.append(GraphTask(id: "\(nextStep).\(route.node).\(index)", node: route.node, input: input))
            } else if plain.insert(route.node).inserted {
                tasks.append(GraphTask(id: "\(nextStep).\(route.node)", node: route.node))
            }
        }
        return (tasks, barriers)
    }

    // MARK: - Endings

    private func finish(
        checkpoint: Checkpoint, state: State, record: inout ThreadRecord, started: ContinuousClock.Instant
    ) async throws -> RunResult<State> {
        record.status = .completed
        record.interrupts = []
        record.updatedAt = Date()
        if let store {
            try await store.saveThread(record)
            if let retention = graph.retention { _ = try? await store.prune(threadID: threadID, policy: retention) }
        }
        emit(.runFinished(status: .completed, steps: checkpoint.step, duration: ContinuousClock().now - started))
        await environment.flushEventLog()
        return RunResult(
            threadID: threadID, status: .completed, state: state, interrupts: [], steps: checkpoint.step,
            checkpointID: store == nil ? nil : checkpoint.id)
    }

    private func pause(
        with interrupts: [Interrupt], checkpoint: Checkpoint, state: State, record: inout ThreadRecord,
        started: ContinuousClock.Instant
    ) async throws -> RunResult<State> {
        guard let store else { throw GraphError.checkpointStoreRequired("interrupting a run") }
        record.status = .interrupted
        record.interrupts = interrupts
        record.updatedAt = Date()
        try await store.saveThread(record)
        emit(.interrupted(interrupts))
        emit(.runFinished(status: .interrupted, steps: checkpoint.step, duration: ContinuousClock().now - started))
        await environment.flushEventLog()
        return RunResult(
            threadID: threadID, status: .interrupted, state: state, interrupts: interrupts, steps: checkpoint.step,
            checkpointID: checkpoint.id)
    }

    private func fail(
        _ error: GraphError, record: inout ThreadRecord, checkpoint: Checkpoint, started: ContinuousClock.Instant
    ) async throws {
        environment.logger.debug("run failed", metadata: ["error": "\(error.message)"])
        record.status = .failed
        record.error = SecretRedactor.redact(error.message)
        record.interrupts = []
        record.updatedAt = Date()
        try? await store?.saveThread(record)
        emit(.runFinished(status: .failed, steps: checkpoint.step, duration: ContinuousClock().now - started))
        await environment.flushEventLog()
    }

    private func emit(_ kind: GraphEvent.Kind) {
        environment.emit(kind)
    }
}

/// Runs `body`, failing with a timeout error naming `node` if it takes longer than `timeout`.
func withTimeout<T: Sendable>(
    _ timeout: Duration?, node: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    guard let timeout else { return try await body() }
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw GraphError.nodeTimedOut(node, after: timeout)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
