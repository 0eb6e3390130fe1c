public import Foundation
public import Logging
import NimbusCore

/// Where and how to reach the Anthropic Messages API.
public struct AnthropicConfiguration: Sendable, Hashable {
    public var baseURL: URL
    public var apiKey: String
    public var model: String
    /// The `anthropic-version` header.
    public var apiVersion: String
    /// Messages requires a token limit; this one applies when a request sets none.
    public var defaultMaxTokens: Int
    public var structuredOutput: StructuredOutputStrategy

    public init(
        apiKey: String, model: String, baseURL: URL = URL(string: "https://api.anthropic.com/v1")!,
        apiVersion: String = "2023-06-01", defaultMaxTokens: Int = 4096,
        structuredOutput: StructuredOutputStrategy = .forcedTool
    ) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.apiVersion = apiVersion
        self.defaultMaxTokens = defaultMaxTokens
        self.structuredOutput = structuredOutput == .native ? .forcedTool : structuredOutput
        SecretRedactor.register(apiKey)
    }
}

/// A Claude model behind the Anthropic Messages API: system prompt, tool_use / tool_result blocks, streamed
/// events. Structured answers use a forced tool, which Anthropic documents for JSON output.
public struct AnthropicChatModel: ChatModel {
    let core: ProviderChatModel<AnthropicCodec>

    public var name: String { core.name }

    public init(
        configuration: AnthropicConfiguration, name: String? = nil, http: LLMHTTPClient = .shared,
        logger: Logger = Logger(label: "nimbus.llm")
    ) {
        core = ProviderChatModel(
            name: name ?? "anthropic:\(configuration.model)", codec: AnthropicCodec(configuration: configuration),
            http: http, signer: nil, logger: logger)
    }

    public func respond(to request: ChatRequest) async throws -> ChatResponse {
        try await core.respond(to: request)
    }

    public func stream(_ request: ChatRequest) -> ChatStream {
        core.stream(request)
    }
}
