import Foundation
public import NimbusCore

/// How a provider is asked for JSON that matches a schema.
public enum StructuredOutputStrategy: String, Sendable, Hashable, Codable, CaseIterable {
    /// The provider's own JSON-schema mode (OpenAI `json_schema`, Ollama `format`).
    case native
    /// The provider's JSON mode (any JSON object), with the schema in the instructions.
    case jsonMode = "json_mode"
    /// A tool whose parameters are the schema, which the model is forced to call; servers that constrain tool
    /// arguments with a grammar (llama.cpp) then produce schema-shaped JSON. The call's arguments become the text.
    case forcedTool = "tool"
    /// The schema in the instructions only.
    case instructions
}

/// The answer to a structured request: JSON that passed the schema check, and the response it came from.
public struct StructuredResponse: Sendable, Hashable {
    /// The validated JSON.
    public var value: JSONValue
    /// The response that carried it (usage adds up every attempt).
    public var response: ChatResponse
    /// 1, or 2 when the first answer failed the check and the model was asked again.
    public var attempts: Int

    /// The value decoded into `T`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try value.decode(T.self)
        } catch let error as JSONValueError {
            throw LLMError(
                .invalidStructuredOutput,
                "the answer matches the schema but does not decode into \(T.self): \(error.message)",
                suggestion: "make the schema and \(T.self) agree")
        }
    }
}

extension ChatModel {
    /// Asks for JSON matching `format.schema`, checks the answer against the schema and, when it fails, asks once
    /// more with the problems listed. Never returns JSON that failed the check.
    public func respond(to request: ChatRequest, format: JSONSchemaFormat) async throws -> StructuredResponse {
        var request = request
        request.responseFormat = .jsonSchema(format)
        request.tools = []
        request.toolChoice = .auto
        let validator = JSONSchemaValidator(schema: format.schema)
        var usage: TokenUsage?
        var problems: [String] = []
        for attempt in 1...2 {
            let response = try await respond(to: request)
            if let used = response.usage {
                usage = TokenUsage(
                    inputTokens: (usage?.inputTokens ?? 0) + used.inputTokens,
                    outputTokens: (usage?.outputTokens ?? 0) + used.outputTokens)
            }
            problems = StructuredOutput.problems(in: response.text, validator: validator)
            if problems.isEmpty {
                var final = response
                final.usage = usage
                let value = try JSONValue(parsing: StructuredOutput.extractJSON(response.text))
                return StructuredResponse(value: value, response: final, attempts: attempt)
            }
            request.messages.append(.assistant(response.text))
            request.messages.append(
                .user(
                    "That answer does not match the required JSON schema:\n"
                        + problems.prefix(10).map { "- \($0)" }.joined(separator: "\n")
                        + "\nReply again with only a JSON value that matches the schema."))
        }
        throw LLMError.invalidStructuredOutput(model: name, problems: problems)
    }

    /// Asks for JSON matching `schema` and decodes it into `T` (see ``respond(to:format:)``).
    public func respond<T: Decodable>(
        to request: ChatRequest, returning type: T.Type, schema: JSONValue
    ) async throws
        -> T
    {
        try await respond(to: request, format: JSONSchemaFormat(schema: schema)).decode(T.self)
    }
}

/// The pieces providers share to honour ``ResponseFormat/jsonSchema(_:)`` with each strategy.
enum StructuredOutput {
    /// Rewrites a request for providers without a native schema mode; `forcedTool` names the tool whose call
    /// carries the answer.
    static func prepare(
        _ request: ChatRequest, strategy: StructuredOutputStrategy
    ) -> (
        request: ChatRequest, forcedTool: String?
    ) {
        guard case .jsonSchema(let format) = request.responseFormat else { return (request, nil) }
        var prepared = request
        switch strategy {
        case .native:
            return (request, nil)
        case .jsonMode:
            prepared.responseFormat = .json
            prepared.messages = addingInstructions(for: format, to: request.messages)
            return (prepared, nil)
        case .instructions:
            prepared.responseFormat = .text
            prepared.messages = addingInstructions(for: format, to: request.messages)
            return (prepared, nil)
        case .forcedTool:
            let tool = toolName(for: format)
            prepared.responseFormat = .text
            prepared.tools = [
                ToolDefinition(
                    name: tool, description: format.description ?? "Give the answer as structured data.",
                    parameters: format.schema)
            ]
            prepared.toolChoice = .tool(tool)
            return (prepared, tool)
        }
    }

    static func toolName(for format: JSONSchemaFormat) -> String {
        let cleaned = String(
            format.name.unicodeScalars.map { scalar in
                CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII || scalar == "_" || scalar == "-"
                    ? Character(scalar) : "_"
            }.prefix(64))
        return cleaned.isEmpty ? "answer" : cleaned
    }

    static func instructions(for format: JSONSchemaFormat) -> String {
        "Answer with one JSON value that matches this JSON Schema, and nothing else (no prose, no code fences):\n"
            + format.schema.jsonText
    }

    private static func addingInstructions(for format: JSONSchemaFormat, to messages: [ChatMessage]) -> [ChatMessage] {
        var messages = messages
        let text = instructions(for: format)
        if let index = messages.firstIndex(where: { $0.role == .system }) {
            messages[index].content += "\n\n" + text
        } else {
            messages.insert(.system(text), at: 0)
        }
        return messages
    }

    /// The response with the forced tool's call turned back into text.
    static func unwrap(_ response: ChatResponse, forcedTool: String?) -> ChatResponse {
        guard let forcedTool, let call = response.toolCalls.first(where: { $0.name == forcedTool }) else {
            return response
        }
        var unwrapped = response
        unwrapped.text = call.arguments
        unwrapped.toolCalls = []
        unwrapped.stopReason = .endTurn
        return unwrapped
    }

    /// Problems that keep `text` from being an answer: not JSON, or JSON that breaks the schema.
    static func problems(in text: String, validator: JSONSchemaValidator) -> [String] {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: extractJSON(text))
        } catch let error as JSONValueError {
            return ["the answer is not JSON (\(error.message))"]
        } catch {
            return ["the answer is not JSON"]
        }
        return validator.violations(of: value).map(\.description)
    }

    /// The JSON inside an answer: models often wrap it in a code fence or a sentence.
    static func extractJSON(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let first = trimmed.first, first == "{" || first == "[" || first == "\"" { return trimmed }
        if let fence = trimmed.range(of: "```") {
            var body = trimmed[fence.upperBound...]
            if let newline = body.firstIndex(of: "\n") { body = body[body.index(after: newline)...] }
            if let end = body.range(of: "```") {
                return String(body[..<end.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        if let open = trimmed.firstIndex(where: { $0 == "{" || $0 == "[" }),
            let close = trimmed.lastIndex(where: { $0 == "}" || $0 == "]" }), open < close
        {
            return String(trimmed[open...close])
        }
        return trimmed
    }
}

/// Turns the forced tool's streamed call back into text deltas.
struct ForcedToolUnwrapSource: ChatDeltaSource {
    var base: any ChatDeltaSource
    let tool: String
    var forcedIndex: Int?

    mutating func next() async throws -> ChatDelta? {
        while let delta = try await base.next() {
            switch delta {
            case .toolCallStarted(let index, _, let name) where name == tool:
                forcedIndex = index
                continue
            case .toolCallArguments(let index, let fragment) where index == forcedIndex:
                return .text(fragment)
            case .finished(let reason):
                return .finished(reason == .toolCalls && forcedIndex != nil ? .endTurn : reason)
            default:
                return delta
            }
        }
        return nil
    }
}
