import Foundation
import NimbusCore
import NimbusGraph
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
