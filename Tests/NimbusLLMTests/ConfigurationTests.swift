import Foundation
import NimbusCore
import NimbusStore
import NimbusTesting
import Testing

@testable import NimbusLLM

@Suite("Model names, settings and the registry")
struct ConfigurationTests {
    static let specs: [(String, ModelSpec.Provider, String, String?)] = [
        ("openai:gpt-4o-mini", .openAI, "gpt-4o-mini", nil),
        ("anthropic:claude-sonnet-4-5", .anthropic, "claude-sonnet-4-5", nil),
        ("ollama:llama3.1", .ollama, "llama3.1", nil),
        ("azure:prod-gpt4o", .azure, "prod-gpt4o", nil),
        (
            "bedrock:anthropic.claude-3-5-sonnet-20240620-v1:0", .bedrock, "anthropic.claude-3-5-sonnet-20240620-v1:0",
            nil
        ),
        ("openai-compatible:http://127.0.0.1:8080/v1", .openAICompatible, "default", "http://127.0.0.1:8080/v1"),
        ("openai-compatible:http://gpu:8000/v1#qwen2.5", .openAICompatible, "qwen2.5", "http://gpu:8000/v1"),
    ]

    @Test("provider:model names parse", arguments: specs)
    func parse(text: String, provider: ModelSpec.Provider, model: String, url: String?) throws {
        let spec = try ModelSpec(parsing: text)
        #expect(spec.provider == provider && spec.model == model && spec.baseURL?.absoluteString == url)
        #expect(spec.description == text)
    }

    @Test("bad names get errors that say what to write")
    func badNames() {
        #expect { try ModelSpec(parsing: "gpt-4o") } throws: { "\($0)".contains("provider:model") }
        #expect { try ModelSpec(parsing: "opneai:gpt-4o") } throws: {
            "\($0)".contains("did you mean 'openai:gpt-4o'?")
        }
        #expect { try ModelSpec(parsing: "openai-compatible:localhost") } throws: {
            "\($0)".contains("not an http(s) URL")
        }
        #expect { try ModelSpec(parsing: "ollama:") } throws: { "\($0)".contains("names no model") }
    }

    static func configuration(_ environment: [String: String], yaml: String? = nil) throws -> NimbusConfiguration {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nimbus-llm-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        if let yaml {
            try yaml.write(to: home.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        }
        return try NimbusConfiguration.load(environment: environment.merging(["NIMBUS_HOME": home.path]) { a, _ in a })
    }

    @Test("NIMBUS_LLM chooses the model; agents, fallback, prices and providers come from llm: in config.yaml")
    func settings() throws {
        let yaml = """
            llm:
              model: ollama:llama3.1
              fallback: openai-compatible:http://127.0.0.1:8080/v1
              max_attempts: 5
              providers:
                ollama: { host: http://gpu-box:11434 }
              prices:
                gpt-4o-mini: { input_per_million: 0.15, output_per_million: 0.6 }
              agents:
                planner: { model: "anthropic:claude-sonnet-4-5", cache_ttl_seconds: 3600 }
            """
        let configuration = try Self.configuration(["NIMBUS_LLM": "openai:gpt-4o-mini"], yaml: yaml)
        let settings = try LLMSettings(configuration: configuration)
        #expect(settings.model == "openai:gpt-4o-mini")
        #expect(settings.fallback == "openai-compatible:http://127.0.0.1:8080/v1")
        #expect(settings.maxAttempts == 5)
        #expect(settings.providers.ollama?.baseURL == "http://gpu-box:11434")
        #expect(settings.agents["planner"]?.cacheTTLSeconds == 3600)
        #expect(settings.price(for: ["openai:gpt-4o-mini"]) == ModelPrice(inputPerMillion: 0.15, outputPerMillion: 0.6))
        let registry = ModelRegistry(
            settings: settings,
            environment: LLMEnvironment(variables: ["OPENAI_API_KEY": "sk-test-0123456789abcdef0123"]))
        #expect(registry.modelName(forAgent: "planner") == "anthropic:claude-sonnet-4-5")
        #expect(registry.modelName(forAgent: "writer") == "openai:gpt-4o-mini")
        let model = try registry.model()
        #expect(model.name == "openai:gpt-4o-mini")
        #expect(model is FallbackChatModel)
    }

    @Test("an agent with a cache TTL gets the response cache when a store is present; others do not")
    func perAgentCache() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-llm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("nimbus.sqlite").path)
        let settings = LLMSettings(
            model: "ollama:llama3.1",
            agents: ["planner": AgentModelSettings(model: "ollama:qwen3", cacheTTLSeconds: 60)])
        let registry = ModelRegistry(settings: settings, environment: LLMEnvironment(variables: [:], store: store))
        let planner = try registry.model(agent: "planner")
        #expect(planner is CachingChatModel && planner.name == "ollama:qwen3")
        let writer = try registry.model(agent: "writer")
        #expect(writer is OllamaChatModel && writer.name == "ollama:llama3.1")
    }

    @Test("agents.yaml's llm: section lies over the configuration's")
    func merging() {
        let base = LLMSettings(
            model: "openai:gpt-4o-mini", fallback: "ollama:llama3.1",
            prices: ["a": ModelPrice(inputPerMillion: 1, outputPerMillion: 2)])
        let agents = LLMSettings(
            model: "anthropic:claude-sonnet-4-5", agents: ["planner": AgentModelSettings(model: "ollama:qwen3")])
        let merged = base.merging(agents)
        #expect(merged.model == "anthropic:claude-sonnet-4-5")
        #expect(merged.fallback == "ollama:llama3.1")
        #expect(merged.prices["a"] != nil && merged.agents["planner"]?.model == "ollama:qwen3")
    }

    @Test("missing keys, regions and signers are named, with the variable to set")
    func missingPieces() throws {
        let registry = ModelRegistry(settings: LLMSettings(), environment: LLMEnvironment(variables: [:]))
        #expect { try registry.model("openai:gpt-4o-mini") } throws: { "\($0)".contains("OPENAI_API_KEY") }
        #expect { try registry.model("anthropic:claude-sonnet-4-5") } throws: { "\($0)".contains("ANTHROPIC_API_KEY") }
        #expect { try registry.model("azure:prod") } throws: { "\($0)".contains("AZURE_OPENAI_API_KEY") }
        #expect { try registry.model("bedrock:amazon.nova-pro-v1:0") } throws: { "\($0)".contains("AWS_REGION") }
        #expect { try registry.model() } throws: { "\($0)".contains("NIMBUS_LLM") }
        let withRegion = ModelRegistry(
            settings: LLMSettings(), environment: LLMEnvironment(variables: ["AWS_REGION": "us-east-1"]))
        #expect { try withRegion.model("bedrock:amazon.nova-pro-v1:0") } throws: { error in
            "\(error)".contains("needs AWS SigV4 signing") && "\(error)".contains("LLMEnvironment.bedrockSigner")
        }
        // Ollama and compatible servers need no key.
        #expect(try registry.model("ollama:llama3.1").name == "ollama:llama3.1")
        #expect(
            try registry.model("openai-compatible:http://127.0.0.1:1/v1").name
                == "openai-compatible:http://127.0.0.1:1/v1")
    }

    @Test("with a signer hook, bedrock: resolves and signs with it")
    func bedrockHook() throws {
        struct NoSigner: HTTPRequestSigner {
            func signatureHeaders(
                method: String, url: URL, headers: [(name: String, value: String)], body: [UInt8]
            )
                async throws -> [(name: String, value: String)]
            { [] }
        }
        let regions = Counter()
        let registry = ModelRegistry(
            settings: LLMSettings(),
            environment: LLMEnvironment(
                variables: ["AWS_DEFAULT_REGION": "eu-central-1"],
                bedrockSigner: { region in
                    #expect(region == "eu-central-1")
                    regions.increment()
                    return NoSigner()
                }))
        #expect(try registry.model("bedrock:amazon.nova-pro-v1:0") is BedrockChatModel)
        #expect(regions.value == 1)
    }

    @Test("configured temperature and token limits apply where the request sets none")
    func defaults() async throws {
        let scripted = ScriptedChatModel([.text("a"), .text("b")])
        let model = DefaultedChatModel(base: scripted, defaults: ChatDefaults(temperature: 0.1, maxTokens: 77))
        _ = try await model.respond(to: ChatRequest(user: "q"))
        _ = try await model.stream(ChatRequest(user: "q", maxTokens: 5, temperature: 0.9)).collect()
        #expect(scripted.requests[0].temperature == 0.1 && scripted.requests[0].maxTokens == 77)
        #expect(scripted.requests[1].temperature == 0.9 && scripted.requests[1].maxTokens == 5)
    }
}
