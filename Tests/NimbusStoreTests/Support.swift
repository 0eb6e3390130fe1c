import Foundation
import NimbusCore
import NimbusGraph
import NimbusTesting
import Synchronization

@testable import NimbusStore

/// A directory that exists for one test and is removed afterwards.
struct TemporaryDirectory: ~Copyable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-test-\(SortableID().rawValue)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var databasePath: String { url.appendingPathComponent("nimbus.sqlite").path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

struct Notes: GraphState, Equatable {
    var items: [String] = []
    var status = ""
    static let schema = StateSchema<Notes>(.field("items", \.items, .append), .field("status", \.status))
}

final class Tally: Sendable {
    private let value = Mutex(0)
    func increment() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

/// The engines the store conformance suite runs against: SQLite always, PostgreSQL when the test hook started one.
enum Engine: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    var description: String { rawValue }

    static var available: [Engine] {
        if PostgresTestServer.configured == nil {
            print(PostgresTestServer.skipNote)
            return [.sqlite]
        }
        return [.sqlite, .postgres]
    }
}

/// An empty store of one engine, and how to open it again (another process would). A SQLite store's folder is
/// removed when this goes away; PostgreSQL databases go with the test cluster.
final class EngineStore: Sendable {
    let engine: Engine
    let folder: URL
    /// The SQLite file's path or the PostgreSQL database's URL.
    let location: String
    let store: any Store

    init(_ engine: Engine) throws {
        self.engine = engine
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-test-\(SortableID().rawValue)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        switch engine {
        case .sqlite: location = folder.appendingPathComponent("nimbus.sqlite").path
        case .postgres:
            guard let server = PostgresTestServer.configured else { throw PostgresTestError(message: "no server") }
            location = try server.makeDatabase("nimbus_store")
        }
        store = try StoreLocation(location).open()
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// A second store on the same file or database.
    func reopen() throws -> any Store {
        try StoreLocation(location).open()
    }
}

final class Collected: Sendable {
    private let storage = Mutex<[String]>([])
    func add(_ value: String) { storage.withLock { $0.append(value) } }
    var values: [String] { storage.withLock { $0 } }
}

/// Gathers two items, records one side effect, then asks whether to publish them.
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
