import Foundation
import NimbusCore
import Synchronization
import Testing

@testable import NimbusStore

@Suite("SQLite job queue and agent executions")
struct JobQueueTests {
    @Test("jobs are claimed by priority then age, leased, completed")
    func claimOrder() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.databasePath)
        let low = try await store.enqueue(NewJob(kind: "inspect", payload: ["q": "low"]))
        let high = try await store.enqueue(NewJob(kind: "inspect", payload: ["q": "high"], priority: 5))
        let later = try await store.enqueue(
            NewJob(kind: "inspect", payload: [:], runAfter: Date(timeIntervalSinceNow: 3600)))
        let other = try await store.enqueue(NewJob(kind: "module", payload: [:]))

        let first = try #require(try await store.claimJob(worker: "w1", kinds: ["inspect"], lease: 30))
        #expect(first.id == high.id)
        #expect(first.status == .running)
        #expect(first.attempts == 1)
        #expect(first.leaseOwner == "w1")
        let second = try #require(try await store.claimJob(worker: "w1", kinds: ["inspect"], lease: 30))
        #expect(second.id == low.id)
        #expect(try await store.claimJob(worker: "w1", kinds: ["inspect"], lease: 30) == nil)
        #expect(try await store.claimJob(worker: "w1", kinds: nil, lease: 30)?.id == other.id)

        try await store.heartbeat(jobID: first.id, worker: "w1", lease: 60)
        try await store.completeJob(jobID: first.id, worker: "w1", result: ["answer": 42])
        let done = try #require(try await store.job(first.id))
        #expect(done.status == .succeeded)
        #expect(done.result == ["answer": 42])
        #expect(try await store.job(later.id)?.status == .queued)
        await #expect(throws: StoreError.self) {
            try await store.completeJob(jobID: second.id, worker: "w2", result: nil)
        }
    }

    @Test("an expired lease is taken over; the old worker's heartbeat then fails")
    func leaseExpiry() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.databasePath)
        let job = try await store.enqueue(NewJob(kind: "k", payload: [:]))
        _ = try await store.claimJob(worker: "crashed", kinds: nil, lease: -1)
        let taken = try #require(try await store.claimJob(worker: "alive", kinds: nil, lease: 30))
        #expect(taken.id == job.id)
        #expect(taken.attempts == 2)
        await #expect(throws: StoreError.self) {
            try await store.heartbeat(jobID: job.id, worker: "crashed", lease: 30)
        }
    }

    @Test("failures retry while attempts remain, then fail for good; cancel stops a job")
    func failureAndRetry() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.databasePath)
        let job = try await store.enqueue(NewJob(kind: "k", payload: [:], maxAttempts: 2))
        _ = try await store.claimJob(worker: "w", kinds: nil, lease: 30)
        let retried = try await store.failJob(
            jobID: job.id, worker: "w", error: "boom token=abcdef123456", retryAfter: 0)
        #expect(retried.status == .queued)
        #expect(retried.error?.contains("abcdef123456") == false)
        _ = try await store.claimJob(worker: "w", kinds: nil, lease: 30)
        let failed = try await store.failJob(jobID: job.id, worker: "w", error: "boom again", retryAfter: 0)
        #expect(failed.status == .failed)
        #expect(failed.attempts == 2)

        let cancelled = try await store.enqueue(NewJob(kind: "k", payload: [:]))
        #expect(try await store.cancelJob(jobID: cancelled.id).status == .cancelled)
        await #expect(throws: StoreError.self) { _ = try await store.cancelJob(jobID: cancelled.id) }
        await #expect(throws: StoreError.self) { _ = try await store.cancelJob(jobID: "missing") }
        #expect(try await store.jobs(status: .failed, limit: 10).map(\.id) == [job.id])
    }

    @Test("concurrent workers never claim the same job twice")
    func concurrentClaims() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.databasePath)
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
    }

    @Test("agent executions record input, output, timing and tokens, with secrets redacted")
    func agentExecutions() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.databasePath)
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
        try await store.record(execution)
        try await store.record(AgentExecution(agent: "writer", threadID: "t2", input: "x"))

        let planner = try await store.executions(threadID: "t1", agent: nil, limit: 10)
        #expect(planner.count == 1)
        let row = try #require(planner.first)
        #expect(row.status == .succeeded)
        #expect(row.tokensIn == 120 && row.tokensOut == 30)
        #expect(row.durationMilliseconds == 1500)
        #expect(row.input["api_key"] == "[REDACTED]")
        #expect(row.output == ["plan": ["bucket"]])
        #expect(try await store.executions(threadID: nil, agent: "writer", limit: 10).count == 1)
        #expect(try await store.executions(threadID: nil, agent: nil, limit: 10).count == 2)
    }
}

final class Collected: Sendable {
    private let storage = Mutex<[String]>([])
    func add(_ value: String) { storage.withLock { $0.append(value) } }
    var values: [String] { storage.withLock { $0 } }
}
