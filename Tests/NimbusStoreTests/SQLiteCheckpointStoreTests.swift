import Foundation
import GRDB
import NimbusCore
import NimbusGraph
import Testing

@testable import NimbusStore

@Suite("SQLite store")
struct SQLiteCheckpointStoreTests {
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
                    "v1-core", "v2-llm-cache", "v3-audit", "v4-request-product", "v5-api-keys", "v6-workflows",
                    "v7-checkpoint-heads",
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
}
