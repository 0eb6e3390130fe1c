import Foundation
import Synchronization

/// A checkpoint store in memory: for tests, benchmarks and runs that need interrupts but not durability.
public final class InMemoryCheckpointStore: CheckpointStore {
    private struct ThreadData {
        var record: ThreadRecord
        var checkpoints: [Checkpoint] = []  // oldest first
        var writes: [String: [PendingWrite]] = [:]  // by checkpoint id
    }

    private let threadsByID = Mutex<[String: ThreadData]>([:])

    public init() {}

    public func save(_ checkpoint: Checkpoint, thread: ThreadRecord) async throws {
        threadsByID.withLock { threads in
            var data = threads[thread.threadID] ?? ThreadData(record: thread)
            data.record = thread
            data.checkpoints.append(checkpoint)
            threads[thread.threadID] = data
        }
    }

    public func saveWrites(_ writes: [PendingWrite], threadID: String, checkpointID: String) async throws {
        try threadsByID.withLock { threads in
            guard var data = threads[threadID] else { throw GraphError.unknownThread(threadID, known: []) }
            var existing = data.writes[checkpointID] ?? []
            for write in writes {
                existing.removeAll { $0.taskID == write.taskID && $0.kind == write.kind && $0.key == write.key }
                existing.append(write)
            }
            data.writes[checkpointID] = existing
            threads[threadID] = data
        }
    }

    public func saveThread(_ thread: ThreadRecord) async throws {
        threadsByID.withLock { threads in
            if threads[thread.threadID] == nil {
                threads[thread.threadID] = ThreadData(record: thread)
            } else {
                threads[thread.threadID]!.record = thread
            }
        }
    }

    public func thread(_ threadID: String) async throws -> ThreadRecord? {
        threadsByID.withLock { $0[threadID]?.record }
    }

    public func threads(status: RunStatus?, limit: Int) async throws -> [ThreadListing] {
        threadsByID.withLock { threads in
            threads.values.map(\.record)
                .filter { status == nil || $0.status == status }
                .sorted { ($0.updatedAt, $0.threadID) > ($1.updatedAt, $1.threadID) }
                .prefix(limit)
                .map { ThreadListing(threadID: $0.threadID, record: $0, problem: nil) }
        }
    }

    public func latestCheckpoint(threadID: String) async throws -> Checkpoint? {
        threadsByID.withLock { $0[threadID]?.checkpoints.last }
    }

    public func checkpoint(threadID: String, id: String) async throws -> Checkpoint? {
        threadsByID.withLock { $0[threadID]?.checkpoints.first { $0.id == id } }
    }

    public func checkpoints(threadID: String, limit: Int?) async throws -> [Checkpoint] {
        threadsByID.withLock { threads in
            let newestFirst = (threads[threadID]?.checkpoints ?? []).reversed()
            return Array(newestFirst.prefix(limit ?? Int.max))
        }
    }

    public func writes(threadID: String, checkpointID: String) async throws -> [PendingWrite] {
        threadsByID.withLock { $0[threadID]?.writes[checkpointID] ?? [] }
    }

    public func prune(threadID: String, policy: RetentionPolicy) async throws -> Int {
        threadsByID.withLock { threads in
            guard var data = threads[threadID] else { return 0 }
            let doomed = Set(policy.expired(data.checkpoints.reversed()).map(\.id))
            data.checkpoints.removeAll { doomed.contains($0.id) }
            for id in doomed { data.writes[id] = nil }
            threads[threadID] = data
            return doomed.count
        }
    }

    public func deleteThread(_ threadID: String) async throws {
        _ = threadsByID.withLock { $0.removeValue(forKey: threadID) }
    }
}
