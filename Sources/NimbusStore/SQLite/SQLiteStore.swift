import Foundation
import GRDB
public import Logging
public import NimbusCore
import NimbusGraph

/// The default ``Store``: one SQLite file (WAL mode) under the Nimbus home.
///
/// Every call is one transaction, so a process killed at any moment leaves each checkpoint, batch of writes
/// or job transition either whole or absent. `synchronous=NORMAL` in WAL mode survives process crashes;
/// only a power loss can drop the last commits.
public final class SQLiteStore: Store {
    /// The database file.
    public let path: String
    let pool: DatabasePool
    let logger: Logger
    let stepWriter: StepWriter

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public convenience init(path: String, logger: Logger = Logger(label: "nimbus.store")) throws {
        try self.init(path: path, logger: logger, transactionHook: nil)
    }

    /// Opens the database with a hook called inside the write transactions of `save` and `saveWrites`, after
    /// their first statement: crash tests kill the process there to prove half-written transactions vanish.
    @_spi(Testing)
    public init(
        path: String, logger: Logger = Logger(label: "nimbus.store"), transactionHook: (@Sendable (String) -> Void)?
    ) throws {
        self.path = path
        self.logger = logger
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                // The store holds runs, answers and the audit log: for its owner alone.
                try PrivateFiles.directory(URL(fileURLWithPath: directory, isDirectory: true))
            } catch {
                throw StoreError.cannotOpen(
                    path, detail: "cannot create \(directory): \(FileErrorText.describe(error))")
            }
        }
        // Created (or kept) readable by the owner only, before SQLite opens it with the process's umask; the
        // WAL and shared-memory files SQLite adds take the database file's mode.
        let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            _ = fchmod(descriptor, 0o600)
            close(descriptor)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "nimbus"
        configuration.prepareDatabase { db in
            // WAL with synchronous=NORMAL survives any process crash; only a power loss can lose the last commits.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError.cannotOpen(path, detail: "\(error)")
        }
        let migrator = SQLiteStore.migrator
        do {
            let superseded = try pool.read { db in try migrator.hasBeenSuperseded(db) }
            if superseded {
                let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
                throw StoreError.newerSchema(path, unknown: applied.subtracting(migrator.migrations).sorted())
            }
            try migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.cannotOpen(path, detail: "\(error)")
        }
        // The step writer prepares statements against the migrated schema, so it opens last.
        stepWriter = try StepWriter(path: path, hook: transactionHook)
    }

    /// Opens the database named by the configuration: `store.path`, else `nimbus.sqlite` in the Nimbus home.
    public convenience init(configuration: NimbusConfiguration, logger: Logger = Logger(label: "nimbus.store")) throws {
        let path =
            configuration["store.path"]?.stringValue.map { ($0 as NSString).expandingTildeInPath }
            ?? configuration.home.appendingPathComponent("nimbus.sqlite").path
        try self.init(path: path, logger: logger)
    }

    /// The names of the migrations applied to this database, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try SQLiteStore.migrator.appliedMigrations(db) }
    }

    // MARK: - Access

    /// Runs a write transaction on the calling thread. SQLite commits take microseconds, which is cheaper than
    /// hopping to another executor and back.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.write(body)
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// A read of one statement: a single SELECT is consistent on its own, so it skips the transaction `read` wraps
    /// around its body (two statements more per call, on the server's hottest paths).
    func readStatement<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.unsafeReentrantRead(body)
    }

    /// The newest `limit` rows of `table`, keeping those whose filters match (a filter without a value keeps every
    /// row); `condition` is SQL with one `?` for the value, e.g. `"agent = ?"`.
    func newestRows(
        of table: String, where filters: [(condition: String, value: (any DatabaseValueConvertible)?)],
        orderBy order: String, limit: Int
    ) throws -> [Row] {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        for (condition, value) in filters {
            guard let value else { continue }
            clauses.append(condition)
            _ = arguments.append(contentsOf: [value])
        }
        _ = arguments.append(contentsOf: [limit])
        let filter = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let sql = "SELECT * FROM \(table) \(filter) ORDER BY \(order) LIMIT ?"
        return try read { db in try Row.fetchAll(db, sql: sql, arguments: arguments) }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// JSON text for the small structures written on every step, without a `JSONEncoder` round trip.
    static func text(_ tasks: [GraphTask]) -> String {
        if tasks.isEmpty { return "[]" }
        var text = "["
        for (index, task) in tasks.enumerated() {
            if index > 0 { text += "," }
            text += #"{"id":"#
            JSONValue.writeString(task.id, to: &text)
            text += #","node":"#
            JSONValue.writeString(task.node, to: &text)
            if let input = task.input {
                text += #","input":"#
                text += input.jsonText
            }
            text += "}"
        }
        return text + "]"
    }

    static func text(_ strings: [String]) -> String {
        strings.isEmpty ? "[]" : JSONValue.array(strings.map(JSONValue.string)).jsonText
    }

    static func text(_ barriers: [String: [String]]) -> String {
        barriers.isEmpty ? "{}" : JSONValue.object(barriers.mapValues { .array($0.map(JSONValue.string)) }).jsonText
    }

    static func text(_ members: [String: JSONValue]) -> String {
        members.isEmpty ? "{}" : JSONValue.object(members).jsonText
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String?, table: String, id: String) throws -> T {
        guard let text else { throw StoreError.corruptRow(table: table, id: id, detail: "a required column is empty") }
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw StoreError.corruptRow(table: table, id: id, detail: JSONValueError.describe(error))
        }
    }

    static func json(_ text: String?, table: String, id: String) throws -> JSONValue? {
        guard let text else { return nil }
        do {
            return try JSONValue(parsing: text)
        } catch {
            throw StoreError.corruptRow(table: table, id: id, detail: "invalid JSON")
        }
    }

    // MARK: - Schema

    /// The schema keeps per-step writes small: checkpoints, writes and threads are clustered tables (WITHOUT ROWID),
    /// a step's commit usually rewrites one page of `checkpoints` only (the `thread_states` view derives a thread's
    /// progress from its newest checkpoint), and nothing indexes the ever-changing update time. A checkpoint's
    /// `seq` is one more than its thread's newest.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-core") { db in
            try db.execute(
                sql: """
                    CREATE TABLE threads (
                        thread_id TEXT NOT NULL PRIMARY KEY,
                        graph TEXT NOT NULL,
                        status TEXT NOT NULL,
                        step INTEGER NOT NULL DEFAULT 0,
                        checkpoint_id TEXT,
                        parent_thread_id TEXT,
                        owner TEXT,
                        error TEXT,
                        interrupts TEXT NOT NULL DEFAULT '[]',
                        metadata TEXT NOT NULL DEFAULT '{}',
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX threads_by_parent ON threads(parent_thread_id);

                    -- A step rewrites only its checkpoint; a thread's step, newest checkpoint and update time
                    -- are read from that checkpoint.
                    CREATE VIEW thread_states AS
                    SELECT t.thread_id, t.graph, t.status, t.parent_thread_id, t.owner, t.error, t.interrupts,
                        t.metadata, t.created_at,
                        COALESCE(c.step, t.step) AS step,
                        COALESCE(c.checkpoint_id, t.checkpoint_id) AS checkpoint_id,
                        MAX(t.updated_at, COALESCE(c.created_at, 0)) AS updated_at
                    FROM threads t LEFT JOIN checkpoints c ON c.thread_id = t.thread_id
                        AND c.seq = (SELECT MAX(seq) FROM checkpoints WHERE thread_id = t.thread_id);

                    CREATE TABLE checkpoints (
                        thread_id TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        checkpoint_id TEXT NOT NULL,
                        parent_id TEXT,
                        step INTEGER NOT NULL,
                        source TEXT NOT NULL,
                        state BLOB NOT NULL,
                        tasks TEXT NOT NULL,
                        barriers TEXT NOT NULL,
                        nodes TEXT NOT NULL,
                        metadata TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        PRIMARY KEY (thread_id, seq)
                    ) WITHOUT ROWID;

                    CREATE TABLE checkpoint_writes (
                        thread_id TEXT NOT NULL,
                        checkpoint_id TEXT NOT NULL,
                        task_id TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        key TEXT NOT NULL,
                        value BLOB NOT NULL,
                        written_at REAL NOT NULL,
                        PRIMARY KEY (thread_id, checkpoint_id, task_id, kind, key)
                    ) WITHOUT ROWID;

                    CREATE TABLE events (
                        seq INTEGER PRIMARY KEY,
                        thread_id TEXT NOT NULL,
                        root_thread_id TEXT NOT NULL,
                        name TEXT NOT NULL,
                        node TEXT,
                        namespace TEXT NOT NULL DEFAULT '[]',
                        payload TEXT NOT NULL,
                        created_at REAL NOT NULL
                    );
                    CREATE INDEX events_by_root ON events(root_thread_id, seq);

                    CREATE TABLE jobs (
                        id TEXT PRIMARY KEY NOT NULL,
                        kind TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        status TEXT NOT NULL,
                        priority INTEGER NOT NULL DEFAULT 0,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        max_attempts INTEGER NOT NULL DEFAULT 3,
                        run_after REAL NOT NULL,
                        lease_owner TEXT,
                        lease_expires_at REAL,
                        result TEXT,
                        error TEXT,
                        thread_id TEXT,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL
                    );
                    CREATE INDEX jobs_due ON jobs(status, priority DESC, run_after, id);

                    CREATE TABLE agent_executions (
                        id TEXT PRIMARY KEY NOT NULL,
                        agent TEXT NOT NULL,
                        thread_id TEXT,
                        job_id TEXT,
                        status TEXT NOT NULL,
                        input TEXT NOT NULL,
                        output TEXT,
                        error TEXT,
                        started_at REAL NOT NULL,
                        finished_at REAL,
                        duration_ms REAL,
                        tokens_in INTEGER NOT NULL DEFAULT 0,
                        tokens_out INTEGER NOT NULL DEFAULT 0,
                        model TEXT,
                        cost REAL,
                        metadata TEXT NOT NULL DEFAULT '{}'
                    );
                    CREATE INDEX agent_executions_by_thread ON agent_executions(thread_id, started_at);
                    CREATE INDEX agent_executions_by_agent ON agent_executions(agent, started_at);
                    """)
        }
        migrator.registerMigration("v2-llm-cache") { db in
            try db.execute(
                sql: """
                    CREATE TABLE llm_response_cache (
                        key TEXT NOT NULL PRIMARY KEY,
                        response TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        expires_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX llm_response_cache_by_expiry ON llm_response_cache(expires_at);
                    """)
        }
        migrator.registerMigration("v3-audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE audit_log (
                        id TEXT PRIMARY KEY NOT NULL,
                        time REAL NOT NULL,
                        request_id TEXT,
                        tool TEXT,
                        profile TEXT,
                        region TEXT,
                        service TEXT NOT NULL,
                        operation TEXT NOT NULL,
                        parameters TEXT NOT NULL,
                        outcome TEXT NOT NULL,
                        error TEXT,
                        aws_request_id TEXT,
                        duration_ms REAL
                    );
                    CREATE INDEX audit_log_by_time ON audit_log(time);
                    CREATE INDEX audit_log_by_request ON audit_log(request_id, time);

                    CREATE TABLE requests (
                        id TEXT PRIMARY KEY NOT NULL,
                        text TEXT NOT NULL,
                        status TEXT NOT NULL,
                        answer TEXT,
                        strategy TEXT NOT NULL,
                        profile TEXT,
                        region TEXT,
                        steps INTEGER NOT NULL DEFAULT 0,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL
                    );
                    CREATE INDEX requests_by_creation ON requests(created_at);
                    """)
        }
        // History names its product. Before this, only AWS operations kept history, so earlier rows are `ops`.
        migrator.registerMigration("v4-request-product") { db in
            try db.execute(sql: "ALTER TABLE requests ADD COLUMN product TEXT NOT NULL DEFAULT 'ops'")
        }
        // The server's API keys, by the digest of the secret (the secret itself is never stored).
        migrator.registerMigration("v5-api-keys") { db in
            try db.execute(
                sql: """
                    CREATE TABLE api_keys (
                        name TEXT PRIMARY KEY NOT NULL,
                        digest TEXT NOT NULL UNIQUE,
                        prefix TEXT NOT NULL,
                        read_only INTEGER NOT NULL,
                        created_at REAL NOT NULL,
                        last_used_at REAL,
                        revoked_at REAL
                    );
                    """)
        }
        // The seed's view of runs: one row per top-level workflow run (PostgreSQL has the same view).
        migrator.registerMigration("v6-workflows") { db in
            try db.execute(
                sql: """
                    CREATE VIEW workflows AS
                    SELECT thread_id AS id, graph AS name, status, step, error, owner, created_at, updated_at
                    FROM thread_states WHERE parent_thread_id IS NULL;
                    """)
        }
        // Listing runs read the head of each thread's checkpoints. A checkpoint row holds its state inline, so the
        // view's join walked every state blob (2.6 ms to list 100 runs); a covering index of the heads, which the
        // view is told to use, keeps the listing to index pages (0.13 ms). One small index entry per checkpoint.
        migrator.registerMigration("v7-checkpoint-heads") { db in
            try db.execute(
                sql: """
                    CREATE INDEX checkpoint_heads ON checkpoints(thread_id, seq, checkpoint_id, step, created_at);
                    DROP VIEW workflows;
                    DROP VIEW thread_states;
                    CREATE VIEW thread_states AS
                    SELECT t.thread_id, t.graph, t.status, t.parent_thread_id, t.owner, t.error, t.interrupts,
                        t.metadata, t.created_at,
                        COALESCE(c.step, t.step) AS step,
                        COALESCE(c.checkpoint_id, t.checkpoint_id) AS checkpoint_id,
                        MAX(t.updated_at, COALESCE(c.created_at, 0)) AS updated_at
                    FROM threads t LEFT JOIN checkpoints c INDEXED BY checkpoint_heads ON c.thread_id = t.thread_id
                        AND c.seq = (SELECT MAX(seq) FROM checkpoints WHERE thread_id = t.thread_id);
                    CREATE VIEW workflows AS
                    SELECT thread_id AS id, graph AS name, status, step, error, owner, created_at, updated_at
                    FROM thread_states WHERE parent_thread_id IS NULL;
                    """)
        }
        return migrator
    }
}
