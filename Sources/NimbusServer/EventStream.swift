import Foundation
import HTTPTypes
import Hummingbird
import NimbusCore
import NimbusGraph
import NimbusStore

/// A run's stored events as Server-Sent Events: each event's id is its sequence in the store, so a client that
/// reconnects with `Last-Event-ID` misses nothing and sees nothing twice. The stream ends with an `end` event once
/// the run has ended or waits for an answer.
extension NimbusServer {
    func events(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let thread = try threadParameter(context)
        _ = try await host.thread(thread)
        let resumeFrom = request.headers[.lastEventID] ?? request.uri.queryParameters.get("after").map { String($0) }
        var after: Int? = nil
        if let resumeFrom {
            guard let sequence = Int(resumeFrom), sequence >= 0 else {
                throw ServerError.badRequest("Last-Event-ID (or after) is an event's number, not '\(resumeFrom)'")
            }
            after = sequence
        }
        let store = host.store
        let runs = runs
        let start = after
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .init("X-Accel-Buffering")!: "no"],
            body: ResponseBody { writer in
                var after = start
                var quiet = 0
                try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                while !Task.isCancelled {
                    let events = try await store.events(threadID: thread, after: after, limit: 200)
                    if !events.isEmpty {
                        var text = ""
                        for event in events {
                            let data = (try? JSONValue(encoding: event)) ?? .null
                            text += "id: \(event.sequence)\nevent: \(event.name)\ndata: \(data.jsonText)\n\n"
                            after = event.sequence
                        }
                        try await writer.write(ByteBuffer(string: text))
                        quiet = 0
                        continue
                    }
                    if !runs.isActive(thread), let record = try await store.thread(thread), record.status != .running {
                        let end: JSONValue = ["thread_id": .string(thread), "status": .string(record.status.rawValue)]
                        try await writer.write(ByteBuffer(string: "event: end\ndata: \(end.jsonText)\n\n"))
                        break
                    }
                    quiet += 1
                    // A comment now and then keeps proxies from closing a quiet stream.
                    if quiet % 150 == 0 { try await writer.write(ByteBuffer(string: ": keep-alive\n\n")) }
                    try await Task.sleep(for: .milliseconds(100))
                }
                try await writer.finish(nil)
            })
    }
}
