import Foundation
import HummingbirdTesting
import HummingbirdWSClient
import HummingbirdWSTesting
import NimbusCore
import NimbusServer
import Synchronization
import Testing

/// The chat WebSocket on a live server: authentication first, a request streamed to its outcome, an approval
/// answered in the same socket, and slash commands.
@Suite("nimbus serve: the chat WebSocket", .serialized)
struct ChatSocketTests {
    /// Messages the server sent, in order.
    final class Transcript: Sendable {
        let messages = Mutex<[JSONValue]>([])
        func add(_ text: String) {
            let value = (try? JSONValue(parsing: text)) ?? .string(text)
            messages.withLock { $0.append(value) }
        }
        var all: [JSONValue] { messages.withLock { $0 } }
    }

    @Test("nothing is read before a key; a wrong key closes the socket")
    func authenticatesFirst() async throws {
        let test = try await TestServer()
        try await test.server.application().test(.live) { client in
            let transcript = Transcript()
            try await client.ws("/v1/chat") { inbound, outbound, _ in
                try await outbound.write(.text(#"{"type":"message","text":"list all S3 buckets"}"#))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { transcript.add(text) }
                }
            }
            #expect(transcript.all.first?["error"]?["code"]?.stringValue == "server.unauthorized")
            #expect(!transcript.all.contains { $0["type"] == "outcome" }, "no request ran")

            let wrong = Transcript()
            try await client.ws("/v1/chat") { inbound, outbound, _ in
                try await outbound.write(.text(#"{"type":"auth","key":"nmb_not-a-key"}"#))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { wrong.add(text) }
                }
            }
            #expect(wrong.all.first?["error"]?["code"]?.stringValue == "server.unauthorized")
        }
    }

    @Test("ask, see events and the answer; ask for a deletion, decline it in the socket; the bucket stays")
    func chatWithApproval() async throws {
        let test = try await TestServer()
        let bucket = try await test.bucket("socket-approve")
        try await test.server.application().test(.live) { client in
            let transcript = Transcript()
            try await client.ws("/v1/chat") { inbound, outbound, _ in
                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                func next(_ type: String) async throws -> JSONValue {
                    while let message = try await messages.next() {
                        guard case .text(let text) = message else { continue }
                        transcript.add(text)
                        let value = (try? JSONValue(parsing: text)) ?? .null
                        if value["type"]?.stringValue == type { return value }
                        if value["type"] == "error" { return value }
                    }
                    return .null
                }
                func send(_ value: JSONValue) async throws { try await outbound.write(.text(value.jsonText)) }

                try await send(["type": "auth", "key": .string(test.key)])
                let ready = try await next("ready")
                #expect(ready["session"]?["key"] == "tester")

                try await send(["type": "command", "text": "/region eu-west-1"])
                #expect(try await next("reply")["session"]?["region"] == "eu-west-1")
                try await send(["type": "command", "text": "/region us-east-1"])
                _ = try await next("reply")

                try await send(["type": "message", "text": "list all S3 buckets"])
                let listed = try await next("outcome")
                #expect(
                    ServerTests.listed(listed["result"] ?? .null).contains(bucket), "\(listed.jsonText.prefix(300))")

                try await send(["type": "message", "text": .string("delete the S3 bucket \(bucket)")])
                let waiting = try await next("outcome")
                #expect(waiting["result"]?["state"] == "waiting", "\(waiting)")
                let thread = waiting["result"]?["thread_id"]?.stringValue ?? ""
                let interrupt = waiting["result"]?["outcome"]?["approval"]?["interrupt_id"]?.stringValue ?? ""
                #expect(try await test.bucketExists(bucket))

                try await send(["type": "answer", "thread_id": .string(thread), "answers": [interrupt: false]])
                let declined = try await next("outcome")
                #expect(declined["result"]?["outcome"]?["status"] == "declined", "\(declined)")

                try await send(["type": "ping"])
                _ = try await next("pong")
                try await send(["type": "command", "text": "/history"])
                let history = try await next("reply")
                #expect(history["text"]?.stringValue?.contains("declined") == true, "\(history)")
                try await send(["type": "command", "text": "/exit"])
                _ = try await next("reply")
            }
            #expect(try await test.bucketExists(bucket), "declined in the socket: the bucket is still there")
            let events = transcript.all.filter { $0["type"] == "event" }
            #expect(events.contains { $0["event"]?["type"] == "agent_started" }, "progress streamed while it ran")
        }
    }

    @Test("a read-only key's socket cannot answer approvals")
    func readOnlySocket() async throws {
        let test = try await TestServer()
        try await test.server.application().test(.live) { client in
            let transcript = Transcript()
            try await client.ws("/v1/chat") { inbound, outbound, _ in
                let auth: JSONValue = ["type": "auth", "key": .string(test.readOnlyKey)]
                try await outbound.write(.text(auth.jsonText))
                try await outbound.write(
                    .text(#"{"type":"answer","thread_id":"01M000000000000000000000AA","answers":{"approve":true}}"#))
                try await outbound.write(.text(#"{"type":"command","text":"/exit"}"#))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message { transcript.add(text) }
                }
            }
            #expect(transcript.all.contains { $0["error"]?["code"]?.stringValue == "server.read_only_key" })
        }
    }
}
