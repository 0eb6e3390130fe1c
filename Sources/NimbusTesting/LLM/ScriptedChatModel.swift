public import NimbusCore
public import NimbusLLM
import Synchronization

/// A model that plays back a script of answers and tool calls, in order, and records every request it was sent:
/// for deterministic tests of agent logic (which tool is called next, how results are fed back), never as a
/// stand-in for a provider's wire protocol.
///
/// ```swift
/// let model = ScriptedChatModel([
///     .toolCall("list_buckets", arguments: ["region": "eu-west-1"]),
///     .text("You have 3 buckets."),
/// ])
/// … run the agent …
/// #expect(model.requests[1].messages.last?.role == .tool)
/// ```
public final class ScriptedChatModel: ChatModel {
    public let name: String
    private let state: Mutex<State>

    private struct State {
        var replies: [ScriptedReply]
        var requests: [ChatRequest] = []
    }

    public init(name: String = "scripted:model", _ replies: [ScriptedReply]) {
        self.name = name
        self.state = Mutex(State(replies: replies))
    }

    /// Every request sent so far, in order.
    public var requests: [ChatRequest] { state.withLock { $0.requests } }

    /// Replies not yet played.
    public var remainingReplies: Int { state.withLock { $0.replies.count } }

    /// Adds replies to the end of the script.
    public func enqueue(_ replies: ScriptedReply...) {
        state.withLock { $0.replies += replies }
    }

    private func nextReply(for request: ChatRequest) throws -> ChatResponse {
        let reply: ScriptedReply? = state.withLock { state in
            state.requests.append(request)
            return state.replies.isEmpty ? nil : state.replies.removeFirst()
        }
        guard let reply else {
            throw ScriptedModelError(
                "\(name) was asked a question its script does not answer (request \(requests.count)); "
                    + "last message: \(request.messages.last?.content.prefix(80) ?? "")")
        }
        return try reply.make(request)
    }

    public func respond(to request: ChatRequest) async throws -> ChatResponse {
        try Task.checkCancellation()
        return try nextReply(for: request)
    }

    /// Streams the scripted answer as a provider would: text in word-sized pieces, tool calls with their arguments
    /// in two halves, usage, then the stop reason.
    public func stream(_ request: ChatRequest) -> ChatStream {
        ChatStream { [self] in ScriptedSource(model: self, request: request) }
    }

    fileprivate func deltas(for request: ChatRequest) throws -> [ChatDelta] {
        let response = try nextReply(for: request)
        var deltas: [ChatDelta] = [
            .metadata(ChatResponseMetadata(model: response.model, requestID: response.requestID))
        ]
        var piece = ""
        for character in response.text {
            piece.append(character)
            if character == " " {
                deltas.append(.text(piece))
                piece = ""
            }
        }
        if !piece.isEmpty { deltas.append(.text(piece)) }
        for (index, call) in response.toolCalls.enumerated() {
            deltas.append(.toolCallStarted(index: index, id: call.id, name: call.name))
            let middle = call.arguments.index(call.arguments.startIndex, offsetBy: call.arguments.count / 2)
            deltas.append(.toolCallArguments(index: index, fragment: String(call.arguments[..<middle])))
            deltas.append(.toolCallArguments(index: index, fragment: String(call.arguments[middle...])))
        }
        if let usage = response.usage { deltas.append(.usage(usage)) }
        deltas.append(.finished(response.stopReason))
        return deltas
    }
}

/// Takes the next reply when iteration starts, as a provider sends its request then.
private struct ScriptedSource: ChatDeltaSource {
    let model: ScriptedChatModel
    let request: ChatRequest
    var deltas: ArraySlice<ChatDelta>?

    mutating func next() async throws -> ChatDelta? {
        try Task.checkCancellation()
        if deltas == nil { deltas = try model.deltas(for: request)[...] }
        return deltas!.popFirst()
    }
}

/// One answer in a ``ScriptedChatModel``'s script.
public struct ScriptedReply: Sendable {
    let make: @Sendable (ChatRequest) throws -> ChatResponse

    /// Any answer, computed from the request.
    public init(_ make: @escaping @Sendable (ChatRequest) throws -> ChatResponse) {
        self.make = make
    }

    /// A whole response.
    public static func response(_ response: ChatResponse) -> ScriptedReply {
        ScriptedReply { _ in response }
    }

    /// A text answer; usage counts words, so accounting has something to add up.
    public static func text(_ text: String) -> ScriptedReply {
        ScriptedReply { request in
            ChatResponse(
                text: text, stopReason: .endTurn, usage: Self.usage(request, text), model: "scripted")
        }
    }

    /// A JSON answer, as a structured request expects.
    public static func json(_ value: JSONValue) -> ScriptedReply {
        .text(value.jsonText)
    }

    /// One tool call.
    public static func toolCall(_ name: String, arguments: JSONValue = [:], id: String? = nil) -> ScriptedReply {
        toolCalls([(name, arguments)], ids: id.map { [$0] })
    }

    /// Several tool calls in one answer.
    public static func toolCalls(
        _ calls: [(name: String, arguments: JSONValue)], ids: [String]? = nil
    )
        -> ScriptedReply
    {
        let calls = calls.map { (name: $0.name, arguments: $0.arguments.jsonText) }
        return ScriptedReply { request in
            let count = request.messages.count
            let toolCalls = calls.enumerated().map { index, call in
                ToolCall(id: ids?[index] ?? "call_\(count)_\(index)", name: call.name, arguments: call.arguments)
            }
            return ChatResponse(
                text: "", toolCalls: toolCalls, stopReason: .toolCalls,
                usage: Self.usage(request, calls.map(\.arguments).joined()), model: "scripted")
        }
    }

    /// A failure, such as an `LLMError` the agent must handle.
    public static func failure(_ error: any Error) -> ScriptedReply {
        ScriptedReply { _ in throw error }
    }

    private static func usage(_ request: ChatRequest, _ answer: String) -> TokenUsage {
        let words = request.messages.reduce(0) { $0 + $1.content.split(separator: " ").count }
        return TokenUsage(inputTokens: words, outputTokens: answer.split(separator: " ").count + 1)
    }
}

/// The script ran out, or was asked something it cannot answer.
public struct ScriptedModelError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
