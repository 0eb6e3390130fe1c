import Foundation
import NimbusCore
public import NimbusGraph
import PostgresNIO

extension PostgresStore {
    /// One statement, so one round trip: the checkpoint and its thread's row are written together (a statement is
    /// atomic), where a transaction around two statements took four. The crash tests' hook runs just before it.
    public func save(_ checkpoint: Checkpoint, thread: ThreadRecord) async throws {
        let row = try ThreadRow(thread)
        let record = row.record
        let statement: PostgresQuery = try """
        WITH saved AS (
            INSERT INTO checkpoints (thread_id, seq, checkpoint_id, parent_id, step, source, state, tasks, barriers,
                nodes, metadata, created_at)
            VALUES (\(checkpoint.threadID),
                (SELECT COALESCE(MAX(seq), 0) + 1 FROM checkpoints WHERE thread_id = \(checkpoint.threadID)),
                \(checkpoint.id), \(checkpoint.parentID), \(checkpoint.step), \(checkpoint.source.rawValue),
                \(checkpoint.state), \(SQLiteStore.text(checkpoint.tasks)), \(SQLiteStore.text(checkpoint.barriers)),
                \(SQLiteStore.text(checkpoint.nodes)), \(SQLiteStore.text(checkpoint.metadata)),
                \(checkpoint.createdAt.timeIntervalSince1970))
            RETURNING 1
        )
        INSERT INTO threads (thread_id, graph, status, step, checkpoint_id, parent_thread_id, owner, error,
            interrupts, metadata, created_at, updated_at)
        SELECT \(record.threadID), \(record.graph), \(record.status.rawValue), \(record.step),
            \(record.checkpointID), \(record.parentThreadID), \(record.owner), \(record.error), \(row.interrupts),
            \(row.metadata), \(record.createdAt.timeIntervalSince1970), \(record.updatedAt.timeIntervalSince1970)
        FROM saved
        \(unescaped: Self.threadConflict)
        """
        hook?("save")
        try await rows(statement)
    }

    public func saveWrites(_ writes: [PendingWrite], threadID: String, checkpointID: String) async throws {
        guard !writes.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        let statements: [PostgresQuery] = try writes.map { write in
            try """
            INSERT INTO checkpoint_writes (thread_id, checkpoint_id, task_id, kind, key, value, written_at)
            VALUES (\(threadID), \(checkpointID), \(write.taskID), \(write.kind.rawValue), \(write.key), \(write.value),
                \(now))
            ON CONFLICT (thread_id, checkpoint_id, task_id, kind, key)
            DO UPDATE SET value = excluded.value, written_at = excluded.written_at
            """
        }
        try await transaction { transaction in
            for (index, statement) in statements.enumerated() {
                try await transaction.rows(statement)
                if index == 0 { hook?("saveWrites") }
            }
        }
    }

    public func saveThread(_ thread: ThreadRecord) async throws {
        try await rows(Self.upsertThread(try ThreadRow(thread)))
    }

    static func upsertThread(_ row: ThreadRow) -> PostgresQuery {
        let record = row.record
        return """
            INSERT INTO threads (thread_id, graph, status, step, checkpoint_id, parent_thread_id, owner, error,
                interrupts, metadata, created_at, updated_at)
            VALUES (\(record.threadID), \(record.graph), \(record.status.rawValue), \(record.step),
                \(record.checkpointID), \(record.parentThreadID), \(record.owner), \(record.error), \(row.interrupts),
                \(row.metadata), \(record.createdAt.timeIntervalSince1970), \(record.updatedAt.timeIntervalSince1970))
            \(unescaped: threadConflict)
            """
    }

    /// What a thread's upsert changes when the row is there.
    static let threadConflict = """
        ON CONFLICT (thread_id) DO UPDATE SET graph = excluded.graph, status = excluded.status,
            step = excluded.step, checkpoint_id = excluded.checkpoint_id,
            parent_thread_id = excluded.parent_thread_id, owner = excluded.owner, error = excluded.error,
            interrupts = excluded.interrupts, metadata = excluded.metadata, updated_at = excluded.updated_at
        """

    public func thread(_ threadID: String) async throws -> ThreadRecord? {
        guard let row = try await rows("SELECT * FROM thread_states WHERE thread_id = \(threadID)").first else {
            return nil
        }
        return try Self.threadRecord(Columns(row))
    }

    public func threads(status: RunStatus?, limit: Int) async throws -> [ThreadListing] {
        let found =
            if let status {
                try await rows(
                    """
                    SELECT * FROM thread_states WHERE status = \(status.rawValue)
                    ORDER BY updated_at DESC, thread_id DESC LIMIT \(limit)
                    """)
            } else {
                try await rows("SELECT * FROM thread_states ORDER BY updated_at DESC, thread_id DESC LIMIT \(limit)")
            }
        return found.map { row in
            let columns = Columns(row)
            let id = (try? columns.text("thread_id")) ?? "?"
            do {
                return ThreadListing(threadID: id, record: try Self.threadRecord(columns), problem: nil)
            } catch {
                return ThreadListing(threadID: id, record: nil, problem: "\(error)")
            }
        }
    }

    static func threadRecord(_ columns: Columns) throws -> ThreadRecord {
        // The view's columns are text, bigint or double precision; a NULL of any is `.null`.
        let column: (String) -> StepWriter.Value = { name in
            guard columns.row.contains(name) else { return .null }
            let cell = columns.row[name]
            guard cell.bytes != nil else { return .null }
            switch cell.dataType {
            case .int8, .int4, .int2: return (try? cell.decode(Int.self)).map { .integer(Int64($0)) } ?? .null
            case .float8, .float4, .numeric: return (try? cell.decode(Double.self)).map(StepWriter.Value.real) ?? .null
            default: return (try? cell.decode(String.self)).map(StepWriter.Value.text) ?? .null
            }
        }
        return try ThreadRow.record(column)
    }

    public func latestCheckpoint(threadID: String) async throws -> Checkpoint? {
        try await rows("SELECT * FROM checkpoints WHERE thread_id = \(threadID) ORDER BY seq DESC LIMIT 1")
            .first.map(Self.checkpoint)
    }

    public func checkpoint(threadID: String, id: String) async throws -> Checkpoint? {
        try await rows("SELECT * FROM checkpoints WHERE thread_id = \(threadID) AND checkpoint_id = \(id)")
            .first.map(Self.checkpoint)
    }

    public func checkpoints(threadID: String, limit: Int?) async throws -> [Checkpoint] {
        let found =
            if let limit {
                try await rows(
                    "SELECT * FROM checkpoints WHERE thread_id = \(threadID) ORDER BY seq DESC LIMIT \(limit)")
            } else {
                try await rows("SELECT * FROM checkpoints WHERE thread_id = \(threadID) ORDER BY seq DESC")
            }
        return try found.map(Self.checkpoint)
    }

    public func writes(threadID: String, checkpointID: String) async throws -> [PendingWrite] {
        let found = try await rows(
            """
            SELECT task_id, kind, key, value FROM checkpoint_writes
            WHERE thread_id = \(threadID) AND checkpoint_id = \(checkpointID)
            ORDER BY written_at, task_id, kind, key
            """)
        return try found.map { row in
            let columns = Columns(row)
            let kindName = try columns.text("kind")
            guard let kind = PendingWrite.Kind(rawValue: kindName) else {
                throw StoreError.corruptRow(
                    table: "checkpoint_writes", id: threadID, detail: "unknown kind \(kindName)")
            }
            return PendingWrite(
                taskID: try columns.text("task_id"), kind: kind, key: try columns.text("key"),
                value: try columns["value", as: Data.self])
        }
    }

    public func prune(threadID: String, policy: RetentionPolicy) async throws -> Int {
        var statements: [PostgresQuery] = []
        if let keepLast = policy.keepLast {
            statements.append(
                """
                DELETE FROM checkpoints WHERE thread_id = \(threadID) AND seq NOT IN
                    (SELECT seq FROM checkpoints WHERE thread_id = \(threadID) ORDER BY seq DESC LIMIT \(max(1, keepLast)))
                RETURNING seq
                """)
        }
        if let maxAge = policy.maxAge {
            let cutoff = Date().timeIntervalSince1970 - maxAge
            statements.append(
                """
                DELETE FROM checkpoints WHERE thread_id = \(threadID) AND created_at < \(cutoff)
                    AND seq <> (SELECT MAX(seq) FROM checkpoints WHERE thread_id = \(threadID))
                RETURNING seq
                """)
        }
        guard !statements.isEmpty else { return 0 }
        return try await transaction { transaction in
            var removed = 0
            for statement in statements { removed += try await transaction.rows(statement).count }
            if removed > 0 {
                try await transaction.rows(
                    """
                    DELETE FROM checkpoint_writes WHERE thread_id = \(threadID) AND checkpoint_id NOT IN
                        (SELECT checkpoint_id FROM checkpoints WHERE thread_id = \(threadID))
                    """)
            }
            return removed
        }
    }

    public func deleteThread(_ threadID: String) async throws {
        // Subgraph threads are named after their parent: "<parent>/<task>/<checkpoint>".
        let pattern =
            threadID.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "/%"
        try await transaction { transaction in
            try await transaction.rows(
                "DELETE FROM checkpoint_writes WHERE thread_id = \(threadID) OR thread_id LIKE \(pattern)")
            try await transaction.rows(
                "DELETE FROM checkpoints WHERE thread_id = \(threadID) OR thread_id LIKE \(pattern)")
            try await transaction.rows("DELETE FROM threads WHERE thread_id = \(threadID) OR thread_id LIKE \(pattern)")
            try await transaction.rows("DELETE FROM events WHERE root_thread_id = \(threadID)")
        }
    }

    // MARK: - Events

    public func append(_ events: [GraphEvent]) async throws {
        guard !events.isEmpty else { return }
        let statements: [PostgresQuery] = events.map { event in
            let root = String(event.threadID.split(separator: "/", maxSplits: 1).first ?? Substring(event.threadID))
            return """
                INSERT INTO events (thread_id, root_thread_id, name, node, namespace, payload, created_at)
                VALUES (\(event.threadID), \(root), \(event.name), \(event.node), \(SQLiteStore.text(event.namespace)),
                    \(event.json.jsonText), \(event.time.timeIntervalSince1970))
                """
        }
        if statements.count == 1 {
            try await rows(statements[0])
            return
        }
        try await transaction { transaction in
            for statement in statements { try await transaction.rows(statement) }
        }
    }

    public func events(threadID: String, after: Int?, limit: Int?) async throws -> [StoredEvent] {
        let after = after ?? -1
        let found =
            if let limit {
                try await rows(
                    """
                    SELECT * FROM events WHERE root_thread_id = \(threadID) AND seq > \(after) ORDER BY seq LIMIT \(limit)
                    """)
            } else {
                try await rows(
                    "SELECT * FROM events WHERE root_thread_id = \(threadID) AND seq > \(after) ORDER BY seq")
            }
        return try found.map { row in
            let columns = Columns(row)
            let thread = try columns.text("thread_id")
            return StoredEvent(
                sequence: try columns.int("seq"), threadID: thread, name: try columns.text("name"),
                node: try columns.optionalText("node"),
                namespace: try SQLiteStore.decode(
                    [String].self, try columns.optionalText("namespace"), table: "events", id: thread),
                payload: try SQLiteStore.json(try columns.optionalText("payload"), table: "events", id: thread)
                    ?? .null,
                time: try columns.date("created_at"))
        }
    }

    // MARK: - Rows

    static func checkpoint(_ row: PostgresRow) throws -> Checkpoint {
        let columns = Columns(row)
        let thread = try columns.text("thread_id")
        let id = try columns.text("checkpoint_id")
        let label = "\(thread)@\(id)"
        guard let source = Checkpoint.Source(rawValue: try columns.text("source")) else {
            throw StoreError.corruptRow(table: "checkpoints", id: label, detail: "unknown source")
        }
        return Checkpoint(
            id: id, threadID: thread, parentID: try columns.optionalText("parent_id"), step: try columns.int("step"),
            source: source, state: try columns["state", as: Data.self],
            tasks: try SQLiteStore.decode(
                [GraphTask].self, try columns.optionalText("tasks"), table: "checkpoints", id: label),
            barriers: try SQLiteStore.decode(
                [String: [String]].self, try columns.optionalText("barriers"), table: "checkpoints", id: label),
            nodes: try SQLiteStore.decode(
                [String].self, try columns.optionalText("nodes"), table: "checkpoints", id: label),
            createdAt: try columns.date("created_at"),
            metadata: try SQLiteStore.decode(
                [String: JSONValue].self, try columns.optionalText("metadata"), table: "checkpoints", id: label))
    }
}
