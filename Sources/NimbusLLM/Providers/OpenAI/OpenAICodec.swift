import Foundation
import NimbusCore

/// The chat-completions wire format: https://platform.openai.com/docs/api-reference/chat
struct OpenAICodec: ProviderCodec {
    let configuration: OpenAIConfiguration

    var provider: String { configuration.providerName }
    var structuredOutput: StructuredOutputStrategy { configuration.structuredOutput }

    var endpoint: URL {
        switch configuration.flavor {
        case .azure(let deployment, let apiVersion):
            var components = URLComponents(
                url: configuration.baseURL.appendingPathComponent("openai/deployments/\(deployment)/chat/completions"),
                resolvingAgainstBaseURL: false)!
            components.queryItems = [URLQueryItem(name: "api-version", value: apiVersion)]
            return components.url!
        case .openAI, .compatible:
            return configuration.baseURL.appendingPathComponent("chat/completions")
        }
    }

    func encode(_ request: ChatRequest, stream: Bool) throws -> ProviderHTTPRequest {
        var body: [String: JSONValue] = ["messages": .array(request.messages.map(Self.encode))]
        if case .azure = configuration.flavor {
        } else {
            body["model"] = .string(configuration.model)
        }
        if !request.tools.isEmpty {
            body["tools"] = OpenAICodec.encodeTools(request.tools)
            switch request.toolChoice {
            case .auto: body["tool_choice"] = "auto"
            case .none: body["tool_choice"] = "none"
            case .required: body["tool_choice"] = "required"
            case .tool(let name): body["tool_choice"] = ["type": "function", "function": ["name": .string(name)]]
            }
        }
        switch request.responseFormat {
        case .text: break
        case .json: body["response_format"] = ["type": "json_object"]
        case .jsonSchema(let format):
            var schema: [String: JSONValue] = [
                "name": .string(StructuredOutput.toolName(for: format)), "schema": format.schema,
                "strict": .bool(format.strict),
            ]
            if let description = format.description { schema["description"] = .string(description) }
            body["response_format"] = ["type": "json_schema", "json_schema": .object(schema)]
        }
        if let temperature = request.temperature { body["temperature"] = .double(temperature) }
        if let maxTokens = request.maxTokens {
            body[configuration.flavor == .openAI ? "max_completion_tokens" : "max_tokens"] = .int(maxTokens)
        }
        if !request.stop.isEmpty { body["stop"] = .array(request.stop.map(JSONValue.string)) }
        if let seed = request.seed { body["seed"] = .int(seed) }
        if stream {
            body["stream"] = true
            body["stream_options"] = ["include_usage": true]
        }

        var headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"), ("Accept", stream ? "text/event-stream" : "application/json"),
        ]
        if let key = configuration.apiKey, !key.isEmpty {
            if case .azure = configuration.flavor {
                headers.append(("api-key", key))
            } else {
                headers.append(("Authorization", "Bearer \(key)"))
            }
        }
        if let organization = configuration.organization { headers.append(("OpenAI-Organization", organization)) }
        for (name, value) in configuration.extraHeaders.sorted(by: { $0.key < $1.key }) {
            headers.append((name, value))
        }
        return ProviderHTTPRequest(url: endpoint, headers: headers, body: Array(JSONValue.object(body).jsonText.utf8))
    }

    static func encode(_ message: ChatMessage) -> JSONValue {
        switch message.role {
        case .system: return ["role": "system", "content": .string(message.content)]
        case .user: return ["role": "user", "content": .string(message.content)]
        case .assistant:
            var object: [String: JSONValue] = ["role": "assistant"]
            // A turn of only tool calls carries no content key: OpenAI accepts `null` or no key, but servers with a
            // stricter schema (llama-cpp-python) refuse `null` with HTTP 500, so the key is left out.
            if !(message.content.isEmpty && !message.toolCalls.isEmpty) { object["content"] = .string(message.content) }
            if !message.toolCalls.isEmpty {
                object["tool_calls"] = .array(
                    message.toolCalls.map { call in
                        [
                            "id": .string(call.id), "type": "function",
                            "function": ["name": .string(call.name), "arguments": .string(call.arguments)],
                        ]
                    })
            }
            return .object(object)
        case .tool:
            return [
                "role": "tool", "tool_call_id": .string(message.toolCallID ?? ""), "content": .string(message.content),
            ]
        }
    }

    func decodeResponse(_ body: [UInt8]) throws -> ChatResponse {
        let decoded = try JSONDecoder().decode(Completion.self, from: Data(body))
        guard let choice = decoded.choices.first else {
            throw LLMError.malformedResponse(
                provider: provider, detail: "the answer has no choices", requestID: decoded.id)
        }
        let calls = (choice.message.tool_calls ?? []).map { call in
            ToolCall(id: call.id ?? "", name: call.function.name ?? "", arguments: call.function.arguments ?? "")
        }
        return ChatResponse(
            text: choice.message.content ?? "", toolCalls: calls, stopReason: choice.finish_reason.map(Self.stopReason),
            usage: decoded.usage.map {
                TokenUsage(inputTokens: $0.prompt_tokens ?? 0, outputTokens: $0.completion_tokens ?? 0)
            },
            model: decoded.model, requestID: nil)
    }

    static func stopReason(_ reason: String) -> StopReason {
        switch reason {
        case "stop": .endTurn
        case "length": .maxTokens
        case "tool_calls", "function_call": .toolCalls
        case "content_filter": .contentFilter
        default: .other(reason)
        }
    }

    func errorMessage(_ body: [UInt8]) -> String? {
        guard let json = try? JSONValue(parsing: Data(body)) else { return nil }
        return Self.errorMessage(json)
    }

    /// `{"error": {"message": …}}` from OpenAI, or FastAPI's `{"detail": …}` from Python servers.
    static func errorMessage(_ json: JSONValue) -> String? {
        if let error = json["error"] {
            if let message = error["message"]?.stringValue { return message }
            if let message = error.stringValue { return message }
        }
        if let detail = json["detail"] {
            if let text = detail.stringValue { return text }
            if let items = detail.arrayValue {
                return items.map { item in
                    let location = item["loc"]?.arrayValue?.map { $0.stringValue ?? $0.jsonText }.joined(separator: ".")
                    let message = item["msg"]?.stringValue ?? item.jsonText
                    return location.map { "\($0): \(message)" } ?? message
                }.joined(separator: "; ")
            }
        }
        if let message = json["message"]?.stringValue { return message }
        return nil
    }

    func makeStreamDecoder() -> OpenAIStreamDecoder { OpenAIStreamDecoder(provider: provider) }

    // MARK: Wire types

    struct Completion: Decodable {
        var id: String?
        var model: String?
        var choices: [Choice]
        var usage: Usage?
    }

    struct Choice: Decodable {
        var message: Message
        var finish_reason: String?
    }

    struct Message: Decodable {
        var content: String?
        var tool_calls: [Call]?
    }

    struct Call: Decodable {
        var index: Int?
        var id: String?
        var function: Function
    }

    struct Function: Decodable {
        var name: String?
        var arguments: String?
    }

    struct Usage: Decodable {
        var prompt_tokens: Int?
        var completion_tokens: Int?
    }
}

/// SSE chunks of `chat.completion.chunk` objects, ending with `data: [DONE]`.
struct OpenAIStreamDecoder: ProviderStreamDecoder {
    let provider: String
    private var parser = SSEParser()
    private let decoder = JSONDecoder()
    private var sentMetadata = false
    private var ended = false
    /// The finish reason arrives before the usage chunk (`stream_options.include_usage`); the end is announced at
    /// `[DONE]`, or when the connection closes after a finish reason on servers that omit `[DONE]`.
    private var stopReason: StopReason?
    private var sawFinishReason = false
    private var startedCalls: Set<Int> = []

    init(provider: String) {
        self.provider = provider
    }

    mutating func decode(_ bytes: [UInt8]) throws -> [ChatDelta] {
        var deltas: [ChatDelta] = []
        for event in parser.parse(bytes) { try handle(event, into: &deltas) }
        return deltas
    }

    mutating func finish() throws -> [ChatDelta] {
        var deltas: [ChatDelta] = []
        for event in parser.finish() { try handle(event, into: &deltas) }
        if !ended {
            guard sawFinishReason else {
                throw LLMError(
                    .connection, "\(provider) closed the stream before the answer was complete", provider: provider)
            }
            ended = true
            deltas.append(.finished(stopReason))
        }
        return deltas
    }

    private mutating func handle(_ event: SSEEvent, into deltas: inout [ChatDelta]) throws {
        let data = event.data
        if ended || data.isEmpty { return }
        if data == "[DONE]" {
            ended = true
            deltas.append(.finished(stopReason))
            return
        }
        let chunk: Chunk
        do {
            chunk = try decoder.decode(Chunk.self, from: Data(data.utf8))
        } catch {
            throw LLMError.malformedResponse(
                provider: provider, detail: "a stream chunk: \(JSONValueError.describe(error))")
        }
        if let error = chunk.error {
            throw LLMError.streamError(
                provider: provider, providerMessage: error.message ?? "unknown error", type: error.type,
                requestID: chunk.id)
        }
        if !sentMetadata, chunk.model != nil {
            sentMetadata = true
            deltas.append(.metadata(ChatResponseMetadata(model: chunk.model, requestID: nil)))
        }
        for choice in chunk.choices ?? [] where (choice.index ?? 0) == 0 {
            if let content = choice.delta?.content, !content.isEmpty { deltas.append(.text(content)) }
            for call in choice.delta?.tool_calls ?? [] {
                let index = call.index ?? 0
                if !startedCalls.contains(index), call.id != nil || call.function?.name != nil {
                    startedCalls.insert(index)
                    deltas.append(.toolCallStarted(index: index, id: call.id ?? "", name: call.function?.name ?? ""))
                }
                if let arguments = call.function?.arguments, !arguments.isEmpty {
                    deltas.append(.toolCallArguments(index: index, fragment: arguments))
                }
            }
            if let reason = choice.finish_reason {
                sawFinishReason = true
                stopReason = OpenAICodec.stopReason(reason)
            }
        }
        if let usage = chunk.usage {
            deltas.append(
                .usage(TokenUsage(inputTokens: usage.prompt_tokens ?? 0, outputTokens: usage.completion_tokens ?? 0)))
        }
    }

    struct Chunk: Decodable {
        var id: String?
        var model: String?
        var choices: [Choice]?
        var usage: OpenAICodec.Usage?
        var error: StreamFailure?
    }

    struct Choice: Decodable {
        var index: Int?
        var delta: Delta?
        var finish_reason: String?
    }

    struct Delta: Decodable {
        var content: String?
        var tool_calls: [OpenAICodec.Call.Partial]?
    }

    struct StreamFailure: Decodable {
        var message: String?
        var type: String?
    }
}

extension OpenAICodec.Call {
    struct Partial: Decodable {
        var index: Int?
        var id: String?
        var function: OpenAICodec.Function?
    }
}

extension OpenAIChatModel {
    /// Decodes a recorded chat-completions SSE stream, chunk by chunk, exactly as a live stream is decoded; for the
    /// parsing-throughput benchmark.
    @_spi(Benchmarks)
    public static func decodeRecordedStream(_ chunks: [[UInt8]]) throws -> Int {
        var decoder = OpenAIStreamDecoder(provider: "openai-compatible")
        var deltas = 0
        for chunk in chunks { deltas += try decoder.decode(chunk).count }
        deltas += try decoder.finish().count
        return deltas
    }
}
