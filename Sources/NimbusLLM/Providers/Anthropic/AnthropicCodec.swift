import Foundation
import NimbusCore

/// The Messages wire format: https://docs.anthropic.com/en/api/messages and .../messages-streaming
struct AnthropicCodec: ProviderCodec {
    let configuration: AnthropicConfiguration

    var provider: String { "anthropic" }
    var structuredOutput: StructuredOutputStrategy { configuration.structuredOutput }

    func encode(_ request: ChatRequest, stream: Bool) throws -> ProviderHTTPRequest {
        var body: [String: JSONValue] = [
            "model": .string(configuration.model),
            "max_tokens": .int(request.maxTokens ?? configuration.defaultMaxTokens),
            "messages": .array(Self.encodeMessages(request.messages)),
        ]
        if let system = request.systemText { body["system"] = .string(system) }
        if !request.tools.isEmpty, request.toolChoice != ToolChoice.none {
            body["tools"] = .array(
                request.tools.map { tool in
                    [
                        "name": .string(tool.name), "description": .string(tool.description),
                        "input_schema": tool.parameters,
                    ]
                })
            switch request.toolChoice {
            case .auto, .none: body["tool_choice"] = ["type": "auto"]
            case .required: body["tool_choice"] = ["type": "any"]
            case .tool(let name): body["tool_choice"] = ["type": "tool", "name": .string(name)]
            }
        }
        if let temperature = request.temperature { body["temperature"] = .double(temperature) }
        if !request.stop.isEmpty { body["stop_sequences"] = .array(request.stop.map(JSONValue.string)) }
        if stream { body["stream"] = true }
        let headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"), ("Accept", stream ? "text/event-stream" : "application/json"),
            ("x-api-key", configuration.apiKey), ("anthropic-version", configuration.apiVersion),
        ]
        return ProviderHTTPRequest(
            url: configuration.baseURL.appendingPathComponent("messages"), headers: headers,
            body: Array(JSONValue.object(body).jsonText.utf8))
    }

    /// User and assistant turns of blocks; tool results are `tool_result` blocks in user turns.
    static func encodeMessages(_ messages: [ChatMessage]) -> [JSONValue] {
        let turns = ContentBlockTurns(
            text: { ["type": "text", "text": .string($0)] },
            toolUse: { call in
                [
                    "type": "tool_use", "id": .string(call.id), "name": .string(call.name),
                    "input": (try? call.argumentsJSON()) ?? .object([:]),
                ]
            },
            toolResult: { message in
                [
                    "type": "tool_result", "tool_use_id": .string(message.toolCallID ?? ""),
                    "content": .string(message.content),
                ]
            }
        ).turns(messages)
        return turns.map { turn in
            // A lone text block is sent as a plain string, as the API's own examples do.
            if turn.blocks.count == 1, turn.blocks[0]["type"] == "text", let text = turn.blocks[0]["text"] {
                return ["role": .string(turn.role), "content": text]
            }
            return ["role": .string(turn.role), "content": .array(turn.blocks)]
        }
    }

    func decodeResponse(_ body: [UInt8]) throws -> ChatResponse {
        let json = try JSONValue(parsing: Data(body))
        guard let content = json["content"]?.arrayValue else {
            throw LLMError.malformedResponse(provider: provider, detail: "the answer has no content array")
        }
        var text = ""
        var calls: [ToolCall] = []
        for block in content {
            switch block["type"]?.stringValue {
            case "text": text += block["text"]?.stringValue ?? ""
            case "tool_use":
                calls.append(
                    ToolCall(
                        id: block["id"]?.stringValue ?? "", name: block["name"]?.stringValue ?? "",
                        arguments: (block["input"] ?? .object([:])).jsonText))
            default: break
            }
        }
        return ChatResponse(
            text: text, toolCalls: calls, stopReason: json["stop_reason"]?.stringValue.map(Self.stopReason),
            usage: Self.usage(json["usage"]), model: json["model"]?.stringValue, requestID: nil)
    }

    static func usage(_ json: JSONValue?) -> TokenUsage? {
        guard let json, json.objectValue != nil else { return nil }
        let input =
            (json["input_tokens"]?.intValue ?? 0) + (json["cache_creation_input_tokens"]?.intValue ?? 0)
            + (json["cache_read_input_tokens"]?.intValue ?? 0)
        return TokenUsage(inputTokens: input, outputTokens: json["output_tokens"]?.intValue ?? 0)
    }

    static func stopReason(_ reason: String) -> StopReason {
        switch reason {
        case "end_turn": .endTurn
        case "max_tokens": .maxTokens
        case "tool_use": .toolCalls
        case "stop_sequence": .stopSequence
        case "refusal": .contentFilter
        default: .other(reason)
        }
    }

    func errorMessage(_ body: [UInt8]) -> String? {
        guard let json = try? JSONValue(parsing: Data(body)) else { return nil }
        return Self.errorMessage(json)
    }

    /// `{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}`
    static func errorMessage(_ json: JSONValue) -> String? {
        guard let message = json["error"]?["message"]?.stringValue else { return nil }
        if let type = json["error"]?["type"]?.stringValue { return "\(message) (\(type))" }
        return message
    }

    func makeStreamDecoder() -> AnthropicStreamDecoder { AnthropicStreamDecoder() }
}

/// The streamed events: message_start, content_block_start/delta/stop, message_delta, message_stop, ping, error.
struct AnthropicStreamDecoder: ProviderStreamDecoder {
    private var parser = SSEParser()
    /// Content-block index to tool-call index: text blocks and tool blocks share the block numbering.
    private var toolIndex: [Int: Int] = [:]
    private var inputTokens = 0
    private var stopReason: StopReason?
    private var stopped = false
    private var requestID: String?

    mutating func decode(_ bytes: [UInt8]) throws -> [ChatDelta] {
        var deltas: [ChatDelta] = []
        for event in parser.parse(bytes) { try handle(event, into: &deltas) }
        return deltas
    }

    mutating func finish() throws -> [ChatDelta] {
        var deltas: [ChatDelta] = []
        for event in parser.finish() { try handle(event, into: &deltas) }
        if !stopped {
            throw LLMError(
                .connection, "anthropic closed the stream before message_stop", provider: "anthropic",
                requestID: requestID)
        }
        return deltas
    }

    private mutating func handle(_ event: SSEEvent, into deltas: inout [ChatDelta]) throws {
        guard !event.data.isEmpty else { return }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: event.data)
        } catch {
            throw LLMError.malformedResponse(provider: "anthropic", detail: "a stream event is not JSON")
        }
        switch json["type"]?.stringValue ?? event.event {
        case "message_start":
            let message = json["message"]
            requestID = message?["id"]?.stringValue
            deltas.append(.metadata(ChatResponseMetadata(model: message?["model"]?.stringValue, requestID: nil)))
            if let usage = AnthropicCodec.usage(message?["usage"]) {
                inputTokens = usage.inputTokens
                deltas.append(.usage(TokenUsage(inputTokens: usage.inputTokens, outputTokens: 0)))
            }
        case "content_block_start":
            let index = json["index"]?.intValue ?? 0
            let block = json["content_block"]
            switch block?["type"]?.stringValue {
            case "tool_use":
                let callIndex = toolIndex.count
                toolIndex[index] = callIndex
                deltas.append(
                    .toolCallStarted(
                        index: callIndex, id: block?["id"]?.stringValue ?? "", name: block?["name"]?.stringValue ?? ""))
            case "text":
                if let text = block?["text"]?.stringValue, !text.isEmpty { deltas.append(.text(text)) }
            default: break
            }
        case "content_block_delta":
            let index = json["index"]?.intValue ?? 0
            let delta = json["delta"]
            switch delta?["type"]?.stringValue {
            case "text_delta":
                if let text = delta?["text"]?.stringValue { deltas.append(.text(text)) }
            case "input_json_delta":
                if let callIndex = toolIndex[index], let partial = delta?["partial_json"]?.stringValue, !partial.isEmpty
                {
                    deltas.append(.toolCallArguments(index: callIndex, fragment: partial))
                }
            default: break  // thinking and signature deltas are not part of the answer
            }
        case "message_delta":
            if let reason = json["delta"]?["stop_reason"]?.stringValue {
                stopReason = AnthropicCodec.stopReason(reason)
            }
            if let output = json["usage"]?["output_tokens"]?.intValue {
                deltas.append(.usage(TokenUsage(inputTokens: inputTokens, outputTokens: output)))
            }
        case "message_stop":
            stopped = true
            deltas.append(.finished(stopReason))
        case "error":
            throw LLMError.streamError(
                provider: "anthropic", providerMessage: json["error"]?["message"]?.stringValue ?? "unknown error",
                type: json["error"]?["type"]?.stringValue, requestID: requestID)
        default: break  // ping, content_block_stop, and event types added later
        }
    }
}
