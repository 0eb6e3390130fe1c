import Foundation
import HummingbirdWebSocket
import NimbusCore
import NimbusOps
import NimbusProducts
import NimbusStore

/// One chat WebSocket: the library's ``ChatSession`` over JSON messages (docs/server.md). The first message
/// must authenticate; nothing else is read before it. Runs go through the same queue as REST requests, one at a
/// time per socket, and their progress events stream to the socket while they run.
struct ChatSocket {
    let server: NimbusServer
    /// How long a client has to authenticate.
    static let authTimeout: Duration = .seconds(10)

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let (lines, sender) = AsyncStream.makeStream(of: String.self)
        let send: @Sendable (JSONValue) -> Void = { sender.yield($0.jsonText) }
        let writer = Task {
            for await line in lines { try? await outbound.write(.text(line)) }
        }
        defer {
            sender.finish()
        }
        var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
        guard let key = await authenticate(&messages, send: send) else {
            sender.finish()
            await writer.value
            try? await outbound.close(.policyViolation, reason: "authenticate first")
            return
        }
        var session = ChatSession()
        let conversation = "socket-" + SortableID().rawValue
        send([
            "type": "ready",
            "session": [
                "profile": .null, "region": .null, "read_only": .bool(key.readOnly), "key": .string(key.name),
            ],
        ])
        while let message = try? await messages.next() {
            guard case .text(let text) = message, let value = try? JSONValue(parsing: text) else {
                send(Self.error(ServerError.badRequest("each message is a JSON object with a \"type\"")))
                continue
            }
            // Pings are free; everything else counts against the key's rate.
            if value["type"] != "ping", server.limiter.take(key.digest) != nil {
                send(Self.error(ServerError.rateLimited(retryAfter: 1)))
                continue
            }
            switch value["type"]?.stringValue ?? "" {
            case "ping":
                send(["type": "pong"])
            case "message":
                let words = (value["text"]?.stringValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                if words.isEmpty {
                    send(Self.error(ServerError.badRequest("the message has no text")))
                } else if words.hasPrefix("/") {
                    if await command(words, session: &session, key: key, conversation: conversation, send: send) {
                        sender.finish()
                        await writer.value
                        try? await outbound.close(.normalClosure, reason: "bye")
                        return
                    }
                } else {
                    await ask(
                        words, planOnly: nil, session: &session, key: key, conversation: conversation, send: send)
                }
            case "answer":
                guard !key.readOnly else {
                    send(Self.error(ServerError.readOnlyKey("answer or approve")))
                    continue
                }
                guard let thread = value["thread_id"]?.stringValue, let answers = value["answers"]?.objectValue else {
                    send(Self.error(ServerError.badRequest("an answer needs \"thread_id\" and \"answers\"")))
                    continue
                }
                await answer(thread, answers, session: &session, key: key, conversation: conversation, send: send)
            case "command":
                if await command(
                    value["text"]?.stringValue ?? "", session: &session, key: key, conversation: conversation,
                    send: send)
                {
                    sender.finish()
                    await writer.value
                    try? await outbound.close(.normalClosure, reason: "bye")
                    return
                }
            case "auth":
                send(["type": "ready", "session": ["read_only": .bool(key.readOnly), "key": .string(key.name)]])
            default:
                send(
                    Self.error(
                        ServerError.badRequest(
                            "unknown message type '\(value["type"]?.stringValue ?? "")'",
                            suggestion: "send auth, message, answer, command or ping")))
            }
        }
        sender.finish()
        await writer.value
    }

    /// Reads the first message; a key that verifies, or nil (after saying why).
    private func authenticate(
        _ messages: inout WebSocketInboundMessageStream.AsyncIterator, send: @Sendable (JSONValue) -> Void
    ) async -> APIKeyRecord? {
        let timer = Task {
            try await Task.sleep(for: Self.authTimeout)
        }
        defer { timer.cancel() }
        guard let first = try? await messages.next(), case .text(let text) = first,
            let value = try? JSONValue(parsing: text), value["type"]?.stringValue == "auth",
            let secret = value["key"]?.stringValue
        else {
            send(Self.error(ServerError.missingKey))
            return nil
        }
        do {
            return try await server.authenticate(secret: secret)
        } catch {
            send(Self.error(error))
            return nil
        }
    }

    /// Runs a slash command; true when the socket should close (`/exit`).
    private func command(
        _ text: String, session: inout ChatSession, key: APIKeyRecord, conversation: String,
        send: @escaping @Sendable (JSONValue) -> Void
    ) async -> Bool {
        switch session.command(text) {
        case .reply(let reply):
            send([
                "type": "reply", "text": .string(reply),
                "session": [
                    "profile": session.profile.map(JSONValue.string) ?? .null,
                    "region": session.region.map(JSONValue.string) ?? .null, "planning": .bool(session.planning),
                ],
            ])
            return false
        case .plan(let request):
            await ask(request, planOnly: true, session: &session, key: key, conversation: conversation, send: send)
            return false
        case .exit:
            send(["type": "reply", "text": "bye"])
            return true
        }
    }

    private func ask(
        _ text: String, planOnly: Bool?, session: inout ChatSession, key: APIKeyRecord, conversation: String,
        send: @escaping @Sendable (JSONValue) -> Void
    ) async {
        let request = session.request(text, planOnly: planOnly, readOnly: key.readOnly, workingDirectory: nil)
        let thread = SortableID().rawValue
        let outcome: JSONValue?
        do {
            outcome = await run(
                RunJob(
                    action: .start, product: OpsProduct.name, threadID: thread,
                    request: try JSONValue(encoding: request), key: key.name),
                conversation: conversation, send: send)
        } catch {
            send(Self.error(error))
            outcome = nil
        }
        session.record(text, try? outcome?["outcome"]?.decode(OpsOutcome.self))
    }

    private func answer(
        _ thread: String, _ answers: [String: JSONValue], session: inout ChatSession, key: APIKeyRecord,
        conversation: String, send: @escaping @Sendable (JSONValue) -> Void
    ) async {
        do {
            let record = try await server.host.thread(thread)
            let product = try server.host.catalog.product(graph: record.graph, thread: thread)
            let result = await run(
                RunJob(action: .resume, product: product.name, threadID: thread, answers: answers, key: key.name),
                conversation: conversation, send: send)
            // The session's history shows how the request ended, not that it once waited.
            if let status = result?["outcome"]?["status"]?.stringValue,
                let index = session.asked.lastIndex(where: { $0.threadID == thread })
            {
                session.asked[index].status = status
            }
        } catch {
            send(Self.error(error))
        }
    }

    /// Queues the job, streams its events, and sends its outcome (or error); the outcome, when there is one.
    private func run(
        _ job: RunJob, conversation: String, send: @escaping @Sendable (JSONValue) -> Void
    ) async -> JSONValue? {
        let stop = server.live.watch(job.threadID) { event in
            guard let event else { return }
            send(["type": "event", "event": (try? JSONValue(encoding: event)) ?? .null])
        }
        defer { stop() }
        do {
            let record = try await server.runs.submit(
                job, conversation: conversation, onBusy: .enqueue, wait: .seconds(3600))
            guard let result = record.result else {
                send(["type": "queued", "thread_id": .string(job.threadID), "state": .string(record.status.rawValue)])
                return nil
            }
            if let error = result["error"] {
                send(["type": "error", "error": error, "thread_id": .string(job.threadID)])
                return nil
            }
            send(["type": "outcome", "result": result])
            return result
        } catch {
            send(Self.error(error))
            return nil
        }
    }

    static func error(_ error: any Error) -> JSONValue {
        ["type": "error", "error": ErrorReport(error).json]
    }
}
