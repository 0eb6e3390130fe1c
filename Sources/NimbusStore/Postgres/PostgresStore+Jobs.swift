public import Foundation
public import NimbusCore
import PostgresNIO

extension PostgresStore {
    public func enqueue(_ job: NewJob) async throws -> JobRecord {
        let now = Date()
        let record = JobRecord.queued(job, at: now)
        try await rows(
            """
            INSERT INTO jobs (id, kind, payload, status, priority, attempts, max_attempts, run_after, thread_id,
                created_at, updated_at)
            VALUES (\(record.id), \(record.kind), \(record.payload.jsonText), 'queued', \(record.priority), 0,
                \(record.maxAttempts), \(record.runAfter.timeIntervalSince1970), \(record.threadID),
                \(now.timeIntervalSince1970), \(now.timeIntervalSince1970))
            """)
        return record
    }

    /// One statement: jobs whose lease ran out after their last attempt are dead-lettered, then the first due job
    /// is locked (`FOR UPDATE SKIP LOCKED`: a job another worker is claiming right now is passed over, never
    /// waited for) and leased.
    public func claimJob(worker: String, kinds: [String]?, lease: TimeInterval) async throws -> JobRecord? {
        let now = Date().timeIntervalSince1970
        let kinds = kinds.flatMap { $0.isEmpty ? nil : $0 }
        let anyKind = kinds == nil
        let claim: PostgresQuery = """
            WITH expired AS (
                UPDATE jobs SET status = 'dead_lettered', lease_owner = NULL, lease_expires_at = NULL,
                    error = COALESCE(error || '; ', '') || 'its lease ran out on the last attempt', updated_at = \(now)
                WHERE status = 'running' AND lease_expires_at < \(now) AND attempts >= max_attempts
                RETURNING id
            ), next AS (
                SELECT id FROM jobs
                WHERE ((status = 'queued' AND run_after <= \(now))
                    OR (status = 'running' AND lease_expires_at < \(now) AND attempts < max_attempts))
                    AND (\(anyKind) OR kind = ANY(\(kinds ?? [])))
                ORDER BY priority DESC, run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED
            )
            UPDATE jobs SET status = 'running', attempts = jobs.attempts + 1, lease_owner = \(worker),
                lease_expires_at = \(now + lease), updated_at = \(now)
            FROM next WHERE jobs.id = next.id
            RETURNING jobs.*
            """
        return try await rows(claim).first.map(Self.job)
    }

    public func heartbeat(jobID: String, worker: String, lease: TimeInterval) async throws {
        let now = Date().timeIntervalSince1970
        let changed = try await rows(
            """
            UPDATE jobs SET lease_expires_at = \(now + lease), updated_at = \(now)
            WHERE id = \(jobID) AND status = 'running' AND lease_owner = \(worker)
            RETURNING id
            """)
        if changed.isEmpty { throw StoreError.leaseLost(jobID, worker: worker) }
    }

    public func completeJob(jobID: String, worker: String, result: JSONValue?) async throws {
        let now = Date().timeIntervalSince1970
        let changed = try await rows(
            """
            UPDATE jobs SET status = 'succeeded', result = \(result?.jsonText), error = NULL, lease_owner = NULL,
                lease_expires_at = NULL, updated_at = \(now)
            WHERE id = \(jobID) AND status = 'running' AND lease_owner = \(worker)
            RETURNING id
            """)
        if changed.isEmpty { throw StoreError.leaseLost(jobID, worker: worker) }
    }

    public func failJob(
        jobID: String, worker: String, error: String, retryAfter: TimeInterval?
    ) async throws -> JobRecord {
        let now = Date().timeIntervalSince1970
        let message = SecretRedactor.redact(error)
        let row = try await transaction { transaction -> PostgresRow in
            guard
                let current = try await transaction.rows(
                    "SELECT attempts, max_attempts, lease_owner, status FROM jobs WHERE id = \(jobID) FOR UPDATE"
                ).first
            else { throw StoreError.unknownJob(jobID) }
            let columns = Columns(current)
            guard try columns.text("status") == "running", try columns.optionalText("lease_owner") == worker else {
                throw StoreError.leaseLost(jobID, worker: worker)
            }
            let status = JobRecord.statusAfterFailure(
                attempts: try columns.int("attempts"), maxAttempts: try columns.int("max_attempts"),
                retryAfter: retryAfter)
            let runAfter = now + (retryAfter ?? 0)
            guard
                let updated = try await transaction.rows(
                    """
                    UPDATE jobs SET status = \(status.rawValue), error = \(message),
                        run_after = CASE WHEN \(status.rawValue) = 'queued' THEN \(runAfter) ELSE run_after END,
                        lease_owner = NULL, lease_expires_at = NULL, updated_at = \(now)
                    WHERE id = \(jobID) RETURNING *
                    """
                ).first
            else { throw StoreError.unknownJob(jobID) }
            return updated
        }
        return try Self.job(row)
    }

    public func cancelJob(jobID: String) async throws -> JobRecord {
        let now = Date().timeIntervalSince1970
        let row = try await transaction { transaction -> PostgresRow in
            guard
                let current = try await transaction.rows("SELECT status FROM jobs WHERE id = \(jobID) FOR UPDATE").first
            else { throw StoreError.unknownJob(jobID) }
            let status = try Columns(current).text("status")
            guard status == "queued" || status == "running" else {
                throw StoreError.invalidTransition(jobID, from: JobStatus(rawValue: status) ?? .failed, to: "cancelled")
            }
            guard
                let updated = try await transaction.rows(
                    """
                    UPDATE jobs SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL,
                        updated_at = \(now)
                    WHERE id = \(jobID) RETURNING *
                    """
                ).first
            else { throw StoreError.unknownJob(jobID) }
            return updated
        }
        return try Self.job(row)
    }

    public func job(_ jobID: String) async throws -> JobRecord? {
        try await rows("SELECT * FROM jobs WHERE id = \(jobID)").first.map(Self.job)
    }

    public func jobs(status: JobStatus?, limit: Int) async throws -> [JobRecord] {
        let found =
            if let status {
                try await rows("SELECT * FROM jobs WHERE status = \(status.rawValue) ORDER BY id DESC LIMIT \(limit)")
            } else {
                try await rows("SELECT * FROM jobs ORDER BY id DESC LIMIT \(limit)")
            }
        return try found.map(Self.job)
    }

    static func job(_ row: PostgresRow) throws -> JobRecord {
        let columns = Columns(row)
        let id = try columns.text("id")
        guard let status = JobStatus(rawValue: try columns.text("status")) else {
            throw StoreError.corruptRow(table: "jobs", id: id, detail: "unknown status")
        }
        return JobRecord(
            id: id, kind: try columns.text("kind"),
            payload: try SQLiteStore.json(try columns.optionalText("payload"), table: "jobs", id: id) ?? .null,
            status: status, priority: try columns.int("priority"), attempts: try columns.int("attempts"),
            maxAttempts: try columns.int("max_attempts"), runAfter: try columns.date("run_after"),
            leaseOwner: try columns.optionalText("lease_owner"),
            leaseExpiresAt: try columns.optionalDate("lease_expires_at"),
            result: try SQLiteStore.json(try columns.optionalText("result"), table: "jobs", id: id),
            error: try columns.optionalText("error"), threadID: try columns.optionalText("thread_id"),
            createdAt: try columns.date("created_at"), updatedAt: try columns.date("updated_at"))
    }
}
