import Foundation
import NimbusCore
import Testing

@testable import NimbusGraph

/// A graph with a loop of counter increments, then a report, for checkpoint tests.
func countingGraph(store: any CheckpointStore, retention: RetentionPolicy? = nil) throws -> CompiledGraph<Trail> {
    var graph = StateGraph<Trail>()
    graph.addNode("inc") { state, _ in
        Update {
            $0.write(\.value, state.value + 1); $0.append(\.visited, "inc")
        }
    }
    graph.addNode("report") { state, _ in Update(\.note, "value=\(state.value)") }
    graph.addEdge(from: START, to: "inc")
    graph.addConditionalEdge(from: "inc", to: ["inc", "report"]) { $0.value < 3 ? "inc" : "report" }
    graph.addEdge(from: "report", to: END)
    return try graph.compile(name: "counting", checkpointer: store, retention: retention)
}

@Suite("Checkpoints, history and forks")
struct CheckpointTests {
    @Test("a checkpoint is written for the input and after every step")
    func historyRecordsEveryStep() async throws {
        let store = InMemoryCheckpointStore()
        let graph = try countingGraph(store: store)
        let result = try await graph.invoke(Trail(), configuration: RunConfiguration(threadID: "h"))
        #expect(result.steps == 4)
        let history = try await graph.history(threadID: "h")
        #expect(history.map(\.step) == [4, 3, 2, 1, 0])
        #expect(history.map(\.state.value) == [3, 3, 2, 1, 0])
        #expect(history.last?.source == .input)
        #expect(history.first?.next.isEmpty == true)
        #expect(history[1].next.map(\.node) == ["report"])
        #expect(history.first?.nodes == ["report"])
        // Each checkpoint points at its predecessor.
        for (newer, older) in zip(history, history.dropFirst()) {
            #expect(newer.parentID == older.checkpointID)
        }
        let middle = try await graph.state(threadID: "h", checkpointID: history[2].checkpointID)
        #expect(middle.state.value == 2)
    }

    @Test("a fork from an old checkpoint with an edited state runs on as a new thread")
    func fork() async throws {
        let store = InMemoryCheckpointStore()
        let graph = try countingGraph(store: store)
        _ = try await graph.invoke(Trail(), configuration: RunConfiguration(threadID: "original"))
        let history = try await graph.history(threadID: "original")
        let afterFirst = try #require(history.first { $0.step == 1 })
        let forked = try await graph.fork(
            threadID: "original", checkpointID: afterFirst.checkpointID, newThreadID: "branch"
        ) {
            $0.value = 10
        }
        #expect(forked.source == .fork)
        #expect(forked.parentID == afterFirst.checkpointID)
        #expect(try await store.thread("branch")?.status == .paused)
        #expect(try await store.thread("branch")?.parentThreadID == "original")
        let result = try await graph.resume(threadID: "branch")
        // From value 10 the loop exits after one more increment.
        #expect(result.state.value == 11)
        #expect(result.state.note == "value=11")
        // The original is untouched.
        #expect(try await graph.state(threadID: "original").state.note == "value=3")
    }

    @Test("retention keeps only the newest checkpoints of a thread")
    func retention() async throws {
        let store = InMemoryCheckpointStore()
        let graph = try countingGraph(store: store, retention: .keepLast(2))
        _ = try await graph.invoke(Trail(), configuration: RunConfiguration(threadID: "kept"))
        let remaining = try await store.checkpoints(threadID: "kept", limit: nil)
        #expect(remaining.map(\.step) == [4, 3])
    }

    @Test("retention by age never deletes the newest checkpoint")
    func retentionByAge() {
        let old = Date(timeIntervalSinceNow: -3600)
        let checkpoints = (0..<3).map { index in
            Checkpoint(
                threadID: "t", parentID: nil, step: 2 - index, source: .step, state: Data("{}".utf8), tasks: [],
                createdAt: old)
        }
        let expired = RetentionPolicy.maxAge(60).expired(checkpoints)
        #expect(expired.map(\.step) == [1, 0])
    }

    @Test("a new run on a finished thread continues its history; on a paused one it is refused")
    func threadReuse() async throws {
        let store = InMemoryCheckpointStore()
        let graph = try countingGraph(store: store)
        _ = try await graph.invoke(Trail(), configuration: RunConfiguration(threadID: "again"))
        let firstLatest = try await store.latestCheckpoint(threadID: "again")
        _ = try await graph.invoke(Trail(value: 5), configuration: RunConfiguration(threadID: "again"))
        let history = try await graph.history(threadID: "again")
        #expect(history.first?.state.value == 6)
        #expect(history.contains { $0.source == .input && $0.parentID == firstLatest?.id })

        var asking = StateGraph<Trail>()
        asking.addNode("ask") { _, context in
            _ = try context.interrupt("?")
            return Update()
        }
        asking.addEdge(from: START, to: "ask")
        asking.addEdge(from: "ask", to: END)
        let ask = try asking.compile(name: "ask", checkpointer: store)
        _ = try await ask.invoke(Trail(), configuration: RunConfiguration(threadID: "busy"))
        await expectGraphError(.threadBusy) {
            _ = try await ask.invoke(Trail(), configuration: RunConfiguration(threadID: "busy"))
        }
    }
}

@Suite("Subgraphs")
struct SubgraphTests {
    struct Inner: GraphState {
        var steps: [String] = []
        var answer = ""
        static let schema = StateSchema<Inner>(.field("steps", \.steps, .append), .field("answer", \.answer))
    }

    func innerGraph(asking: Bool) throws -> CompiledGraph<Inner> {
        var graph = StateGraph<Inner>()
        graph.addNode("analyse") { _, _ in Update(\.steps, ["analyse"]) }
        graph.addNode("clarify") { _, context in
            guard asking else { return Update(\.answer, "default") }
            let engine = try context.interrupt("Which engine: postgres or mysql?")
            return Update(\.answer, engine.stringValue ?? "")
        }
        graph.addEdge(from: START, to: "analyse")
        graph.addEdge(from: "analyse", to: "clarify")
        graph.addEdge(from: "clarify", to: END)
        return try graph.compile(name: "planner")
    }

    func outerGraph(inner: CompiledGraph<Inner>, store: any CheckpointStore) throws -> CompiledGraph<Trail> {
        var graph = StateGraph<Trail>()
        graph.addNode("intake", visit("intake"))
        graph.addSubgraph(
            "planner", inner, input: { _ in Inner() },
            output: { inner in
                Update {
                    $0.write(\.note, inner.answer); $0.write(\.visited, inner.steps)
                }
            })
        graph.addNode("generate", visit("generate"))
        graph.addEdge(from: START, to: "intake")
        graph.addEdge(from: "intake", to: "planner")
        graph.addEdge(from: "planner", to: "generate")
        graph.addEdge(from: "generate", to: END)
        return try graph.compile(name: "modules", checkpointer: store)
    }

    @Test("a subgraph runs as a node, checkpoints into the same store, and its events are namespaced")
    func subgraphAsNode() async throws {
        let store = InMemoryCheckpointStore()
        let outer = try outerGraph(inner: try innerGraph(asking: false), store: store)
        let events = EventCollector()
        let result = try await outer.invoke(
            Trail(), configuration: RunConfiguration(threadID: "outer"), modes: .debug, onEvent: events.handler)
        #expect(result.state.visited == ["intake", "analyse", "generate"])
        #expect(result.state.note == "default")
        let childThreads = try await store.threads(status: nil, limit: 10).compactMap(\.record)
            .filter { $0.parentThreadID == "outer" }
        #expect(childThreads.count == 1)
        #expect(childThreads.first?.graph == "planner")
        #expect(childThreads.first?.status == .completed)
        let childNodes = events.all.filter { $0.namespace == ["2.planner"] }.compactMap(\.node)
        #expect(childNodes.contains("analyse") && childNodes.contains("clarify"))
        #expect(events.all.filter { $0.namespace.isEmpty }.compactMap(\.node).contains("planner"))
    }

    @Test("an interrupt inside a subgraph pauses the parent and the answer reaches the subgraph")
    func subgraphInterrupt() async throws {
        let store = InMemoryCheckpointStore()
        let outer = try outerGraph(inner: try innerGraph(asking: true), store: store)
        let paused = try await outer.invoke(Trail(), configuration: RunConfiguration(threadID: "ask"))
        #expect(paused.status == .interrupted)
        let interrupt = try #require(paused.interrupts.first)
        #expect(interrupt.namespace == ["2.planner"])
        #expect(interrupt.id == "2.planner/2.clarify#0")
        #expect(interrupt.value == "Which engine: postgres or mysql?")
        let done = try await outer.resume(threadID: "ask", answers: [interrupt.id: "postgres"])
        #expect(done.status == .completed)
        #expect(done.state.note == "postgres")
        #expect(done.state.visited == ["intake", "analyse", "generate"])
    }
}

@Suite("Events")
struct EventTests {
    @Test("consumers get only the modes they ask for")
    func modes() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("work") { _, context in
            context.progress("halfway", fraction: 0.5)
            context.emit("token", "hello")
            return Update(\.value, 42)
        }
        graph.addEdge(from: START, to: "work")
        graph.addEdge(from: "work", to: END)
        let compiled = try graph.compile(name: "events")

        var updates: [GraphEvent] = []
        for try await event in compiled.stream(Trail(), modes: .updates) { updates.append(event) }
        #expect(updates.map(\.name) == ["updates"])
        if case .updates(let task, let writes) = updates[0].kind {
            #expect(task.node == "work")
            #expect(writes == ["value": 42])
        }

        var custom: [GraphEvent] = []
        for try await event in compiled.stream(Trail(), modes: .custom) { custom.append(event) }
        #expect(custom.count == 2)
        #expect(custom.first?.json["payload"]?["message"] == "halfway")

        var values: [JSONValue] = []
        for try await event in compiled.stream(Trail(), modes: .values) {
            if case .values(_, let state) = event.kind { values.append(state) }
        }
        #expect(values.map { $0["value"] } == [0, 42])

        var debug: [String] = []
        for try await event in compiled.stream(Trail(), modes: .debug) { debug.append(event.name) }
        #expect(
            debug == ["run_started", "step_started", "node_started", "node_finished", "step_finished", "run_finished"])
    }

    @Test("node durations are reported and a failing run streams its error")
    func durationsAndErrors() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("nap") { _, _ in
            try await Task.sleep(for: .milliseconds(20))
            throw Fatal()
        }
        graph.addEdge(from: START, to: "nap")
        graph.addEdge(from: "nap", to: END)
        let compiled = try graph.compile(name: "fails")
        var names: [String] = []
        do {
            for try await event in compiled.stream(Trail(), modes: .debug) { names.append(event.name) }
            Issue.record("expected the stream to throw")
        } catch let error as GraphError {
            #expect(error.kind == .nodeFailed)
        }
        #expect(names.contains("node_failed"))
        #expect(names.last == "run_finished")
    }

    @Test("stopping iteration cancels the run")
    func consumerStops() async throws {
        let finished = Counter()
        var graph = StateGraph<Trail>()
        graph.addNode("first", visit("first"))
        graph.addNode("second") { _, _ in
            try await Task.sleep(for: .seconds(30))
            _ = finished.increment()
            return Update()
        }
        graph.addEdge(from: START, to: "first")
        graph.addEdge(from: "first", to: "second")
        graph.addEdge(from: "second", to: END)
        let compiled = try graph.compile(name: "stop")
        for try await event in compiled.stream(Trail(), modes: .debug) {
            if event.name == "node_started", event.node == "second" { break }
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(finished.count() == 0)
    }
}

@Suite("Pending writes")
struct PendingWriteTests {
    @Test("a finished node's writes are stored at once when a sibling of its step is still pending")
    func siblingWritesStored() async throws {
        let store = InMemoryCheckpointStore()
        var graph = StateGraph<Trail>()
        graph.addNode("quick") { _, _ in Update(\.visited, ["quick"]) }
        graph.addNode("asks") { _, context in
            _ = try context.interrupt("go?")
            return Update(\.visited, ["asks"])
        }
        for name in ["quick", "asks"] {
            graph.addEdge(from: START, to: name)
            graph.addEdge(from: name, to: END)
        }
        let compiled = try graph.compile(name: "siblings", checkpointer: store)
        _ = try await compiled.invoke(Trail(), configuration: RunConfiguration(threadID: "s"))
        let checkpoint = try #require(try await store.latestCheckpoint(threadID: "s"))
        #expect(checkpoint.step == 0)
        let writes = try await store.writes(threadID: "s", checkpointID: checkpoint.id)
        #expect(writes.contains { $0.taskID == "1.quick" && $0.kind == .done })
        #expect(writes.contains { $0.taskID == "1.quick" && $0.kind == .state && $0.key == "0:visited" })
        #expect(writes.contains { $0.taskID == "1.asks" && $0.kind == .interrupt && $0.key == "1.asks#0" })
        #expect(!writes.contains { $0.taskID == "1.asks" && $0.kind == .done })
    }

    @Test("a step whose earlier attempt started but stored no result says it may have run")
    func mayHaveRunBefore() async throws {
        let seen = Recorded<Bool>()
        let attempts = Counter()
        var graph = StateGraph<Trail>()
        graph.addNode("charge", retry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(1))) { _, context in
            let receipt = try await context.step("charge-card") { step in
                seen.append(step.mayHaveRunBefore)
                if attempts.increment() == 1 { throw Flaky(attempt: 1) }
                return "receipt-\(step.idempotencyKey)"
            }
            return Update(\.note, receipt)
        }
        graph.addEdge(from: START, to: "charge")
        graph.addEdge(from: "charge", to: END)
        let result = try await graph.compile(name: "charge", checkpointer: InMemoryCheckpointStore())
            .invoke(Trail(), configuration: RunConfiguration(threadID: "pay"))
        #expect(seen.values == [false, true])
        #expect(result.state.note == "receipt-pay/1.charge/charge-card#0")
    }
}
