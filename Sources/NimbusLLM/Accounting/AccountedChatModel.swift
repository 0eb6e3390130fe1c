import Foundation
public import NimbusCore
public import NimbusGraph

/// Who is calling a model and where its accounting goes: the agent's name, the run's thread, a store for
/// `agent_executions` rows, and a sink for events (a graph node's `emit`). Every part is optional, so callers
/// outside a graph need no node context.
public struct LLMCallContext: Sendable {
    public var agent: String
    public var threadID: String?
    public var store: (any ExecutionLog)?
    /// Receives `llm.call` after each call and, for streams, `llm.token` for each piece of text.
    public var events: (@Sendable (_ name: String, _ payload: JSONValue) -> Void)?

    public init(
        agent: String, threadID: String? = nil, store: (any ExecutionLog)? = nil,
        events: (@Sendable (_ name: String, _ payload: JSONValue) -> Void)? = nil
    ) {
        self.agent = agent
        self.threadID = threadID
        self.store = store
        self.events = events
    }

    /// A context for calls made from a graph node: events go to the run's event stream as custom events, the
    /// thread is the node's, and the agent is named after the node unless given.
    public init(node: NodeContext, agent: String? = nil, store: (any ExecutionLog)? = nil) {
        self.init(
            agent: agent ?? node.node, threadID: node.threadID, store: store,
            events: { name, payload in node.emit(name, payload) })
    }
}

/// What one model call cost and took, as recorded in `agent_executions` and the `llm.call` event.
public struct LLMCallRecord: Sendable, Hashable, Codable {
    public var agent: String
    /// The configured model (`openai:gpt-4o-mini`).
    public var model: String
    /// The provider's name for the model that answered.
    public var servedBy: String?
    public var tokensIn: Int
    public var tokensOut: Int
    public var latencyMilliseconds: Double
    /// For streams, when the first piece of the answer arrived (`ttft_ms`: a key without "token" in it, which the
    /// secret redactor would take for a credential).
    public var timeToFirstTokenMilliseconds: Double?
    /// From `llm.prices`, when a price is configured.
    public var cost: Double?
    public var cached: Bool
    public var streamed: Bool
    public var requestID: String?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case agent, model, cost, cached, streamed, error
        case servedBy = "served_by"
        case tokensIn = "tokens_in"
        case tokensOut = "tokens_out"
        case latencyMilliseconds = "latency_ms"
        case timeToFirstTokenMilliseconds = "ttft_ms"
        case requestID = "request_id"
    }
}

extension ChatModel {
    /// This model with every call accounted for in `context`, priced with `prices`.
    public func accounted(_ context: LLMCallContext, prices: [String: ModelPrice] = [:]) -> AccountedChatModel {
        AccountedChatModel(base: self, context: context, prices: prices)
    }
}

/// A model whose calls are recorded: an `AgentExecution` per call in the store (model, tokens in and out,
/// latency, cost) and an `llm.call` event; streamed text is forwarded as `llm.token` events so a UI shows it live.
public struct AccountedChatModel: ChatModel {
    public let base: any ChatModel
    public let context: LLMCallContext
    let prices: LLMSettings

    public init(base: any ChatModel, context: LLMCallContext, prices: [String: ModelPrice] = [:]) {
        self.base = base
        self.context = context
        self.prices = LLMSettings(prices: prices)
    }

    public var name: String { base.name }

    public func respond(to request: ChatRequest) async throws -> ChatResponse {
        let started = Date()
        let clock = ContinuousClock.now
        do {
            let response = try await base.respond(to: request)
            try await record(
                request: request, response: response, error: nil, started: started, clock: clock, firstToken: nil,
                streamed: false)
            return response
        } catch {
            try? await record(
                request: request, response: nil, error: error, started: started, clock: clock, firstToken: nil,
                streamed: false)
            throw error
        }
    }

    public func stream(_ request: ChatRequest) -> ChatStream {
        let model = self
        return ChatStream {
            AccountedSource(model: model, request: request, inner: model.base.stream(request).makeAsyncIterator())
        }
    }

    func record(
        request: ChatRequest, response: ChatResponse?, error: (any Error)?, started: Date,
        clock: ContinuousClock.Instant, firstToken: ContinuousClock.Instant?, streamed: Bool
    ) async throws {
        let finished = Date()
        let latency = Self.milliseconds(ContinuousClock.now - clock)
        let usage = response?.usage ?? TokenUsage(inputTokens: 0, outputTokens: 0)
        let cached = response?.cached ?? false
        let price = prices.price(for: [base.name] + (response?.model.map { [$0] } ?? []))
        let cost = cached ? 0 : price.map { $0.cost(of: usage) }
        let entry = LLMCallRecord(
            agent: context.agent, model: base.name, servedBy: response?.model, tokensIn: usage.inputTokens,
            tokensOut: usage.outputTokens, latencyMilliseconds: latency,
            timeToFirstTokenMilliseconds: firstToken.map { Self.milliseconds($0 - clock) }, cost: cost, cached: cached,
            streamed: streamed, requestID: response?.requestID, error: error.map { String(describing: $0) })
        let json = try JSONValue(encoding: entry)
        context.events?("llm.call", SecretRedactor.redact(json))
        guard let store = context.store else { return }
        var metadata = json.objectValue ?? [:]
        for key in ["agent", "model", "tokens_in", "tokens_out", "cost", "error"] { metadata[key] = nil }
        let execution = AgentExecution(
            agent: context.agent, threadID: context.threadID, status: error == nil ? .succeeded : .failed,
            input: try JSONValue(encoding: request), output: try response.map { try JSONValue(encoding: $0) },
            error: entry.error, startedAt: started, finishedAt: finished, tokensIn: usage.inputTokens,
            tokensOut: usage.outputTokens, model: base.name, cost: cost, metadata: metadata)
        try await store.record(execution)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        LLMRetryPolicy.seconds(duration) * 1000
    }
}

struct AccountedSource: ChatDeltaSource {
    let model: AccountedChatModel
    let request: ChatRequest
    var inner: ChatStream.AsyncIterator
    private var accumulator = ChatResponseAccumulator()
    private let started = Date()
    private let clock = ContinuousClock.now
    private var firstToken: ContinuousClock.Instant?
    private var done = false

    init(model: AccountedChatModel, request: ChatRequest, inner: ChatStream.AsyncIterator) {
        self.model = model
        self.request = request
        self.inner = inner
    }

    mutating func next() async throws -> ChatDelta? {
        guard !done else { return nil }
        let delta: ChatDelta?
        do {
            delta = try await inner.next()
        } catch {
            done = true
            try? await model.record(
                request: request, response: accumulator.response, error: error, started: started, clock: clock,
                firstToken: firstToken, streamed: true)
            throw error
        }
        guard let delta else {
            done = true
            try await model.record(
                request: request, response: accumulator.response, error: nil, started: started, clock: clock,
                firstToken: firstToken, streamed: true)
            return nil
        }
        accumulator.add(delta)
        switch delta {
        case .text(let text):
            if firstToken == nil { firstToken = .now }
            model.context.events?("llm.token", ["agent": .string(model.context.agent), "text": .string(text)])
        case .toolCallStarted, .toolCallArguments:
            if firstToken == nil { firstToken = .now }
        default: break
        }
        return delta
    }
}
