import Foundation
public import NimbusCore

/// One turn of a conversation with a model: a system instruction, a user's words, the model's answer (with the
/// tools it asked to call), or the result of one of those tool calls.
public struct ChatMessage: Sendable, Hashable, Codable {
    /// Who speaks.
    public enum Role: String, Sendable, Hashable, Codable {
        case system, user, assistant, tool
    }

    public var role: Role
    /// The text of the turn; for a tool result, what the tool returned.
    public var content: String
    /// The tools the model asked to call (assistant turns only).
    public var toolCalls: [ToolCall]
    /// The call this message answers (tool turns only).
    public var toolCallID: String?
    /// The tool that produced this result (tool turns only); Ollama and Bedrock want it.
    public var toolName: String?

    public init(
        role: Role, content: String, toolCalls: [ToolCall] = [], toolCallID: String? = nil, toolName: String? = nil
    ) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.toolName = toolName
    }

    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: .system, content: text) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: .user, content: text) }
    public static func assistant(_ text: String, toolCalls: [ToolCall] = []) -> ChatMessage {
        ChatMessage(role: .assistant, content: text, toolCalls: toolCalls)
    }
    /// The result of a tool call, to send back to the model.
    public static func toolResult(_ content: String, for call: ToolCall) -> ChatMessage {
        ChatMessage(role: .tool, content: content, toolCallID: call.id, toolName: call.name)
    }
}

/// A tool the model may call: its name, what it does, and its parameters as a JSON Schema object.
public struct ToolDefinition: Sendable, Hashable, Codable {
    public var name: String
    public var description: String
    /// A JSON Schema of type `object`.
    public var parameters: JSONValue

    public init(name: String, description: String, parameters: JSONValue = ["type": "object", "properties": [:]]) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// Whether and which tool the model must call.
public enum ToolChoice: Sendable, Hashable, Codable {
    /// The model decides.
    case auto
    /// The model must not call tools.
    case none
    /// The model must call some tool.
    case required
    /// The model must call this tool.
    case tool(String)
}

/// A tool call the model asked for.
public struct ToolCall: Sendable, Hashable, Codable {
    /// The provider's id for the call; tool results quote it.
    public var id: String
    public var name: String
    /// The arguments as the model wrote them: JSON text.
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    /// The arguments parsed as JSON (an empty object for empty text).
    public func argumentsJSON() throws -> JSONValue {
        let text = arguments.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return .object([:]) }
        do {
            return try JSONValue(parsing: text)
        } catch let error as JSONValueError {
            throw LLMError.badToolArguments(tool: name, expected: "JSON", detail: error.message)
        }
    }

    /// The arguments decoded into `T`, with an error naming the tool and the field that does not fit.
    public func decodeArguments<T: Decodable>(_ type: T.Type) throws -> T {
        let json = try argumentsJSON()
        do {
            return try json.decode(T.self)
        } catch let error as JSONValueError {
            throw LLMError.badToolArguments(tool: name, expected: "\(T.self)", detail: error.message)
        }
    }
}
