import Foundation
public import NimbusCore

/// The `llm:` section of Nimbus configuration (and of agents.yaml, where it overrides the configuration):
/// which model to use by default and per agent, the fallback, provider endpoints and keys, timeouts, retries,
/// the response cache and prices.
///
/// ```yaml
/// llm:
///   model: openai:gpt-4o-mini            # or NIMBUS_LLM=…
///   fallback: ollama:llama3.1
///   timeout_seconds: 120
///   max_attempts: 3
///   providers:
///     anthropic: { api_key: …, base_url: https://api.anthropic.com/v1 }
///     ollama: { host: http://127.0.0.1:11434 }
///   prices:
///     openai:gpt-4o-mini: { input_per_million: 0.15, output_per_million: 0.60 }
///   agents:
///     planner: { model: anthropic:claude-sonnet-4-5, cache_ttl_seconds: 3600 }
/// ```
public struct LLMSettings: Sendable, Hashable, Codable {
    public var model: String?
    public var fallback: String?
    public var temperature: Double?
    public var maxTokens: Int?
    public var timeoutSeconds: Double?
    public var connectTimeoutSeconds: Double?
    public var idleTimeoutSeconds: Double?
    /// Attempts per call, the first included.
    public var maxAttempts: Int?
    /// Cache every agent's answers for this long (agents can set their own); off when absent.
    public var cacheTTLSeconds: Double?
    public var providers: ProviderSettings
    /// Keyed by `provider:model` or by the provider's model name.
    public var prices: [String: ModelPrice]
    public var agents: [String: AgentModelSettings]

    public init(
        model: String? = nil, fallback: String? = nil, temperature: Double? = nil, maxTokens: Int? = nil,
        timeoutSeconds: Double? = nil, connectTimeoutSeconds: Double? = nil, idleTimeoutSeconds: Double? = nil,
        maxAttempts: Int? = nil, cacheTTLSeconds: Double? = nil, providers: ProviderSettings = ProviderSettings(),
        prices: [String: ModelPrice] = [:], agents: [String: AgentModelSettings] = [:]
    ) {
        self.model = model
        self.fallback = fallback
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.timeoutSeconds = timeoutSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxAttempts = maxAttempts
        self.cacheTTLSeconds = cacheTTLSeconds
        self.providers = providers
        self.prices = prices
        self.agents = agents
    }

    enum CodingKeys: String, CodingKey {
        case model, fallback, temperature, providers, prices, agents
        case maxTokens = "max_tokens"
        case timeoutSeconds = "timeout_seconds"
        case connectTimeoutSeconds = "connect_timeout_seconds"
        case idleTimeoutSeconds = "idle_timeout_seconds"
        case maxAttempts = "max_attempts"
        case cacheTTLSeconds = "cache_ttl_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        fallback = try container.decodeIfPresent(String.self, forKey: .fallback)
        temperature = try container.decodeIfPresent(Double.self, forKey: .temperature)
        maxTokens = try container.decodeIfPresent(Int.self, forKey: .maxTokens)
        timeoutSeconds = try container.decodeIfPresent(Double.self, forKey: .timeoutSeconds)
        connectTimeoutSeconds = try container.decodeIfPresent(Double.self, forKey: .connectTimeoutSeconds)
        idleTimeoutSeconds = try container.decodeIfPresent(Double.self, forKey: .idleTimeoutSeconds)
        maxAttempts = try container.decodeIfPresent(Int.self, forKey: .maxAttempts)
        cacheTTLSeconds = try container.decodeIfPresent(Double.self, forKey: .cacheTTLSeconds)
        providers = try container.decodeIfPresent(ProviderSettings.self, forKey: .providers) ?? ProviderSettings()
        prices = try container.decodeIfPresent([String: ModelPrice].self, forKey: .prices) ?? [:]
        agents = try container.decodeIfPresent([String: AgentModelSettings].self, forKey: .agents) ?? [:]
    }

    /// The settings of the `llm` section, for checking a configuration before it is read.
    public static let configurationSchema: ConfigurationSchema = {
        let endpoint = SettingType.section([
            "api_key": .string, "base_url": .string, "host": .string, "endpoint": .string, "organization": .string,
            "api_version": .string, "region": .string,
            "structured_output": .oneOf(
                StructuredOutputStrategy.allCases.map(\.rawValue), noun: "structured-output strategy"),
        ])
        let seconds = SettingType.number(minimum: 0)
        let model: [String: SettingType] = [
            "model": .string, "fallback": .string, "temperature": .number(minimum: 0),
            "max_tokens": .integer(minimum: 1), "cache_ttl_seconds": seconds,
        ]
        return ConfigurationSchema(
            section: "llm",
            model.merging([
                "timeout_seconds": seconds, "connect_timeout_seconds": seconds, "idle_timeout_seconds": seconds,
                "max_attempts": .integer(minimum: 1),
                "providers": .section(
                    Dictionary(
                        uniqueKeysWithValues: ProviderSettings.CodingKeys.allCases.map { ($0.rawValue, endpoint) })
                ),
                "prices": .map(
                    .section(["input_per_million": .number(minimum: 0), "output_per_million": .number(minimum: 0)])),
                "agents": .map(.section(model)),
            ]) { mine, _ in mine })
    }()

    /// Reads the `llm` section of the configuration (empty settings when there is none).
    public init(configuration: NimbusConfiguration) throws {
        self = try configuration.decode(LLMSettings.self, at: "llm") ?? LLMSettings()
    }

    /// These settings with `other`'s on top, as agents.yaml's `llm:` section lies over the configuration's.
    public func merging(_ other: LLMSettings) -> LLMSettings {
        var merged = self
        merged.model = other.model ?? model
        merged.fallback = other.fallback ?? fallback
        merged.temperature = other.temperature ?? temperature
        merged.maxTokens = other.maxTokens ?? maxTokens
        merged.timeoutSeconds = other.timeoutSeconds ?? timeoutSeconds
        merged.connectTimeoutSeconds = other.connectTimeoutSeconds ?? connectTimeoutSeconds
        merged.idleTimeoutSeconds = other.idleTimeoutSeconds ?? idleTimeoutSeconds
        merged.maxAttempts = other.maxAttempts ?? maxAttempts
        merged.cacheTTLSeconds = other.cacheTTLSeconds ?? cacheTTLSeconds
        merged.providers = providers.merging(other.providers)
        merged.prices.merge(other.prices) { _, theirs in theirs }
        merged.agents.merge(other.agents) { _, theirs in theirs }
        return merged
    }

    /// The price of a model: by its configured name, then by the provider's name for it.
    public func price(for names: [String]) -> ModelPrice? {
        for name in names {
            if let price = prices[name] { return price }
            if let colon = name.firstIndex(of: ":"), let price = prices[String(name[name.index(after: colon)...])] {
                return price
            }
        }
        return nil
    }
}

/// What one model costs, in the currency you choose, per million tokens.
public struct ModelPrice: Sendable, Hashable, Codable {
    public var inputPerMillion: Double
    public var outputPerMillion: Double

    public init(inputPerMillion: Double, outputPerMillion: Double) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
    }

    enum CodingKeys: String, CodingKey {
        case inputPerMillion = "input_per_million"
        case outputPerMillion = "output_per_million"
    }

    public func cost(of usage: TokenUsage) -> Double {
        Double(usage.inputTokens) * inputPerMillion / 1_000_000 + Double(usage.outputTokens) * outputPerMillion
            / 1_000_000
    }
}

/// One agent's model choice (`llm.agents.NAME`).
public struct AgentModelSettings: Sendable, Hashable, Codable {
    public var model: String?
    public var fallback: String?
    public var temperature: Double?
    public var maxTokens: Int?
    /// Cache this agent's answers for this long; 0 turns the cache off for it.
    public var cacheTTLSeconds: Double?

    public init(
        model: String? = nil, fallback: String? = nil, temperature: Double? = nil, maxTokens: Int? = nil,
        cacheTTLSeconds: Double? = nil
    ) {
        self.model = model
        self.fallback = fallback
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.cacheTTLSeconds = cacheTTLSeconds
    }

    enum CodingKeys: String, CodingKey {
        case model, fallback, temperature
        case maxTokens = "max_tokens"
        case cacheTTLSeconds = "cache_ttl_seconds"
    }
}

/// Endpoints and keys per provider (`llm.providers`); keys may instead come from the usual environment variables.
public struct ProviderSettings: Sendable, Hashable, Codable {
    public var openAI: Endpoint?
    public var azure: Endpoint?
    public var openAICompatible: Endpoint?
    public var anthropic: Endpoint?
    public var ollama: Endpoint?
    public var bedrock: Endpoint?

    public init(
        openAI: Endpoint? = nil, azure: Endpoint? = nil, openAICompatible: Endpoint? = nil,
        anthropic: Endpoint? = nil, ollama: Endpoint? = nil, bedrock: Endpoint? = nil
    ) {
        self.openAI = openAI
        self.azure = azure
        self.openAICompatible = openAICompatible
        self.anthropic = anthropic
        self.ollama = ollama
        self.bedrock = bedrock
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case openAI = "openai"
        case azure
        case openAICompatible = "openai-compatible"
        case anthropic, ollama, bedrock
    }

    func merging(_ other: ProviderSettings) -> ProviderSettings {
        ProviderSettings(
            openAI: other.openAI ?? openAI, azure: other.azure ?? azure,
            openAICompatible: other.openAICompatible ?? openAICompatible, anthropic: other.anthropic ?? anthropic,
            ollama: other.ollama ?? ollama, bedrock: other.bedrock ?? bedrock)
    }

    /// One provider's settings; each provider reads the fields that apply to it.
    public struct Endpoint: Sendable, Hashable, Codable {
        public var apiKey: String?
        /// The API root (`base_url`; Ollama's `host`; Azure's resource `endpoint`).
        public var baseURL: String?
        public var organization: String?
        /// Azure's `api-version`, Anthropic's `anthropic-version`.
        public var apiVersion: String?
        /// Bedrock's region.
        public var region: String?
        public var structuredOutput: StructuredOutputStrategy?

        public init(
            apiKey: String? = nil, baseURL: String? = nil, organization: String? = nil, apiVersion: String? = nil,
            region: String? = nil, structuredOutput: StructuredOutputStrategy? = nil
        ) {
            self.apiKey = apiKey
            self.baseURL = baseURL
            self.organization = organization
            self.apiVersion = apiVersion
            self.region = region
            self.structuredOutput = structuredOutput
        }

        enum CodingKeys: String, CodingKey {
            case apiKey = "api_key"
            case baseURL = "base_url"
            case host, endpoint, organization
            case apiVersion = "api_version"
            case region
            case structuredOutput = "structured_output"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            apiKey = try container.decodeIfPresent(String.self, forKey: .apiKey)
            baseURL =
                try container.decodeIfPresent(String.self, forKey: .baseURL)
                ?? container.decodeIfPresent(String.self, forKey: .host)
                ?? container.decodeIfPresent(String.self, forKey: .endpoint)
            organization = try container.decodeIfPresent(String.self, forKey: .organization)
            apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
            region = try container.decodeIfPresent(String.self, forKey: .region)
            structuredOutput = try container.decodeIfPresent(StructuredOutputStrategy.self, forKey: .structuredOutput)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(apiKey, forKey: .apiKey)
            try container.encodeIfPresent(baseURL, forKey: .baseURL)
            try container.encodeIfPresent(organization, forKey: .organization)
            try container.encodeIfPresent(apiVersion, forKey: .apiVersion)
            try container.encodeIfPresent(region, forKey: .region)
            try container.encodeIfPresent(structuredOutput, forKey: .structuredOutput)
        }
    }
}
