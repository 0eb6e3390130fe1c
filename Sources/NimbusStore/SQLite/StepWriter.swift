import Foundation
import GRDBSQLite
import NimbusCore
import NimbusGraph
import Synchronization

/// The writes every graph step makes — a checkpoint with its thread record, and a task's pending writes — on a
/// connection of their own with raw prepared SQLite statements.
///
/// A step's write is the runtime's hottest I/O. Going through GRDB's general machinery (queue hops, transaction
/// bookkeeping, argument boxing, parsing BEGIN/COMMIT) cost more CPU than SQLite's own work, so these statements
/// are prepared once on a dedicated connection guarded by a mutex. SQLite's write lock (with a busy timeout)
/// serialises them with GRDB's writes; everything else in the store uses GRDB.
final class StepWriter: Sendable {
    private struct Connection: @unchecked Sendable {
        var handle: OpaquePointer?
        var begin: OpaquePointer?
        var commit: OpaquePointer?
        var rollback: OpaquePointer?
        var insertCheckpoint: OpaquePointer?
        var upsertThread: OpaquePointer?
        var insertWrite: OpaquePointer?
        var selectThread: OpaquePointer?
        /// What this connection last wrote to each thread's row, minus the parts the newest checkpoint tells.
        var writtenThreads: [String: ThreadSignature] = [:]
    }

    /// The parts of a thread record that live only in its row.
    struct ThreadSignature: Equatable {
        let graph: String
        let status: String
        let parent: String?
        let owner: String?
        let error: String?
        let interrupts: String
        let metadata: String
        let createdAt: Double

        init(_ row: ThreadRow) {
            graph = row.record.graph
            status = row.record.status.rawValue
            parent = row.record.parentThreadID
            owner = row.record.owner
            error = row.record.error
            interrupts = row.interrupts
            metadata = row.metadata
            createdAt = row.record.createdAt.timeIntervalSince1970
        }
    }

    private let connection: Mutex<Connection>
    private let hook: (@Sendable (String) -> Void)?
    private let checkpointer: WALCheckpointer

    init(path: String, hook: (@Sendable (String) -> Void)?) throws {
        self.hook = hook
        self.checkpointer = WALCheckpointer(path: path)
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw StoreError.cannotOpen(path, detail: message)
        }
        var prepared = Connection(handle: handle)
        do {
            sqlite3_busy_timeout(handle, 10_000)
            // The step writer touches a handful of pages per commit: a small page cache is plenty.
            for pragma in ["PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = OFF", "PRAGMA cache_size = -256"] {
                guard sqlite3_exec(handle, pragma, nil, nil, nil) == SQLITE_OK else {
                    throw StepWriter.failure(handle, pragma)
                }
            }
            prepared.begin = try StepWriter.prepare("BEGIN IMMEDIATE", handle)
            prepared.commit = try StepWriter.prepare("COMMIT", handle)
            prepared.rollback = try StepWriter.prepare("ROLLBACK", handle)
            prepared.insertCheckpoint = try StepWriter.prepare(StepWriter.insertCheckpointSQL, handle)
            prepared.upsertThread = try StepWriter.prepare(StepWriter.upsertThreadSQL, handle)
            prepared.insertWrite = try StepWriter.prepare(StepWriter.insertWriteSQL, handle)
            prepared.selectThread = try StepWriter.prepare("SELECT * FROM thread_states WHERE thread_id = ?", handle)
        } catch {
            StepWriter.close(prepared)
            throw error
        }
        // Replaces SQLite's automatic checkpoint on this connection: steps only append to the WAL, and the
        // checkpoint (with its fsync) runs on a background queue.
        sqlite3_wal_hook(handle, walHook, Unmanaged.passUnretained(checkpointer).toOpaque())
        connection = Mutex(prepared)
    }

    deinit {
        connection.withLock { connection in
            sqlite3_wal_hook(connection.handle, nil, nil)
            StepWriter.close(connection)
        }
        checkpointer.close()
    }

    private static func close(_ connection: Connection) {
        for statement in [
            connection.begin, connection.commit, connection.rollback, connection.insertCheckpoint,
            connection.upsertThread, connection.insertWrite, connection.selectThread,
        ] {
            sqlite3_finalize(statement)
        }
        sqlite3_close_v2(connection.handle)
    }

    static let insertCheckpointSQL = """
        INSERT INTO checkpoints (thread_id, seq, checkpoint_id, parent_id, step, source, state, tasks, barriers, nodes,
            metadata, created_at)
        VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM checkpoints WHERE thread_id = ?1),
            ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
        """

    static let upsertThreadSQL = """
        INSERT INTO threads (thread_id, graph, status, step, checkpoint_id, parent_thread_id, owner, error,
            interrupts, metadata, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(thread_id) DO UPDATE SET graph = excluded.graph, status = excluded.status,
            step = excluded.step, checkpoint_id = excluded.checkpoint_id,
            parent_thread_id = excluded.parent_thread_id, owner = excluded.owner, error = excluded.error,
            interrupts = excluded.interrupts, metadata = excluded.metadata, updated_at = excluded.updated_at
        """

    static let insertWriteSQL = """
        INSERT OR REPLACE INTO checkpoint_writes (thread_id, checkpoint_id, task_id, kind, key, value, written_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """

    /// Saves a checkpoint and its thread's record in one transaction.
    func save(_ checkpoint: Checkpoint, thread: ThreadRow) throws {
        // While a run advances, only its step, checkpoint and time change, and the checkpoint row says those.
        let signature = ThreadSignature(thread)
        try connection.withLock { connection in
            let handle = connection.handle!
            let needsUpsert = connection.writtenThreads[checkpoint.threadID] != signature
            try transaction(connection) {
                let insert = connection.insertCheckpoint
                try bind(
                    insert, handle,
                    [
                        .text(checkpoint.threadID), .text(checkpoint.id), checkpoint.parentID.map(Value.text) ?? .null,
                        .integer(Int64(checkpoint.step)), .text(checkpoint.source.rawValue), .blob(checkpoint.state),
                        .text(SQLiteStore.text(checkpoint.tasks)), .text(SQLiteStore.text(checkpoint.barriers)),
                        .text(SQLiteStore.text(checkpoint.nodes)), .text(SQLiteStore.text(checkpoint.metadata)),
                        .real(checkpoint.createdAt.timeIntervalSince1970),
                    ])
                try run(insert, handle)
                hook?("save")
                if needsUpsert { try upsert(thread, connection.upsertThread, handle) }
            }
            // Remembered only once committed: a failed write must not make the next save skip the row.
            if needsUpsert { remember(signature, for: checkpoint.threadID, in: &connection) }
        }
    }

    /// Saves a thread's record alone.
    func saveThread(_ thread: ThreadRow) throws {
        try connection.withLock { connection in
            let handle = connection.handle!
            try upsert(thread, connection.upsertThread, handle)
            remember(ThreadSignature(thread), for: thread.record.threadID, in: &connection)
        }
    }

    /// Forgets what was written, after rows changed behind this connection's back (deletes).
    func forgetThreads() {
        connection.withLock { $0.writtenThreads.removeAll() }
    }

    private func remember(_ signature: ThreadSignature, for threadID: String, in connection: inout Connection) {
        if connection.writtenThreads.count > 10_000 { connection.writtenThreads.removeAll() }
        connection.writtenThreads[threadID] = signature
    }

    /// Saves pending writes in one transaction.
    func saveWrites(_ writes: [PendingWrite], threadID: String, checkpointID: String) throws {
        let now = Date().timeIntervalSince1970
        try connection.withLock { connection in
            let handle = connection.handle!
            try transaction(connection) {
                let insert = connection.insertWrite
                for (index, write) in writes.enumerated() {
                    try bind(
                        insert, handle,
                        [
                            .text(threadID), .text(checkpointID), .text(write.taskID), .text(write.kind.rawValue),
                            .text(write.key), .blob(write.value), .real(now),
                        ])
                    try run(insert, handle)
                    if index == 0 { hook?("saveWrites") }
                }
            }
        }
    }

    /// Reads a thread's record (the start of every run asks whether its thread exists).
    func thread(_ threadID: String) throws -> ThreadRecord? {
        try connection.withLock { connection in
            let handle = connection.handle!
            let select = connection.selectThread
            defer { sqlite3_reset(select) }
            try bind(select, handle, [.text(threadID)])
            let code = sqlite3_step(select)
            if code == SQLITE_DONE { return nil }
            guard code == SQLITE_ROW else { throw StepWriter.failure(handle, "select thread") }
            var columns: [String: Int32] = [:]
            for index in 0..<sqlite3_column_count(select) {
                columns[String(cString: sqlite3_column_name(select, index))] = index
            }
            return try ThreadRow.record { name in
                guard let index = columns[name] else { return .null }
                switch sqlite3_column_type(select, index) {
                case SQLITE_INTEGER: return .integer(sqlite3_column_int64(select, index))
                case SQLITE_FLOAT: return .real(sqlite3_column_double(select, index))
                case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(select, index)))
                default: return .null
                }
            }
        }
    }

    // MARK: - SQLite

    enum Value {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)
        case blob(Data)
    }

    private func transaction(_ connection: Connection, _ body: () throws -> Void) throws {
        let handle = connection.handle!
        try run(connection.begin, handle)
        do {
            try body()
            try run(connection.commit, handle)
        } catch {
            _ = sqlite3_step(connection.rollback)
            sqlite3_reset(connection.rollback)
            throw error
        }
    }

    private func upsert(_ row: ThreadRow, _ statement: OpaquePointer?, _ connection: OpaquePointer) throws {
        let record = row.record
        try bind(
            statement, connection,
            [
                .text(record.threadID), .text(record.graph), .text(record.status.rawValue),
                .integer(Int64(record.step)),
                record.checkpointID.map(Value.text) ?? .null, record.parentThreadID.map(Value.text) ?? .null,
                record.owner.map(Value.text) ?? .null, record.error.map(Value.text) ?? .null, .text(row.interrupts),
                .text(row.metadata), .real(record.createdAt.timeIntervalSince1970),
                .real(record.updatedAt.timeIntervalSince1970),
            ])
        try run(statement, connection)
    }

    private static func prepare(_ sql: String, _ connection: OpaquePointer) throws -> OpaquePointer? {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK else { throw failure(connection, sql) }
        return statement
    }

    private func bind(_ statement: OpaquePointer?, _ connection: OpaquePointer, _ values: [Value]) throws {
        // SQLITE_TRANSIENT: SQLite copies the bytes, so Swift strings and data need not outlive the call.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(statement, index)
            case .integer(let number): code = sqlite3_bind_int64(statement, index, number)
            case .real(let number): code = sqlite3_bind_double(statement, index, number)
            case .text(let text): code = sqlite3_bind_text(statement, index, text, -1, transient)
            case .blob(let data):
                code = data.withUnsafeBytes { bytes in
                    sqlite3_bind_blob(
                        statement, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count),
                        transient)
                }
            }
            guard code == SQLITE_OK else { throw StepWriter.failure(connection, "bind") }
        }
    }

    private func run(_ statement: OpaquePointer?, _ connection: OpaquePointer) throws {
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw StepWriter.failure(connection, "step") }
    }

    private static func failure(_ connection: OpaquePointer, _ context: String) -> StoreError {
        let message = String(cString: sqlite3_errmsg(connection))
        return StoreError.writeFailed(detail: "SQLite error \(sqlite3_errcode(connection)) (\(context)): \(message)")
    }
}

/// Called by SQLite after each commit on the step writer's connection with the WAL's size in pages.
private func walHook(
    _ context: UnsafeMutableRawPointer?, _ connection: OpaquePointer?, _ database: UnsafePointer<CChar>?, _ pages: Int32
) -> Int32 {
    guard let context else { return SQLITE_OK }
    Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().walGrew(to: Int(pages))
    return SQLITE_OK
}

/// Checkpoints the WAL into the database file on a background queue once it passes a size, as SQLite's automatic
/// checkpoint would — but off the path of the step that crossed the threshold. PASSIVE checkpoints never block
/// writers or readers; a checkpoint that cannot finish (a reader holds an old snapshot) is simply tried again
/// after the next commits.
final class WALCheckpointer: @unchecked Sendable {
    /// SQLite's default automatic-checkpoint size.
    static let thresholdPages = 1_000

    private let path: String
    private let queue = DispatchQueue(label: "nimbus.store.wal-checkpoint", qos: .utility)
    /// Set once a checkpoint has been scheduled for the current WAL; cleared when a commit reports a WAL below
    /// the threshold again (it restarted). Back-to-back checkpoints would keep the writer from ever restarting it.
    private let scheduled = Atomic<Bool>(false)
    // Only touched on `queue`.
    private var connection: OpaquePointer?

    init(path: String) {
        self.path = path
    }

    func walGrew(to pages: Int) {
        guard pages >= WALCheckpointer.thresholdPages else {
            if pages < WALCheckpointer.thresholdPages / 2 { scheduled.store(false, ordering: .releasing) }
            return
        }
        guard !scheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.async { [self] in checkpoint() }
    }

    /// Waits for a running checkpoint and closes the checkpoint connection.
    func close() {
        queue.sync {
            sqlite3_close_v2(connection)
            connection = nil
        }
    }

    private func checkpoint() {
        if connection == nil {
            var handle: OpaquePointer?
            guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
                sqlite3_close(handle)
                return
            }
            sqlite3_busy_timeout(handle, 1_000)
            // SQLite opens the file lazily; until a statement reads it, a checkpoint finds "no WAL" and does nothing.
            sqlite3_exec(handle, "PRAGMA cache_size = -64; SELECT count(*) FROM sqlite_master", nil, nil, nil)
            connection = handle
        }
        var log: Int32 = 0
        var done: Int32 = 0
        sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &done)
        if done < log {
            // Readers kept part of the WAL; let the next commit over the threshold try again.
            scheduled.store(false, ordering: .releasing)
        }
    }
}
