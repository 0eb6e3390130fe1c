import Foundation
import Logging
import NimbusCore
import NimbusGraph
import NimbusHost
import NimbusProducts
import NimbusStore
import ServiceLifecycle
import Synchronization

/// What a queued run does: start a product's run or resume one with answers. The job's payload, as JSON.
struct RunJob: Codable, Sendable {
    enum Action: String, Codable, Sendable { case start, resume }
    var action: Action
    var product: String
    var threadID: String
    /// The product's request (start).
    var request: JSONValue?
    /// Answers by interrupt id or question key (resume).
    var answers: [String: JSONValue]?
    /// The key that asked, by name (for its cap on runs in flight).
    var key: String
    /// The span of the request that queued it (`traceparent`), so the run's span joins its trace.
    var traceparent: String? = nil

    static let kind = "nimbus.run"

    enum CodingKeys: String, CodingKey {
        case action, product, request, answers, key, traceparent
        case threadID = "thread_id"
    }
}

/// A job that does nothing but leave evidence it ran: `nimbus worker ping` queues them to check that workers are
/// taking work, and the queue benchmark measures the queue with them. One agent-execution row per attempt (agent
/// `nimbus.noop`) says which worker ran it; a job that says `fail` fails each attempt and is retried with back-off
/// until it is dead-lettered.
struct NoopJob: Codable, Sendable {
    var fail: String?
    /// How long the job holds its worker, in milliseconds (at most a minute).
    var sleepMilliseconds: Int?

    static let kind = "nimbus.noop"

    enum CodingKeys: String, CodingKey {
        case fail
        case sleepMilliseconds = "sleep_ms"
    }
}

/// How a message to a conversation whose run is still in flight is handled.
enum BusyPolicy: String, Codable, Sendable, CaseIterable {
    /// Wait for it, then run.
    case enqueue
    /// Refuse (409).
    case reject
    /// Cancel the running one (it stops at its next checkpoint; nothing it did is done again), then run.
    case interrupt
}

/// Every run the server makes goes through the store's job queue, and workers inside the server run them: a
/// request that waits for its answer waits for its job, one that said `Prefer: respond-async` (or outlasts
/// `patience`) gets the thread id at once. A server killed mid-run leaves a job whose lease runs out; the next
/// start claims it again and the run resumes from its last checkpoint.
final class RunCoordinator: Sendable {
    let host: NimbusHost
    let workers: Int
    let maxRunsPerKey: Int
    let metrics: ServerMetrics
    let live: LiveEvents
    let logger: Logger
    let workerName: String
    let webhook: Webhook?
    /// Where run spans go, when traces are sent.
    let tracer: TraceExporter?
    /// How long a claimed job is leased; heartbeats renew it every third of that.
    let lease: TimeInterval
    /// The job kinds the workers take.
    let kinds: [String]
    /// The wait before a failed no-op job's next attempt.
    let backoff: RetryBackoff
    /// Each worker stops when it finds no due job (`nimbus worker --drain`).
    let drain: Bool
    private let state = Mutex(Flights())
    /// Rung when a job is enqueued (or the server stops), so idle workers look at once.
    private let bell = WakeSignal()

    private struct Flights {
        /// Thread → the key that runs it and the task running it (on this server).
        var running: [String: (key: String, task: Task<JSONValue, Never>?)] = [:]
        /// Thread → job id, while queued or running.
        var jobs: [String: String] = [:]
        /// Conversation → its thread in flight.
        var conversations: [String: String] = [:]
        /// Job id → who waits for its end.
        var waiters: [String: [UUID: CheckedContinuation<Void, Never>]] = [:]
        var stopping = false
    }

    /// `role` names the workers' process kind in their lease owner (`server:HOST:PID:N`, `worker:HOST:PID:N`).
    init(
        host: NimbusHost, workers: Int, maxRunsPerKey: Int, metrics: ServerMetrics, live: LiveEvents,
        webhook: Webhook? = nil, tracer: TraceExporter? = nil, role: String = "server", lease: TimeInterval = 30,
        kinds: [String] = [RunJob.kind], backoff: RetryBackoff = RetryBackoff(), drain: Bool = false
    ) {
        self.host = host
        self.drain = drain
        self.lease = max(1, lease)
        self.kinds = kinds
        self.backoff = backoff
        self.webhook = webhook
        self.tracer = tracer
        self.workers = workers
        self.maxRunsPerKey = maxRunsPerKey
        self.metrics = metrics
        self.live = live
        logger = Logger(label: "nimbus.\(role).runs")
        workerName = "\(role):\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }

    // MARK: Asking

    /// Queues a run and, unless `wait` is zero, waits up to `wait` for it to end or pause. Returns the job.
    func submit(
        _ job: RunJob, conversation: String?, onBusy: BusyPolicy, wait: Duration
    ) async throws -> JobRecord {
        let inFlight = state.withLock { flights in flights.running.values.filter { $0.key == job.key }.count }
        if inFlight >= maxRunsPerKey { throw ServerError.tooManyRuns(maxRunsPerKey) }
        if let conversation, let previous = state.withLock({ $0.conversations[conversation] }) {
            switch onBusy {
            case .reject: throw ServerError.busy(conversation, thread: previous)
            case .interrupt:
                _ = try? await cancel(threadID: previous)
                await waitForThread(previous)
            case .enqueue:
                await waitForThread(previous)
            }
        }
        let record = try await host.store.enqueue(
            NewJob(kind: RunJob.kind, payload: try JSONValue(encoding: job), maxAttempts: 3, threadID: job.threadID))
        state.withLock { flights in
            flights.jobs[job.threadID] = record.id
            if let conversation { flights.conversations[conversation] = job.threadID }
        }
        // A worker may have run the job to its end before it was noted here: then it is not in flight.
        if let current = try await host.store.job(record.id), ![.queued, .running].contains(current.status) {
            state.withLock { flights in
                if flights.jobs[job.threadID] == record.id { flights.jobs[job.threadID] = nil }
                if let conversation, flights.conversations[conversation] == job.threadID {
                    flights.conversations[conversation] = nil
                }
            }
        }
        bell.ring()
        if wait > .zero {
            // Run here (a local waiter hears its end) or by a worker elsewhere (the store tells).
            let deadline = ContinuousClock.now + wait
            while ContinuousClock.now < deadline {
                await waitForJob(record.id, timeout: min(deadline - ContinuousClock.now, pollInterval))
                if await settle(jobID: record.id, threadID: job.threadID) { break }
            }
        }
        return try await host.store.job(record.id) ?? record
    }

    /// How often a waiter looks at the store for a job run by another process.
    private var pollInterval: Duration { workers > 0 ? .milliseconds(500) : .milliseconds(100) }

    /// Whether the job has ended, by the store; when it has, it is no longer tracked here (another process ran it).
    private func settle(jobID: String, threadID: String) async -> Bool {
        if state.withLock({ $0.jobs[threadID] != jobID && $0.running[threadID] == nil }) {
            // Not tracked (any more): ended here, or never here.
            if let current = try? await host.store.job(jobID) { return current.status.isFinal }
            return true
        }
        guard let current = try? await host.store.job(jobID), current.status.isFinal else { return false }
        let waiters = state.withLock { flights -> [CheckedContinuation<Void, Never>] in
            // A run going on here is cleared by its own end.
            guard flights.running[threadID] == nil else { return [] }
            if flights.jobs[threadID] == jobID { flights.jobs[threadID] = nil }
            for (conversation, value) in flights.conversations where value == threadID {
                flights.conversations[conversation] = nil
            }
            return Array((flights.waiters.removeValue(forKey: jobID) ?? [:]).values)
        }
        for waiter in waiters { waiter.resume() }
        return true
    }

    /// Cancels a thread's queued or running run; false if it has none.
    func cancel(threadID: String) async throws -> Bool {
        let (jobID, task) = state.withLock { ($0.jobs[threadID], $0.running[threadID]?.task) }
        var cancelled = false
        let id: String? =
            if let jobID { jobID } else {
                try await host.store.jobs(status: .queued, limit: 500).first { $0.threadID == threadID }?.id
            }
        if let id, (try? await host.store.cancelJob(jobID: id)) != nil { cancelled = true }
        if let task {
            task.cancel()
            cancelled = true
        }
        return cancelled
    }

    /// Whether a thread has a run queued or in flight here.
    func isActive(_ threadID: String) -> Bool {
        state.withLock { $0.jobs[threadID] != nil || $0.running[threadID] != nil }
    }

    private func waitForJob(_ jobID: String, timeout: Duration) async {
        let id = UUID()
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            let waiter = self?.state.withLock { $0.waiters[jobID]?.removeValue(forKey: id) }
            waiter?.resume()
        }
        await withCheckedContinuation { continuation in
            let ended = state.withLock { flights -> Bool in
                // Ended already (no longer tracked).
                guard flights.jobs.values.contains(jobID) else { return true }
                flights.waiters[jobID, default: [:]][id] = continuation
                return false
            }
            if ended { continuation.resume() }
        }
        timer.cancel()
    }

    private func waitForThread(_ threadID: String) async {
        while let jobID = state.withLock({ $0.jobs[threadID] }) {
            await waitForJob(jobID, timeout: pollInterval)
            _ = await settle(jobID: jobID, threadID: threadID)
        }
    }

    // MARK: Working

    /// Runs the workers until graceful shutdown; then they take no new job, and runs still going after
    /// `grace` are stopped at their next checkpoint and handed back to the queue, for the next start to resume.
    func serve(grace: Duration = .seconds(10)) async {
        guard workers > 0 else {
            // An API-only server: nothing to run here, but the service lives as long as the server.
            try? await gracefulShutdown()
            return
        }
        // A store shared by many processes says when a job becomes due elsewhere: idle workers start it at once.
        let listener = (host.store as? any JobNotifying).map { store in
            Task { [bell] in
                for await _ in store.jobNotifications() { bell.ring() }
            }
        }
        defer { listener?.cancel() }
        await withGracefulShutdownHandler {
            await runWorkers()
        } onGracefulShutdown: {
            self.state.withLock { $0.stopping = true }
            self.bell.ring()
            Task {
                try? await Task.sleep(for: grace)
                let tasks = self.state.withLock { $0.running.values.compactMap(\.task) }
                for task in tasks { task.cancel() }
            }
        }
    }

    /// Hands back jobs whose worker was a server or worker process on this machine that is gone (killed), so they
    /// run again now rather than when their lease runs out. Jobs of processes on other machines come back when
    /// their lease runs out.
    func releaseAbandonedJobs() async throws {
        for job in try await host.store.jobs(status: .running, limit: 500) where kinds.contains(job.kind) {
            guard let owner = job.leaseOwner, owner.hasPrefix("server:") || owner.hasPrefix("worker:") else { continue }
            let parts = owner.split(separator: ":")
            guard parts.count >= 3, !NimbusHost.ownerIsAlive("\(parts[1]):\(parts[2])"),
                String(parts[2]) != String(ProcessInfo.processInfo.processIdentifier)
            else { continue }
            _ = try? await host.store.failJob(
                jobID: job.id, worker: owner, error: "its process stopped; the run resumes from its last checkpoint",
                retryAfter: 0)
        }
    }

    private var stopping: Bool { state.withLock { $0.stopping } }

    /// Runs the workers: each claims a job, runs it, repeats, until shutdown.
    private func runWorkers() async {
        guard workers > 0 else { return }
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<workers {
                group.addTask { await self.work(index: index) }
            }
            await withTaskCancellationHandler {
                await group.waitForAll()
            } onCancel: {
                self.state.withLock { $0.stopping = true }
                self.bell.ring()
            }
        }
    }

    private func work(index: Int) async {
        let name = "\(workerName):\(index)"
        while !Task.isCancelled, !stopping {
            let heard = bell.count
            do {
                if let job = try await host.store.claimJob(worker: name, kinds: kinds, lease: lease) {
                    await run(job, worker: name)
                    continue
                }
                if drain { return }
            } catch {
                logger.error("claiming a job failed", metadata: ["error": "\(error)"])
            }
            // Idle: wait for an enqueue here, or look again after a while for jobs other processes left.
            await bell.wait(after: heard, timeout: .seconds(1))
        }
    }

    private func run(_ record: JobRecord, worker: String) async {
        if record.kind == NoopJob.kind { return await runNoop(record, worker: worker) }
        guard let decoded = try? record.payload.decode(RunJob.self) else {
            _ = try? await host.store.failJob(
                jobID: record.id, worker: worker, error: "the job's payload is not a run", retryAfter: nil)
            return
        }
        // A job claimed again after a crash continues its thread from the last checkpoint, never starts afresh.
        let existing = record.attempts > 1 ? ((try? await host.store.thread(decoded.threadID)) ?? nil) : nil
        let stored = decoded.action == .start && existing != nil
        let job =
            stored
            ? RunJob(
                action: .resume, product: decoded.product, threadID: decoded.threadID, answers: [:], key: decoded.key)
            : decoded
        let thread = job.threadID
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(lease / 3))
                if Task.isCancelled { break }
                do {
                    try await host.store.heartbeat(jobID: record.id, worker: worker, lease: lease)
                } catch {
                    // Cancelled (or taken) elsewhere: stop the run at its next checkpoint.
                    state.withLock { $0.running[thread]?.task?.cancel() }
                    break
                }
            }
        }
        let work = Task<JSONValue, Never> { [self] in
            let environment = host.environment(events: { [live] event in live.publish(event) })
            do {
                guard let product = host.catalog.product(named: job.product) else {
                    throw ServerError.badRequest("no product named '\(job.product)'")
                }
                let result: ProductResult =
                    switch job.action {
                    case .start:
                        try await product.start(
                            job.request ?? .object([:]), threadID: thread, environment: environment)
                    case .resume:
                        try await host.resume(threadID: thread, answers: job.answers ?? [:], environment: environment)
                    }
                metrics.run(product: job.product, state: result.state.rawValue)
                return result.json(home: host.configuration.home)
            } catch {
                metrics.run(product: job.product, state: "error")
                return .object(["error": ErrorReport(error).json, "thread_id": .string(thread)])
            }
        }
        state.withLock { $0.running[thread] = (job.key, work) }
        metrics.inFlight(1)
        let started = Date()
        let result = await work.value
        heartbeat.cancel()
        if let tracer {
            let parent = job.traceparent.flatMap(TraceContext.init(traceparent:))
            let context = TraceContext.child(of: parent)
            // The run's nodes, and the model and AWS calls inside them, as its children: the same tree
            // `nimbus runs trace` prints, for this attempt.
            if let tree = try? await host.trace(threadID: thread) {
                tracer.record(children: tree, of: context, since: started)
            }
            tracer.record(
                FinishedSpan(
                    context: context, parentSpanID: parent?.spanID,
                    name: "run \(job.product)", kind: 1, start: started, end: Date(),
                    attributes: [
                        "nimbus.product": .string(job.product), "nimbus.thread_id": .string(thread),
                        "nimbus.action": .string(job.action.rawValue), "nimbus.attempt": .int(record.attempts),
                        "nimbus.state": result["state"] ?? "failed",
                    ], failed: result["error"] != nil))
        }
        if stopping, work.isCancelled {
            // Stopped by shutdown: back to the queue, for the next start to resume from the last checkpoint.
            _ = try? await host.store.failJob(
                jobID: record.id, worker: worker, error: "the server stopped during the run", retryAfter: 0)
        } else {
            // A run that failed is not run again by the queue: its thread keeps the failure, and the client
            // continues it. Only a crash (a lost lease) runs a job again.
            try? await host.store.completeJob(jobID: record.id, worker: worker, result: result)
            if let webhook {
                let event: JSONValue = [
                    "event": "run.finished", "thread_id": .string(thread), "product": .string(job.product),
                    "state": result["state"] ?? "failed", "error": result["error"]?["code"] ?? .null,
                ]
                Task { await webhook.send(event) }
            }
        }
        metrics.inFlight(-1)
        live.finish(thread)
        let waiters = state.withLock { flights -> [CheckedContinuation<Void, Never>] in
            flights.running[thread] = nil
            if flights.jobs[thread] == record.id { flights.jobs[thread] = nil }
            for (conversation, value) in flights.conversations where value == thread {
                flights.conversations[conversation] = nil
            }
            return Array((flights.waiters.removeValue(forKey: record.id) ?? [:]).values)
        }
        for waiter in waiters { waiter.resume() }
    }
}

extension RunCoordinator {
    /// Runs a no-op job: sleeps if asked, records that this worker ran it, then completes it (or fails it, with
    /// back-off, when it says so).
    fileprivate func runNoop(_ record: JobRecord, worker: String) async {
        let job = (try? record.payload.decode(NoopJob.self)) ?? NoopJob()
        let started = Date()
        if let milliseconds = job.sleepMilliseconds, milliseconds > 0 {
            try? await Task.sleep(for: .milliseconds(min(milliseconds, 60_000)))
        }
        let execution = AgentExecution(
            id: "\(record.id).\(record.attempts)", agent: NoopJob.kind, jobID: record.id,
            status: job.fail == nil ? .succeeded : .failed, input: record.payload, output: ["worker": .string(worker)],
            error: job.fail, startedAt: started, finishedAt: Date())
        do {
            try await host.store.record(execution)
            if let failure = job.fail {
                _ = try await host.store.failJob(
                    jobID: record.id, worker: worker, error: failure,
                    retryAfter: backoff.delay(afterAttempt: record.attempts))
            } else {
                try await host.store.completeJob(jobID: record.id, worker: worker, result: ["worker": .string(worker)])
            }
        } catch {
            logger.error("a no-op job could not be finished", metadata: ["job": "\(record.id)", "error": "\(error)"])
        }
        metrics.run(product: NoopJob.kind, state: job.fail == nil ? "done" : "failed")
    }
}

extension ProductResult {
    /// The response body of a run: `{"product", "thread_id", "state", "questions", "outcome"}`, secrets redacted
    /// and the server's own paths (under its Nimbus home) written as `$NIMBUS_HOME`: a client learns nothing of
    /// the server's disk.
    func json(home: URL) -> JSONValue {
        var outcome = outcome
        // What a person asked to see on their own terminal never goes over the network.
        if case .object(var members) = outcome {
            members["revealed"] = nil
            outcome = .object(members)
        }
        let body = SecretRedactor.redact(
            .object([
                "product": .string(product), "thread_id": .string(threadID), "state": .string(state.rawValue),
                "questions": (try? JSONValue(encoding: questions)) ?? .array([]), "outcome": outcome,
            ]))
        return body.replacingText(home.standardizedFileURL.path, with: "$NIMBUS_HOME")
    }
}

/// Product events of the runs in flight on this server, for the chat sockets that watch them.
final class LiveEvents: Sendable {
    private let watchers = Mutex<[String: [UUID: @Sendable (ProductEvent?) -> Void]]>([:])

    /// Calls `watch` with each event of `thread`, and with nil when its run ends here; until `cancel` is called.
    func watch(_ thread: String, _ watch: @escaping @Sendable (ProductEvent?) -> Void) -> @Sendable () -> Void {
        let id = UUID()
        watchers.withLock { $0[thread, default: [:]][id] = watch }
        return { [weak self] in self?.watchers.withLock { _ = $0[thread]?.removeValue(forKey: id) } }
    }

    func publish(_ event: ProductEvent) {
        let targets = watchers.withLock { Array(($0[event.threadID] ?? [:]).values) }
        for target in targets { target(event) }
    }

    func finish(_ thread: String) {
        let targets = watchers.withLock { Array(($0[thread] ?? [:]).values) }
        for target in targets { target(nil) }
    }
}

/// Wakes every waiter when rung; a waiter that last heard ring `count` returns at once if it rang since.
final class WakeSignal: Sendable {
    private struct State {
        var rings = 0
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = Mutex(State())

    var count: Int { state.withLock { $0.rings } }

    func ring() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.rings += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait(after heard: Int, timeout: Duration) async {
        let id = UUID()
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            let waiter = self?.state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.rings != heard { return true }
                state.waiters[id] = continuation
                return false
            }
            if now { continuation.resume() }
        }
        timer.cancel()
    }
}

extension JSONValue {
    /// Every string (and key) with `text` replaced.
    func replacingText(_ text: String, with replacement: String) -> JSONValue {
        guard !text.isEmpty else { return self }
        switch self {
        case .string(let value): return .string(value.replacingOccurrences(of: text, with: replacement))
        case .array(let items): return .array(items.map { $0.replacingText(text, with: replacement) })
        case .object(let members):
            return .object(members.mapValues { $0.replacingText(text, with: replacement) })
        default: return self
        }
    }
}
