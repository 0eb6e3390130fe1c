import Foundation
import NimbusCore
import Testing

@Suite("nimbus llm", .serialized)
struct LLMCommandTests {
    static var localModel: String? {
        ProcessInfo.processInfo.environment["NIMBUS_TEST_LLM_URL"].map { "openai-compatible:\($0)" }
    }

    @Test(
        "llm ask prints the local model's answer; --stream prints it as it comes; --output json has usage and latency",
        .enabled(if: localModel != nil))
    func ask() async throws {
        let cli = try CLI()
        let model = try #require(Self.localModel)
        let plain = try await cli.run(["llm", "ask", "--model", model, "--max-tokens", "30", "Name three AWS services"])
        #expect(plain.status == 0, "\(plain.err)")
        #expect(!plain.out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        let streamed = try await cli.run([
            "llm", "ask", "--model", model, "--max-tokens", "30", "--stream", "Name three AWS services",
        ])
        #expect(streamed.status == 0, "\(streamed.err)")
        #expect(!streamed.out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        let json = try await cli.json(["llm", "ask", "--model", model, "--max-tokens", "20", "Name one AWS service"])
        #expect(json["model"]?.stringValue == model)
        #expect((json["usage"]?["output_tokens"]?.intValue ?? 0) > 0)
        #expect(json["latency_ms"]?.doubleValue != nil)
        // The model a user passes is probed too. The shared local server serves one request at a time, and other
        // suites keep it busy, so the probe waits as long as a generation may take.
        let runs = try await cli.run(["llm", "models", "--model", model, "--timeout", "300", "--output", "json"])
        #expect(runs.status == 0)
        #expect(try JSONValue(parsing: runs.out)[0]?["reachable"] == true)
    }

    @Test("llm ask --schema prints JSON that matches the schema", .enabled(if: localModel != nil))
    func askSchema() async throws {
        let cli = try CLI()
        let schema = cli.home.appendingPathComponent("schema.json")
        try
            #"{"type":"object","properties":{"services":{"type":"array","items":{"type":"string"},"minItems":1}},"required":["services"]}"#
            .write(to: schema, atomically: true, encoding: .utf8)
        let result = try await cli.run([
            "llm", "ask", "--model", try #require(Self.localModel), "--schema", schema.path, "--max-tokens", "80",
            "List three AWS services",
        ])
        #expect(result.status == 0, "\(result.err)")
        let value = try JSONValue(parsing: result.out)
        #expect((value["services"]?.arrayValue?.count ?? 0) >= 1)
    }

    @Test("without a model, llm ask says how to configure one; llm models lists nothing")
    func unconfigured() async throws {
        let cli = try CLI()
        let result = try await cli.run(["llm", "ask", "hello"])
        #expect(result.status != 0)
        #expect(result.err.contains("NIMBUS_LLM"))
        let models = try await cli.run(["llm", "models"])
        #expect(models.status == 0)
        #expect(models.out.contains("No model is configured"))
    }

    @Test("llm models reports an unreachable server and a missing key", .timeLimit(.minutes(1)))
    func modelsUnreachable() async throws {
        let cli = try CLI()
        let result = try await cli.run(
            ["llm", "models", "--output", "json"],
            environment: [
                "NIMBUS_LLM": "openai-compatible:http://127.0.0.1:9/v1",
                "NIMBUS_LLM__FALLBACK": "anthropic:claude-sonnet-4-5",
                "ANTHROPIC_API_KEY": "",
            ])
        #expect(result.status == 0, "\(result.err)")
        let rows = try JSONValue(parsing: result.out)
        #expect(rows[0]?["role"] == "default" && rows[0]?["reachable"] == false)
        #expect(rows[1]?["role"] == "fallback" && rows[1]?["configured"] == false)
        #expect(rows[1]?["detail"]?.stringValue?.contains("ANTHROPIC_API_KEY") == true)
    }
}
