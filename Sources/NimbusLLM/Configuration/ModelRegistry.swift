public import Foundation
public import Logging
public import NimbusCore

/// What resolving models needs from outside: environment variables (API keys, `OLLAMA_HOST`, AWS settings), the
/// HTTP client, a logger, the store for the response cache, and how to sign Bedrock requests.
public struct LLMEnvironment: Sendable {
    public var variables: [String: String]
    public var http: LLMHTTPClient
    public var logger: Logger
    /// Where cached answers live; without a store the cache is off.
    public var store: (any ModelRecords)?
    /// Makes a SigV4 signer for Bedrock in a region (service `bedrock`) from the AWS credential chain. NimbusAWS
    /// provides it; without it `bedrock:` models cannot be resolved from configuration.
    public var bedrockSigner: (@Sendable (_ region: String) throws -> any HTTPRequestSigner)?

    public init(
        variables: [String: String] = ProcessInfo.processInfo.environment, http: LLMHTTPClient = .shared,
        logger: Logger = Logger(label: "nimbus.llm"), store: (any ModelRecords)? = nil,
        bedrockSigner: (@Sendable (_ region: String) throws -> any HTTPRequestSigner)? = nil
    ) {
        self.variables = variables
        self.http = http
        self.logger = logger
        self.store = store
        self.bedrockSigner = bedrockSigner
    }

    func variable(_ names: String...) -> String? {
        for name in names {
            if let value = variables[name], !value.isEmpty { return value }
        }
        return nil
    }
}

/// Turns configured model names into ready ``ChatModel``s: the provider, per-agent choice, the fallback model and
/// the response cache. Accounting is added per call site with ``ChatModel/accounted(_:prices:)``.
public struct ModelRegistry: Sendable {
    public let settings: LLMSettings
    public let environment: LLMEnvironment

    public init(settings: LLMSettings, environment: LLMEnvironment = LLMEnvironment()) {
        self.settings = settings
        self.environment = environment
    }

    /// Reads `llm:` from the configuration (`NIMBUS_LLM` sets `llm.model`).
    public init(configuration: NimbusConfiguration, environment: LLMEnvironment = LLMEnvironment()) throws {
        self.init(settings: try LLMSettings(configuration: configuration), environment: environment)
    }

    /// The model name an agent uses: its own, else the default.
    public func modelName(forAgent agent: String?) -> String? {
        agent.flatMap { settings.agents[$0]?.model } ?? settings.model
    }

    /// The model for an agent (or the default model), with its fallback and, when a cache TTL applies and a
    /// store is present, the response cache.
    ///
    /// - Parameter name: a `provider:model` overriding the configured choice (`--model`).
    public func model(_ name: String? = nil, agent: String? = nil) throws -> any ChatModel {
        let agentSettings = agent.flatMap { settings.agents[$0] }
        guard let chosen = name ?? agentSettings?.model ?? settings.model else {
            throw LLMError.configuration(
                "no model is configured" + (agent.map { " for agent '\($0)'" } ?? ""),
                suggestion: "set NIMBUS_LLM=provider:model (for example openai:gpt-4o-mini), llm.model in "
                    + "config.yaml, or pass --model")
        }
        var model = try provider(ModelSpec(parsing: chosen))
        if let fallbackName = agentSettings?.fallback ?? settings.fallback, fallbackName != chosen {
            let fallback = try provider(ModelSpec(parsing: fallbackName))
            model = FallbackChatModel(primary: model, fallback: fallback, logger: environment.logger)
        }
        let ttl = agentSettings?.cacheTTLSeconds ?? settings.cacheTTLSeconds
        if let ttl, ttl > 0, let store = environment.store {
            model = CachingChatModel(base: model, store: store, ttl: .milliseconds(Int64(ttl * 1000)))
        }
        var defaults = ChatDefaults()
        defaults.temperature = agentSettings?.temperature ?? settings.temperature
        defaults.maxTokens = agentSettings?.maxTokens ?? settings.maxTokens
        if defaults.temperature != nil || defaults.maxTokens != nil {
            model = DefaultedChatModel(base: model, defaults: defaults)
        }
        return model
    }

    /// The HTTP client with the configured timeouts and retries.
    var http: LLMHTTPClient {
        let base = environment.http
        var timeouts = base.timeouts
        if let seconds = settings.timeoutSeconds { timeouts.request = .milliseconds(Int64(seconds * 1000)) }
        if let seconds = settings.connectTimeoutSeconds { timeouts.connect = .milliseconds(Int64(seconds * 1000)) }
        if let seconds = settings.idleTimeoutSeconds { timeouts.idle = .milliseconds(Int64(seconds * 1000)) }
        var retry = base.retryPolicy
        if let attempts = settings.maxAttempts { retry.maxAttempts = max(1, attempts) }
        if timeouts == base.timeouts && retry == base.retryPolicy { return base }
        return base.with(timeouts: timeouts, retryPolicy: retry)
    }

    /// The bare provider for a model name, with keys from settings or the environment.
    public func provider(_ spec: ModelSpec) throws -> any ChatModel {
        let providers = settings.providers
        let logger = environment.logger
        let name = spec.description
        switch spec.provider {
        case .openAI:
            let endpoint = providers.openAI
            guard let key = endpoint?.apiKey ?? environment.variable("OPENAI_API_KEY") else {
                throw missingKey(spec, variable: "OPENAI_API_KEY", setting: "llm.providers.openai.api_key")
            }
            let base = try url(
                endpoint?.baseURL ?? environment.variable("OPENAI_BASE_URL") ?? "https://api.openai.com/v1", spec)
            var configuration = OpenAIConfiguration.openAI(model: spec.model, apiKey: key, baseURL: base)
            configuration.organization = endpoint?.organization ?? environment.variable("OPENAI_ORG_ID")
            if let strategy = endpoint?.structuredOutput { configuration.structuredOutput = strategy }
            return OpenAIChatModel(configuration: configuration, name: name, http: http, logger: logger)
        case .azure:
            let endpoint = providers.azure
            guard let key = endpoint?.apiKey ?? environment.variable("AZURE_OPENAI_API_KEY") else {
                throw missingKey(spec, variable: "AZURE_OPENAI_API_KEY", setting: "llm.providers.azure.api_key")
            }
            guard let resource = endpoint?.baseURL ?? environment.variable("AZURE_OPENAI_ENDPOINT") else {
                throw LLMError.configuration(
                    "\(name) needs the Azure resource endpoint",
                    suggestion: "set AZURE_OPENAI_ENDPOINT or llm.providers.azure.endpoint", provider: "azure-openai")
            }
            let version = endpoint?.apiVersion ?? environment.variable("OPENAI_API_VERSION") ?? "2024-10-21"
            var configuration = OpenAIConfiguration.azure(
                endpoint: try url(resource, spec), deployment: spec.model, apiVersion: version, apiKey: key)
            if let strategy = endpoint?.structuredOutput { configuration.structuredOutput = strategy }
            return OpenAIChatModel(configuration: configuration, name: name, http: http, logger: logger)
        case .openAICompatible:
            let endpoint = providers.openAICompatible
            let configuration = OpenAIConfiguration.compatible(
                baseURL: spec.baseURL!, model: spec.model, apiKey: endpoint?.apiKey,
                structuredOutput: endpoint?.structuredOutput)
            return OpenAIChatModel(configuration: configuration, name: name, http: http, logger: logger)
        case .anthropic:
            let endpoint = providers.anthropic
            guard let key = endpoint?.apiKey ?? environment.variable("ANTHROPIC_API_KEY") else {
                throw missingKey(spec, variable: "ANTHROPIC_API_KEY", setting: "llm.providers.anthropic.api_key")
            }
            let base = try url(
                endpoint?.baseURL ?? environment.variable("ANTHROPIC_BASE_URL").map { Self.anthropicRoot($0) }
                    ?? "https://api.anthropic.com/v1", spec)
            let configuration = AnthropicConfiguration(
                apiKey: key, model: spec.model, baseURL: base, apiVersion: endpoint?.apiVersion ?? "2023-06-01",
                structuredOutput: endpoint?.structuredOutput ?? .forcedTool)
            return AnthropicChatModel(configuration: configuration, name: name, http: http, logger: logger)
        case .ollama:
            let endpoint = providers.ollama
            let host = OllamaConfiguration.host(
                fromEnvironment: endpoint?.baseURL ?? environment.variable("OLLAMA_HOST"))
            let configuration = OllamaConfiguration(
                model: spec.model, host: host, structuredOutput: endpoint?.structuredOutput ?? .native)
            return OllamaChatModel(configuration: configuration, name: name, http: http, logger: logger)
        case .bedrock:
            let endpoint = providers.bedrock
            guard let region = endpoint?.region ?? environment.variable("AWS_REGION", "AWS_DEFAULT_REGION") else {
                throw LLMError.configuration(
                    "\(name) needs an AWS region", suggestion: "set AWS_REGION or llm.providers.bedrock.region",
                    provider: "bedrock")
            }
            guard let makeSigner = environment.bedrockSigner else {
                throw LLMError.configuration(
                    "\(name) needs AWS SigV4 signing, and this build has no signer for Bedrock",
                    suggestion: "Bedrock becomes available once NimbusAWS's SigV4 signer and credential chain are "
                        + "wired into LLMEnvironment.bedrockSigner; use another provider until then",
                    provider: "bedrock")
            }
            let override =
                endpoint?.baseURL
                ?? environment.variable("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL")
            let configuration = BedrockConfiguration(
                region: region, modelID: spec.model, endpoint: try override.map { try url($0, spec) },
                structuredOutput: endpoint?.structuredOutput ?? .forcedTool)
            return BedrockChatModel(
                configuration: configuration, signer: try makeSigner(region), name: name, http: http, logger: logger)
        }
    }

    /// `ANTHROPIC_BASE_URL` names the host (the SDKs append `/v1`).
    static func anthropicRoot(_ text: String) -> String {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        return trimmed.hasSuffix("/v1") ? trimmed : trimmed + "/v1"
    }

    private func url(_ text: String, _ spec: ModelSpec) throws -> URL {
        guard let url = URL(string: text), url.scheme != nil, url.host != nil else {
            throw LLMError.configuration(
                "'\(text)' (the endpoint for \(spec.description)) is not a URL", provider: spec.provider.rawValue)
        }
        return url
    }

    private func missingKey(_ spec: ModelSpec, variable: String, setting: String) -> LLMError {
        LLMError.configuration(
            "\(spec.description) needs an API key", suggestion: "set \(variable), or \(setting) in config.yaml",
            provider: spec.provider.rawValue)
    }
}

/// Sampling defaults from configuration, applied where a request leaves them unset.
struct ChatDefaults: Sendable, Hashable {
    var temperature: Double?
    var maxTokens: Int?

    func apply(to request: ChatRequest) -> ChatRequest {
        var request = request
        if request.temperature == nil { request.temperature = temperature }
        if request.maxTokens == nil { request.maxTokens = maxTokens }
        return request
    }
}

/// A model whose requests get the configured temperature and token limit unless they set their own.
struct DefaultedChatModel: ChatModel {
    let base: any ChatModel
    let defaults: ChatDefaults

    var name: String { base.name }

    func respond(to request: ChatRequest) async throws -> ChatResponse {
        try await base.respond(to: defaults.apply(to: request))
    }

    func stream(_ request: ChatRequest) -> ChatStream {
        base.stream(defaults.apply(to: request))
    }
}
