import Foundation
import GRDB
public import NimbusCore

extension SQLiteStore {
    public func record(_ execution: AgentExecution) async throws {
        let input = SecretRedactor.redact(execution.input).jsonText
        let output = execution.output.map { SecretRedactor.redact($0).jsonText }
        let metadata = JSONValue.object(execution.metadata).jsonText
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO agent_executions (id, agent, thread_id, job_id, status, input, output, error, started_at,
                        finished_at, duration_ms, tokens_in, tokens_out, model, cost, metadata)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET status = excluded.status, output = excluded.output,
                        error = excluded.error, finished_at = excluded.finished_at, duration_ms = excluded.duration_ms,
                        tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out, model = excluded.model,
                        cost = excluded.cost, metadata = excluded.metadata
                    """,
                arguments: [
                    execution.id, execution.agent, execution.threadID, execution.jobID, execution.status.rawValue,
                    input, output, execution.error.map(SecretRedactor.redact),
                    execution.startedAt.timeIntervalSince1970, execution.finishedAt?.timeIntervalSince1970,
                    execution.durationMilliseconds, execution.tokensIn, execution.tokensOut, execution.model,
                    execution.cost, metadata,
                ])
        }
    }

    public func executions(threadID: String?, agent: String?, limit: Int) async throws -> [AgentExecution] {
        let rows = try newestRows(
            of: "agent_executions", where: [("thread_id = ?", threadID), ("agent = ?", agent)],
            orderBy: "started_at DESC, id DESC", limit: limit)
        return try rows.map { row in
            let id: String = row["id"]
            guard let status = AgentExecution.Status(rawValue: row["status"] ?? "") else {
                throw StoreError.corruptRow(table: "agent_executions", id: id, detail: "unknown status")
            }
            let finished: Double? = row["finished_at"]
            let metadata = try SQLiteStore.json(row["metadata"], table: "agent_executions", id: id)?.objectValue ?? [:]
            return AgentExecution(
                id: id, agent: row["agent"], threadID: row["thread_id"], jobID: row["job_id"], status: status,
                input: try SQLiteStore.json(row["input"], table: "agent_executions", id: id) ?? .null,
                output: try SQLiteStore.json(row["output"], table: "agent_executions", id: id), error: row["error"],
                startedAt: Date(timeIntervalSince1970: row["started_at"]),
                finishedAt: finished.map(Date.init(timeIntervalSince1970:)), tokensIn: row["tokens_in"],
                tokensOut: row["tokens_out"], model: row["model"], cost: row["cost"], metadata: metadata)
        }
    }
}
