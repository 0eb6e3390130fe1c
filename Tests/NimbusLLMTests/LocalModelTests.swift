import Foundation
import NimbusCore
import NimbusLLM
import NimbusStore
import NimbusTesting
import Testing

/// The OpenAI-compatible provider against a real model: llama-cpp-python's server with SmolLM2-135M-Instruct.
@Suite("OpenAI-compatible provider against the local llama.cpp server", .enabled(if: LocalModel.available), .serialized)
struct LocalModelTests {
    static func model(structuredOutput: StructuredOutputStrategy? = nil) throws -> OpenAIChatModel {
        OpenAIChatModel(
            configuration: .compatible(baseURL: try LocalModel.requireURL(), structuredOutput: structuredOutput))
    }

    static let question = ChatRequest(
        messages: [.user("Name three AWS services.")], temperature: 0, maxTokens: 40, seed: 7)

    @Test("a plain answer, with usage and a stop reason")
    func plainAnswer() async throws {
        let response = try await Self.model().respond(to: Self.question)
        #expect(!response.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        #expect((response.usage?.inputTokens ?? 0) > 5)
        #expect((response.usage?.outputTokens ?? 0) > 0)
        #expect(response.stopReason == .endTurn || response.stopReason == .maxTokens)
        #expect(response.model != nil)
    }

    @Test("streaming: several deltas that join to the same answer as the whole response")
    func streaming() async throws {
        let model = try Self.model()
        let whole = try await model.respond(to: Self.question)
        var pieces: [String] = []
        var accumulator = ChatResponseAccumulator()
        for try await delta in model.stream(Self.question) {
            accumulator.add(delta)
            if case .text(let text) = delta { pieces.append(text) }
        }
        #expect(pieces.count >= 3)
        #expect(pieces.joined() == whole.text, "greedy decoding gives the same text streamed or not")
        #expect(accumulator.response.stopReason == whole.stopReason)
    }

    struct Services: Decodable {
        var services: [String]
    }

    static let servicesSchema: JSONValue = [
        "type": "object",
        "properties": [
            "services": ["type": "array", "items": ["type": "string", "minLength": 1], "minItems": 1, "maxItems": 5]
        ],
        "required": ["services"],
    ]

    @Test("structured output: a JSON-schema answer that decodes into a Swift type")
    func structured() async throws {
        let services = try await Self.model().respond(
            to: ChatRequest(messages: [.user("List three AWS services as JSON.")], temperature: 0, maxTokens: 80),
            returning: Services.self, schema: Self.servicesSchema)
        #expect(!services.services.isEmpty)
        #expect(services.services.allSatisfy { !$0.isEmpty })
    }

    struct Weather: Decodable {
        var city: String
        var unit: String
    }

    static let weatherTool = ToolDefinition(
        name: "get_weather", description: "Get the current weather in a city.",
        parameters: [
            "type": "object",
            "properties": [
                "city": ["type": "string"], "unit": ["type": "string", "enum": ["celsius", "fahrenheit"]],
            ],
            "required": ["city", "unit"],
        ])

    @Test("a forced tool call returns arguments that decode, whole and streamed")
    func toolCall() async throws {
        let request = ChatRequest(
            messages: [.user("What is the weather in Paris, in celsius?")], tools: [Self.weatherTool],
            toolChoice: .tool("get_weather"), temperature: 0, maxTokens: 60)
        let model = try Self.model()
        let response = try await model.respond(to: request)
        let call = try #require(response.toolCalls.first)
        #expect(call.name == "get_weather")
        let weather = try call.decodeArguments(Weather.self)
        #expect(["celsius", "fahrenheit"].contains(weather.unit))
        var started = 0
        var fragments = 0
        var accumulator = ChatResponseAccumulator()
        for try await delta in model.stream(request) {
            accumulator.add(delta)
            if case .toolCallStarted = delta { started += 1 }
            if case .toolCallArguments = delta { fragments += 1 }
        }
        #expect(started == 1 && fragments >= 1)
        #expect(accumulator.response.toolCalls.first?.name == "get_weather")
        _ = try accumulator.response.toolCalls.first?.decodeArguments(Weather.self)
    }

    @Test("the server refuses OpenAI's json_schema format; the error carries its status and message")
    func nativeSchemaRefused() async throws {
        let model = OpenAIChatModel(
            configuration: .compatible(baseURL: try LocalModel.requireURL(), structuredOutput: .native),
            http: LLMHTTPClient.shared.with(retryPolicy: .noRetries))
        await #expect {
            _ = try await model.respond(
                to: ChatRequest(
                    messages: [.user("List AWS services.")],
                    responseFormat: .jsonSchema(JSONSchemaFormat(schema: Self.servicesSchema)), maxTokens: 20))
        } throws: { error in
            guard let error = error as? LLMError else { return false }
            // llama-cpp-python 0.3.36 answers a request validation error with HTTP 500.
            return error.kind == .httpStatus && error.status == 500 && error.provider == "openai-compatible"
                && error.providerMessage?.contains("Input should be 'text' or 'json_object'") == true
        }
    }

    @Test("JSON mode with the schema in the instructions: the answer is validated, never passed through unchecked")
    func jsonMode() async throws {
        let model = try Self.model(structuredOutput: .jsonMode)
        do {
            let answer = try await model.respond(
                to: ChatRequest(messages: [.user("List three AWS services.")], temperature: 0, maxTokens: 80),
                format: JSONSchemaFormat(schema: Self.servicesSchema))
            #expect(JSONSchemaValidator(schema: Self.servicesSchema).isValid(answer.value))
        } catch let error as LLMError {
            #expect(error.kind == .invalidStructuredOutput)
        }
    }

    @Test("cancelling mid-stream stops at once, and the server serves the next request")
    func cancellation() async throws {
        let model = try Self.model()
        let long = ChatRequest(
            messages: [.user("Write a long essay about every AWS service you know.")], temperature: 0, maxTokens: 400)
        let received = Counter()
        let task = Task {
            for try await delta in model.stream(long) {
                if case .text = delta { received.increment() }
            }
        }
        while received.value < 2 { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        let result = await task.result
        // The count of pieces, not a clock, shows the cancel ended the 400-token answer: a loaded test run can delay
        // any wake-up by tens of seconds.
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(received.value < 300, "the stream ended long before the 400-token answer")
        let next = try await model.respond(to: ChatRequest(messages: [.user("Say hi.")], maxTokens: 5))
        #expect(!next.text.isEmpty || next.stopReason != nil)
    }

    @Test("a server that is down gives a connection error naming the provider and URL")
    func serverDown() async throws {
        let port = try Self.closedPort()
        let model = OpenAIChatModel(
            configuration: .compatible(baseURL: URL(string: "http://127.0.0.1:\(port)/v1")!),
            http: LLMHTTPClient.shared.with(
                retryPolicy: LLMRetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(20))))
        await #expect {
            _ = try await model.respond(to: Self.question)
        } throws: { error in
            guard let error = error as? LLMError else { return false }
            return error.kind == .connection && error.message.contains("openai-compatible")
                && error.message.contains("127.0.0.1:\(port)") && error.message.contains("connection refused")
        }
        await #expect(throws: LLMError.self) {
            for try await _ in model.stream(Self.question) {}
        }
    }

    /// A port nothing listens on: bound, then released.
    static func closedPort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
