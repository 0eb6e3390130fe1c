public import Foundation
public import Logging
import NimbusCore

/// Where and how to reach an OpenAI-style chat-completions endpoint: OpenAI itself, Azure OpenAI, or any
/// compatible server (llama.cpp, vLLM, LM Studio).
public struct OpenAIConfiguration: Sendable, Hashable {
    /// Which dialect of the API the endpoint speaks.
    public enum Flavor: Sendable, Hashable {
        /// api.openai.com: Bearer key, `max_completion_tokens`, `json_schema` response formats.
        case openAI
        /// Azure OpenAI: a deployment in the path, an `api-version` query, an `api-key` header.
        case azure(deployment: String, apiVersion: String)
        /// Another server speaking the protocol: `max_tokens`, a key only when given.
        case compatible
    }

    /// The API root, such as `https://api.openai.com/v1` or `http://127.0.0.1:8080/v1` (for Azure, the resource
    /// endpoint `https://NAME.openai.azure.com`).
    public var baseURL: URL
    public var apiKey: String?
    /// The model to ask for (ignored by Azure, where the deployment decides).
    public var model: String
    public var flavor: Flavor
    public var organization: String?
    public var structuredOutput: StructuredOutputStrategy
    /// Extra headers for proxies and gateways.
    public var extraHeaders: [String: String]

    public init(
        baseURL: URL, apiKey: String? = nil, model: String, flavor: Flavor = .openAI, organization: String? = nil,
        structuredOutput: StructuredOutputStrategy? = nil, extraHeaders: [String: String] = [:]
    ) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.flavor = flavor
        self.organization = organization
        // Compatible servers rarely enforce `json_schema`; a forced tool is what llama.cpp and vLLM constrain with a
        // grammar, so it is the most reliable default there.
        self.structuredOutput = structuredOutput ?? (flavor == .compatible ? .forcedTool : .native)
        self.extraHeaders = extraHeaders
        if let apiKey { SecretRedactor.register(apiKey) }
    }

    /// api.openai.com.
    public static func openAI(
        model: String, apiKey: String, baseURL: URL = URL(string: "https://api.openai.com/v1")!
    ) -> OpenAIConfiguration {
        OpenAIConfiguration(baseURL: baseURL, apiKey: apiKey, model: model, flavor: .openAI)
    }

    /// An Azure OpenAI deployment.
    public static func azure(
        endpoint: URL, deployment: String, apiVersion: String = "2024-10-21", apiKey: String
    ) -> OpenAIConfiguration {
        OpenAIConfiguration(
            baseURL: endpoint, apiKey: apiKey, model: deployment,
            flavor: .azure(deployment: deployment, apiVersion: apiVersion))
    }

    /// A compatible server such as llama.cpp's.
    public static func compatible(
        baseURL: URL, model: String = "default", apiKey: String? = nil,
        structuredOutput: StructuredOutputStrategy? = nil
    ) -> OpenAIConfiguration {
        OpenAIConfiguration(
            baseURL: baseURL, apiKey: apiKey, model: model, flavor: .compatible, structuredOutput: structuredOutput)
    }

    var providerName: String {
        switch flavor {
        case .openAI: "openai"
        case .azure: "azure-openai"
        case .compatible: "openai-compatible"
        }
    }
}

/// A model behind the OpenAI chat-completions API (OpenAI, Azure OpenAI, llama.cpp, vLLM, LM Studio), with tool
/// calls, JSON-schema answers and SSE streaming.
public struct OpenAIChatModel: ChatModel {
    let core: ProviderChatModel<OpenAICodec>

    public var name: String { core.name }

    /// - Parameters:
    ///   - name: how configuration and accounting name the model; defaults to `provider:model`.
    public init(
        configuration: OpenAIConfiguration, name: String? = nil, http: LLMHTTPClient = .shared,
        logger: Logger = Logger(label: "nimbus.llm")
    ) {
        let codec = OpenAICodec(configuration: configuration)
        core = ProviderChatModel(
            name: name ?? "\(configuration.providerName):\(configuration.model)", codec: codec, http: http,
            signer: nil, logger: logger)
    }

    public func respond(to request: ChatRequest) async throws -> ChatResponse {
        try await core.respond(to: request)
    }

    public func stream(_ request: ChatRequest) -> ChatStream {
        core.stream(request)
    }
}
