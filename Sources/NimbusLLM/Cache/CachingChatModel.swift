import Crypto
import Foundation
public import NimbusCore

/// A model whose answers are kept in the store for a while, keyed by a SHA-256 of the model's name and the whole
/// request: asking the same thing again within the TTL returns the stored answer without a call. Opt-in per agent
/// (`llm.agents.NAME.cache_ttl_seconds`), since a cached answer is the same answer every time.
public struct CachingChatModel: ChatModel {
    public let base: any ChatModel
    let store: any ResponseCache
    public let ttl: Duration

    public init(base: any ChatModel, store: any ResponseCache, ttl: Duration) {
        self.base = base
        self.store = store
        self.ttl = ttl
    }

    public var name: String { base.name }

    /// The cache key of a request to a model: hex SHA-256 of canonical JSON (sorted keys) of both.
    public static func key(model: String, request: ChatRequest) throws -> String {
        let document: JSONValue = ["model": .string(model), "request": try JSONValue(encoding: request)]
        let digest = SHA256.hash(data: Data(document.jsonText.utf8))
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    public func respond(to request: ChatRequest) async throws -> ChatResponse {
        let key = try Self.key(model: base.name, request: request)
        if let hit = try await lookup(key) { return hit }
        let response = try await base.respond(to: request)
        try await save(response, key: key)
        return response
    }

    public func stream(_ request: ChatRequest) -> ChatStream {
        let model = self
        return ChatStream {
            CachingSource(model: model, request: request)
        }
    }

    func lookup(_ key: String) async throws -> ChatResponse? {
        guard let stored = try await store.cachedResponse(key: key) else { return nil }
        guard var response = try? stored.decode(ChatResponse.self) else { return nil }
        response.cached = true
        return response
    }

    func save(_ response: ChatResponse, key: String) async throws {
        var stored = response
        stored.cached = false
        let seconds = LLMRetryPolicy.seconds(ttl)
        try await store.cacheResponse(
            key: key, value: try JSONValue(encoding: stored), expiresAt: Date().addingTimeInterval(seconds))
    }
}

/// Replays a cached answer, or streams the model's and stores it once complete.
struct CachingSource: ChatDeltaSource {
    let model: CachingChatModel
    let request: ChatRequest
    private var key: String?
    private var inner: ChatStream.AsyncIterator?
    private var accumulator = ChatResponseAccumulator()
    private var recording = false

    init(model: CachingChatModel, request: ChatRequest) {
        self.model = model
        self.request = request
    }

    mutating func next() async throws -> ChatDelta? {
        if inner == nil {
            let key = try CachingChatModel.key(model: model.base.name, request: request)
            self.key = key
            if let hit = try await model.lookup(key) {
                inner = ChatStream(replaying: ChatResponseAccumulator.deltas(for: hit)).makeAsyncIterator()
            } else {
                inner = model.base.stream(request).makeAsyncIterator()
                recording = true
            }
        }
        guard let delta = try await inner!.next() else {
            if recording, let key {
                recording = false
                try await model.save(accumulator.response, key: key)
            }
            return nil
        }
        if recording { accumulator.add(delta) }
        return delta
    }
}
