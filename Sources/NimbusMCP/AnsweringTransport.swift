import Foundation
import Logging
import MCP
import NimbusCore

/// A transport that ends its input only once every request that came in has been answered. The SDK's server
/// stops as soon as its input ends, dropping the answers still being worked on, so a client that sends its last
/// request and closes its end (`… | nimbus mcp`) would otherwise get nothing back.
///
/// Requests are told apart from responses by their JSON-RPC shape (an `id` with a `method`); a request the
/// client cancels needs no answer. After the input ends it waits at most ``drainLimit`` for the answers.
actor AnsweringTransport: Transport {
    nonisolated let logger: Logger
    private let base: any Transport
    private var upstream: AsyncThrowingStream<Data, any Error>.AsyncIterator?
    /// The ids of requests not answered yet, as JSON text (`1`, `"abc"`).
    private var unanswered: Set<String> = []

    /// How long answers still being worked on may take once the client has closed its end.
    static let drainLimit: Duration = .seconds(60)

    init(_ base: any Transport, logger: Logger) {
        self.base = base
        self.logger = logger
    }

    func connect() async throws { try await base.connect() }

    func disconnect() async { await base.disconnect() }

    func send(_ data: Data) async throws {
        try await base.send(data)
        for message in Self.messages(in: data) where message["method"] == nil {
            if let id = message["id"] { unanswered.remove(id.jsonText) }
        }
    }

    nonisolated func receive() -> AsyncThrowingStream<Data, any Error> {
        AsyncThrowingStream { try await self.next() }
    }

    private func next() async throws -> Data? {
        if upstream == nil { upstream = await base.receive().makeAsyncIterator() }
        guard var iterator = upstream else { return nil }
        let data = try await iterator.next(isolation: self)
        upstream = iterator
        guard let data else {
            await drain()
            return nil
        }
        for message in Self.messages(in: data) {
            if message["method"]?.stringValue == CancelledNotification.name,
                let id = message["params"]?["requestId"]
            {
                unanswered.remove(id.jsonText)
            } else if message["method"] != nil, let id = message["id"] {
                unanswered.insert(id.jsonText)
            }
        }
        return data
    }

    private func drain() async {
        let clock = ContinuousClock()
        let deadline = clock.now + Self.drainLimit
        while !unanswered.isEmpty, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if !unanswered.isEmpty {
            logger.notice(
                "the client closed its end; giving up on unanswered requests",
                metadata: ["requests": "\(unanswered.sorted().joined(separator: ", "))"])
        }
    }

    /// The JSON-RPC messages in one line: an object, or the objects of a batch.
    private static func messages(in data: Data) -> [JSONValue] {
        guard let value = try? JSONValue(parsing: data) else { return [] }
        return value.arrayValue ?? [value]
    }
}
