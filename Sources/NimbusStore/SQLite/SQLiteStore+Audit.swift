public import Foundation
import GRDB
import NimbusCore

extension SQLiteStore {
    public func recordAudit(_ entry: AuditEntry) async throws {
        let parameters = SecretRedactor.redact(entry.parameters).jsonText
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO audit_log (id, time, request_id, tool, profile, region, service, operation, parameters,
                        outcome, error, aws_request_id, duration_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO NOTHING
                    """,
                arguments: [
                    entry.id, entry.time.timeIntervalSince1970, entry.requestID, entry.tool, entry.profile,
                    entry.region, entry.service, entry.operation, parameters, entry.outcome.rawValue,
                    entry.error.map(SecretRedactor.redact), entry.awsRequestID, entry.durationMilliseconds,
                ])
        }
    }

    public func auditEntries(since: Date?, requestID: String?, limit: Int) async throws -> [AuditEntry] {
        let rows = try newestRows(
            of: "audit_log", where: [("time >= ?", since?.timeIntervalSince1970), ("request_id = ?", requestID)],
            orderBy: "time DESC, id DESC", limit: limit)
        return try rows.map { row in
            let id: String = row["id"]
            guard let outcome = AuditEntry.Outcome(rawValue: row["outcome"] ?? "") else {
                throw StoreError.corruptRow(table: "audit_log", id: id, detail: "unknown outcome")
            }
            return AuditEntry(
                id: id, time: Date(timeIntervalSince1970: row["time"]), requestID: row["request_id"],
                tool: row["tool"], profile: row["profile"], region: row["region"], service: row["service"],
                operation: row["operation"],
                parameters: try SQLiteStore.json(row["parameters"], table: "audit_log", id: id) ?? .object([:]),
                outcome: outcome, error: row["error"], awsRequestID: row["aws_request_id"],
                durationMilliseconds: row["duration_ms"])
        }
    }

    public func recordRequest(_ request: RequestRecord) async throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO requests (id, product, text, status, answer, strategy, profile, region, steps,
                        created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET status = excluded.status, answer = excluded.answer,
                        strategy = excluded.strategy, steps = excluded.steps, updated_at = excluded.updated_at
                    """,
                arguments: [
                    request.id, request.product, SecretRedactor.redact(request.text), request.status.rawValue,
                    request.answer.map(SecretRedactor.redact), request.strategy, request.profile, request.region,
                    request.steps, request.createdAt.timeIntervalSince1970, request.updatedAt.timeIntervalSince1970,
                ])
        }
    }

    public func requests(limit: Int) async throws -> [RequestRecord] {
        let rows = try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM requests ORDER BY created_at DESC, id DESC LIMIT ?", arguments: [limit])
        }
        return try rows.map { row in
            let id: String = row["id"]
            guard let status = RequestRecord.Status(rawValue: row["status"] ?? "") else {
                throw StoreError.corruptRow(table: "requests", id: id, detail: "unknown status")
            }
            return RequestRecord(
                id: id, product: row["product"], text: row["text"], status: status, answer: row["answer"],
                strategy: row["strategy"],
                profile: row["profile"], region: row["region"], steps: row["steps"],
                createdAt: Date(timeIntervalSince1970: row["created_at"]),
                updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
        }
    }
}
