import Foundation
import NimbusCore
import NimbusGraph
import NimbusTesting
import Testing

@testable import NimbusStore

/// One suite for every store: each case runs against SQLite and against PostgreSQL (the private cluster of
/// `scripts/test.d/postgres.sh`, a new database per case), through the `Store` protocols alone.
@Suite("Store conformance")
struct StoreConformanceTests {
    @Test("a run paused by one store instance is resumed by another", arguments: Engine.available)
    func durableAcrossReopen(engine: Engine) async throws {
        let opened = try EngineStore(engine)
        let effects = Tally()
        let paused = try await approvalGraph(store: opened.store, effects: effects).invoke(
            Notes(), configuration: RunConfiguration(threadID: "report-1"))
        #expect(paused.status == .interrupted)
        let reopened = try opened.reopen()
        let record = try #require(try await reopened.thread("report-1"))
        #expect(record.status == .interrupted)
        #expect(record.graph == "report")
        #expect(record.interrupts.first?.value["publish"] == ["a", "b"])
        let graph = try approvalGraph(store: reopened, effects: effects)
        let done = try await graph.resume(threadID: "report-1", answers: [record.interrupts[0].id: true])
        #expect(done.state.status == "published")
        #expect(effects.count == 1)
        let history = try await graph.history(threadID: "report-1")
        #expect(history.map(\.step) == [2, 1, 0])
        let finished = try #require(try await reopened.thread("report-1"))
        #expect(finished.status == .completed)
        #expect(finished.step == 2)
        #expect(finished.checkpointID == history.first?.checkpointID)
        let listed = try await reopened.threads(status: .completed, limit: 5)
        #expect(listed.first?.record?.checkpointID == history.first?.checkpointID)
        #expect(listed.first?.record?.updatedAt ?? .distantPast >= history.first?.createdAt ?? .distantFuture)
        #expect(try await reopened.threads(status: .failed, limit: 5).isEmpty)
    }

    @Test("threads, checkpoints and writes round-trip exactly", arguments: Engine.available)
    func roundTrip(engine: Engine) async throws {
        let opened = try EngineStore(engine)
        let store = opened.store
        let interrupt = Interrupt(
            id: "1.ask#0", kind: .node, node: "ask", taskID: "1.ask", namespace: [], value: ["q": 1])
        let record = ThreadRecord(
            threadID: "t", graph: "g", status: .interrupted, step: 3, checkpointID: "c", owner: "host:1",
            interrupts: [interrupt], createdAt: Date(timeIntervalSince1970: 1000.25),
            updatedAt: Date(timeIntervalSince1970: 2000.125), metadata: ["who": "test"])
        let checkpoint = Checkpoint(
            id: "c", threadID: "t", parentID: "b", step: 3, source: .step, state: Data(#"{"x":1}"#.utf8),
            tasks: [GraphTask(id: "4.n.0", node: "n", input: ["k": true])], barriers: ["a+b->c": ["a"]], nodes: ["m"],
            createdAt: Date(timeIntervalSince1970: 1500.5), metadata: ["m": 2])
        try await store.save(checkpoint, thread: record)
        #expect(try await store.thread("t") == record)
        #expect(try await store.thread("missing") == nil)
        #expect(try await store.latestCheckpoint(threadID: "t") == checkpoint)
        #expect(try await store.checkpoint(threadID: "t", id: "c") == checkpoint)
        #expect(try await store.checkpoint(threadID: "t", id: "nope") == nil)
        let writes = [
            PendingWrite(taskID: "4.n.0", kind: .step, key: "s#0", value: Data("1".utf8)),
            PendingWrite(taskID: "4.n.0", kind: .state, key: "0:x", value: Data([0, 255, 7])),
        ]
        try await store.saveWrites(writes, threadID: "t", checkpointID: "c")
        // The same task, kind and key replaces.
        try await store.saveWrites(
            [PendingWrite(taskID: "4.n.0", kind: .step, key: "s#0", value: Data("3".utf8))], threadID: "t",
            checkpointID: "c")
        let stored = try await store.writes(threadID: "t", checkpointID: "c")
        #expect(stored.count == 2)
        #expect(stored.first { $0.kind == .step }?.value == Data("3".utf8))
        #expect(stored.first { $0.kind == .state }?.value == Data([0, 255, 7]))
        // A status change alone keeps the thread's progress, which its newest checkpoint tells.
        var failed = record
        failed.status = .failed
        failed.error = "boom"
        try await store.saveThread(failed)
        let reread = try #require(try await store.thread("t"))
        #expect(reread.status == .failed && reread.error == "boom" && reread.checkpointID == "c")
    }

    @Test("retention deletes old checkpoints and their writes", arguments: Engine.available)
    func retention(engine: Engine) async throws {
        let opened = try EngineStore(engine)
        let store = opened.store
        var graph = StateGraph<Notes>()
        graph.addNode("add") { state, _ in Update(\.items, ["\(state.items.count)"]) }
        graph.addEdge(from: START, to: "add")
        graph.addConditionalEdge(from: "add", to: ["add", END]) { $0.items.count < 25 ? "add" : .end }
        let compiled = try graph.compile(name: "grow", checkpointer: store, retention: .keepLast(3))
        let result = try await compiled.invoke(Notes(), configuration: RunConfiguration(threadID: "grow"))
        #expect(result.state.items.count == 25)
        #expect(try await store.checkpoints(threadID: "grow", limit: nil).map(\.step) == [25, 24, 23])
        #expect(try await store.checkpoints(threadID: "grow", limit: 1).map(\.step) == [25])
        #expect(try await store.prune(threadID: "grow", policy: .maxAge(-1)) == 2)
        #expect(try await store.checkpoints(threadID: "grow", limit: nil).map(\.step) == [25])
    }

    @Test(
        "events of a run and its subgraphs are stored in order and resume after a sequence",
        arguments: Engine.available)
    func eventLog(engine: Engine) async throws {
        let opened = try EngineStore(engine)
        let store = opened.store
        var inner = StateGraph<Notes>()
        inner.addNode("inner-work") { _, context in
            context.progress("working")
            return Update(\.items, ["inner"])
        }
        inner.addEdge(from: START, to: "inner-work")
        inner.addEdge(from: "inner-work", to: END)
        var outer = StateGraph<Notes>()
        outer.addSubgraph(
            "child", try inner.compile(name: "inner"), input: { _ in Notes() }, output: { Update(\.items, $0.items) })
        outer.addEdge(from: START, to: "child")
        outer.addEdge(from: "child", to: END)
        let graph = try outer.compile(name: "outer", checkpointer: store, eventLog: store)
        _ = try await graph.invoke(Notes(), configuration: RunConfiguration(threadID: "logged"))
        _ = try await graph.invoke(Notes(), configuration: RunConfiguration(threadID: "logged_other"))
        let events = try await store.events(threadID: "logged", limit: nil)
        #expect(events.first?.name == "run_started")
        #expect(events.last?.name == "run_finished")
        #expect(events.contains { $0.name == "custom" && $0.node == "inner-work" && $0.namespace == ["1.child"] })
        #expect(events.map(\.sequence) == events.map(\.sequence).sorted())
        let middle = events[events.count / 2].sequence
        let rest = try await store.events(threadID: "logged", after: middle, limit: nil)
        #expect(rest.map(\.sequence) == events.map(\.sequence).filter { $0 > middle })
        #expect(try await store.events(threadID: "logged", after: nil, limit: 2).count == 2)
        // Deleting a thread takes its subgraph threads and events, and no other thread's ("_" is not a wildcard).
        try await store.deleteThread("logged")
        #expect(try await store.events(threadID: "logged", limit: nil).isEmpty)
        #expect(try await store.events(threadID: "logged_other", limit: nil).isEmpty == false)
        let left = try await store.threads(status: nil, limit: 10).map(\.threadID)
        #expect(left.allSatisfy { $0.hasPrefix("logged_other") }, "\(left)")
    }

    // MARK: Jobs

    @Test("jobs are claimed by priority then age, leased, completed", arguments: Engine.available)
    func claimOrder(engine: Engine) async throws {
        let opened = try EngineStore(engine)
        let store = opened.store
        let low = try await store.enqueue(NewJob(kind: "inspect", payload: ["q": "low"]))
        let high = try await store.enqueue(NewJob(kind: "inspect", payload: ["q": "high"], priority: 5))
        let later = try await store.enqueue(
            NewJob(kind: "inspect", payload: [:], runAfter: Date(timeIntervalSinceNow: 3600)))
        let other = try await store.enqueue(NewJob(kind: "module", payload: [:], threadID: "t-1"))

        let first = try #require(try await store.claimJob(worker: "w1", kinds: ["inspect"], lease: 30))
        #expect(first.id == high.id)
        #expect(first.status == .running)
        #expect(first.attempts == 1)
        #expect(first.leaseOwner == "w1")
        #expect(first.payload == ["q": "high"])
        let second = try #require(try await store.claimJob(worker: "w1", kinds: ["inspect"], lease: 30))
        #expect(second.id == low.id)
        #expect(try await store.claimJob(worker: "w1", kinds: ["inspect"], lease: 30) == nil)
        let module = try #require(try await store.claimJob(worker: "w1", kinds: nil, lease: 30))
        #expect(module.id == other.id && module.threadID == "t-1")

        try await store.heartbeat(jobID: first.id, worker: "w1", lease: 60)
        try await store.completeJob(jobID: first.id, worker: "w1", result: ["answer": 42])
        let done = try #require(try await store.job(first.id))
        #expect(done.status == .succeeded)
        #expect(done.result == ["answer": 42])
        #expect(try await store.job(later.id)?.status == .queued)
        #expect(try await store.job("missing") == nil)
        await #expect(throws: StoreError.self) {
            try await store.completeJob(jobID: second.id, worker: "w2", result: nil)
        }
        #expect(try await store.jobs(status: .running, limit: 10).map(\.id).sorted() == [low.id, other.id].sorted())
        #expect(try await store.jobs(status: nil, limit: 10).count == 4)
    }

    @Test("an expired lease is taken over; the old worker's heartbeat then fails", arguments: Engine.available)
    func leaseExpiry(engine: Engine) async throws {
        let opened = try EngineStore(engine)
        let store = opened.store
        let job = try await store.enqueue(NewJob(kind: "k", payload: [:]))
        _ = try await store.claimJob(worker: "crashed", kinds: nil, lease: -1)
        let taken = try #require(try await store.claimJob(worker: "alive", kinds: nil, lease: 30))
        #expect(taken.id == job.id)
        #expect(taken.attempts == 2)
        await #expect(throws: StoreError.self) {
            try await store.heartbeat(jobID: job.id, worker: "crashed", lease: 30)
        }
        try await store.heartbeat(jobID: job.id, worker: "alive", lease: 30)
    }

    @Test(
        "failures retry with back-off while attempts remain, then are dead-lettered; cancel stops a job",
        arguments: Engine.available)
    func failureAndRetry(engine: Engine) async throws {
        let opened = try EngineStore(engine)
        let store = opened.store
        // A failure asking for a retry an hour from now is queued again, and not claimable before then. (No timing:
        // the back-off is far longer than any test could take.)
        let later = try await store.enqueue(NewJob(kind: "k", payload: [:], maxAttempts: 3))
        let failedAt = Date()
        let claimedLater = try #require(try await store.claimJob(worker: "w", kinds: nil, lease: 30))
        let waiting = try await store.failJob(jobID: claimedLater.id, worker: "w", error: "boom", retryAfter: 3600)
        #expect(waiting.status == .queued)
        #expect(waiting.runAfter >= failedAt.addingTimeInterval(3600 - 1))
        #expect(try await store.claimJob(worker: "w", kinds: nil, lease: 30) == nil, "not before its back-off")
        #expect(try await store.cancelJob(jobID: later.id).status == .cancelled)

        // A job that always fails, retried at once each time, is dead-lettered after its attempts.
        let job = try await store.enqueue(NewJob(kind: "k", payload: [:], maxAttempts: 3))
        var attempt = 0
        var last: JobRecord?
        while let claimed = try await store.claimJob(worker: "w", kinds: nil, lease: 30) {
            attempt += 1
            last = try await store.failJob(
                jobID: claimed.id, worker: "w", error: "boom token=abcdef123456", retryAfter: 0)
        }
        #expect(attempt == 3)
        let backoff = RetryBackoff(base: 2, maximum: 10)
        #expect((1...5).map { backoff.delay(afterAttempt: $0) } == [2, 4, 8, 10, 10])
        #expect(last?.status == .deadLettered)
        #expect(last?.attempts == 3)
        #expect(last?.error?.contains("abcdef123456") == false)
        #expect(try await store.jobs(status: .deadLettered, limit: 10).map(\.id) == [job.id])

        // A failure its worker does not want retried fails for good at once.
        let fatal = try await store.enqueue(NewJob(kind: "k", payload: [:]))
        _ = try await store.claimJob(worker: "w", kinds: nil, lease: 30)
        #expect(
            try await store.failJob(jobID: fatal.id, worker: "w", error: "bad payload", retryAfter: nil).status
                == .failed)

        // A job whose worker died on every attempt (its lease ran out each time) is dead-lettered, not run again.
        let crashing = try await store.enqueue(NewJob(kind: "k", payload: [:], maxAttempts: 2))
        _ = try await store.claimJob(worker: "dies", kinds: nil, lease: -1)
        _ = try await store.claimJob(worker: "dies", kinds: nil, lease: -1)
        #expect(try await store.claimJob(worker: "w", kinds: nil, lease: 30) == nil)
        #expect(try await store.job(crashing.id)?.status == .deadLettered)

        let cancelled = try await store.enqueue(NewJob(kind: "k", payload: [:]))
        #expect(try await store.cancelJob(jobID: cancelled.id).status == .cancelled)
        await #expect(throws: StoreError.self) { _ = try await store.cancelJob(jobID: cancelled.id) }
        await #expect(throws: StoreError.self) { _ = try await store.cancelJob(jobID: "missing") }
        let running = try await store.enqueue(NewJob(kind: "k", payload: [:]))
        _ = try await store.claimJob(worker: "w", kinds: nil, lease: 30)
        #expect(try await store.cancelJob(jobID: running.id).status == .cancelled)
        await #expect(throws: StoreError.self) { try await store.heartbeat(jobID: running.id, worker: "w", lease: 30) }
    }

    @Test("concurrent workers never claim the same job twice", arguments: Engine.available)
    func concurrentClaims(engine: Engine) async throws {
        let opened = try EngineStore(engine)
        let store = opened.store
        for index in 0..<60 { _ = try await store.enqueue(NewJob(kind: "k", payload: ["i": .int(index)])) }
        let claimed = Collected()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    while let job = try await store.claimJob(worker: "w\(worker)", kinds: nil, lease: 30) {
                        claimed.add(job.id)
                        try await store.completeJob(jobID: job.id, worker: "w\(worker)", result: nil)
                    }
                }
            }
            try await group.waitForAll()
        }
        let ids = claimed.values
        #expect(ids.count == 60)
        #expect(Set(ids).count == 60)
        #expect(try await store.summary().jobs == ["succeeded": 60])
    }

    // MARK: Records

    @Test(
        "agent executions record input, output, timing and tokens, with secrets redacted",
        arguments: Engine.available)
    func agentExecutions(engine: Engine) async throws {
        let opened = try EngineStore(engine)
        let store = opened.store
        var execution = AgentExecution(
            agent: "planner", threadID: "t1",
            input: ["request": "make a bucket", "api_key": "sk-live-abcdefghijklmnopqrstuv"],
            startedAt: Date(timeIntervalSince1970: 100))
        try await store.record(execution)
        execution.status = .succeeded
        execution.output = ["plan": ["bucket"]]
        execution.finishedAt = Date(timeIntervalSince1970: 101.5)
        execution.tokensIn = 120
        execution.tokensOut = 30
        execution.model = "openai:gpt-4o-mini"
        execution.cost = 0.25
        try await store.record(execution)
        try await store.record(AgentExecution(agent: "writer", threadID: "t2", input: "x"))

        let planner = try await store.executions(threadID: "t1", agent: nil, limit: 10)
        #expect(planner.count == 1)
        let row = try #require(planner.first)
        #expect(row.status == .succeeded)
        #expect(row.tokensIn == 120 && row.tokensOut == 30 && row.cost == 0.25)
        #expect(row.durationMilliseconds == 1500)
        #expect(row.input["api_key"] == "[REDACTED]")
        #expect(row.output == ["plan": ["bucket"]])
        #expect(try await store.executions(threadID: nil, agent: "writer", limit: 10).count == 1)
        #expect(try await store.executions(threadID: "t2", agent: "planner", limit: 10).isEmpty)
        #expect(try await store.executions(threadID: nil, agent: nil, limit: 10).count == 2)
    }

    @Test(
        "cached answers expire; the audit log and history keep order and redact secrets",
        arguments: Engine.available)
    func recordsAndCache(engine: Engine) async throws {
        let opened = try EngineStore(engine)
        let store = opened.store
        try await store.cacheResponse(key: "k1", value: ["text": "hello"], expiresAt: Date(timeIntervalSinceNow: 60))
        try await store.cacheResponse(key: "k2", value: ["text": "old"], expiresAt: Date(timeIntervalSinceNow: -1))
        try await store.cacheResponse(key: "k1", value: ["text": "again"], expiresAt: Date(timeIntervalSinceNow: 60))
        #expect(try await store.cachedResponse(key: "k1") == ["text": "again"])
        #expect(try await store.cachedResponse(key: "k2") == nil)
        #expect(try await store.pruneResponseCache(now: Date()) == 1)

        let early = AuditEntry(
            time: Date(timeIntervalSince1970: 1000), requestID: "r1", tool: "s3.delete_bucket", profile: "dev",
            region: "eu-west-1", service: "s3", operation: "DeleteBucket",
            parameters: ["Bucket": "b", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
            outcome: .succeeded, awsRequestID: "req-1", durationMilliseconds: 12.5)
        let late = AuditEntry(
            time: Date(timeIntervalSince1970: 2000), requestID: "r2", service: "s3", operation: "ListBuckets",
            outcome: .refused, error: "read-only")
        try await store.recordAudit(early)
        try await store.recordAudit(late)
        try await store.recordAudit(early)  // the same id twice is kept once
        let entries = try await store.auditEntries(since: nil, requestID: nil, limit: 10)
        #expect(entries.map(\.id) == [late.id, early.id])
        #expect(entries.last?.parameters["SecretAccessKey"] == "[REDACTED]")
        #expect(entries.last?.durationMilliseconds == 12.5 && entries.last?.awsRequestID == "req-1")
        #expect(
            try await store.auditEntries(since: Date(timeIntervalSince1970: 1500), requestID: nil, limit: 10)
                .map(\.id) == [late.id])
        #expect(try await store.auditEntries(since: nil, requestID: "r1", limit: 10).map(\.id) == [early.id])

        var request = RequestRecord(
            id: "r1", product: "ops", text: "delete bucket b", status: .awaitingApproval, strategy: "offline",
            profile: "dev", region: "eu-west-1", steps: 1, createdAt: Date(timeIntervalSince1970: 1000),
            updatedAt: Date(timeIntervalSince1970: 1000))
        try await store.recordRequest(request)
        request.status = .completed
        request.answer = "deleted b"
        request.updatedAt = Date(timeIntervalSince1970: 1010)
        try await store.recordRequest(request)
        try await store.recordRequest(
            RequestRecord(
                id: "r2", product: "modules", text: "s3 module", status: .completed, strategy: "offline",
                createdAt: Date(timeIntervalSince1970: 2000), updatedAt: Date(timeIntervalSince1970: 2000)))
        let requests = try await store.requests(limit: 10)
        #expect(requests.map(\.id) == ["r2", "r1"])
        #expect(requests.last == request)
    }

    @Test("API keys: one per name and digest, revoked by name, touched on use", arguments: Engine.available)
    func apiKeys(engine: Engine) async throws {
        let opened = try EngineStore(engine)
        let store = opened.store
        let key = APIKeyRecord(
            name: "ci", digest: String(repeating: "ab", count: 32), prefix: "nmb_AbC1", readOnly: true,
            createdAt: Date(timeIntervalSince1970: 1000))
        try await store.addAPIKey(key)
        await #expect {
            try await store.addAPIKey(key)
        } throws: { ($0 as? StoreError)?.code == .duplicateKey }
        #expect(try await store.apiKeys() == [key])
        #expect(try await store.apiKey(digest: key.digest)?.readOnly == true)
        try await store.touchAPIKey(digest: key.digest, at: Date(timeIntervalSince1970: 1100))
        #expect(try await store.apiKey(digest: key.digest)?.lastUsedAt == Date(timeIntervalSince1970: 1100))
        #expect(try await store.revokeAPIKey(name: "ci", at: Date(timeIntervalSince1970: 1200)))
        #expect(try await store.revokeAPIKey(name: "ci", at: Date(timeIntervalSince1970: 1300)) == false)
        #expect(try await store.apiKey(digest: key.digest)?.revokedAt == Date(timeIntervalSince1970: 1200))
    }

    @Test("a summary names the engine, the migrations and the rows each table holds", arguments: Engine.available)
    func summary(engine: Engine) async throws {
        let opened = try EngineStore(engine)
        let store = opened.store
        _ = try await store.enqueue(NewJob(kind: "k", payload: [:]))
        try await store.recordAudit(AuditEntry(service: "s3", operation: "ListBuckets", outcome: .succeeded))
        let summary = try await store.summary()
        #expect(summary.engine == engine.rawValue)
        #expect(!summary.migrations.isEmpty)
        #expect(summary.rows["jobs"] == 1 && summary.rows["audit_log"] == 1 && summary.rows["threads"] == 0)
        #expect(summary.jobs == ["queued": 1])
        #expect(Set(summary.rows.keys) == Set(StoreSummary.tables))
    }
}
