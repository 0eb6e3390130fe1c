import Foundation
import GRDB
import NimbusCore
public import NimbusGraph

extension SQLiteStore {
    public func save(_ checkpoint: Checkpoint, thread: ThreadRecord) async throws {
        let threadRow = try ThreadRow(thread)
        try stepWriter.save(checkpoint, thread: threadRow)
    }

    public func saveWrites(_ writes: [PendingWrite], threadID: String, checkpointID: String) async throws {
        guard !writes.isEmpty else { return }
        try stepWriter.saveWrites(writes, threadID: threadID, checkpointID: checkpointID)
    }

    public func saveThread(_ thread: ThreadRecord) async throws {
        try stepWriter.saveThread(try ThreadRow(thread))
    }

    public func thread(_ threadID: String) async throws -> ThreadRecord? {
        try stepWriter.thread(threadID)
    }

    public func threads(status: RunStatus?, limit: Int) async throws -> [ThreadListing] {
        let rows = try readStatement { db in
            if let status {
                return try Row.fetchAll(
                    db.cachedStatement(
                        sql:
                            "SELECT * FROM thread_states WHERE status = ? ORDER BY updated_at DESC, thread_id DESC LIMIT ?"
                    ),
                    arguments: [status.rawValue, limit])
            }
            return try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM thread_states ORDER BY updated_at DESC, thread_id DESC LIMIT ?"),
                arguments: [limit])
        }
        return rows.map { row in
            let id: String = row["thread_id"] ?? "?"
            do {
                return ThreadListing(threadID: id, record: try ThreadRow.record(row), problem: nil)
            } catch {
                return ThreadListing(threadID: id, record: nil, problem: "\(error)")
            }
        }
    }

    public func latestCheckpoint(threadID: String) async throws -> Checkpoint? {
        let row = try read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM checkpoints WHERE thread_id = ? ORDER BY seq DESC LIMIT 1"),
                arguments: [threadID])
        }
        return try row.map(SQLiteStore.checkpoint)
    }

    public func checkpoint(threadID: String, id: String) async throws -> Checkpoint? {
        let row = try read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM checkpoints WHERE thread_id = ? AND checkpoint_id = ?",
                arguments: [threadID, id])
        }
        return try row.map(SQLiteStore.checkpoint)
    }

    public func checkpoints(threadID: String, limit: Int?) async throws -> [Checkpoint] {
        let rows = try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM checkpoints WHERE thread_id = ? ORDER BY seq DESC LIMIT ?",
                arguments: [threadID, limit ?? -1])
        }
        return try rows.map(SQLiteStore.checkpoint)
    }

    public func writes(threadID: String, checkpointID: String) async throws -> [PendingWrite] {
        let rows = try read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql:
                        """
                        SELECT task_id, kind, key, value FROM checkpoint_writes WHERE thread_id = ? AND checkpoint_id = ?
                        ORDER BY written_at, task_id, kind, key
                        """
                ), arguments: [threadID, checkpointID])
        }
        return try rows.map { row in
            guard let kind = PendingWrite.Kind(rawValue: row["kind"] ?? "") else {
                throw StoreError.corruptRow(
                    table: "checkpoint_writes", id: threadID, detail: "unknown kind \(row["kind"] ?? "")")
            }
            return PendingWrite(taskID: row["task_id"], kind: kind, key: row["key"], value: row["value"] ?? Data())
        }
    }

    public func prune(threadID: String, policy: RetentionPolicy) async throws -> Int {
        try write { db in
            var removed = 0
            if let keepLast = policy.keepLast {
                try db.execute(
                    sql: """
                        DELETE FROM checkpoints WHERE thread_id = ? AND seq NOT IN
                            (SELECT seq FROM checkpoints WHERE thread_id = ? ORDER BY seq DESC LIMIT ?)
                        """, arguments: [threadID, threadID, max(1, keepLast)])
                removed += db.changesCount
            }
            if let maxAge = policy.maxAge {
                let cutoff = Date().timeIntervalSince1970 - maxAge
                try db.execute(
                    sql: """
                        DELETE FROM checkpoints WHERE thread_id = ? AND created_at < ?
                            AND seq <> (SELECT MAX(seq) FROM checkpoints WHERE thread_id = ?)
                        """, arguments: [threadID, cutoff, threadID])
                removed += db.changesCount
            }
            if removed > 0 {
                try db.execute(
                    sql: """
                        DELETE FROM checkpoint_writes WHERE thread_id = ? AND checkpoint_id NOT IN
                            (SELECT checkpoint_id FROM checkpoints WHERE thread_id = ?)
                        """, arguments: [threadID, threadID])
            }
            return removed
        }
    }

    public func deleteThread(_ threadID: String) async throws {
        stepWriter.forgetThreads()
        try write { db in
            // Subgraph threads are named after their parent: "<parent>/<task>/<checkpoint>".
            let pattern =
                threadID.replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "/%"
            for table in ["checkpoint_writes", "checkpoints", "threads"] {
                try db.execute(
                    sql: "DELETE FROM \(table) WHERE thread_id = ? OR thread_id LIKE ? ESCAPE '\\'",
                    arguments: [threadID, pattern])
            }
            try db.execute(sql: "DELETE FROM events WHERE root_thread_id = ?", arguments: [threadID])
        }
    }

    // MARK: - Events

    public func append(_ events: [GraphEvent]) async throws {
        guard !events.isEmpty else { return }
        let rows = events.map { event in
            (event, SQLiteStore.text(event.namespace), event.json.jsonText)
        }
        try write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO events (thread_id, root_thread_id, name, node, namespace, payload, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
            for (event, namespace, payload) in rows {
                let root = String(event.threadID.split(separator: "/", maxSplits: 1).first ?? Substring(event.threadID))
                try statement.execute(arguments: [
                    event.threadID, root, event.name, event.node, namespace, payload, event.time.timeIntervalSince1970,
                ])
            }
        }
    }

    public func events(threadID: String, after: Int?, limit: Int?) async throws -> [StoredEvent] {
        let rows = try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM events WHERE root_thread_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                arguments: [threadID, after ?? -1, limit ?? -1])
        }
        return try rows.map { row in
            let thread: String = row["thread_id"]
            return StoredEvent(
                sequence: row["seq"], threadID: thread, name: row["name"], node: row["node"],
                namespace: try SQLiteStore.decode([String].self, row["namespace"], table: "events", id: thread),
                payload: try SQLiteStore.json(row["payload"], table: "events", id: thread) ?? .null,
                time: Date(timeIntervalSince1970: row["created_at"]))
        }
    }

    // MARK: - Rows

    static func checkpoint(_ row: Row) throws -> Checkpoint {
        let thread: String = row["thread_id"]
        let id: String = row["checkpoint_id"]
        let label = "\(thread)@\(id)"
        guard let source = Checkpoint.Source(rawValue: row["source"] ?? "") else {
            throw StoreError.corruptRow(table: "checkpoints", id: label, detail: "unknown source")
        }
        return Checkpoint(
            id: id, threadID: thread, parentID: row["parent_id"], step: row["step"], source: source,
            state: row["state"] ?? Data(),
            tasks: try decode([GraphTask].self, row["tasks"], table: "checkpoints", id: label),
            barriers: try decode([String: [String]].self, row["barriers"], table: "checkpoints", id: label),
            nodes: try decode([String].self, row["nodes"], table: "checkpoints", id: label),
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            metadata: try decode([String: JSONValue].self, row["metadata"], table: "checkpoints", id: label))
    }
}

/// A thread record as its table row.
struct ThreadRow {
    let record: ThreadRecord
    let interrupts: String
    let metadata: String

    init(_ record: ThreadRecord) throws {
        self.record = record
        self.interrupts = record.interrupts.isEmpty ? "[]" : try SQLiteStore.encode(record.interrupts)
        self.metadata = SQLiteStore.text(record.metadata)
    }

    static func record(_ row: Row) throws -> ThreadRecord {
        // The row's names and values in one pass: no generic decoding (and its metadata lookups) per column.
        let pairs = Array(row)
        return try record { name in
            switch pairs.first(where: { $0.0 == name })?.1 {
            case .none: return .null
            case .some(let value):
                switch value.storage {
                case .null: return .null
                case .int64(let number): return .integer(number)
                case .double(let number): return .real(number)
                case .string(let text): return .text(text)
                case .blob(let data): return .blob(data)
                }
            }
        }
    }

    /// A thread record from a `thread_states` row, whatever reads the columns.
    static func record(_ column: (String) -> StepWriter.Value) throws -> ThreadRecord {
        func text(_ name: String) -> String? {
            if case .text(let value) = column(name) { return value }
            return nil
        }
        func number(_ name: String) -> Double {
            switch column(name) {
            case .integer(let value): Double(value)
            case .real(let value): value
            default: 0
            }
        }
        let id = text("thread_id") ?? "?"
        guard let status = RunStatus(rawValue: text("status") ?? "") else {
            throw StoreError.corruptRow(table: "threads", id: id, detail: "unknown status '\(text("status") ?? "")'")
        }
        return ThreadRecord(
            threadID: id, graph: text("graph") ?? "", status: status, step: Int(number("step")),
            checkpointID: text("checkpoint_id"), parentThreadID: text("parent_thread_id"), owner: text("owner"),
            error: text("error"),
            interrupts: try Self.interrupts(text("interrupts"), id: id),
            createdAt: Date(timeIntervalSince1970: number("created_at")),
            updatedAt: Date(timeIntervalSince1970: number("updated_at")),
            metadata: try Self.metadata(text("metadata"), id: id))
    }

    // Most threads wait for nothing and carry no metadata: those columns are "[]" and "{}", read without a decoder.
    static func interrupts(_ text: String?, id: String) throws -> [Interrupt] {
        text == "[]" ? [] : try SQLiteStore.decode([Interrupt].self, text, table: "threads", id: id)
    }

    static func metadata(_ text: String?, id: String) throws -> [String: JSONValue] {
        text == "{}" ? [:] : try SQLiteStore.decode([String: JSONValue].self, text, table: "threads", id: id)
    }
}
