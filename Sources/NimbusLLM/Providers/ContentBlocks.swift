import NimbusCore

/// The block-based message shape Anthropic Messages and Bedrock Converse share: system text apart, user and
/// assistant turns alternating, tool results sent as user turns, so consecutive results (and a user message after
/// them) join one turn.
struct ContentBlockTurns {
    /// How one provider writes each kind of block.
    let text: (String) -> JSONValue
    let toolUse: (ToolCall) -> JSONValue
    let toolResult: (ChatMessage) -> JSONValue

    func turns(_ messages: [ChatMessage]) -> [(role: String, blocks: [JSONValue])] {
        var turns: [(role: String, blocks: [JSONValue])] = []
        for message in messages {
            let role: String
            var blocks: [JSONValue] = []
            switch message.role {
            case .system: continue
            case .user:
                role = "user"
                blocks.append(text(message.content))
            case .assistant:
                role = "assistant"
                if !message.content.isEmpty { blocks.append(text(message.content)) }
                blocks += message.toolCalls.map(toolUse)
            case .tool:
                role = "user"
                blocks.append(toolResult(message))
            }
            if let last = turns.last, last.role == role {
                turns[turns.count - 1].blocks += blocks
            } else {
                turns.append((role, blocks))
            }
        }
        return turns
    }
}

extension OpenAICodec {
    /// Tools as OpenAI writes them (`{"type": "function", "function": {…}}`), which Ollama accepts too.
    static func encodeTools(_ tools: [ToolDefinition]) -> JSONValue {
        .array(
            tools.map { tool in
                [
                    "type": "function",
                    "function": [
                        "name": .string(tool.name), "description": .string(tool.description),
                        "parameters": tool.parameters,
                    ],
                ]
            })
    }
}
