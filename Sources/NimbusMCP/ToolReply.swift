import MCP
import NimbusCore

/// How a tool call's answer is put for an MCP client: words a person (and a model) reads first, then the JSON of
/// the result as text too — many clients show models only text — and the same JSON as `structuredContent` when
/// it is an object. Failures are tool errors (`isError: true`), never protocol errors, so the model sees why.
enum ToolReply {
    static func success(_ text: String, json: JSONValue? = nil) -> CallTool.Result {
        reply(text, json: json, isError: false)
    }

    /// A refusal or failure: the error's message and what to do about it, and `{"status", "error"}` as JSON.
    static func failure(
        _ error: any Error, status: String, extra: [String: JSONValue] = [:]
    ) -> CallTool.Result {
        let report = ErrorReport(error)
        var text = report.message
        if let hint = report.hint { text += "\nHow to go on: \(hint)" }
        var json = extra
        json["status"] = .string(status)
        json["error"] = report.json
        return reply(text, json: .object(json), isError: true)
    }

    static func reply(_ text: String, json: JSONValue?, isError: Bool) -> CallTool.Result {
        var content: [MCP.Tool.Content] = [.text(text: SecretRedactor.redact(text), annotations: nil, _meta: nil)]
        var structured: MCP.Value?
        if let json {
            let clean = SecretRedactor.redact(json)
            content.append(.text(text: clean.prettyJSONText, annotations: nil, _meta: nil))
            if clean.objectValue != nil { structured = clean.mcpValue }
        }
        return CallTool.Result(content: content, structuredContent: structured, isError: isError)
    }
}
