import Foundation
import NimbusCore
import Synchronization
import Testing

@testable import NimbusGraph

/// The state most graph tests use: one field per reducer kind.
struct Trail: GraphState, Equatable {
    var visited: [String] = []
    var value = 0
    var scores: [String: Int] = [:]
    var note = ""
    var total = 0
    var tally: [String: Int] = [:]

    static let schema = StateSchema<Trail>(
        .field("visited", \.visited, .append),
        .field("value", \.value),
        .field("scores", \.scores, .merge),
        .field("note", \.note),
        .field("total", \.total, .custom("sum") { total, write in total += write }),
        .field(
            "tally", \.tally,
            Reducer<[String: Int], String>.custom("count") { tally, word in tally[word, default: 0] += 1 })
    )
}

/// A node that appends its own name to `visited`.
func visit(_ name: String) -> NodeAction<Trail> {
    { _, _ in Update(\.visited, [name]) }
}

/// A thread-safe counter for "how many times did this run" assertions.
final class Counter: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func increment(_ key: String = "") -> Int {
        counts.withLock { counts in
            counts[key, default: 0] += 1
            return counts[key]!
        }
    }

    func count(_ key: String = "") -> Int { counts.withLock { $0[key, default: 0] } }
}

/// Values collected from concurrently running nodes.
final class Recorded<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])
    func append(_ value: Value) { storage.withLock { $0.append(value) } }
    var values: [Value] { storage.withLock { $0 } }
}

/// Collects events from a run.
final class EventCollector: Sendable {
    private let events = Mutex<[GraphEvent]>([])

    var handler: @Sendable (GraphEvent) -> Void {
        { event in self.events.withLock { $0.append(event) } }
    }

    var all: [GraphEvent] { events.withLock { $0 } }
    var names: [String] { all.map(\.name) }
}

/// Waits (up to a safety limit) until `condition` holds; used to prove two nodes run at the same time.
func waitUntil(_ condition: @Sendable () -> Bool) async throws {
    for _ in 0..<500 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("condition never became true")
    throw CancellationError()
}

@discardableResult
func expectGraphError(_ kind: GraphError.Kind, _ body: () async throws -> Void) async -> GraphError? {
    do {
        try await body()
        Issue.record("expected a GraphError of kind \(kind)")
        return nil
    } catch let error as GraphError {
        #expect(error.kind == kind, "got \(error.kind): \(error.message)")
        return error
    } catch {
        Issue.record("expected a GraphError of kind \(kind), got \(error)")
        return nil
    }
}
