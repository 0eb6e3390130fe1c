public import AsyncHTTPClient
import NIOCore
import NIOPosix

extension AWSClient {
    /// Runs `body` with an HTTP client whose connection pool fits `connections` requests in flight (the transfer
    /// manager's concurrency), and shuts the client down afterwards.
    public static func withHTTPClient<T: Sendable>(
        connections: Int, _ body: (HTTPClient) async throws -> T
    ) async throws -> T {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, connections))
        configuration.decompression = .disabled
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
