public import Foundation
public import Logging

/// Where to reach an Ollama server and which model to run.
public struct OllamaConfiguration: Sendable, Hashable {
    /// The server root, `http://127.0.0.1:11434` by default (`OLLAMA_HOST`).
    public var host: URL
    public var model: String
    /// How long the server keeps the model loaded after a call (`5m`, `-1` for ever), when set.
    public var keepAlive: String?
    public var structuredOutput: StructuredOutputStrategy

    public init(
        model: String, host: URL = URL(string: "http://127.0.0.1:11434")!, keepAlive: String? = nil,
        structuredOutput: StructuredOutputStrategy = .native
    ) {
        self.host = host
        self.model = model
        self.keepAlive = keepAlive
        self.structuredOutput = structuredOutput == .forcedTool ? .native : structuredOutput
    }

    /// Reads `OLLAMA_HOST` the way the Ollama CLI does: `host`, `host:port` or a URL.
    public static func host(fromEnvironment value: String?) -> URL {
        guard var text = value?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return URL(string: "http://127.0.0.1:11434")!
        }
        if !text.contains("://") { text = "http://" + text }
        guard var components = URLComponents(string: text) else { return URL(string: "http://127.0.0.1:11434")! }
        if components.port == nil { components.port = 11434 }
        if components.host == "0.0.0.0" { components.host = "127.0.0.1" }
        return components.url ?? URL(string: "http://127.0.0.1:11434")!
    }
}

/// A model served by Ollama through `/api/chat`: tools, `format` with a JSON schema (native structured output) and
/// NDJSON streaming.
public struct OllamaChatModel: ChatModel {
    let core: ProviderChatModel<OllamaCodec>

    public var name: String { core.name }

    public init(
        configuration: OllamaConfiguration, name: String? = nil, http: LLMHTTPClient = .shared,
        logger: Logger = Logger(label: "nimbus.llm")
    ) {
        core = ProviderChatModel(
            name: name ?? "ollama:\(configuration.model)", codec: OllamaCodec(configuration: configuration),
            http: http, signer: nil, logger: logger)
    }

    public func respond(to request: ChatRequest) async throws -> ChatResponse {
        try await core.respond(to: request)
    }

    public func stream(_ request: ChatRequest) -> ChatStream {
        core.stream(request)
    }
}
