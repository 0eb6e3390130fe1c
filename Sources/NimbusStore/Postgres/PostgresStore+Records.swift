public import Foundation
public import NimbusCore
import PostgresNIO

// Agent executions, the response cache, the audit log, the request history and API keys: the same rows, the same
// redaction and the same order as ``SQLiteStore``.
extension PostgresStore {
    // MARK: Agent executions

    public func record(_ execution: AgentExecution) async throws {
        let input = SecretRedactor.redact(execution.input).jsonText
        let output = execution.output.map { SecretRedactor.redact($0).jsonText }
        let metadata = JSONValue.object(execution.metadata).jsonText
        try await rows(
            """
            INSERT INTO agent_executions (id, agent, thread_id, job_id, status, input, output, error, started_at,
                finished_at, duration_ms, tokens_in, tokens_out, model, cost, metadata)
            VALUES (\(execution.id), \(execution.agent), \(execution.threadID), \(execution.jobID),
                \(execution.status.rawValue), \(input), \(output), \(execution.error.map(SecretRedactor.redact)),
                \(execution.startedAt.timeIntervalSince1970), \(execution.finishedAt?.timeIntervalSince1970),
                \(execution.durationMilliseconds), \(execution.tokensIn), \(execution.tokensOut), \(execution.model),
                \(execution.cost), \(metadata))
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, output = excluded.output,
                error = excluded.error, finished_at = excluded.finished_at, duration_ms = excluded.duration_ms,
                tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out, model = excluded.model,
                cost = excluded.cost, metadata = excluded.metadata
            """)
    }

    public func executions(threadID: String?, agent: String?, limit: Int) async throws -> [AgentExecution] {
        let found = try await rows(
            """
            SELECT * FROM agent_executions
            WHERE (\(threadID == nil) OR thread_id = \(threadID ?? "")) AND (\(agent == nil) OR agent = \(agent ?? ""))
            ORDER BY started_at DESC, id DESC LIMIT \(limit)
            """)
        return try found.map { row in
            let columns = Columns(row)
            let id = try columns.text("id")
            guard let status = AgentExecution.Status(rawValue: try columns.text("status")) else {
                throw StoreError.corruptRow(table: "agent_executions", id: id, detail: "unknown status")
            }
            let metadata =
                try SQLiteStore.json(try columns.optionalText("metadata"), table: "agent_executions", id: id)?
                .objectValue ?? [:]
            return AgentExecution(
                id: id, agent: try columns.text("agent"), threadID: try columns.optionalText("thread_id"),
                jobID: try columns.optionalText("job_id"), status: status,
                input: try SQLiteStore.json(try columns.optionalText("input"), table: "agent_executions", id: id)
                    ?? .null,
                output: try SQLiteStore.json(try columns.optionalText("output"), table: "agent_executions", id: id),
                error: try columns.optionalText("error"), startedAt: try columns.date("started_at"),
                finishedAt: try columns.optionalDate("finished_at"), tokensIn: try columns.int("tokens_in"),
                tokensOut: try columns.int("tokens_out"), model: try columns.optionalText("model"),
                cost: try columns.optionalDouble("cost"), metadata: metadata)
        }
    }

    // MARK: Response cache

    public func cachedResponse(key: String) async throws -> JSONValue? {
        let now = Date().timeIntervalSince1970
        let text = try await rows(
            "SELECT response FROM llm_response_cache WHERE key = \(key) AND expires_at > \(now)"
        ).first.map { try Columns($0).text("response") }
        return try SQLiteStore.json(text, table: "llm_response_cache", id: key)
    }

    public func cacheResponse(key: String, value: JSONValue, expiresAt: Date) async throws {
        let text = SecretRedactor.redact(value).jsonText
        try await rows(
            """
            INSERT INTO llm_response_cache (key, response, created_at, expires_at)
            VALUES (\(key), \(text), \(Date().timeIntervalSince1970), \(expiresAt.timeIntervalSince1970))
            ON CONFLICT (key) DO UPDATE SET response = excluded.response, created_at = excluded.created_at,
                expires_at = excluded.expires_at
            """)
    }

    public func pruneResponseCache(now: Date = Date()) async throws -> Int {
        try await rows(
            "DELETE FROM llm_response_cache WHERE expires_at <= \(now.timeIntervalSince1970) RETURNING key"
        ).count
    }

    // MARK: Audit and history

    public func recordAudit(_ entry: AuditEntry) async throws {
        let parameters = SecretRedactor.redact(entry.parameters).jsonText
        try await rows(
            """
            INSERT INTO audit_log (id, time, request_id, tool, profile, region, service, operation, parameters,
                outcome, error, aws_request_id, duration_ms)
            VALUES (\(entry.id), \(entry.time.timeIntervalSince1970), \(entry.requestID), \(entry.tool),
                \(entry.profile), \(entry.region), \(entry.service), \(entry.operation), \(parameters),
                \(entry.outcome.rawValue), \(entry.error.map(SecretRedactor.redact)), \(entry.awsRequestID),
                \(entry.durationMilliseconds))
            ON CONFLICT (id) DO NOTHING
            """)
    }

    public func auditEntries(since: Date?, requestID: String?, limit: Int) async throws -> [AuditEntry] {
        let found = try await rows(
            """
            SELECT * FROM audit_log
            WHERE (\(since == nil) OR time >= \(since?.timeIntervalSince1970 ?? 0))
                AND (\(requestID == nil) OR request_id = \(requestID ?? ""))
            ORDER BY time DESC, id DESC LIMIT \(limit)
            """)
        return try found.map { row in
            let columns = Columns(row)
            let id = try columns.text("id")
            guard let outcome = AuditEntry.Outcome(rawValue: try columns.text("outcome")) else {
                throw StoreError.corruptRow(table: "audit_log", id: id, detail: "unknown outcome")
            }
            return AuditEntry(
                id: id, time: try columns.date("time"), requestID: try columns.optionalText("request_id"),
                tool: try columns.optionalText("tool"), profile: try columns.optionalText("profile"),
                region: try columns.optionalText("region"), service: try columns.text("service"),
                operation: try columns.text("operation"),
                parameters: try SQLiteStore.json(try columns.optionalText("parameters"), table: "audit_log", id: id)
                    ?? .object([:]),
                outcome: outcome, error: try columns.optionalText("error"),
                awsRequestID: try columns.optionalText("aws_request_id"),
                durationMilliseconds: try columns.optionalDouble("duration_ms"))
        }
    }

    public func recordRequest(_ request: RequestRecord) async throws {
        try await rows(
            """
            INSERT INTO requests (id, product, text, status, answer, strategy, profile, region, steps, created_at,
                updated_at)
            VALUES (\(request.id), \(request.product), \(SecretRedactor.redact(request.text)),
                \(request.status.rawValue), \(request.answer.map(SecretRedactor.redact)), \(request.strategy),
                \(request.profile), \(request.region), \(request.steps), \(request.createdAt.timeIntervalSince1970),
                \(request.updatedAt.timeIntervalSince1970))
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, answer = excluded.answer,
                strategy = excluded.strategy, steps = excluded.steps, updated_at = excluded.updated_at
            """)
    }

    public func requests(limit: Int) async throws -> [RequestRecord] {
        let found = try await rows("SELECT * FROM requests ORDER BY created_at DESC, id DESC LIMIT \(limit)")
        return try found.map { row in
            let columns = Columns(row)
            let id = try columns.text("id")
            guard let status = RequestRecord.Status(rawValue: try columns.text("status")) else {
                throw StoreError.corruptRow(table: "requests", id: id, detail: "unknown status")
            }
            return RequestRecord(
                id: id, product: try columns.text("product"), text: try columns.text("text"), status: status,
                answer: try columns.optionalText("answer"), strategy: try columns.text("strategy"),
                profile: try columns.optionalText("profile"), region: try columns.optionalText("region"),
                steps: try columns.int("steps"), createdAt: try columns.date("created_at"),
                updatedAt: try columns.date("updated_at"))
        }
    }

    // MARK: API keys

    public func addAPIKey(_ key: APIKeyRecord) async throws {
        let insert: PostgresQuery = """
            INSERT INTO api_keys (name, digest, prefix, read_only, created_at, last_used_at, revoked_at)
            VALUES (\(key.name), \(key.digest), \(key.prefix), \(key.readOnly), \(key.createdAt.timeIntervalSince1970),
                \(key.lastUsedAt?.timeIntervalSince1970), \(key.revokedAt?.timeIntervalSince1970))
            """
        try await transaction { transaction in
            let taken = try await transaction.rows(
                "SELECT 1 FROM api_keys WHERE name = \(key.name) OR digest = \(key.digest)")
            if !taken.isEmpty { throw StoreError.duplicateKey(key.name) }
            try await transaction.rows(insert)
        }
    }

    public func apiKeys() async throws -> [APIKeyRecord] {
        try await rows("SELECT * FROM api_keys ORDER BY created_at, name").map(Self.apiKey)
    }

    public func apiKey(digest: String) async throws -> APIKeyRecord? {
        try await rows("SELECT * FROM api_keys WHERE digest = \(digest)").first.map(Self.apiKey)
    }

    public func revokeAPIKey(name: String, at time: Date) async throws -> Bool {
        !(try await rows(
            """
            UPDATE api_keys SET revoked_at = \(time.timeIntervalSince1970) WHERE name = \(name) AND revoked_at IS NULL
            RETURNING name
            """
        ).isEmpty)
    }

    public func touchAPIKey(digest: String, at time: Date) async throws {
        try await rows("UPDATE api_keys SET last_used_at = \(time.timeIntervalSince1970) WHERE digest = \(digest)")
    }

    private static func apiKey(_ row: PostgresRow) throws -> APIKeyRecord {
        let columns = Columns(row)
        return APIKeyRecord(
            name: try columns.text("name"), digest: try columns.text("digest"), prefix: try columns.text("prefix"),
            readOnly: try columns["read_only", as: Bool.self], createdAt: try columns.date("created_at"),
            lastUsedAt: try columns.optionalDate("last_used_at"), revokedAt: try columns.optionalDate("revoked_at"))
    }
}
