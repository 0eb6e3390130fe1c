import Foundation
import NimbusCore

/// The Converse wire format: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html and
/// API_runtime_ConverseStream.html.
struct BedrockCodec: ProviderCodec {
    let configuration: BedrockConfiguration

    var provider: String { "bedrock" }
    var structuredOutput: StructuredOutputStrategy { configuration.structuredOutput }

    func url(stream: Bool) -> URL {
        // The model id goes into the path percent-encoded (its `:` too), as the AWS SDKs send it.
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let model = configuration.modelID.addingPercentEncoding(withAllowedCharacters: allowed) ?? configuration.modelID
        let base =
            configuration.endpoint.absoluteString.hasSuffix("/")
            ? String(configuration.endpoint.absoluteString.dropLast()) : configuration.endpoint.absoluteString
        return URL(string: "\(base)/model/\(model)/\(stream ? "converse-stream" : "converse")")!
    }

    func encode(_ request: ChatRequest, stream: Bool) throws -> ProviderHTTPRequest {
        var body: [String: JSONValue] = ["messages": .array(Self.encodeMessages(request.messages))]
        if let system = request.systemText { body["system"] = [["text": .string(system)]] }
        var inference: [String: JSONValue] = [:]
        if let maxTokens = request.maxTokens { inference["maxTokens"] = .int(maxTokens) }
        if let temperature = request.temperature { inference["temperature"] = .double(temperature) }
        if !request.stop.isEmpty { inference["stopSequences"] = .array(request.stop.map(JSONValue.string)) }
        if !inference.isEmpty { body["inferenceConfig"] = .object(inference) }
        if !request.tools.isEmpty, request.toolChoice != ToolChoice.none {
            var toolConfig: [String: JSONValue] = [
                "tools": .array(
                    request.tools.map { tool in
                        [
                            "toolSpec": [
                                "name": .string(tool.name), "description": .string(tool.description),
                                "inputSchema": ["json": tool.parameters],
                            ]
                        ]
                    })
            ]
            switch request.toolChoice {
            case .auto, .none: toolConfig["toolChoice"] = ["auto": [:]]
            case .required: toolConfig["toolChoice"] = ["any": [:]]
            case .tool(let name): toolConfig["toolChoice"] = ["tool": ["name": .string(name)]]
            }
            body["toolConfig"] = .object(toolConfig)
        }
        let headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"),
            ("Accept", stream ? "application/vnd.amazon.eventstream" : "application/json"),
        ]
        return ProviderHTTPRequest(
            url: url(stream: stream), headers: headers, body: Array(JSONValue.object(body).jsonText.utf8))
    }

    /// User and assistant turns of blocks; tool results are `toolResult` blocks in user turns.
    static func encodeMessages(_ messages: [ChatMessage]) -> [JSONValue] {
        let turns = ContentBlockTurns(
            text: { ["text": .string($0)] },
            toolUse: { call in
                [
                    "toolUse": [
                        "toolUseId": .string(call.id), "name": .string(call.name),
                        "input": (try? call.argumentsJSON()) ?? .object([:]),
                    ]
                ]
            },
            toolResult: { message in
                [
                    "toolResult": [
                        "toolUseId": .string(message.toolCallID ?? ""), "content": [["text": .string(message.content)]],
                    ]
                ]
            }
        ).turns(messages)
        return turns.map { ["role": .string($0.role), "content": .array($0.blocks)] }
    }

    func decodeResponse(_ body: [UInt8]) throws -> ChatResponse {
        let json = try JSONValue(parsing: Data(body))
        guard let content = json["output"]?["message"]?["content"]?.arrayValue else {
            throw LLMError.malformedResponse(provider: provider, detail: "the answer has no output.message.content")
        }
        var text = ""
        var calls: [ToolCall] = []
        for block in content {
            if let piece = block["text"]?.stringValue { text += piece }
            if let use = block["toolUse"] {
                calls.append(
                    ToolCall(
                        id: use["toolUseId"]?.stringValue ?? "", name: use["name"]?.stringValue ?? "",
                        arguments: (use["input"] ?? .object([:])).jsonText))
            }
        }
        return ChatResponse(
            text: text, toolCalls: calls, stopReason: json["stopReason"]?.stringValue.map(Self.stopReason),
            usage: Self.usage(json["usage"]), model: configuration.modelID, requestID: nil)
    }

    static func usage(_ json: JSONValue?) -> TokenUsage? {
        guard let json, json.objectValue != nil else { return nil }
        return TokenUsage(
            inputTokens: json["inputTokens"]?.intValue ?? 0, outputTokens: json["outputTokens"]?.intValue ?? 0)
    }

    static func stopReason(_ reason: String) -> StopReason {
        switch reason {
        case "end_turn": .endTurn
        case "max_tokens": .maxTokens
        case "tool_use": .toolCalls
        case "stop_sequence": .stopSequence
        case "guardrail_intervened", "content_filtered": .contentFilter
        default: .other(reason)
        }
    }

    /// `{"message": "…"}`, the shape of every Bedrock error body.
    func errorMessage(_ body: [UInt8]) -> String? {
        guard let json = try? JSONValue(parsing: Data(body)) else { return nil }
        return json["message"]?.stringValue ?? json["Message"]?.stringValue
    }

    func makeStreamDecoder() -> BedrockStreamDecoder { BedrockStreamDecoder(model: configuration.modelID) }
}

/// ConverseStream events in the AWS event-stream encoding: messageStart, contentBlockStart, contentBlockDelta,
/// contentBlockStop, messageStop, metadata; or an exception message.
struct BedrockStreamDecoder: ProviderStreamDecoder {
    let model: String
    private var decoder = AWSEventStreamDecoder()
    private var toolIndex: [Int: Int] = [:]
    private var stopReason: StopReason?
    private var stopped = false
    private var sawMetadata = false

    init(model: String) {
        self.model = model
    }

    mutating func decode(_ bytes: [UInt8]) throws -> [ChatDelta] {
        let messages: [AWSEventStreamMessage]
        do {
            messages = try decoder.decode(bytes)
        } catch {
            throw LLMError.malformedResponse(provider: "bedrock", detail: "\(error)")
        }
        var deltas: [ChatDelta] = []
        for message in messages { try handle(message, into: &deltas) }
        return deltas
    }

    mutating func finish() throws -> [ChatDelta] {
        do {
            try decoder.finish()
        } catch {
            throw LLMError.malformedResponse(provider: "bedrock", detail: "\(error)")
        }
        guard stopped else {
            throw LLMError(.connection, "bedrock closed the stream before messageStop", provider: "bedrock")
        }
        return sawMetadata ? [] : [.finished(stopReason)]
    }

    private mutating func handle(_ message: AWSEventStreamMessage, into deltas: inout [ChatDelta]) throws {
        let payload = (try? JSONValue(parsing: Data(message.payload))) ?? .object([:])
        switch message.header(":message-type") {
        case "exception", "error":
            let type = message.header(":exception-type") ?? message.header(":error-code")
            let text =
                payload["message"]?.stringValue ?? payload["Message"]?.stringValue
                ?? message.header(":error-message") ?? "unknown error"
            throw LLMError.streamError(provider: "bedrock", providerMessage: text, type: type, requestID: nil)
        default: break
        }
        switch message.header(":event-type") {
        case "messageStart":
            deltas.append(.metadata(ChatResponseMetadata(model: model, requestID: nil)))
        case "contentBlockStart":
            let index = payload["contentBlockIndex"]?.intValue ?? 0
            if let use = payload["start"]?["toolUse"] {
                let callIndex = toolIndex.count
                toolIndex[index] = callIndex
                deltas.append(
                    .toolCallStarted(
                        index: callIndex, id: use["toolUseId"]?.stringValue ?? "", name: use["name"]?.stringValue ?? "")
                )
            }
        case "contentBlockDelta":
            let index = payload["contentBlockIndex"]?.intValue ?? 0
            let delta = payload["delta"]
            if let text = delta?["text"]?.stringValue, !text.isEmpty { deltas.append(.text(text)) }
            if let input = delta?["toolUse"]?["input"]?.stringValue, !input.isEmpty, let callIndex = toolIndex[index] {
                deltas.append(.toolCallArguments(index: callIndex, fragment: input))
            }
        case "messageStop":
            stopped = true
            stopReason = payload["stopReason"]?.stringValue.map(BedrockCodec.stopReason)
        case "metadata":
            // Usage comes after messageStop; the answer ends here.
            sawMetadata = true
            if let usage = BedrockCodec.usage(payload["usage"]) { deltas.append(.usage(usage)) }
            deltas.append(.finished(stopReason))
        default: break
        }
    }
}
