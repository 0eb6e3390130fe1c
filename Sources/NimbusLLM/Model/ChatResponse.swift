public import NimbusCore

/// A whole answer from a model.
public struct ChatResponse: Sendable, Hashable, Codable {
    /// The answer's text (for a structured answer, its JSON).
    public var text: String
    /// The tools the model asked to call, in order.
    public var toolCalls: [ToolCall]
    public var stopReason: StopReason?
    public var usage: TokenUsage?
    /// The model that answered, as the provider names it.
    public var model: String?
    /// The provider's id for the request.
    public var requestID: String?
    /// Whether the answer came from the response cache rather than the provider.
    public var cached: Bool

    public init(
        text: String, toolCalls: [ToolCall] = [], stopReason: StopReason? = nil, usage: TokenUsage? = nil,
        model: String? = nil, requestID: String? = nil, cached: Bool = false
    ) {
        self.cached = cached
        self.text = text
        self.toolCalls = toolCalls
        self.stopReason = stopReason
        self.usage = usage
        self.model = model
        self.requestID = requestID
    }

    /// The answer as a message, to append to the conversation.
    public var message: ChatMessage { .assistant(text, toolCalls: toolCalls) }

    /// The answer's text parsed as JSON.
    public func json() throws -> JSONValue {
        do {
            return try JSONValue(parsing: StructuredOutput.extractJSON(text))
        } catch let error as JSONValueError {
            throw LLMError(.malformedResponse, "the answer is not JSON: \(error.message)")
        }
    }
}

/// Why the model stopped.
public enum StopReason: Sendable, Hashable, Codable, CustomStringConvertible {
    /// It finished its answer.
    case endTurn
    /// It reached the token limit.
    case maxTokens
    /// It wants tools called.
    case toolCalls
    /// It produced a stop sequence.
    case stopSequence
    /// The provider's content filter stopped it.
    case contentFilter
    /// Something else, as the provider named it.
    case other(String)

    public var description: String {
        switch self {
        case .endTurn: "end_turn"
        case .maxTokens: "max_tokens"
        case .toolCalls: "tool_calls"
        case .stopSequence: "stop_sequence"
        case .contentFilter: "content_filter"
        case .other(let name): name
        }
    }
}

/// Tokens a call consumed.
public struct TokenUsage: Sendable, Hashable, Codable {
    public var inputTokens: Int
    public var outputTokens: Int

    public init(inputTokens: Int, outputTokens: Int) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    public var totalTokens: Int { inputTokens + outputTokens }
}
