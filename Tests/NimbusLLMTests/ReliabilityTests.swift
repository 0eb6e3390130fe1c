import Foundation
import NimbusCore
import NimbusTesting
import Testing

@testable import NimbusLLM

@Suite("Retries, timeouts, cancellation, fallback")
struct ReliabilityTests {
    static func completion(_ text: String) -> [UInt8] {
        let json: JSONValue = [
            "id": "chatcmpl-1", "model": "m",
            "choices": [
                ["index": 0, "message": ["role": "assistant", "content": .string(text)], "finish_reason": "stop"]
            ],
        ]
        return Array(json.jsonText.utf8)
    }

    static func model(_ server: TranscriptServer, http: LLMHTTPClient = .shared, key: String? = nil) -> OpenAIChatModel
    {
        OpenAIChatModel(
            configuration: .compatible(baseURL: server.baseURL.appendingPathComponent("v1"), apiKey: key), http: http)
    }

    @Test("server errors are retried up to the limit, then reported with status, message and request id")
    func retriesExhausted() async throws {
        let server = try await TranscriptServer.start([
            .init(
                status: 503, headers: [("Content-Type", "application/json"), ("x-request-id", "req_503")],
                body: Array(#"{"error":{"message":"the model is loading","type":"unavailable"}}"#.utf8))
        ])
        defer { Task { await server.stop() } }
        let http = LLMHTTPClient.shared.with(
            retryPolicy: LLMRetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(10), jitter: false))
        await #expect {
            _ = try await Self.model(server, http: http).respond(to: ChatRequest(user: "hi"))
        } throws: { error in
            guard let error = error as? LLMError else { return false }
            return error.kind == .httpStatus && error.status == 503 && error.provider == "openai-compatible"
                && error.providerMessage == "the model is loading" && error.requestID == "req_503"
                && error.message.contains("HTTP 503")
        }
        #expect(server.received.count == 3)
    }

    @Test("a Retry-After longer than the policy allows is not waited for")
    func retryAfterTooLong() async throws {
        let server = try await TranscriptServer.start([
            .init(
                status: 429, headers: [("Retry-After", "3600")], body: Array(#"{"error":{"message":"slow down"}}"#.utf8)
            )
        ])
        defer { Task { await server.stop() } }
        let started = ContinuousClock.now
        await #expect {
            _ = try await Self.model(server).respond(to: ChatRequest(user: "hi"))
        } throws: { ($0 as? LLMError)?.retryAfter == .seconds(3600) }
        #expect(server.received.count == 1)
        // Waiting would take the hour Retry-After asks for; the bound only tells the two apart. (It was 5 s; in a
        // full test run the parameterized corpus tests keep both cooperative threads busy for close to a minute, and
        // a timer's wake-up waits behind them.)
        #expect(ContinuousClock.now - started < .seconds(600))
    }

    @Test("Retry-After in seconds, as an HTTP date, and retry-after-ms")
    func retryAfterForms() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(LLMRetryPolicy.retryAfter(headers: [("Retry-After", "20")]) == .seconds(20))
        #expect(LLMRetryPolicy.retryAfter(headers: [("retry-after-ms", "250")]) == .milliseconds(250))
        #expect(
            LLMRetryPolicy.retryAfter(headers: [("Retry-After", "Tue, 14 Nov 2023 22:13:30 GMT")], now: now)
                == .seconds(10))
        #expect(LLMRetryPolicy.retryAfter(headers: [("X-Other", "1")]) == nil)
        let policy = LLMRetryPolicy(maxAttempts: 4, initialDelay: .milliseconds(100), multiplier: 2, jitter: false)
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil) == .milliseconds(100))
        #expect(policy.delay(afterAttempt: 3, retryAfter: nil) == .milliseconds(400))
        #expect(policy.delay(afterAttempt: 4, retryAfter: nil) == nil)
    }

    @Test("an API key echoed back by a server never reaches the error")
    func keyRedacted() async throws {
        let key = "sk-proj-ZXhhbXBsZS1zZWNyZXQta2V5LTEyMzQ1"
        let server = try await TranscriptServer.start([
            .init(
                status: 401,
                body: Array(
                    #"{"error":{"message":"Incorrect API key provided: sk-proj-ZXhhbXBsZS1zZWNyZXQta2V5LTEyMzQ1"}}"#
                        .utf8))
        ])
        defer { Task { await server.stop() } }
        await #expect {
            _ = try await Self.model(server, key: key).respond(to: ChatRequest(user: "hi"))
        } throws: { error in
            let text = String(describing: error) + ((error as? LLMError)?.providerMessage ?? "")
            return !text.contains(key) && text.contains("Incorrect API key provided")
                && text.contains("check the API key")
        }
    }

    @Test("cancelling the task mid-stream ends the stream and closes the connection")
    func cancellationClosesConnection() async throws {
        let chunk = #"data: {"model":"m","choices":[{"index":0,"delta":{"content":"word "}}]}"# + "\n\n"
        let server = try await TranscriptServer.start([
            .init(
                headers: [("Content-Type", "text/event-stream")],
                body: Array(String(repeating: chunk, count: 400).utf8),
                chunkSize: chunk.utf8.count, pause: .milliseconds(50), holdOpen: true)
        ])
        defer { Task { await server.stop() } }
        let http = LLMHTTPClient()
        let model = Self.model(server, http: http)
        let received = Counter()
        let task = Task {
            for try await delta in model.stream(ChatRequest(user: "talk")) {
                if case .text = delta { received.increment() }
            }
        }
        while received.value < 3 { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        let result = await task.result
        // The whole stream takes 20 s (400 pieces, 50 ms apart); the count of pieces received, not a clock, shows
        // that the cancel ended it (a loaded test run can delay any wake-up by tens of seconds).
        #expect(throws: CancellationError.self) { try result.get() }
        var waited = 0
        while server.closedConnections == 0 && waited < 3_000 {
            try await Task.sleep(for: .milliseconds(20))
            waited += 1
        }
        #expect(server.closedConnections == 1, "the server saw the connection close")
        #expect(received.value < 200, "the stream stopped long before its 400 pieces")
        try await http.shutdown()
    }

    @Test("a connection that breaks mid-answer is reported as broken, not as unreachable; a clean early end too")
    func connectionLost() async throws {
        let piece = Array(#"data: {"model":"m","choices":[{"index":0,"delta":{"content":"half"}}]}"#.utf8) + [10, 10]
        let server = try await TranscriptServer.start([
            .init(headers: [("Content-Type", "text/event-stream")], body: piece, chunkSize: 1_000, abort: true),
            .init(headers: [("Content-Type", "text/event-stream")], body: piece, chunkSize: 1_000),
        ])
        defer { Task { await server.stop() } }
        var texts: [String] = []
        await #expect {
            for try await delta in Self.model(server).stream(ChatRequest(user: "hi")) {
                if case .text(let text) = delta { texts.append(text) }
            }
        } throws: { error in
            (error as? LLMError)?.kind == .connection && "\(error)".contains("broke during the answer")
        }
        #expect(texts == ["half"])
        await #expect {
            for try await _ in Self.model(server).stream(ChatRequest(user: "hi")) {}
        } throws: { "\($0)".contains("closed the stream before the answer was complete") }
    }

    @Test("a whole answer that takes longer than the request timeout fails with a timeout naming it")
    func requestTimeout() async throws {
        let server = try await TranscriptServer.start([
            .init(body: Array(#"{"id":"x","choices":["#.utf8), chunkSize: 1_000, holdOpen: true)
        ])
        defer { Task { await server.stop() } }
        let http = LLMHTTPClient(
            timeouts: LLMTimeouts(request: .milliseconds(400), idle: .seconds(30)), retryPolicy: .noRetries)
        // The message tells the request timeout (400 ms) from the idle one (30 s), which would fire otherwise. Time
        // is not measured: in a full test run the corpus tests hold both cooperative threads for close to a minute
        // and a timer's wake-up waits behind them (a 25 s bound once saw 49.6 s).
        await #expect {
            _ = try await Self.model(server, http: http).respond(to: ChatRequest(user: "hi"))
        } throws: { error in
            (error as? LLMError)?.kind == .timeout && "\(error)".contains("did not answer within 0.4 seconds")
        }
        try await http.shutdown()
    }

    @Test("a stream that stalls longer than the idle timeout fails with a timeout")
    func idleTimeout() async throws {
        let server = try await TranscriptServer.start([
            .init(
                headers: [("Content-Type", "text/event-stream")],
                body: Array(#"data: {"model":"m","choices":[{"index":0,"delta":{"content":"a"}}]}"#.utf8) + [10, 10],
                chunkSize: 1_000, holdOpen: true)
        ])
        defer { Task { await server.stop() } }
        let http = LLMHTTPClient(timeouts: LLMTimeouts(idle: .milliseconds(300)), retryPolicy: .noRetries)
        await #expect {
            for try await _ in Self.model(server, http: http).stream(ChatRequest(user: "hi")) {}
        } throws: { ($0 as? LLMError)?.kind == .timeout }
        try await http.shutdown()
    }

    @Test("the fallback answers when the primary is unreachable; a bad request is not retried elsewhere")
    func fallback() async throws {
        let down = OpenAIChatModel(
            configuration: .compatible(baseURL: URL(string: "http://127.0.0.1:9/v1")!),
            http: LLMHTTPClient.shared.with(retryPolicy: .noRetries))
        let backup = ScriptedChatModel(
            name: "scripted:backup", [.text("from the fallback"), .text("streamed fallback")])
        let model = FallbackChatModel(primary: down, fallback: backup)
        #expect(try await model.respond(to: ChatRequest(user: "hi")).text == "from the fallback")
        #expect(try await model.stream(ChatRequest(user: "hi")).collect().text == "streamed fallback")

        let refusing = ScriptedChatModel([
            .failure(
                LLMError.httpStatus(provider: "x", status: 400, providerMessage: "bad", requestID: nil, retryAfter: nil)
            )
        ])
        let unused = ScriptedChatModel([.text("never")])
        await #expect(throws: LLMError.self) {
            _ = try await FallbackChatModel(primary: refusing, fallback: unused).respond(to: ChatRequest(user: "hi"))
        }
        #expect(unused.requests.isEmpty)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
