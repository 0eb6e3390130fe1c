/// One piece of a streamed answer.
public enum ChatDelta: Sendable, Hashable {
    /// The provider's name for the model, its request id, whether the answer came from the cache (usually first).
    case metadata(ChatResponseMetadata)
    /// A piece of the answer's text.
    case text(String)
    /// A tool call begins; its arguments follow in ``toolCallArguments(index:fragment:)`` pieces.
    case toolCallStarted(index: Int, id: String, name: String)
    /// A piece of the JSON arguments of the tool call at `index`.
    case toolCallArguments(index: Int, fragment: String)
    /// Tokens used; sent at the end (some providers send input and output counts separately).
    case usage(TokenUsage)
    /// The answer is complete.
    case finished(StopReason?)
}

/// What a stream says about itself besides the answer.
public struct ChatResponseMetadata: Sendable, Hashable {
    /// The model that answers, as the provider names it.
    public var model: String?
    /// The provider's request id.
    public var requestID: String?
    /// Whether the answer is replayed from the response cache.
    public var cached: Bool

    public init(model: String? = nil, requestID: String? = nil, cached: Bool = false) {
        self.model = model
        self.requestID = requestID
        self.cached = cached
    }
}

/// Produces the deltas of one streamed answer, pulled one at a time by the consumer.
///
/// Pulling (rather than a producer task pushing into a buffer) keeps all the work in the consumer's task: cancelling
/// that task, or dropping the iterator, ends the HTTP request and closes its connection.
public protocol ChatDeltaSource {
    /// The next delta, or `nil` at the end.
    mutating func next() async throws -> ChatDelta?
}

/// A streamed answer: an `AsyncSequence` of ``ChatDelta``. Each iteration sends its own request.
public struct ChatStream: AsyncSequence, Sendable {
    public typealias Element = ChatDelta

    private let makeSource: @Sendable () -> any ChatDeltaSource

    public init(_ makeSource: @escaping @Sendable () -> any ChatDeltaSource) {
        self.makeSource = makeSource
    }

    /// A stream that plays back `deltas` (cached answers, scripted models).
    public init(replaying deltas: [ChatDelta]) {
        self.init { ReplaySource(deltas: deltas[...]) }
    }

    /// A stream that fails at once.
    public init(failing error: any Error) {
        self.init { FailingSource(error: error) }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(source: makeSource())
    }

    /// Iterates a ``ChatStream``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var source: any ChatDeltaSource

        public mutating func next() async throws -> ChatDelta? {
            try await source.next()
        }
    }

    /// Reads the whole stream and joins it into one response.
    public func collect() async throws -> ChatResponse {
        var accumulator = ChatResponseAccumulator()
        for try await delta in self {
            accumulator.add(delta)
        }
        return accumulator.response
    }
}

/// Joins streamed deltas into a whole ``ChatResponse``.
public struct ChatResponseAccumulator: Sendable {
    private var text = ""
    private var calls: [Int: ToolCall] = [:]
    private var order: [Int] = []
    private var stopReason: StopReason?
    private var usage: TokenUsage?
    private var model: String?
    private var requestID: String?
    private var cached = false

    public init() {}

    public mutating func add(_ delta: ChatDelta) {
        switch delta {
        case .metadata(let metadata):
            model = metadata.model ?? model
            requestID = metadata.requestID ?? requestID
            cached = cached || metadata.cached
        case .text(let piece):
            text += piece
        case .toolCallStarted(let index, let id, let name):
            if calls[index] == nil { order.append(index) }
            calls[index] = ToolCall(id: id, name: name, arguments: calls[index]?.arguments ?? "")
        case .toolCallArguments(let index, let fragment):
            if calls[index] == nil {
                order.append(index)
                calls[index] = ToolCall(id: "", name: "", arguments: "")
            }
            calls[index]!.arguments += fragment
        case .usage(let reported):
            // Providers that report input and output in separate events send zero for the half they do not know.
            usage = TokenUsage(
                inputTokens: max(usage?.inputTokens ?? 0, reported.inputTokens),
                outputTokens: max(usage?.outputTokens ?? 0, reported.outputTokens))
        case .finished(let reason):
            stopReason = reason ?? stopReason
        }
    }

    public var response: ChatResponse {
        ChatResponse(
            text: text, toolCalls: order.compactMap { calls[$0] }, stopReason: stopReason, usage: usage, model: model,
            requestID: requestID, cached: cached)
    }

    /// The deltas that replay a whole response, for caches and scripted models.
    public static func deltas(for response: ChatResponse) -> [ChatDelta] {
        var deltas: [ChatDelta] = [
            .metadata(
                ChatResponseMetadata(model: response.model, requestID: response.requestID, cached: response.cached))
        ]
        if !response.text.isEmpty { deltas.append(.text(response.text)) }
        for (index, call) in response.toolCalls.enumerated() {
            deltas.append(.toolCallStarted(index: index, id: call.id, name: call.name))
            deltas.append(.toolCallArguments(index: index, fragment: call.arguments))
        }
        if let usage = response.usage { deltas.append(.usage(usage)) }
        deltas.append(.finished(response.stopReason))
        return deltas
    }
}

struct ReplaySource: ChatDeltaSource {
    var deltas: ArraySlice<ChatDelta>

    mutating func next() async throws -> ChatDelta? {
        try Task.checkCancellation()
        return deltas.popFirst()
    }
}

struct FailingSource: ChatDeltaSource {
    var error: (any Error)?

    mutating func next() async throws -> ChatDelta? {
        if let error {
            self.error = nil
            throw error
        }
        return nil
    }
}
