import Foundation
import NimbusCore
import NimbusGraph
import Testing

@testable import NimbusLLM

/// The `llm` section's schema agrees with ``LLMSettings``: what the type reads is accepted, anything else is named.
@Suite("llm settings schema")
struct LLMSettingsSchemaTests {
    let schema = ConfigurationSchema([
        LogSettings.configurationSchema, GraphSettings.configurationSchema, LLMSettings.configurationSchema,
    ])

    func configuration(_ llm: JSONValue) -> NimbusConfiguration {
        NimbusConfiguration(home: URL(fileURLWithPath: "/nonexistent"), values: ["llm": llm])
    }

    @Test("every setting LLMSettings encodes is one the schema declares")
    func everyFieldDeclared() throws {
        let endpoint = ProviderSettings.Endpoint(
            apiKey: "k", baseURL: "http://x", organization: "o", apiVersion: "v", region: "r",
            structuredOutput: .forcedTool)
        let settings = LLMSettings(
            model: "ollama:llama3.1", fallback: "openai:gpt-4o-mini", temperature: 0.2, maxTokens: 100,
            timeoutSeconds: 30,
            connectTimeoutSeconds: 5, idleTimeoutSeconds: 10, maxAttempts: 3, cacheTTLSeconds: 60,
            providers: ProviderSettings(
                openAI: endpoint, azure: endpoint, openAICompatible: endpoint, anthropic: endpoint, ollama: endpoint,
                bedrock: endpoint),
            prices: ["gpt-4o-mini": ModelPrice(inputPerMillion: 0.15, outputPerMillion: 0.6)],
            agents: [
                "planner": AgentModelSettings(
                    model: "m", fallback: "f", temperature: 0, maxTokens: 5, cacheTTLSeconds: 1)
            ])
        let encoded = try JSONValue(encoding: settings)
        #expect(schema.problems(in: configuration(encoded)).map(\.description) == [])
        // And what the schema accepts, the type reads.
        #expect(try LLMSettings(configuration: configuration(encoded)) == settings)
    }

    @Test("the documented aliases host and endpoint are settings too")
    func aliases() {
        let llm: JSONValue = [
            "providers": ["ollama": ["host": "http://gpu:11434"], "azure": ["endpoint": "https://a"]]
        ]
        #expect(schema.problems(in: configuration(llm)).isEmpty)
    }

    @Test(
        "misspelt providers, keys and values are named",
        arguments: [
            (
                ["providers": ["antropic": ["api_key": "x"]]],
                "llm.providers has no setting 'antropic'; did you mean llm.providers.anthropic?"
            ),
            (["providers": ["ollama": ["structured_output": "json"]]], "is not a structured-output strategy"),
            (["max_attempts": 0], "llm.max_attempts takes an integer of at least 1, not 0"),
            (["timeout_seconds": "soon"], "llm.timeout_seconds takes a number, not the string 'soon'"),
            (["prices": ["gpt-4o": ["input": 1]]], "llm.prices.gpt-4o has no setting 'input'"),
            (["agents": ["planner": ["cache_ttl_second": 5]]], "did you mean llm.agents.planner.cache_ttl_seconds?"),
            (["modle": "ollama:x"], "llm has no setting 'modle'; did you mean llm.model?"),
        ] as [(JSONValue, String)])
    func refused(llm: JSONValue, message: String) {
        let problems = schema.problems(in: configuration(llm)).map(\.message)
        #expect(problems.count == 1 && problems.first?.contains(message) == true, "\(problems)")
    }
}
