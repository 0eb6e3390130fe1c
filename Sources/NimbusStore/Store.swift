public import Foundation
public import NimbusCore
public import NimbusGraph

/// Everything Nimbus persists: graph checkpoints and run events, the job queue, the record of agent executions and
/// the response cache, the audit log and the request history. ``SQLiteStore`` implements all of it; each seam is a
/// protocol of its own, so a part of Nimbus asks only for what it uses (NimbusLLM for ``ExecutionLog`` and
/// ``ResponseCache``, a worker for ``JobQueue``) and a PostgreSQL store can be written piece by piece.
public typealias Store = RunStore & JobQueue & ExecutionLog & ResponseCache & AuditStore & APIKeyStore & StoreInspection

/// Graph checkpoints and threads, and the events of runs.
public protocol RunStore: CheckpointStore, GraphEventLog {
    /// Stored events of a thread (and its subgraph threads), oldest first, those after sequence `after` only
    /// when it is given (an event stream resuming from `Last-Event-ID`).
    func events(threadID: String, after: Int?, limit: Int?) async throws -> [StoredEvent]
}

extension RunStore {
    /// Stored events of a thread (and its subgraph threads), oldest first.
    public func events(threadID: String, limit: Int?) async throws -> [StoredEvent] {
        try await events(threadID: threadID, after: nil, limit: limit)
    }
}

/// The job queue: work to do, leased by workers, retried while attempts remain.
public protocol JobQueue: Sendable {
    /// Adds a job to the queue.
    func enqueue(_ job: NewJob) async throws -> JobRecord
    /// Takes the next job that is due (highest priority, then oldest) for `worker`, leasing it for `lease` seconds.
    /// Jobs whose lease ran out are taken again.
    func claimJob(worker: String, kinds: [String]?, lease: TimeInterval) async throws -> JobRecord?
    /// Extends the lease of a job `worker` holds; fails if it no longer holds it.
    func heartbeat(jobID: String, worker: String, lease: TimeInterval) async throws
    /// Marks a job done with its result.
    func completeJob(jobID: String, worker: String, result: JSONValue?) async throws
    /// Marks a job failed; it goes back to the queue (after `retryAfter` seconds) while attempts remain.
    func failJob(jobID: String, worker: String, error: String, retryAfter: TimeInterval?) async throws -> JobRecord
    /// Cancels a queued or running job.
    func cancelJob(jobID: String) async throws -> JobRecord
    func job(_ jobID: String) async throws -> JobRecord?
    /// Jobs, newest first.
    func jobs(status: JobStatus?, limit: Int) async throws -> [JobRecord]
}

/// The audit log and the request history: what Nimbus did in an account on someone's behalf, and the requests
/// it was asked. Every AWS call's gate writes here.
public protocol AuditStore: Sendable {
    /// Records one call to a cloud API (or a step that was refused or declined before any call).
    func recordAudit(_ entry: AuditEntry) async throws
    /// Audit entries, newest first: since a time, of one request, at most `limit`.
    func auditEntries(since: Date?, requestID: String?, limit: Int) async throws -> [AuditEntry]
    /// Records a request in plain words and its outcome (or updates it, by id).
    func recordRequest(_ request: RequestRecord) async throws
    /// Requests, newest first.
    func requests(limit: Int) async throws -> [RequestRecord]
}

/// The server's API keys: only their SHA-256 digests are kept, so a key is shown once, when it is made.
public protocol APIKeyStore: Sendable {
    /// Stores a new key; a key with the same name, or the same digest, is refused.
    func addAPIKey(_ key: APIKeyRecord) async throws
    /// Keys, oldest first (revoked ones too, with their revocation time).
    func apiKeys() async throws -> [APIKeyRecord]
    /// The key with this digest, revoked or not.
    func apiKey(digest: String) async throws -> APIKeyRecord?
    /// Revokes a key by name; false if no live key has that name.
    func revokeAPIKey(name: String, at: Date) async throws -> Bool
    /// Notes a key's use (at most once a minute is kept precise enough).
    func touchAPIKey(digest: String, at: Date) async throws
}

/// An API key as stored: a name, the digest of the secret, and what it may do.
public struct APIKeyRecord: Sendable, Hashable, Codable {
    public var name: String
    /// Hex SHA-256 of the whole key.
    public var digest: String
    /// The first characters of the key (`nmb_AbC1`), for telling keys apart in a list.
    public var prefix: String
    /// Reads only: no approvals, no answers, no writes.
    public var readOnly: Bool
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(
        name: String, digest: String, prefix: String, readOnly: Bool, createdAt: Date = Date(),
        lastUsedAt: Date? = nil, revokedAt: Date? = nil
    ) {
        self.name = name
        self.digest = digest
        self.prefix = prefix
        self.readOnly = readOnly
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    enum CodingKeys: String, CodingKey {
        case name, digest, prefix
        case readOnly = "read_only"
        case createdAt = "created_at"
        case lastUsedAt = "last_used_at"
        case revokedAt = "revoked_at"
    }
}

/// One call Nimbus made to a cloud API on someone's behalf, as the audit log keeps it.
public struct AuditEntry: Sendable, Hashable, Codable {
    /// How the call ended.
    public enum Outcome: String, Sendable, Hashable, Codable, CaseIterable {
        /// The service answered with success.
        case succeeded
        /// The service (or the network) answered with an error.
        case failed
        /// Never sent: refused by the policy, a read-only run or the request's scope.
        case refused
        /// Never sent: the person said no.
        case declined
    }

    public var id: String
    public var time: Date
    /// The request (graph thread) the call belongs to.
    public var requestID: String?
    /// The tool that made the call.
    public var tool: String?
    public var profile: String?
    public var region: String?
    public var service: String
    public var operation: String
    /// The parameters, secrets redacted.
    public var parameters: JSONValue
    public var outcome: Outcome
    /// The error code and message of a failed call, or why a step was refused or declined.
    public var error: String?
    /// The service's request id.
    public var awsRequestID: String?
    public var durationMilliseconds: Double?

    public init(
        id: String = SortableID().rawValue, time: Date = Date(), requestID: String? = nil, tool: String? = nil,
        profile: String? = nil, region: String? = nil, service: String, operation: String,
        parameters: JSONValue = .object([:]), outcome: Outcome, error: String? = nil, awsRequestID: String? = nil,
        durationMilliseconds: Double? = nil
    ) {
        self.id = id
        self.time = time
        self.requestID = requestID
        self.tool = tool
        self.profile = profile
        self.region = region
        self.service = service
        self.operation = operation
        self.parameters = parameters
        self.outcome = outcome
        self.error = error
        self.awsRequestID = awsRequestID
        self.durationMilliseconds = durationMilliseconds
    }

    /// `service:Operation`.
    public var action: String { "\(service):\(operation)" }
}

/// A request a person made to a product (`nimbus ask`, `nimbus chat`, `nimbus module`, `nimbus demo`) and how it
/// ended.
public struct RequestRecord: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// Running now (or stopped by a crash; `nimbus runs resume` continues it).
        case running
        /// Paused at an approval question.
        case awaitingApproval = "awaiting_approval"
        /// Only planned (`--plan`).
        case planned
        case completed
        /// Nothing changed because the person said no.
        case declined
        /// Refused by policy, read-only mode or scope; or not a request Nimbus understands.
        case refused
        case failed
    }

    /// The graph thread that runs the request.
    public var id: String
    /// The product that ran it, by its catalog name (`ops`, `modules`, `sample`).
    public var product: String
    public var text: String
    public var status: Status
    /// The answer, or the failure in words.
    public var answer: String?
    /// `offline` or the model's name.
    public var strategy: String
    public var profile: String?
    public var region: String?
    /// The steps the plan had.
    public var steps: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, product: String, text: String, status: Status, answer: String? = nil, strategy: String,
        profile: String? = nil,
        region: String? = nil, steps: Int = 0, createdAt: Date = Date(), updatedAt: Date = Date()
    ) {
        self.id = id
        self.product = product
        self.text = text
        self.status = status
        self.answer = answer
        self.strategy = strategy
        self.profile = profile
        self.region = region
        self.steps = steps
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A graph event as stored.
public struct StoredEvent: Sendable, Hashable, Codable {
    public var sequence: Int
    public var threadID: String
    public var name: String
    public var node: String?
    public var namespace: [String]
    /// The whole event as JSON (secrets redacted).
    public var payload: JSONValue
    public var time: Date
}

/// The state of a queued job.
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded, cancelled
    /// Failed for good: its worker said not to retry it.
    case failed
    /// Failed on its last attempt (or its lease ran out on it): kept for a person to look at, never run again.
    case deadLettered = "dead_lettered"

    /// Whether the job will not run again.
    public var isFinal: Bool { ![.queued, .running].contains(self) }
}

/// A job to enqueue.
public struct NewJob: Sendable {
    public var kind: String
    public var payload: JSONValue
    public var priority: Int
    public var maxAttempts: Int
    /// Not before this time.
    public var runAfter: Date
    /// The graph thread the job runs, if known already.
    public var threadID: String?

    public init(
        kind: String, payload: JSONValue, priority: Int = 0, maxAttempts: Int = 3, runAfter: Date = Date(),
        threadID: String? = nil
    ) {
        self.kind = kind
        self.payload = payload
        self.priority = priority
        self.maxAttempts = max(1, maxAttempts)
        self.runAfter = runAfter
        self.threadID = threadID
    }
}

/// A job in the queue.
public struct JobRecord: Sendable, Hashable, Codable {
    public var id: String
    public var kind: String
    public var payload: JSONValue
    public var status: JobStatus
    public var priority: Int
    public var attempts: Int
    public var maxAttempts: Int
    public var runAfter: Date
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var result: JSONValue?
    public var error: String?
    public var threadID: String?
    public var createdAt: Date
    public var updatedAt: Date

    /// A job as it is when first queued.
    static func queued(_ job: NewJob, at now: Date = Date()) -> JobRecord {
        JobRecord(
            id: SortableID().rawValue, kind: job.kind, payload: job.payload, status: .queued, priority: job.priority,
            attempts: 0, maxAttempts: job.maxAttempts, runAfter: job.runAfter, leaseOwner: nil, leaseExpiresAt: nil,
            result: nil, error: nil, threadID: job.threadID, createdAt: now, updatedAt: now)
    }

    /// Where a failed job goes: back to the queue when its worker asked for a retry and attempts remain, to the
    /// dead letters when it asked for one on the last attempt, to `failed` when it asked for none.
    static func statusAfterFailure(attempts: Int, maxAttempts: Int, retryAfter: TimeInterval?) -> JobStatus {
        guard retryAfter != nil else { return .failed }
        return attempts < maxAttempts ? .queued : .deadLettered
    }
}

/// How long a worker waits before a failed job's next attempt: exponential, `base` × 2^(attempt − 1), capped.
public struct RetryBackoff: Sendable, Hashable {
    public var base: TimeInterval
    public var maximum: TimeInterval

    public init(base: TimeInterval = 2, maximum: TimeInterval = 300) {
        self.base = max(0, base)
        self.maximum = max(self.base, maximum)
    }

    /// The delay after attempt number `attempt` (1 for the first) failed.
    public func delay(afterAttempt attempt: Int) -> TimeInterval {
        min(maximum, base * pow(2, Double(max(0, attempt - 1))))
    }
}

/// A problem reading or writing the store.
public struct StoreError: NimbusError {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case cannotOpen, newerSchema, corruptRow, unknownJob, leaseLost, invalidTransition, writeFailed, duplicateKey
        case badLocation, notEmpty
    }
    public let code: Code
    public let message: String
    public let suggestion: String?

    public static func cannotOpen(_ path: String, detail: String) -> StoreError {
        StoreError(
            code: .cannotOpen, message: "cannot open the Nimbus database at \(path): \(detail)",
            suggestion: "check the path and its permissions, or set NIMBUS_HOME / store.path")
    }

    public static func newerSchema(_ path: String, unknown: [String]) -> StoreError {
        StoreError(
            code: .newerSchema,
            message:
                "the database at \(path) was written by a newer Nimbus (migrations \(unknown.joined(separator: ", ")))",
            suggestion: "upgrade nimbus, or point store.path at another file")
    }

    public static func corruptRow(table: String, id: String, detail: String) -> StoreError {
        StoreError(
            code: .corruptRow, message: "the \(table) row for '\(id)' cannot be read: \(detail)",
            suggestion: "other rows are unaffected; delete this one with `nimbus runs delete \(id)` if it is a run")
    }

    public static func unknownJob(_ id: String) -> StoreError {
        StoreError(code: .unknownJob, message: "there is no job '\(id)'", suggestion: nil)
    }

    public static func leaseLost(_ id: String, worker: String) -> StoreError {
        StoreError(
            code: .leaseLost, message: "worker '\(worker)' no longer holds the lease on job '\(id)'", suggestion: nil)
    }

    public static func invalidTransition(_ id: String, from status: JobStatus, to target: String) -> StoreError {
        StoreError(
            code: .invalidTransition, message: "job '\(id)' is \(status.rawValue) and cannot be \(target)",
            suggestion: nil)
    }

    public static func writeFailed(detail: String) -> StoreError {
        StoreError(code: .writeFailed, message: "could not write to the Nimbus database: \(detail)", suggestion: nil)
    }

    public static func duplicateKey(_ name: String) -> StoreError {
        StoreError(
            code: .duplicateKey, message: "an API key named '\(name)' already exists",
            suggestion: "choose another name, or revoke the old key first")
    }

    public static func badLocation(_ location: String, detail: String) -> StoreError {
        StoreError(
            code: .badLocation, message: "the store location '\(location)' cannot be used: \(detail)",
            suggestion:
                "name a PostgreSQL store as postgres://USER:PASSWORD@HOST:PORT/DATABASE (store.url or NIMBUS_STORE_URL)"
        )
    }

    public static func notEmpty(_ location: String, rows: [String: Int]) -> StoreError {
        let held = rows.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        return StoreError(
            code: .notEmpty,
            message:
                "the store at \(location) already holds data (\(held.joined(separator: ", "))); nothing was copied",
            suggestion: "copy into an empty database, so nothing stored there is overwritten or mixed")
    }

    var isCorruptRow: Bool { code == .corruptRow }
}

extension StoreError {
    public var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch code {
            case .cannotOpen: .unavailable
            case .newerSchema: .conflict
            case .unknownJob: .notFound
            case .leaseLost: .conflict
            case .invalidTransition: .conflict
            case .duplicateKey: .conflict
            case .badLocation: .invalidInput
            case .notEmpty: .conflict
            default: .internal
            }
        return ErrorCode("store", code.rawValue, kind)
    }
}

extension RequestRecord {
    /// The request as `nimbus history --output json` and `GET /v1/history` show it.
    public var json: JSONValue {
        [
            "id": .string(id), "product": .string(product), "request": .string(text),
            "status": .string(status.rawValue),
            "answer": answer.map(JSONValue.string) ?? .null, "strategy": .string(strategy),
            "profile": profile.map(JSONValue.string) ?? .null, "region": region.map(JSONValue.string) ?? .null,
            "steps": .int(steps), "created_at": .string(ISO8601DateFormatter().string(from: createdAt)),
            "updated_at": .string(ISO8601DateFormatter().string(from: updatedAt)),
        ]
    }
}

extension AuditEntry {
    /// The call as `nimbus audit --output json` and `GET /v1/audit` show it.
    public var json: JSONValue {
        [
            "id": .string(id), "time": .string(ISO8601DateFormatter().string(from: time)),
            "request_id": requestID.map(JSONValue.string) ?? .null, "tool": tool.map(JSONValue.string) ?? .null,
            "profile": profile.map(JSONValue.string) ?? .null, "region": region.map(JSONValue.string) ?? .null,
            "service": .string(service), "operation": .string(operation), "parameters": parameters,
            "outcome": .string(outcome.rawValue), "error": error.map(JSONValue.string) ?? .null,
            "aws_request_id": awsRequestID.map(JSONValue.string) ?? .null,
            "duration_ms": durationMilliseconds.map(JSONValue.double) ?? .null,
        ]
    }
}
