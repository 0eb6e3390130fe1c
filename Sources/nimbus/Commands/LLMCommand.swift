import ArgumentParser
import Foundation
import Logging
import NimbusCore
import NimbusLLM

struct LLMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm",
        abstract: "Ask the configured model a question, or list the models configured and whether they answer.",
        discussion: """
            Models are named provider:model: openai:gpt-4o-mini, anthropic:claude-sonnet-4-5, ollama:llama3.1,
            azure:DEPLOYMENT, bedrock:MODEL-ID, openai-compatible:http://127.0.0.1:8080/v1. The default comes from
            NIMBUS_LLM or llm.model in config.yaml; keys from OPENAI_API_KEY, ANTHROPIC_API_KEY, OLLAMA_HOST, ….
            """,
        subcommands: [Ask.self, Models.self])

    struct Ask: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask a model one question and print the answer.")

        @OptionGroup var global: GlobalOptions

        @Option(help: "The model, provider:model (default: NIMBUS_LLM or llm.model).")
        var model: String?

        @Option(help: "A JSON Schema file: the answer is JSON checked against it.")
        var schema: String?

        @Flag(help: "Print the answer as it arrives.")
        var stream = false

        @Option(help: "A system instruction.")
        var system: String?

        @Option(help: "At most this many tokens in the answer.")
        var maxTokens: Int?

        @Option(help: "Sampling temperature.")
        var temperature: Double?

        @Option(help: "Print as text or JSON (the whole response: text, tool calls, usage, model, latency).")
        var output: OutputFormat = .text

        @Argument(help: "The question.")
        var prompt: String

        func validate() throws {
            if stream && schema != nil {
                throw ValidationError("--stream cannot be combined with --schema: a structured answer is checked whole")
            }
        }

        func run() async throws {
            let host = try global.host()
            let registry = host.models
            let chatModel = try registry.model(model, agent: "cli").accounted(
                LLMCallContext(agent: "cli", store: host.store), prices: registry.settings.prices)
            var request = ChatRequest(system: system, user: prompt, maxTokens: maxTokens, temperature: temperature)
            if request.temperature == nil, schema != nil { request.temperature = 0 }
            let started = ContinuousClock.now

            if let schema {
                let format = try JSONSchemaFormat(name: "answer", schema: Self.loadSchema(schema))
                let answer = try await chatModel.respond(to: request, format: format)
                let latency = ContinuousClock.now - started
                switch output {
                case .text: Console.json(answer.value)
                case .json:
                    var json = Self.json(answer.response, model: chatModel.name, latency: latency, firstToken: nil)
                    json["value"] = answer.value
                    json["attempts"] = .int(answer.attempts)
                    Console.json(JSONValue.object(json))
                }
                return
            }

            if stream {
                var accumulator = ChatResponseAccumulator()
                var firstToken: Duration?
                for try await delta in chatModel.stream(request) {
                    accumulator.add(delta)
                    if case .text(let piece) = delta {
                        if firstToken == nil { firstToken = ContinuousClock.now - started }
                        if output == .text { FileHandle.standardOutput.write(Data(piece.utf8)) }
                    }
                }
                let response = accumulator.response
                switch output {
                case .text:
                    FileHandle.standardOutput.write(Data("\n".utf8))
                    Self.printToolCalls(response)
                case .json:
                    Console.json(
                        JSONValue.object(
                            Self.json(
                                response, model: chatModel.name, latency: ContinuousClock.now - started,
                                firstToken: firstToken)
                        ))
                }
                return
            }

            let response = try await chatModel.respond(to: request)
            switch output {
            case .text:
                Console.out(response.text)
                Self.printToolCalls(response)
            case .json:
                Console.json(
                    JSONValue.object(
                        Self.json(
                            response, model: chatModel.name, latency: ContinuousClock.now - started, firstToken: nil)
                    ))
            }
        }

        static func loadSchema(_ path: String) throws -> JSONValue {
            let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw ValidationError("cannot read the schema file \(path)")
            }
            do {
                return try JSONValue(parsing: data)
            } catch let error as JSONValueError {
                throw ValidationError("the schema file \(path) is not JSON: \(error.message)")
            }
        }

        static func printToolCalls(_ response: ChatResponse) {
            for call in response.toolCalls { Console.out("tool call \(call.name)(\(call.arguments))") }
        }

        static func json(
            _ response: ChatResponse, model: String, latency: Duration, firstToken: Duration?
        )
            -> [String: JSONValue]
        {
            func milliseconds(_ duration: Duration) -> JSONValue {
                let (seconds, attoseconds) = duration.components
                return .double((Double(seconds) * 1000 + Double(attoseconds) / 1e15).rounded())
            }
            var json: [String: JSONValue] = [
                "model": .string(model), "text": .string(response.text),
                "tool_calls": .array(
                    response.toolCalls.map { call in
                        [
                            "id": .string(call.id), "name": .string(call.name),
                            "arguments": (try? call.argumentsJSON()) ?? .string(call.arguments),
                        ]
                    }),
                "latency_ms": milliseconds(latency), "cached": .bool(response.cached),
            ]
            json["served_by"] = response.model.map(JSONValue.string) ?? .null
            json["stop_reason"] = response.stopReason.map { .string($0.description) } ?? .null
            json["request_id"] = response.requestID.map(JSONValue.string) ?? .null
            json["usage"] =
                response.usage.map {
                    ["input_tokens": .int($0.inputTokens), "output_tokens": .int($0.outputTokens)]
                } ?? .null
            if let firstToken { json["time_to_first_token_ms"] = milliseconds(firstToken) }
            return json
        }
    }

    struct Models: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the configured models (default, fallback, per agent) and whether each answers.")

        @OptionGroup var global: GlobalOptions

        @Option(help: "Also check this model, provider:model.")
        var model: String?

        @Flag(help: "Do not contact the servers; only check that each model's settings resolve.")
        var offline = false

        @Option(help: "Seconds to wait for each server's answer (a busy local server answers after its current work).")
        var timeout: Int = 15

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            guard timeout > 0 else {
                throw ValidationError("--timeout must be a positive number of seconds, not \(timeout).")
            }
            let registry = try global.host().models
            let wait = Duration.seconds(timeout)
            var results = await registry.availability(checkReachable: !offline, timeout: wait)
            if let model { results.append(await registry.probe(model, checkReachable: !offline, timeout: wait)) }
            switch output {
            case .json:
                Console.json(try JSONValue(encoding: results))
            case .text:
                guard !results.isEmpty else {
                    Console.out(
                        "No model is configured. Set NIMBUS_LLM=provider:model (for example openai:gpt-4o-mini or "
                            + "openai-compatible:http://127.0.0.1:8080/v1), or llm.model in config.yaml.")
                    return
                }
                let rows = results.map { result -> [String] in
                    let status =
                        !result.configured
                        ? "not configured"
                        : result.reachable.map { $0 ? "reachable" : "unreachable" }
                            ?? "configured"
                    return [result.role, result.model, status, result.detail.replacingOccurrences(of: "\n", with: " ")]
                }
                Console.table(["ROLE", "MODEL", "STATUS", "DETAIL"], rows)
            }
        }
    }
}
