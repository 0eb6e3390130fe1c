/// A language model Nimbus can talk to: every agent reaches models through this protocol.
///
/// Providers (``OpenAIChatModel``, ``AnthropicChatModel``, ``OllamaChatModel``, ``BedrockChatModel``) speak their
/// wire protocols; wrappers add fallback, caching and accounting; `NimbusTesting`'s `ScriptedChatModel` plays back
/// answers for deterministic agent tests.
public protocol ChatModel: Sendable {
    /// The model as configured, `provider:model` (`openai:gpt-4o-mini`); accounting and prices use it.
    var name: String { get }

    /// Asks for a whole answer.
    func respond(to request: ChatRequest) async throws -> ChatResponse

    /// Asks for an answer as a stream of deltas. Nothing is sent until the stream is iterated.
    func stream(_ request: ChatRequest) -> ChatStream
}
