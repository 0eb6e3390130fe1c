import Foundation
import GRDB
import NimbusCore
import NimbusGraph
import Testing

@testable import NimbusStore

@Suite("SQLite checkpoint store")
struct SQLiteCheckpointStoreTests {
    func approvalGraph(store: any CheckpointStore, effects: Tally) throws -> CompiledGraph<Notes> {
        var graph = StateGraph<Notes>()
        graph.addNode("gather") { _, _ in Update(\.items, ["a", "b"]) }
        graph.addNode("publish") { state, context in
            _ = try await context.step("write-report") { _ in
                effects.increment()
                return state.items.count
            }
            let answer = try context.interrupt(["publish": state.items])
            return Update(\.status, answer.boolValue == true ? "published" : "held")
        }
        graph.addEdge(from: START, to: "gather")
        graph.addEdge(from: "gather", to: "publish")
        graph.addEdge(from: "publish", to: END)
        return try graph.compile(name: "report", checkpointer: store)
    }

    @Test("a run paused in one process is resumed from the file by another store instance")
    func durableAcrossReopen() async throws {
        let directory = try TemporaryDirectory()
        let effects = Tally()
        do {
            let store = try SQLiteStore(path: directory.databasePath)
            let graph = try approvalGraph(store: store, effects: effects)
            let paused = try await graph.invoke(Notes(), configuration: RunConfiguration(threadID: "report-1"))
            #expect(paused.status == .interrupted)
        }
        let reopened = try SQLiteStore(path: directory.databasePath)
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
        // Steps do not rewrite the thread row; its progress is read from the newest checkpoint.
        let finished = try #require(try await reopened.thread("report-1"))
        #expect(finished.status == .completed)
        #expect(finished.step == 2)
        #expect(finished.checkpointID == history.first?.checkpointID)
        let listed = try await reopened.threads(status: .completed, limit: 5)
        #expect(listed.first?.record?.checkpointID == history.first?.checkpointID)
        #expect(listed.first?.record?.updatedAt ?? .distantPast >= history.first?.createdAt ?? .distantFuture)
    }

    @Test("threads, checkpoints and writes round-trip exactly")
    func roundTrip() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.databasePath)
        let interrupt = Interrupt(
            id: "1.ask#0", kind: .node, node: "ask", taskID: "1.ask", namespace: [], value: ["q": 1])
        let record = ThreadRecord(
            threadID: "t", graph: "g", status: .interrupted, step: 3, checkpointID: "c", owner: "host:1",
            interrupts: [interrupt], createdAt: Date(timeIntervalSince1970: 1000),
            updatedAt: Date(timeIntervalSince1970: 2000),
            metadata: ["who": "test"])
        let checkpoint = Checkpoint(
            id: "c", threadID: "t", parentID: "b", step: 3, source: .step, state: Data(#"{"x":1}"#.utf8),
            tasks: [GraphTask(id: "4.n.0", node: "n", input: ["k": true])], barriers: ["a+b->c": ["a"]], nodes: ["m"],
            createdAt: Date(timeIntervalSince1970: 1500), metadata: ["m": 2])
        try await store.save(checkpoint, thread: record)
        #expect(try await store.thread("t") == record)
        #expect(try await store.latestCheckpoint(threadID: "t") == checkpoint)
        #expect(try await store.checkpoint(threadID: "t", id: "c") == checkpoint)
        let writes = [
            PendingWrite(taskID: "4.n.0", kind: .step, key: "s#0", value: Data("1".utf8)),
            PendingWrite(taskID: "4.n.0", kind: .state, key: "0:x", value: Data("2".utf8)),
        ]
        try await store.saveWrites(writes, threadID: "t", checkpointID: "c")
        // The same task, kind and key replaces.
        try await store.saveWrites(
            [PendingWrite(taskID: "4.n.0", kind: .step, key: "s#0", value: Data("3".utf8))], threadID: "t",
            checkpointID: "c")
        let stored = try await store.writes(threadID: "t", checkpointID: "c")
        #expect(stored.count == 2)
        #expect(stored.first { $0.kind == .step }?.value == Data("3".utf8))
    }

    @Test("retention deletes old checkpoints and their writes")
    func retention() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.databasePath)
        var graph = StateGraph<Notes>()
        graph.addNode("add") { state, _ in Update(\.items, ["\(state.items.count)"]) }
        graph.addEdge(from: START, to: "add")
        graph.addConditionalEdge(from: "add", to: ["add", END]) { $0.items.count < 25 ? "add" : .end }
        let compiled = try graph.compile(name: "grow", checkpointer: store, retention: .keepLast(3))
        let result = try await compiled.invoke(Notes(), configuration: RunConfiguration(threadID: "grow"))
        #expect(result.state.items.count == 25)
        let remaining = try await store.checkpoints(threadID: "grow", limit: nil)
        #expect(remaining.map(\.step) == [25, 24, 23])
        let removedByAge = try await store.prune(threadID: "grow", policy: .maxAge(-1))
        #expect(removedByAge == 2)
        #expect(try await store.checkpoints(threadID: "grow", limit: nil).map(\.step) == [25])
    }

    @Test("a corrupt row fails only its own thread")
    func corruptRowIsolated() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.databasePath)
        let effects = Tally()
        let graph = try approvalGraph(store: store, effects: effects)
        _ = try await graph.invoke(Notes(), configuration: RunConfiguration(threadID: "healthy"))
        _ = try await graph.invoke(Notes(), configuration: RunConfiguration(threadID: "damaged"))
        try store.write { db in
            try db.execute(sql: "UPDATE threads SET interrupts = '{not json' WHERE thread_id = 'damaged'")
            try db.execute(sql: "UPDATE checkpoints SET tasks = 'garbage' WHERE thread_id = 'damaged'")
        }
        let listing = try await store.threads(status: nil, limit: 10)
        #expect(listing.count == 2)
        let damaged = try #require(listing.first { $0.threadID == "damaged" })
        #expect(damaged.record == nil)
        #expect(damaged.problem?.contains("threads row for 'damaged'") == true)
        #expect(listing.first { $0.threadID == "healthy" }?.record?.status == .interrupted)

        await #expect {
            _ = try await store.latestCheckpoint(threadID: "damaged")
        } throws: { error in
            String(describing: error).contains("checkpoints row for 'damaged@")
        }
        let record = try #require(try await store.thread("healthy"))
        let done = try await graph.resume(threadID: "healthy", answers: [record.interrupts[0].id: false])
        #expect(done.state.status == "held")
    }

    @Test("a database from a newer Nimbus is refused, not rewritten")
    func newerSchema() async throws {
        let directory = try TemporaryDirectory()
        do {
            let store = try SQLiteStore(path: directory.databasePath)
            #expect(
                try store.appliedMigrations() == [
                    "v1-core", "v2-llm-cache", "v3-audit", "v4-request-product", "v5-api-keys",
                ])
            try store.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-future')")
            }
        }
        #expect {
            _ = try SQLiteStore(path: directory.databasePath)
        } throws: { error in
            (error as? StoreError)?.code == .newerSchema && ErrorCode.of(error).kind == .conflict
                && String(describing: error).contains("v99-future")
        }
    }

    @Test("an unopenable path gives an error naming it")
    func unopenable() throws {
        let directory = try TemporaryDirectory()
        let blocker = directory.url.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        let path = blocker.appendingPathComponent("nimbus.sqlite").path
        #expect {
            _ = try SQLiteStore(path: path)
        } throws: { error in
            String(describing: error).contains(path)
        }
    }

    @Test("events of a run and its subgraphs are stored in order")
    func eventLog() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.databasePath)
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
        let events = try await store.events(threadID: "logged", limit: nil)
        #expect(events.first?.name == "run_started")
        #expect(events.last?.name == "run_finished")
        #expect(events.contains { $0.name == "custom" && $0.node == "inner-work" && $0.namespace == ["1.child"] })
        #expect(events.map(\.sequence) == events.map(\.sequence).sorted())
        try await store.deleteThread("logged")
        #expect(try await store.events(threadID: "logged", limit: nil).isEmpty)
        #expect(try await store.threads(status: nil, limit: 10).isEmpty)
    }
}
