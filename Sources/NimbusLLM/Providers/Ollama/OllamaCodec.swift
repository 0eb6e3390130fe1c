import Foundation
import NimbusCore

/// The `/api/chat` wire format: https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-chat-completion
struct OllamaCodec: ProviderCodec {
    let configuration: OllamaConfiguration

    var provider: String { "ollama" }
    var structuredOutput: StructuredOutputStrategy { configuration.structuredOutput }

    func encode(_ request: ChatRequest, stream: Bool) throws -> ProviderHTTPRequest {
        var body: [String: JSONValue] = [
            "model": .string(configuration.model),
            "messages": .array(request.messages.map(Self.encode)),
            "stream": .bool(stream),
        ]
        // Ollama has no tool_choice: "none" leaves the tools out; forcing one is left to the model.
        if !request.tools.isEmpty, request.toolChoice != ToolChoice.none {
            body["tools"] = OpenAICodec.encodeTools(request.tools)
        }
        switch request.responseFormat {
        case .text: break
        case .json: body["format"] = "json"
        case .jsonSchema(let format): body["format"] = format.schema
        }
        var options: [String: JSONValue] = [:]
        if let temperature = request.temperature { options["temperature"] = .double(temperature) }
        if let maxTokens = request.maxTokens { options["num_predict"] = .int(maxTokens) }
        if !request.stop.isEmpty { options["stop"] = .array(request.stop.map(JSONValue.string)) }
        if let seed = request.seed { options["seed"] = .int(seed) }
        if !options.isEmpty { body["options"] = .object(options) }
        if let keepAlive = configuration.keepAlive { body["keep_alive"] = .string(keepAlive) }
        return ProviderHTTPRequest(
            url: configuration.host.appendingPathComponent("api/chat"),
            headers: [("Content-Type", "application/json"), ("Accept", "application/x-ndjson")],
            body: Array(JSONValue.object(body).jsonText.utf8))
    }

    static func encode(_ message: ChatMessage) -> JSONValue {
        var object: [String: JSONValue] = ["role": .string(message.role.rawValue), "content": .string(message.content)]
        if !message.toolCalls.isEmpty {
            object["tool_calls"] = .array(
                message.toolCalls.map { call in
                    [
                        "function": [
                            "name": .string(call.name), "arguments": (try? call.argumentsJSON()) ?? .object([:]),
                        ]
                    ]
                })
        }
        if message.role == .tool, let name = message.toolName { object["tool_name"] = .string(name) }
        return .object(object)
    }

    func decodeResponse(_ body: [UInt8]) throws -> ChatResponse {
        let json = try JSONValue(parsing: Data(body))
        if let error = json["error"]?.stringValue {
            throw LLMError.streamError(provider: provider, providerMessage: error, type: nil, requestID: nil)
        }
        guard let message = json["message"] else {
            throw LLMError.malformedResponse(provider: provider, detail: "the answer has no message")
        }
        let calls = Self.toolCalls(message["tool_calls"], startingAt: 0)
        return ChatResponse(
            text: message["content"]?.stringValue ?? "", toolCalls: calls,
            stopReason: Self.stopReason(json["done_reason"]?.stringValue, hasCalls: !calls.isEmpty),
            usage: Self.usage(json), model: json["model"]?.stringValue, requestID: nil)
    }

    /// Ollama's tool calls carry arguments as an object and, before version 0.12, no id.
    static func toolCalls(_ json: JSONValue?, startingAt first: Int) -> [ToolCall] {
        (json?.arrayValue ?? []).enumerated().map { offset, call in
            let function = call["function"]
            let arguments = function?["arguments"] ?? .object([:])
            return ToolCall(
                id: call["id"]?.stringValue ?? "call_\(first + offset)", name: function?["name"]?.stringValue ?? "",
                arguments: arguments.stringValue ?? arguments.jsonText)
        }
    }

    static func stopReason(_ reason: String?, hasCalls: Bool) -> StopReason? {
        if hasCalls { return .toolCalls }
        switch reason {
        case nil: return nil
        case "stop": return .endTurn
        case "length": return .maxTokens
        case let other?: return .other(other)
        }
    }

    static func usage(_ json: JSONValue) -> TokenUsage? {
        guard json["prompt_eval_count"] != nil || json["eval_count"] != nil else { return nil }
        return TokenUsage(
            inputTokens: json["prompt_eval_count"]?.intValue ?? 0, outputTokens: json["eval_count"]?.intValue ?? 0)
    }

    func errorMessage(_ body: [UInt8]) -> String? {
        (try? JSONValue(parsing: Data(body)))?["error"]?.stringValue
    }

    func makeStreamDecoder() -> OllamaStreamDecoder { OllamaStreamDecoder() }
}

/// One JSON object per line; the last has `"done": true` with the counts.
struct OllamaStreamDecoder: ProviderStreamDecoder {
    private var splitter = NDJSONSplitter()
    private var calls = 0
    private var done = false
    private var sentMetadata = false

    mutating func decode(_ bytes: [UInt8]) throws -> [ChatDelta] {
        var deltas: [ChatDelta] = []
        for line in splitter.split(bytes) { try handle(line, into: &deltas) }
        return deltas
    }

    mutating func finish() throws -> [ChatDelta] {
        var deltas: [ChatDelta] = []
        for line in splitter.finish() { try handle(line, into: &deltas) }
        if !done {
            throw LLMError(.connection, "ollama closed the stream before the answer was done", provider: "ollama")
        }
        return deltas
    }

    private mutating func handle(_ line: [UInt8], into deltas: inout [ChatDelta]) throws {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: Data(line))
        } catch {
            throw LLMError.malformedResponse(provider: "ollama", detail: "a stream line is not JSON")
        }
        if let error = json["error"]?.stringValue {
            throw LLMError.streamError(provider: "ollama", providerMessage: error, type: nil, requestID: nil)
        }
        if !sentMetadata {
            sentMetadata = true
            deltas.append(.metadata(ChatResponseMetadata(model: json["model"]?.stringValue, requestID: nil)))
        }
        if let text = json["message"]?["content"]?.stringValue, !text.isEmpty { deltas.append(.text(text)) }
        for call in OllamaCodec.toolCalls(json["message"]?["tool_calls"], startingAt: calls) {
            deltas.append(.toolCallStarted(index: calls, id: call.id, name: call.name))
            deltas.append(.toolCallArguments(index: calls, fragment: call.arguments))
            calls += 1
        }
        if json["done"]?.boolValue == true {
            done = true
            if let usage = OllamaCodec.usage(json) { deltas.append(.usage(usage)) }
            deltas.append(.finished(OllamaCodec.stopReason(json["done_reason"]?.stringValue, hasCalls: calls > 0)))
        }
    }
}
