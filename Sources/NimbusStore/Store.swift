public import Foundation
public import NimbusCore
public import NimbusGraph

/// Everything Nimbus persists, behind one protocol: graph checkpoints and threads, run events, the job
/// queue and the record of agent executions. ``SQLiteStore`` is the default; a PostgreSQL store can
/// implement the same protocol for many machines sharing one queue.
public protocol Store: CheckpointStore, GraphEventLog, AuditStore {
    // MARK: Events

    /// Stored events of a thread (and its subgraph threads), oldest first.
    func events(threadID: String, limit: Int?) async throws -> [StoredEvent]

    // MARK: Jobs

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

    // MARK: Agent executions

    /// Records one agent run (or updates it, by id).
    func record(_ execution: AgentExecution) async throws
    /// Agent runs, newest first, optionally of one thread or one agent.
    func executions(threadID: String?, agent: String?, limit: Int) async throws -> [AgentExecution]

    // MARK: Response cache

    /// The cached model answer under `key`, unless it has expired.
    func cachedResponse(key: String) async throws -> JSONValue?
    /// Stores a model answer under `key` until `expiresAt`, replacing any earlier one.
    func cacheResponse(key: String, value: JSONValue, expiresAt: Date) async throws
    /// Deletes expired answers; returns how many.
    func pruneResponseCache(now: Date) async throws -> Int

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

/// A request a person made in plain words (`nimbus ask`, `nimbus chat`) and how it ended.
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
        id: String, text: String, status: Status, answer: String? = nil, strategy: String, profile: String? = nil,
        region: String? = nil, steps: Int = 0, createdAt: Date = Date(), updatedAt: Date = Date()
    ) {
        self.id = id
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
    case queued, running, succeeded, failed, cancelled
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
}

/// One run of one agent: what it was given, what it produced, how long it took, what it cost.
public struct AgentExecution: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case running, succeeded, failed
    }

    public var id: String
    public var agent: String
    public var threadID: String?
    public var jobID: String?
    public var status: Status
    public var input: JSONValue
    public var output: JSONValue?
    public var error: String?
    public var startedAt: Date
    public var finishedAt: Date?
    public var tokensIn: Int
    public var tokensOut: Int
    public var model: String?
    public var cost: Double?
    public var metadata: [String: JSONValue]

    public init(
        id: String = SortableID().rawValue, agent: String, threadID: String? = nil, jobID: String? = nil,
        status: Status = .running, input: JSONValue, output: JSONValue? = nil, error: String? = nil,
        startedAt: Date = Date(), finishedAt: Date? = nil, tokensIn: Int = 0, tokensOut: Int = 0,
        model: String? = nil, cost: Double? = nil, metadata: [String: JSONValue] = [:]
    ) {
        self.id = id
        self.agent = agent
        self.threadID = threadID
        self.jobID = jobID
        self.status = status
        self.input = input
        self.output = output
        self.error = error
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.model = model
        self.cost = cost
        self.metadata = metadata
    }

    /// Milliseconds from start to finish, once finished.
    public var durationMilliseconds: Double? {
        finishedAt.map { $0.timeIntervalSince(startedAt) * 1000 }
    }
}

/// A problem reading or writing the store.
public struct StoreError: NimbusError {
    private enum Code: Sendable {
        case cannotOpen, newerSchema, corruptRow, unknownJob, leaseLost, invalidTransition, writeFailed
    }
    private let code: Code
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

    var isCorruptRow: Bool { code == .corruptRow }
}
