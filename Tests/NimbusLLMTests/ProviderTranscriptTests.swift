import Foundation
import NimbusCore
import Testing

@testable import NimbusLLM

/// Anthropic, Ollama and Bedrock cannot be reached from here: their encoders are checked against the published
/// request shapes, their decoders against transcripts written from the API references (see Transcripts/README.md),
/// and the whole HTTP path against a local server replaying those transcripts.
@Suite("Provider wire formats against transcripts")
struct ProviderTranscriptTests {
    static let weatherTool = ToolDefinition(
        name: "list_buckets", description: "List S3 buckets in a region.",
        parameters: ["type": "object", "properties": ["region": ["type": "string"]], "required": ["region"]])

    /// A conversation with every kind of turn: system, user, assistant tool call, tool result.
    static let conversation: [ChatMessage] = [
        .system("You operate AWS."),
        .user("Which buckets are in eu-west-1?"),
        .assistant(
            "Checking.",
            toolCalls: [ToolCall(id: "call_1", name: "list_buckets", arguments: #"{"region":"eu-west-1"}"#)]),
        .toolResult(#"["logs","assets"]"#, for: ToolCall(id: "call_1", name: "list_buckets", arguments: "")),
    ]

    static func decodeStream<D: ProviderStreamDecoder>(
        _ decoder: D, _ bytes: [UInt8], chunk: Int
    ) throws -> ChatResponse {
        var decoder = decoder
        var accumulator = ChatResponseAccumulator()
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            for delta in try decoder.decode(Array(bytes[start..<min(start + chunk, bytes.count)])) {
                accumulator.add(delta)
            }
        }
        for delta in try decoder.finish() { accumulator.add(delta) }
        return accumulator.response
    }

    // MARK: Anthropic

    static let anthropic = AnthropicCodec(
        configuration: AnthropicConfiguration(apiKey: "sk-ant-test-0123456789abcdef", model: "claude-sonnet-4-5"))

    @Test("Anthropic: system apart, tool_use and tool_result blocks, tool_choice, required max_tokens")
    func anthropicRequest() throws {
        var request = ChatRequest(
            messages: Self.conversation, tools: [Self.weatherTool], toolChoice: .tool("list_buckets"), temperature: 0.2,
            stop: ["END"], seed: 7)
        request.maxTokens = nil
        let encoded = try Self.anthropic.encode(request, stream: true)
        #expect(encoded.url.absoluteString == "https://api.anthropic.com/v1/messages")
        #expect(encoded.headers.contains { $0.name == "anthropic-version" && $0.value == "2023-06-01" })
        #expect(encoded.headers.contains { $0.name == "x-api-key" })
        let body = try #require(encoded.json)
        #expect(body["system"] == "You operate AWS.")
        #expect(body["max_tokens"] == 4096)
        #expect(body["stream"] == true)
        #expect(body["stop_sequences"] == ["END"])
        #expect(body["tool_choice"] == ["type": "tool", "name": "list_buckets"])
        #expect(body["tools"]?[0]?["input_schema"] == Self.weatherTool.parameters)
        #expect(
            body["messages"]
                == [
                    ["role": "user", "content": "Which buckets are in eu-west-1?"],
                    [
                        "role": "assistant",
                        "content": [
                            ["type": "text", "text": "Checking."],
                            [
                                "type": "tool_use", "id": "call_1", "name": "list_buckets",
                                "input": ["region": "eu-west-1"],
                            ],
                        ],
                    ],
                    [
                        "role": "user",
                        "content": [
                            ["type": "tool_result", "tool_use_id": "call_1", "content": #"["logs","assets"]"#]
                        ],
                    ],
                ])
    }

    @Test("Anthropic: a response with text and tool_use decodes")
    func anthropicResponse() throws {
        let response = try Self.anthropic.decodeResponse(Transcript.bytes("anthropic/messages-response-tool-use.json"))
        #expect(response.text == "I'll check the buckets in that region.")
        #expect(response.toolCalls.map(\.name) == ["list_buckets"])
        #expect(try response.toolCalls[0].argumentsJSON() == ["region": "eu-west-1", "max_results": 10])
        #expect(response.stopReason == .toolCalls)
        #expect(response.usage == TokenUsage(inputTokens: 472, outputTokens: 89))
    }

    @Test(
        "Anthropic: the streamed events join into the same answer, whatever the chunking", arguments: [1, 13, 100_000])
    func anthropicStream(chunk: Int) throws {
        let response = try Self.decodeStream(
            Self.anthropic.makeStreamDecoder(), Transcript.bytes("anthropic/messages-stream-tool-use.sse"), chunk: chunk
        )
        #expect(response.text == "Okay, let's check the buckets.")
        #expect(
            response.toolCalls == [
                ToolCall(
                    id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "list_buckets",
                    arguments: #"{"region": "eu-west-1", "max_results": 10}"#)
            ])
        #expect(response.stopReason == .toolCalls)
        #expect(response.usage == TokenUsage(inputTokens: 472, outputTokens: 89))
        #expect(response.model == "claude-sonnet-4-5-20250929")
    }

    @Test("Anthropic: an error event mid-stream becomes an error naming its type")
    func anthropicStreamError() throws {
        #expect {
            _ = try Self.decodeStream(
                Self.anthropic.makeStreamDecoder(), Transcript.bytes("anthropic/messages-stream-overloaded.sse"),
                chunk: 50)
        } throws: { error in
            let error = error as? LLMError
            return error?.kind == .streamError && error?.providerMessage == "Overloaded"
                && error?.message.contains("overloaded_error") == true
        }
    }

    @Test("Anthropic over HTTP: a 529 body yields provider, status, message and request id; the key never shows")
    func anthropicHTTPError() async throws {
        let server = try await TranscriptServer.start([
            .init(
                status: 400,
                headers: [("Content-Type", "application/json"), ("request-id", "req_018EeWyXxfu5pfWkrYcMdjWG")],
                body: try Transcript.bytes("anthropic/error-invalid-request.json"))
        ])
        defer { Task { await server.stop() } }
        let model = AnthropicChatModel(
            configuration: AnthropicConfiguration(
                apiKey: "sk-ant-api03-secret-key-never-shown", model: "claude-sonnet-4-5",
                baseURL: server.baseURL.appendingPathComponent("v1")))
        await #expect {
            _ = try await model.respond(to: ChatRequest(user: "hi"))
        } throws: { error in
            let error = error as? LLMError
            let text = String(describing: error)
            return error?.provider == "anthropic" && error?.status == 400
                && error?.providerMessage == "max_tokens: Field required (invalid_request_error)"
                && error?.requestID == "req_018EeWyXxfu5pfWkrYcMdjWG" && !text.contains("secret-key-never-shown")
        }
        #expect(server.received.count == 1, "a 400 is not retried")
        #expect(server.received[0].header("x-api-key") == "sk-ant-api03-secret-key-never-shown")
        #expect(server.received[0].uri == "/v1/messages")
    }

    @Test("Anthropic over HTTP: a streamed answer arrives in pieces")
    func anthropicHTTPStream() async throws {
        let server = try await TranscriptServer.start([
            .init(
                headers: [("Content-Type", "text/event-stream"), ("request-id", "req_stream_1")],
                body: try Transcript.bytes("anthropic/messages-stream-tool-use.sse"), chunkSize: 40)
        ])
        defer { Task { await server.stop() } }
        let model = AnthropicChatModel(
            configuration: AnthropicConfiguration(
                apiKey: "sk-ant-test-0123456789abcdef", model: "claude-sonnet-4-5",
                baseURL: server.baseURL.appendingPathComponent("v1")))
        var texts: [String] = []
        var accumulator = ChatResponseAccumulator()
        for try await delta in model.stream(ChatRequest(user: "buckets?")) {
            accumulator.add(delta)
            if case .text(let text) = delta { texts.append(text) }
        }
        #expect(texts == ["Okay", ", let's check the buckets."])
        #expect(accumulator.response.requestID == "req_stream_1")
        #expect(accumulator.response.toolCalls.first?.name == "list_buckets")
    }

    // MARK: Ollama

    static let ollama = OllamaCodec(configuration: OllamaConfiguration(model: "llama3.1"))

    @Test("Ollama: options, tools, tool_name on results, and a JSON schema as format")
    func ollamaRequest() throws {
        let schema: JSONValue = ["type": "object", "properties": ["age": ["type": "integer"]], "required": ["age"]]
        let request = ChatRequest(
            messages: Self.conversation, tools: [Self.weatherTool],
            responseFormat: .jsonSchema(JSONSchemaFormat(schema: schema)), temperature: 0, maxTokens: 64,
            stop: ["\n\n"], seed: 42)
        let encoded = try Self.ollama.encode(request, stream: false)
        #expect(encoded.url.absoluteString == "http://127.0.0.1:11434/api/chat")
        let body = try #require(encoded.json)
        #expect(body["format"] == schema)
        #expect(body["stream"] == false)
        #expect(body["options"] == ["temperature": 0, "num_predict": 64, "stop": ["\n\n"], "seed": 42])
        #expect(body["tools"]?[0]?["function"]?["name"] == "list_buckets")
        #expect(
            body["messages"]?[2]?["tool_calls"] == [
                ["function": ["name": "list_buckets", "arguments": ["region": "eu-west-1"]]]
            ])
        #expect(
            body["messages"]?[3] == ["role": "tool", "content": #"["logs","assets"]"#, "tool_name": "list_buckets"])
    }

    @Test("Ollama: NDJSON streams join, with counts and stop reason", arguments: [1, 17, 100_000])
    func ollamaStream(chunk: Int) throws {
        let response = try Self.decodeStream(
            Self.ollama.makeStreamDecoder(), Transcript.bytes("ollama/chat-stream.ndjson"), chunk: chunk)
        #expect(response.text == "Amazon S3, EC2 and Lambda.")
        #expect(response.usage == TokenUsage(inputTokens: 26, outputTokens: 8))
        #expect(response.stopReason == .endTurn)
        let tools = try Self.decodeStream(
            Self.ollama.makeStreamDecoder(), Transcript.bytes("ollama/chat-stream-tool-call.ndjson"), chunk: chunk)
        #expect(tools.toolCalls.count == 1)
        #expect(tools.toolCalls[0].name == "get_current_weather")
        #expect(try tools.toolCalls[0].argumentsJSON() == ["format": "celsius", "location": "Toronto"])
        #expect(tools.stopReason == .toolCalls)
    }

    @Test("Ollama: a structured answer over HTTP decodes into a Swift type; errors carry Ollama's message")
    func ollamaHTTP() async throws {
        struct Person: Decodable, Equatable {
            var age: Int
            var available: Bool
        }
        let server = try await TranscriptServer.start([
            .init(body: try Transcript.bytes("ollama/chat-response-structured.json")),
            .init(status: 404, body: try Transcript.bytes("ollama/error-model-not-found.json")),
        ])
        defer { Task { await server.stop() } }
        let model = OllamaChatModel(configuration: OllamaConfiguration(model: "llama3.1", host: server.baseURL))
        let schema: JSONValue = [
            "type": "object", "properties": ["age": ["type": "integer"], "available": ["type": "boolean"]],
            "required": ["age", "available"],
        ]
        let person = try await model.respond(
            to: ChatRequest(user: "Ollama is 22 and busy."), returning: Person.self, schema: schema)
        #expect(person == Person(age: 22, available: false))
        #expect(server.received[0].uri == "/api/chat")
        await #expect {
            _ = try await model.respond(to: ChatRequest(user: "hi"))
        } throws: { error in
            (error as? LLMError)?.providerMessage == #"model "llama3.9" not found, try pulling it first"#
                && (error as? LLMError)?.status == 404
        }
    }

    @Test("Ollama: an error line mid-stream fails the stream with its message")
    func ollamaStreamError() throws {
        #expect {
            _ = try Self.decodeStream(
                Self.ollama.makeStreamDecoder(), Transcript.bytes("ollama/chat-stream-error.ndjson"), chunk: 9)
        } throws: { ($0 as? LLMError)?.providerMessage?.contains("unexpected EOF") == true }
    }

    @Test("OLLAMA_HOST forms")
    func ollamaHost() {
        #expect(OllamaConfiguration.host(fromEnvironment: nil).absoluteString == "http://127.0.0.1:11434")
        #expect(OllamaConfiguration.host(fromEnvironment: "0.0.0.0").absoluteString == "http://127.0.0.1:11434")
        #expect(OllamaConfiguration.host(fromEnvironment: "gpu-box:9999").absoluteString == "http://gpu-box:9999")
        #expect(
            OllamaConfiguration.host(fromEnvironment: "https://ollama.example.com").absoluteString
                == "https://ollama.example.com:11434")
    }

    // MARK: Bedrock

    static let bedrockConfiguration = BedrockConfiguration(
        region: "us-east-1", modelID: "anthropic.claude-3-5-sonnet-20240620-v1:0")

    @Test("Bedrock: system blocks, inferenceConfig, toolConfig, toolUse and toolResult blocks")
    func bedrockRequest() throws {
        let request = ChatRequest(
            messages: Self.conversation, tools: [Self.weatherTool], toolChoice: .required, temperature: 0.5,
            maxTokens: 300, stop: ["END"])
        let encoded = try BedrockCodec(configuration: Self.bedrockConfiguration).encode(request, stream: true)
        #expect(
            encoded.url.absoluteString
                == "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream"
        )
        let body = try #require(encoded.json)
        #expect(body["system"] == [["text": "You operate AWS."]])
        #expect(body["inferenceConfig"] == ["maxTokens": 300, "temperature": 0.5, "stopSequences": ["END"]])
        #expect(body["toolConfig"]?["toolChoice"] == ["any": [:]])
        #expect(body["toolConfig"]?["tools"]?[0]?["toolSpec"]?["inputSchema"] == ["json": Self.weatherTool.parameters])
        #expect(
            body["messages"]?[1]?["content"]
                == [
                    ["text": "Checking."],
                    ["toolUse": ["toolUseId": "call_1", "name": "list_buckets", "input": ["region": "eu-west-1"]]],
                ])
        #expect(
            body["messages"]?[2] == [
                "role": "user",
                "content": [["toolResult": ["toolUseId": "call_1", "content": [["text": #"["logs","assets"]"#]]]]],
            ])
    }

    @Test("Bedrock: a Converse response decodes")
    func bedrockResponse() throws {
        let response = try BedrockCodec(configuration: Self.bedrockConfiguration).decodeResponse(
            Transcript.bytes("bedrock/converse-response-tool-use.json"))
        #expect(response.text == "I'll list the buckets.")
        #expect(
            response.toolCalls == [
                ToolCall(
                    id: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", name: "list_buckets", arguments: #"{"region":"eu-west-1"}"#)
            ])
        #expect(response.stopReason == .toolCalls)
        #expect(response.usage == TokenUsage(inputTokens: 397, outputTokens: 57))
    }

    /// Records what it signs and returns fixed headers, so the test can check both directions.
    final class RecordingSigner: HTTPRequestSigner, @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [(method: String, url: URL, headers: [(name: String, value: String)], body: [UInt8])] = []
        var calls: [(method: String, url: URL, headers: [(name: String, value: String)], body: [UInt8])] {
            lock.withLock { seen }
        }

        func signatureHeaders(
            method: String, url: URL, headers: [(name: String, value: String)], body: [UInt8]
        )
            async throws -> [(name: String, value: String)]
        {
            lock.withLock { seen.append((method, url, headers, body)) }
            return [
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=00ff"
                ),
                ("X-Amz-Date", "20250101T000000Z"),
            ]
        }
    }

    @Test("Bedrock over HTTP: the signer gets the exact request, its headers are sent, the event stream decodes")
    func bedrockSignedStream() async throws {
        let server = try await TranscriptServer.start([
            .init(
                headers: [
                    ("Content-Type", "application/vnd.amazon.eventstream"), ("x-amzn-RequestId", "5d1b7a8c-stream"),
                ],
                body: try Transcript.bytes("bedrock/converse-stream-tool-use.eventstream"), chunkSize: 37)
        ])
        defer { Task { await server.stop() } }
        let signer = RecordingSigner()
        var configuration = Self.bedrockConfiguration
        configuration.endpoint = server.baseURL
        let model = BedrockChatModel(configuration: configuration, signer: signer)
        let response = try await model.stream(ChatRequest(system: "Be brief.", user: "buckets?", maxTokens: 100))
            .collect()
        #expect(response.text == "I'll list the buckets.")
        #expect(try response.toolCalls.first?.argumentsJSON() == ["region": "eu-west-1"])
        #expect(response.usage == TokenUsage(inputTokens: 397, outputTokens: 57))
        #expect(response.requestID == "5d1b7a8c-stream")

        let signed = try #require(signer.calls.first)
        let sent = try #require(server.received.first)
        #expect(signed.method == "POST" && sent.method == "POST")
        #expect(
            signed.url.absoluteString == server.baseURL.absoluteString
                + "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream")
        #expect(sent.uri == "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream")
        #expect(signed.body == sent.body, "the signed body is the body sent")
        #expect(signed.headers.map(\.name) == ["Content-Type", "Accept"])
        #expect(sent.header("Authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") == true)
        #expect(sent.header("X-Amz-Date") == "20250101T000000Z")
        #expect(sent.header("Accept") == "application/vnd.amazon.eventstream")
    }

    @Test("Bedrock: a throttlingException mid-stream, and an error body with its request id")
    func bedrockErrors() async throws {
        #expect {
            _ = try Self.decodeStream(
                BedrockCodec(configuration: Self.bedrockConfiguration).makeStreamDecoder(),
                Transcript.bytes("bedrock/converse-stream-throttled.eventstream"), chunk: 64)
        } throws: { error in
            let error = error as? LLMError
            return error?.kind == .streamError && error?.message.contains("throttlingException") == true
                && error?.providerMessage == "Too many requests, please wait before trying again."
        }
        let server = try await TranscriptServer.start([
            .init(
                status: 400,
                headers: [
                    ("x-amzn-ErrorType", "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
                    ("x-amzn-RequestId", "a1b2c3"),
                ],
                body: try Transcript.bytes("bedrock/error-validation.json"))
        ])
        defer { Task { await server.stop() } }
        var configuration = Self.bedrockConfiguration
        configuration.endpoint = server.baseURL
        let model = BedrockChatModel(configuration: configuration, signer: RecordingSigner())
        await #expect {
            _ = try await model.respond(to: ChatRequest(user: "hi"))
        } throws: { error in
            let error = error as? LLMError
            return error?.status == 400 && error?.requestID == "a1b2c3"
                && error?.providerMessage == "The provided model identifier is invalid."
        }
    }

    // MARK: OpenAI

    @Test(
        "OpenAI: parallel streamed tool calls join by index; usage comes from the last chunk",
        arguments: [1, 29, 100_000])
    func openAIParallelTools(chunk: Int) throws {
        let codec = OpenAICodec(configuration: .openAI(model: "gpt-4o-mini", apiKey: "sk-test-0123456789abcdef0123"))
        let response = try Self.decodeStream(
            codec.makeStreamDecoder(), Transcript.bytes("openai/chat-stream-tool-calls.sse"), chunk: chunk)
        #expect(response.toolCalls.map(\.id) == ["call_DdmO9pD3xa9XTPNJ32zg2hcA", "call_Ky8Rg1zTBq3YbKkf6nJp0mXa"])
        #expect(
            try response.toolCalls.map { try $0.argumentsJSON() } == [
                ["location": "Paris, France"], ["location": "Bogotá, Colombia"],
            ])
        #expect(response.stopReason == .toolCalls)
        #expect(response.usage == TokenUsage(inputTokens: 81, outputTokens: 51))
    }

    @Test("OpenAI: json_schema response format, max_completion_tokens, Bearer key; Azure: deployment URL and api-key")
    func openAIRequests() throws {
        let schema: JSONValue = ["type": "object", "properties": ["n": ["type": "integer"]]]
        let request = ChatRequest(
            messages: [.user("count")],
            responseFormat: .jsonSchema(JSONSchemaFormat(name: "count", schema: schema, strict: true)),
            maxTokens: 10, seed: 1)
        let openAI = try OpenAICodec(
            configuration: .openAI(model: "gpt-4o-mini", apiKey: "sk-test-0123456789abcdef0123")
        )
        .encode(request, stream: true)
        let body = try #require(openAI.json)
        #expect(
            body["response_format"] == [
                "type": "json_schema", "json_schema": ["name": "count", "schema": schema, "strict": true],
            ])
        #expect(body["max_completion_tokens"] == 10 && body["max_tokens"] == nil)
        #expect(body["stream_options"] == ["include_usage": true])
        #expect(
            openAI.headers.contains { $0.name == "Authorization" && $0.value == "Bearer sk-test-0123456789abcdef0123" })

        let azure = try OpenAICodec(
            configuration: .azure(
                endpoint: URL(string: "https://acme.openai.azure.com")!, deployment: "gpt4o", apiVersion: "2024-10-21",
                apiKey: "azure-key-0123456789")
        ).encode(request, stream: false)
        #expect(
            azure.url.absoluteString
                == "https://acme.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21")
        #expect(azure.headers.contains { $0.name == "api-key" })
        #expect(!azure.headers.contains { $0.name == "Authorization" })
        #expect(try #require(azure.json)["model"] == nil)
    }

    @Test("OpenAI: an assistant turn of only tool calls has no content key; one with text keeps it")
    func openAIToolCallTurn() throws {
        let call = ToolCall(id: "call_1", name: "list_buckets", arguments: #"{"region":"eu-west-1"}"#)
        let codec = OpenAICodec(configuration: .compatible(baseURL: URL(string: "http://127.0.0.1:8080/v1")!))
        let body = try #require(
            try codec.encode(
                ChatRequest(messages: [.user("buckets?"), .assistant("", toolCalls: [call]), .assistant("Checking.")]),
                stream: false
            ).json)
        let toolTurn = try #require(body["messages"]?[1]?.objectValue)
        #expect(toolTurn["content"] == nil)
        #expect(toolTurn["tool_calls"]?[0]?["function"]?["name"] == "list_buckets")
        #expect(body["messages"]?[2] == ["role": "assistant", "content": "Checking."])
    }

    @Test("OpenAI over HTTP: 429 with retry-after-ms is retried, and the answer then arrives")
    func openAIRetry() async throws {
        let success: JSONValue = [
            "id": "chatcmpl-1", "model": "gpt-4o-mini", "object": "chat.completion",
            "choices": [["index": 0, "message": ["role": "assistant", "content": "S3"], "finish_reason": "stop"]],
            "usage": ["prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6],
        ]
        let server = try await TranscriptServer.start([
            .init(
                status: 429,
                headers: [
                    ("Content-Type", "application/json"), ("retry-after-ms", "150"), ("x-request-id", "req_429"),
                ],
                body: try Transcript.bytes("openai/error-rate-limit.json")),
            .init(
                headers: [("Content-Type", "application/json"), ("x-request-id", "req_ok")],
                body: Array(success.jsonText.utf8)),
        ])
        defer { Task { await server.stop() } }
        let model = OpenAIChatModel(
            configuration: .openAI(
                model: "gpt-4o-mini", apiKey: "sk-test-0123456789abcdef0123",
                baseURL: server.baseURL.appendingPathComponent("v1")))
        let started = ContinuousClock.now
        let response = try await model.respond(to: ChatRequest(user: "one AWS service"))
        #expect(response.text == "S3")
        #expect(response.requestID == "req_ok")
        #expect(server.received.count == 2)
        #expect(ContinuousClock.now - started >= .milliseconds(150), "the Retry-After wait was honoured")
    }
}
