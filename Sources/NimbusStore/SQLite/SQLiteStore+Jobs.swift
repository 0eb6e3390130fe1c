public import Foundation
import GRDB
public import NimbusCore

extension SQLiteStore {
    public func enqueue(_ job: NewJob) async throws -> JobRecord {
        let now = Date()
        let record = JobRecord.queued(job, at: now)
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO jobs (id, kind, payload, status, priority, attempts, max_attempts, run_after, thread_id,
                        created_at, updated_at)
                    VALUES (?, ?, ?, 'queued', ?, 0, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.id, record.kind, record.payload.jsonText, record.priority, record.maxAttempts,
                    record.runAfter.timeIntervalSince1970, record.threadID, now.timeIntervalSince1970,
                    now.timeIntervalSince1970,
                ])
        }
        return record
    }

    public func claimJob(worker: String, kinds: [String]?, lease: TimeInterval) async throws -> JobRecord? {
        let now = Date().timeIntervalSince1970
        let row = try write { db -> Row? in
            // A job whose lease ran out on its last attempt (its worker died every time) is not run again.
            try db.execute(
                sql: """
                    UPDATE jobs SET status = 'dead_lettered', lease_owner = NULL, lease_expires_at = NULL,
                        error = COALESCE(error || '; ', '') || 'its lease ran out on the last attempt', updated_at = ?
                    WHERE status = 'running' AND lease_expires_at < ? AND attempts >= max_attempts
                    """, arguments: [now, now])
            var sql = """
                SELECT id FROM jobs
                WHERE ((status = 'queued' AND run_after <= ?) OR (status = 'running' AND lease_expires_at < ?))
                """
            var arguments: StatementArguments = [now, now]
            if let kinds, !kinds.isEmpty {
                sql += " AND kind IN (\(kinds.map { _ in "?" }.joined(separator: ", ")))"
                for kind in kinds { _ = arguments.append(contentsOf: [kind]) }
            }
            sql += " ORDER BY priority DESC, run_after, id LIMIT 1"
            guard let id = try String.fetchOne(db, sql: sql, arguments: arguments) else { return nil }
            try db.execute(
                sql: """
                    UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = ?, lease_expires_at = ?,
                        updated_at = ? WHERE id = ?
                    """, arguments: [worker, now + lease, now, id])
            return try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id])
        }
        return try row.map(SQLiteStore.job)
    }

    public func heartbeat(jobID: String, worker: String, lease: TimeInterval) async throws {
        let now = Date().timeIntervalSince1970
        let changed = try write { db in
            try db.execute(
                sql: """
                    UPDATE jobs SET lease_expires_at = ?, updated_at = ?
                    WHERE id = ? AND status = 'running' AND lease_owner = ?
                    """, arguments: [now + lease, now, jobID, worker])
            return db.changesCount
        }
        if changed == 0 { throw StoreError.leaseLost(jobID, worker: worker) }
    }

    public func completeJob(jobID: String, worker: String, result: JSONValue?) async throws {
        let now = Date().timeIntervalSince1970
        let changed = try write { db in
            try db.execute(
                sql: """
                    UPDATE jobs SET status = 'succeeded', result = ?, error = NULL, lease_owner = NULL,
                        lease_expires_at = NULL, updated_at = ?
                    WHERE id = ? AND status = 'running' AND lease_owner = ?
                    """, arguments: [result?.jsonText, now, jobID, worker])
            return db.changesCount
        }
        if changed == 0 { throw StoreError.leaseLost(jobID, worker: worker) }
    }

    public func failJob(
        jobID: String, worker: String, error: String, retryAfter: TimeInterval?
    ) async throws -> JobRecord {
        let now = Date().timeIntervalSince1970
        let message = SecretRedactor.redact(error)
        let row = try write { db -> Row? in
            guard
                let current = try Row.fetchOne(
                    db, sql: "SELECT attempts, max_attempts, lease_owner, status FROM jobs WHERE id = ?",
                    arguments: [jobID])
            else { throw StoreError.unknownJob(jobID) }
            guard current["status"] == "running", current["lease_owner"] == worker else {
                throw StoreError.leaseLost(jobID, worker: worker)
            }
            let status = JobRecord.statusAfterFailure(
                attempts: current["attempts"], maxAttempts: current["max_attempts"], retryAfter: retryAfter)
            if status == .queued {
                try db.execute(
                    sql: """
                        UPDATE jobs SET status = 'queued', error = ?, run_after = ?, lease_owner = NULL,
                            lease_expires_at = NULL, updated_at = ? WHERE id = ?
                        """, arguments: [message, now + (retryAfter ?? 0), now, jobID])
            } else {
                try db.execute(
                    sql: """
                        UPDATE jobs SET status = ?, error = ?, lease_owner = NULL, lease_expires_at = NULL,
                            updated_at = ? WHERE id = ?
                        """, arguments: [status.rawValue, message, now, jobID])
            }
            return try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [jobID])
        }
        guard let row else { throw StoreError.unknownJob(jobID) }
        return try SQLiteStore.job(row)
    }

    public func cancelJob(jobID: String) async throws -> JobRecord {
        let now = Date().timeIntervalSince1970
        let row = try write { db -> Row? in
            guard let status = try String.fetchOne(db, sql: "SELECT status FROM jobs WHERE id = ?", arguments: [jobID])
            else {
                throw StoreError.unknownJob(jobID)
            }
            guard status == "queued" || status == "running" else {
                throw StoreError.invalidTransition(jobID, from: JobStatus(rawValue: status) ?? .failed, to: "cancelled")
            }
            try db.execute(
                sql: """
                    UPDATE jobs SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, updated_at = ?
                    WHERE id = ?
                    """, arguments: [now, jobID])
            return try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [jobID])
        }
        guard let row else { throw StoreError.unknownJob(jobID) }
        return try SQLiteStore.job(row)
    }

    public func job(_ jobID: String) async throws -> JobRecord? {
        let row = try read { db in try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [jobID]) }
        return try row.map(SQLiteStore.job)
    }

    public func jobs(status: JobStatus?, limit: Int) async throws -> [JobRecord] {
        let rows = try read { db in
            if let status {
                return try Row.fetchAll(
                    db, sql: "SELECT * FROM jobs WHERE status = ? ORDER BY id DESC LIMIT ?",
                    arguments: [status.rawValue, limit])
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM jobs ORDER BY id DESC LIMIT ?", arguments: [limit])
        }
        return try rows.map(SQLiteStore.job)
    }

    static func job(_ row: Row) throws -> JobRecord {
        let id: String = row["id"]
        guard let status = JobStatus(rawValue: row["status"] ?? "") else {
            throw StoreError.corruptRow(table: "jobs", id: id, detail: "unknown status")
        }
        let leaseExpiry: Double? = row["lease_expires_at"]
        return JobRecord(
            id: id, kind: row["kind"], payload: try json(row["payload"], table: "jobs", id: id) ?? .null,
            status: status,
            priority: row["priority"], attempts: row["attempts"], maxAttempts: row["max_attempts"],
            runAfter: Date(timeIntervalSince1970: row["run_after"]), leaseOwner: row["lease_owner"],
            leaseExpiresAt: leaseExpiry.map(Date.init(timeIntervalSince1970:)),
            result: try json(row["result"], table: "jobs", id: id), error: row["error"], threadID: row["thread_id"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }
}
