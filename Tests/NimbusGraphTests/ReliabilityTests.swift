import Foundation
import NimbusCore
import Testing

@testable import NimbusGraph

struct Flaky: Error, CustomStringConvertible {
    let attempt: Int
    var description: String { "flaky failure #\(attempt)" }
}

struct Fatal: Error {}

@Suite("Retries, timeouts and cancellation")
struct ReliabilityTests {
    @Test("a retry policy re-runs a failing node with back-off until it succeeds")
    func retriesUntilSuccess() async throws {
        let attempts = Counter()
        var graph = StateGraph<Trail>()
        graph.addNode("flaky", retry: RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(5))) { _, context in
            let attempt = attempts.increment()
            #expect(context.attempt == attempt)
            if attempt < 3 { throw Flaky(attempt: attempt) }
            return Update(\.value, attempt)
        }
        graph.addEdge(from: START, to: "flaky")
        graph.addEdge(from: "flaky", to: END)
        let events = EventCollector()
        let result = try await graph.compile(name: "retry").invoke(Trail(), modes: .debug, onEvent: events.handler)
        #expect(result.state.value == 3)
        #expect(events.names.filter { $0 == "node_retrying" }.count == 2)
    }

    @Test("a node that keeps failing fails the run, naming the node and the attempts")
    func retriesExhausted() async throws {
        let store = InMemoryCheckpointStore()
        var graph = StateGraph<Trail>()
        graph.addNode("broken", retry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(1))) { _, context in
            throw Flaky(attempt: context.attempt)
        }
        graph.addEdge(from: START, to: "broken")
        graph.addEdge(from: "broken", to: END)
        let compiled = try graph.compile(name: "broken", checkpointer: store)
        let error = await expectGraphError(.nodeFailed) {
            _ = try await compiled.invoke(Trail(), configuration: RunConfiguration(threadID: "b"))
        }
        #expect(error?.message.contains("'broken'") == true)
        #expect(error?.message.contains("after 2 attempts") == true)
        #expect(error?.underlying is Flaky)
        let record = try await store.thread("b")
        #expect(record?.status == .failed)
        #expect(record?.error?.contains("flaky failure #2") == true)
    }

    @Test("errors the policy does not retry fail at once")
    func retryFilter() async throws {
        let attempts = Counter()
        var graph = StateGraph<Trail>()
        let policy = RetryPolicy(maxAttempts: 5, initialDelay: .milliseconds(1), retryOn: { $0 is Flaky })
        graph.addNode("fatal", retry: policy) { _, _ in
            _ = attempts.increment()
            throw Fatal()
        }
        graph.addEdge(from: START, to: "fatal")
        graph.addEdge(from: "fatal", to: END)
        let compiled = try graph.compile(name: "fatal")
        await expectGraphError(.nodeFailed) { _ = try await compiled.invoke(Trail()) }
        #expect(attempts.count() == 1)
    }

    @Test("back-off grows exponentially, is capped, and jitter stays within half to all of it")
    func backoff() {
        let policy = RetryPolicy(
            initialDelay: .milliseconds(100), backoffFactor: 2, maxDelay: .milliseconds(350), jitter: false)
        #expect(policy.delay(afterAttempt: 1) == .milliseconds(100))
        #expect(policy.delay(afterAttempt: 2) == .milliseconds(200))
        #expect(policy.delay(afterAttempt: 3) == .milliseconds(350))
        let jittered = RetryPolicy(initialDelay: .milliseconds(100), jitter: true)
        for _ in 0..<50 {
            let delay = jittered.delay(afterAttempt: 2)
            #expect(delay >= .milliseconds(100) && delay <= .milliseconds(200))
        }
    }

    @Test("a node over its time limit is cancelled and fails with a timeout naming it")
    func timeout() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("slow", timeout: .milliseconds(50)) { _, _ in
            try await Task.sleep(for: .seconds(30))
            return Update()
        }
        graph.addEdge(from: START, to: "slow")
        graph.addEdge(from: "slow", to: END)
        let compiled = try graph.compile(name: "slow")
        let error = await expectGraphError(.nodeTimedOut) { _ = try await compiled.invoke(Trail()) }
        #expect(error?.message.contains("'slow'") == true)
    }

    @Test("a timed-out attempt can be retried")
    func timeoutRetried() async throws {
        let attempts = Counter()
        var graph = StateGraph<Trail>()
        graph.addNode(
            // The limit is far below the first attempt's 30 s and far above what the second needs even on a loaded
            // machine, where 50 ms could pass before the second attempt is scheduled.
            "sometimes-slow", retry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(1)),
            timeout: .seconds(5)
        ) { _, _ in
            if attempts.increment() == 1 { try await Task.sleep(for: .seconds(30)) }
            return Update(\.value, 1)
        }
        graph.addEdge(from: START, to: "sometimes-slow")
        graph.addEdge(from: "sometimes-slow", to: END)
        let result = try await graph.compile(name: "retry-timeout").invoke(Trail())
        #expect(result.state.value == 1)
        #expect(attempts.count() == 2)
    }

    @Test("cancelling the run stops its nodes, marks it cancelled, and it can be resumed")
    func cancellation() async throws {
        let store = InMemoryCheckpointStore()
        let started = Counter()
        var graph = StateGraph<Trail>()
        graph.addNode("first", visit("first"))
        graph.addNode("long") { state, _ in
            if started.increment() == 1 {
                try await Task.sleep(for: .seconds(60))
            }
            return Update(\.visited, ["long"])
        }
        graph.addEdge(from: START, to: "first")
        graph.addEdge(from: "first", to: "long")
        graph.addEdge(from: "long", to: END)
        let compiled = try graph.compile(name: "cancel", checkpointer: store)
        let run = Task { try await compiled.invoke(Trail(), configuration: RunConfiguration(threadID: "c")) }
        try await waitUntil { started.count() == 1 }
        run.cancel()
        await #expect(throws: CancellationError.self) { _ = try await run.value }
        #expect(try await store.thread("c")?.status == .cancelled)
        let resumed = try await compiled.resume(threadID: "c")
        #expect(resumed.state.visited == ["first", "long"])
    }
}
