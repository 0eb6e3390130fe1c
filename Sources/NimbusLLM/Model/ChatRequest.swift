public import NimbusCore

/// What to ask a model: the conversation, the tools it may call, the shape of the answer and sampling settings.
///
/// Every provider understands every field; where a provider lacks a feature (a JSON-schema mode, a seed) it does
/// the closest thing it can and says so in docs/llm.md.
public struct ChatRequest: Sendable, Hashable, Codable {
    public var messages: [ChatMessage]
    public var tools: [ToolDefinition]
    public var toolChoice: ToolChoice
    public var responseFormat: ResponseFormat
    public var temperature: Double?
    public var maxTokens: Int?
    /// Sequences that end the answer.
    public var stop: [String]
    /// For reproducible sampling, where the provider supports it.
    public var seed: Int?

    public init(
        messages: [ChatMessage], tools: [ToolDefinition] = [], toolChoice: ToolChoice = .auto,
        responseFormat: ResponseFormat = .text, temperature: Double? = nil, maxTokens: Int? = nil,
        stop: [String] = [], seed: Int? = nil
    ) {
        self.messages = messages
        self.tools = tools
        self.toolChoice = toolChoice
        self.responseFormat = responseFormat
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.stop = stop
        self.seed = seed
    }

    /// A one-question request, with an optional system instruction.
    public init(system: String? = nil, user: String, maxTokens: Int? = nil, temperature: Double? = nil) {
        var messages: [ChatMessage] = []
        if let system { messages.append(.system(system)) }
        messages.append(.user(user))
        self.init(messages: messages, temperature: temperature, maxTokens: maxTokens)
    }

    /// The system instructions, joined (providers that take them apart from the conversation want this).
    var systemText: String? {
        let parts = messages.filter { $0.role == .system }.map(\.content)
        return parts.isEmpty ? nil : parts.joined(separator: "\n\n")
    }
}

/// The shape of the answer.
public enum ResponseFormat: Sendable, Hashable, Codable {
    /// Free text.
    case text
    /// Any JSON object ("JSON mode").
    case json
    /// JSON that matches a schema.
    case jsonSchema(JSONSchemaFormat)
}

/// A named JSON Schema for structured answers.
public struct JSONSchemaFormat: Sendable, Hashable, Codable {
    /// A short name (letters, digits, `_`, `-`), which some providers require.
    public var name: String
    public var schema: JSONValue
    public var description: String?
    /// Ask providers with a strict mode (OpenAI) to enforce the schema exactly; the schema must then close every
    /// object (`additionalProperties: false`) and require every property.
    public var strict: Bool

    public init(name: String = "answer", schema: JSONValue, description: String? = nil, strict: Bool = false) {
        self.name = name
        self.schema = schema
        self.description = description
        self.strict = strict
    }
}
