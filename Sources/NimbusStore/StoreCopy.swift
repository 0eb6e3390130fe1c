import Foundation
import GRDB
import NimbusCore
import PostgresNIO

extension SQLiteStore {
    /// A SQLite file is opened when the store is made; there is nothing more to connect.
    public func connect() async throws {}

    public func summary() async throws -> StoreSummary {
        try read { db in
            var rows: [String: Int] = [:]
            for table in StoreSummary.tables {
                rows[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
            }
            var jobs: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM jobs GROUP BY status") {
                jobs[row["status"]] = row["n"]
            }
            return StoreSummary(
                engine: "sqlite", location: path, migrations: try SQLiteStore.migrator.appliedMigrations(db),
                rows: rows, jobs: jobs)
        }
    }
}

extension PostgresStore {
    public func summary() async throws -> StoreSummary {
        var rows: [String: Int] = [:]
        for table in StoreSummary.tables {
            rows[table] =
                try await self.rows(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)")).first
                .map { try $0.decode(Int.self) } ?? 0
        }
        var jobs: [String: Int] = [:]
        for row in try await self.rows("SELECT status, count(*) FROM jobs GROUP BY status") {
            let (status, count) = try row.decode((String, Int).self)
            jobs[status] = count
        }
        return StoreSummary(
            engine: "postgres", location: location.description, migrations: try await appliedMigrations(), rows: rows,
            jobs: jobs)
    }
}

/// Copies a SQLite store into an empty PostgreSQL store: every thread, checkpoint, pending write, event, job,
/// agent execution, cached answer, audit entry, request and API key, row for row, in one transaction (a failure
/// leaves the target as empty as it was), then checks that every table holds as many rows as the source.
public enum StoreCopy {
    /// The key order of each table, so a copy reads it in chunks.
    static let keys: [String: String] = [
        "threads": "thread_id", "checkpoints": "thread_id, seq",
        "checkpoint_writes": "thread_id, checkpoint_id, task_id, kind, key", "events": "seq", "jobs": "id",
        "agent_executions": "id", "llm_response_cache": "key", "audit_log": "id", "requests": "id",
        "api_keys": "name",
    ]

    /// Copies `source` into `target`; `progress` hears each table as it is copied, with its row count. Returns the
    /// rows copied per table.
    @discardableResult
    public static func copy(
        from source: SQLiteStore, to target: PostgresStore, progress: @Sendable (String, Int) -> Void = { _, _ in }
    ) async throws -> [String: Int] {
        try await target.connect()
        let before = try await target.summary()
        if before.rows.values.contains(where: { $0 > 0 }) {
            throw StoreError.notEmpty(target.location.description, rows: before.rows)
        }
        let expected = try await source.summary().rows
        var copied: [String: Int] = [:]
        try await target.transaction { transaction in
            for table in StoreSummary.tables {
                let types = try await columnTypes(table, transaction)
                var offset = 0
                var count = 0
                while true {
                    let chunk = try source.read { db in
                        try Row.fetchAll(
                            db, sql: "SELECT * FROM \(table) ORDER BY \(keys[table] ?? "1") LIMIT 500 OFFSET ?",
                            arguments: [offset])
                    }
                    if chunk.isEmpty { break }
                    try await insert(chunk, into: table, types: types, transaction)
                    offset += chunk.count
                    count += chunk.count
                }
                copied[table] = count
                progress(table, count)
            }
            // The event sequence continues after the copied events, so new events sort after them.
            try await transaction.rows(
                """
                SELECT setval(pg_get_serial_sequence('events', 'seq'), COALESCE((SELECT MAX(seq) FROM events), 0) + 1,
                    false)
                """)
        }
        let after = try await target.summary().rows
        let mismatched = StoreSummary.tables.filter { (after[$0] ?? 0) != (expected[$0] ?? 0) }
        if !mismatched.isEmpty {
            throw StoreError.writeFailed(
                detail: "the copy does not match its source in "
                    + mismatched.map { "\($0) (\(after[$0] ?? 0) of \(expected[$0] ?? 0))" }.joined(separator: ", "))
        }
        return copied
    }

    private static func columnTypes(
        _ table: String, _ transaction: PostgresStore.Transaction
    ) async throws -> [String: String] {
        var types: [String: String] = [:]
        for row in try await transaction.rows(
            """
            SELECT column_name::text, data_type::text FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = \(table)
            """)
        {
            let (name, type) = try row.decode((String, String).self)
            types[name] = type
        }
        return types
    }

    /// One multi-row INSERT of the columns both schemas have, each value converted to the target column's type.
    private static func insert(
        _ rows: [Row], into table: String, types: [String: String], _ transaction: PostgresStore.Transaction
    ) async throws {
        guard let first = rows.first else { return }
        let columns = first.columnNames.filter { types[$0] != nil }
        var bindings = PostgresBindings(capacity: rows.count * columns.count)
        var tuples: [String] = []
        for row in rows {
            var placeholders: [String] = []
            for column in columns {
                try bind(row[column] as DatabaseValue, as: types[column] ?? "text", to: &bindings, table: table)
                placeholders.append("$\(bindings.count)")
            }
            tuples.append("(" + placeholders.joined(separator: ", ") + ")")
        }
        let sql =
            "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES " + tuples.joined(separator: ", ")
        try await transaction.rows(PostgresQuery(unsafeSQL: sql, binds: bindings))
    }

    private static func bind(
        _ value: DatabaseValue, as type: String, to bindings: inout PostgresBindings, table: String
    ) throws {
        switch value.storage {
        case .null:
            bindings.appendNull()
        case .int64(let number):
            switch type {
            case "boolean": bindings.append(number != 0)
            case "double precision": bindings.append(Double(number))
            case "text": bindings.append(String(number))
            default: bindings.append(Int(number))
            }
        case .double(let number):
            switch type {
            case "bigint": bindings.append(Int(number))
            case "text": bindings.append(String(number))
            default: bindings.append(number)
            }
        case .string(let text):
            switch type {
            case "bytea": try bindings.append(Data(text.utf8))
            case "bigint":
                guard let number = Int(text) else {
                    throw StoreError.corruptRow(table: table, id: text, detail: "'\(text)' is not a number")
                }
                bindings.append(number)
            default: bindings.append(text)
            }
        case .blob(let data):
            switch type {
            case "text": bindings.append(String(decoding: data, as: UTF8.self))
            default: try bindings.append(data)
            }
        }
    }
}
