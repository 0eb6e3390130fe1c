public import Foundation

/// The record of agent executions: what each agent was given, produced and cost. Model accounting writes here.
public protocol ExecutionLog: Sendable {
    /// Records one agent run (or updates it, by id).
    func record(_ execution: AgentExecution) async throws
    /// Agent runs, newest first, optionally of one thread or one agent.
    func executions(threadID: String?, agent: String?, limit: Int) async throws -> [AgentExecution]
}

/// Model answers kept for a while, by a key made from the model and the whole request.
public protocol ResponseCache: Sendable {
    /// The cached model answer under `key`, unless it has expired.
    func cachedResponse(key: String) async throws -> JSONValue?
    /// Stores a model answer under `key` until `expiresAt`, replacing any earlier one.
    func cacheResponse(key: String, value: JSONValue, expiresAt: Date) async throws
    /// Deletes expired answers; returns how many.
    func pruneResponseCache(now: Date) async throws -> Int
}

/// What models need of a store: somewhere to account their runs and to cache their answers.
public typealias ModelRecords = ExecutionLog & ResponseCache

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
