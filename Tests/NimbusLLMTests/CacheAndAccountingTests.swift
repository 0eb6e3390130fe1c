import Foundation
import NimbusCore
import NimbusGraph
import NimbusLLM
import NimbusStore
import NimbusTesting
import Synchronization
import Testing

@Suite("Response cache and accounting")
struct CacheAndAccountingTests {
    static func store() throws -> (SQLiteStore, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-llm-\(UUID().uuidString)")
        return (try SQLiteStore(path: directory.appendingPathComponent("nimbus.sqlite").path), directory)
    }

    @Test("the same request within the TTL is answered from the store without calling the model")
    func cacheHit() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let scripted = ScriptedChatModel([.text("S3, EC2, Lambda"), .text("a different answer")])
        let model = CachingChatModel(base: scripted, store: store, ttl: .seconds(60))
        let request = ChatRequest(user: "Name three AWS services", temperature: 0)
        let first = try await model.respond(to: request)
        let second = try await model.respond(to: request)
        #expect(!first.cached && second.cached)
        #expect(second.text == "S3, EC2, Lambda")
        #expect(scripted.requests.count == 1)
        // A stream of the same request replays the cached answer.
        let streamed = try await model.stream(request).collect()
        #expect(streamed.text == "S3, EC2, Lambda" && streamed.cached)
        #expect(scripted.requests.count == 1)
        // Any change to the request is another key.
        var other = request
        other.temperature = 0.5
        #expect(try await model.respond(to: other).text == "a different answer")
        #expect(
            try CachingChatModel.key(model: "a", request: request) != CachingChatModel.key(model: "a", request: other))
        #expect(
            try CachingChatModel.key(model: "a", request: request) != CachingChatModel.key(model: "b", request: request)
        )
        #expect(try CachingChatModel.key(model: "a", request: request).count == 64)
    }

    @Test("an expired answer is not served, and pruning deletes it")
    func expiry() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await store.cacheResponse(key: "k", value: ["text": "old"], expiresAt: Date().addingTimeInterval(-1))
        try await store.cacheResponse(key: "fresh", value: ["text": "new"], expiresAt: Date().addingTimeInterval(60))
        #expect(try await store.cachedResponse(key: "k") == nil)
        #expect(try await store.cachedResponse(key: "fresh") == ["text": "new"])
        #expect(try await store.pruneResponseCache(now: Date()) == 1)
        let scripted = ScriptedChatModel([.text("one"), .text("two")])
        let model = CachingChatModel(base: scripted, store: store, ttl: .milliseconds(200))
        _ = try await model.respond(to: ChatRequest(user: "q"))
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await model.respond(to: ChatRequest(user: "q")).text == "two")
    }

    @Test("a streamed answer is stored once complete")
    func streamStored() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let scripted = ScriptedChatModel([.toolCall("list_buckets", arguments: ["region": "eu-west-1"])])
        let model = CachingChatModel(base: scripted, store: store, ttl: .seconds(60))
        let request = ChatRequest(user: "buckets")
        let first = try await model.stream(request).collect()
        let again = try await model.respond(to: request)
        #expect(again.cached && again.toolCalls == first.toolCalls)
        #expect(scripted.requests.count == 1)
    }

    @Test("each call records an agent execution with model, tokens, latency and cost, and an llm.call event")
    func accounting() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let events = Mutex<[(String, JSONValue)]>([])
        let scripted = ScriptedChatModel(
            name: "openai:gpt-4o-mini",
            [
                .response(
                    ChatResponse(
                        text: "S3", usage: TokenUsage(inputTokens: 1_000_000, outputTokens: 500_000),
                        model: "gpt-4o-mini-2024-07-18"))
            ])
        let model = scripted.accounted(
            LLMCallContext(
                agent: "planner", threadID: "thread-1", store: store,
                events: { name, payload in events.withLock { $0.append((name, payload)) } }),
            prices: ["gpt-4o-mini": ModelPrice(inputPerMillion: 0.15, outputPerMillion: 0.60)])
        _ = try await model.respond(to: ChatRequest(user: "Name one AWS service"))
        let executions = try await store.executions(threadID: "thread-1", agent: "planner", limit: 10)
        let execution = try #require(executions.first)
        #expect(execution.model == "openai:gpt-4o-mini")
        #expect(execution.tokensIn == 1_000_000 && execution.tokensOut == 500_000)
        #expect(abs((execution.cost ?? 0) - 0.45) < 1e-9)
        #expect(execution.status == .succeeded)
        #expect(execution.metadata["latency_ms"]?.doubleValue != nil)
        #expect(execution.metadata["served_by"] == "gpt-4o-mini-2024-07-18")
        #expect(execution.output?["text"] == "S3")
        let recorded = events.withLock { $0 }
        #expect(recorded.map(\.0) == ["llm.call"])
        #expect(recorded.first?.1["tokens_in"] == 1_000_000)
    }

    @Test("a failed call is recorded as failed")
    func accountingFailure() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = ScriptedChatModel([.failure(CancellationError())]).accounted(
            LLMCallContext(agent: "a", store: store))
        await #expect(throws: CancellationError.self) { _ = try await model.respond(to: ChatRequest(user: "x")) }
        let execution = try #require(try await store.executions(threadID: nil, agent: "a", limit: 1).first)
        #expect(execution.status == .failed && execution.error != nil)
    }

    struct Chat: GraphState {
        var answer = ""
        static let schema = StateSchema<Chat>(.field("answer", \.answer))
    }

    @Test("inside a graph node, streamed tokens arrive as llm.token custom events and the call as llm.call")
    func graphEvents() async throws {
        let scripted = ScriptedChatModel([.text("Amazon S3 stores objects")])
        var graph = StateGraph<Chat>()
        graph.addNode("ask") { _, context in
            let model = scripted.accounted(LLMCallContext(node: context))
            let response = try await model.stream(ChatRequest(user: "What is S3?")).collect()
            return Update(\.answer, response.text)
        }
        graph.addEdge(from: START, to: "ask")
        graph.addEdge(from: "ask", to: END)
        let compiled = try graph.compile(name: "llm-events")
        var tokens: [String] = []
        var calls: [JSONValue] = []
        for try await event in compiled.stream(Chat(), modes: [.custom]) {
            if case .custom(let task, let name, let payload) = event.kind {
                #expect(task.node == "ask")
                if name == "llm.token" { tokens.append(payload["text"]?.stringValue ?? "") }
                if name == "llm.call" { calls.append(payload) }
            }
        }
        #expect(tokens == ["Amazon ", "S3 ", "stores ", "objects"])
        #expect(calls.count == 1)
        #expect(calls.first?["agent"] == "ask" && calls.first?["streamed"] == true)
        #expect(calls.first?["ttft_ms"]?.doubleValue != nil)
    }
}
