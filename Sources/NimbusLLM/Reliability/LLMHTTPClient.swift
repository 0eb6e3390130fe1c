import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NimbusCore

/// The HTTP connection every provider sends through: one async-http-client with connect and idle timeouts, and the
/// retry loop for rate limits, server errors and broken connections.
///
/// `shared` lives for the whole process; a client made with ``init(timeouts:retryPolicy:)`` must be shut down.
public final class LLMHTTPClient: Sendable {
    let client: HTTPClient
    private let ownsClient: Bool
    public let timeouts: LLMTimeouts
    public let retryPolicy: LLMRetryPolicy

    /// A client with its own connection pool.
    public init(timeouts: LLMTimeouts = LLMTimeouts(), retryPolicy: LLMRetryPolicy = LLMRetryPolicy()) {
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: Self.timeAmount(timeouts.connect), read: Self.timeAmount(timeouts.idle)))
        configuration.httpVersion = .automatic
        // Our own retry loop retries refused connections with back-off and a log line; async-http-client's would keep
        // a request to a server that is down waiting silently for the whole connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.ownsClient = true
        self.timeouts = timeouts
        self.retryPolicy = retryPolicy
    }

    /// The same connection pool with other timeouts or retries.
    public func with(timeouts: LLMTimeouts? = nil, retryPolicy: LLMRetryPolicy? = nil) -> LLMHTTPClient {
        LLMHTTPClient(
            client: client, timeouts: timeouts ?? self.timeouts, retryPolicy: retryPolicy ?? self.retryPolicy)
    }

    private init(client: HTTPClient, timeouts: LLMTimeouts, retryPolicy: LLMRetryPolicy) {
        self.client = client
        self.ownsClient = false
        self.timeouts = timeouts
        self.retryPolicy = retryPolicy
    }

    /// One client for the whole process, with default timeouts and retries; never shut down.
    public static let shared = LLMHTTPClient()

    /// Closes the connections (clients made with ``init(timeouts:retryPolicy:)`` only).
    public func shutdown() async throws {
        guard ownsClient, self !== LLMHTTPClient.shared else { return }
        try await client.shutdown()
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Sends a request, retrying transient failures, and returns the response once its status is 2xx; its body has
    /// not been read.
    func send(
        _ request: ProviderHTTPRequest, provider: String, signer: (any HTTPRequestSigner)?,
        errorMessage: @Sendable ([UInt8]) -> String?, logger: Logger
    ) async throws -> HTTPClientResponse {
        var attempt = 1
        while true {
            try Task.checkCancellation()
            do {
                return try await sendOnce(
                    request, provider: provider, signer: signer, errorMessage: errorMessage, logger: logger)
            } catch let error as LLMError where error.isTransient {
                guard let delay = retryPolicy.delay(afterAttempt: attempt, retryAfter: error.retryAfter) else {
                    throw error
                }
                logger.info(
                    "retrying a model call",
                    metadata: [
                        "provider": "\(provider)", "attempt": "\(attempt)", "delay": "\(delay)",
                        "error": "\(error.message)",
                    ])
                try await Task.sleep(for: delay)
                attempt += 1
            }
        }
    }

    private func sendOnce(
        _ request: ProviderHTTPRequest, provider: String, signer: (any HTTPRequestSigner)?,
        errorMessage: @Sendable ([UInt8]) -> String?, logger: Logger
    ) async throws -> HTTPClientResponse {
        var headers = request.headers
        if let signer {
            headers += try await signer.signatureHeaders(
                method: request.method, url: request.url, headers: request.headers, body: request.body)
        }
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for header in headers { outgoing.headers.add(name: header.name, value: header.value) }
        outgoing.body = .bytes(request.body)
        logger.debug(
            "model call", metadata: ["provider": "\(provider)", "url": "\(request.url.absoluteString)"])
        let response: HTTPClientResponse
        do {
            response = try await client.execute(
                outgoing, deadline: .now() + Self.timeAmount(timeouts.request), logger: logger)
        } catch {
            throw Self.transportError(error, provider: provider, url: request.url, timeouts: timeouts)
        }
        if (200..<300).contains(response.status.code) { return response }
        let responseHeaders = response.headers.map { (name: $0.name, value: $0.value) }
        let body: [UInt8]
        do {
            var collected = try await response.body.collect(upTo: 1 << 20)
            body = collected.readBytes(length: collected.readableBytes) ?? []
        } catch {
            body = []
        }
        throw LLMError.httpStatus(
            provider: provider, status: Int(response.status.code),
            providerMessage: errorMessage(body) ?? Self.fallbackMessage(body, status: response.status),
            requestID: Self.requestID(responseHeaders),
            retryAfter: LLMRetryPolicy.retryAfter(headers: responseHeaders))
    }

    /// The body of an error response that no provider parser understood: its text, shortened.
    private static func fallbackMessage(_ body: [UInt8], status: HTTPResponseStatus) -> String {
        let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? status.reasonPhrase : text
    }

    /// The provider's request id, from whichever header it uses.
    static func requestID(_ headers: [(name: String, value: String)]) -> String? {
        let names = ["x-request-id", "request-id", "x-amzn-requestid", "x-amz-request-id", "apim-request-id"]
        for name in names {
            if let header = headers.first(where: { $0.name.lowercased() == name }) { return header.value }
        }
        return nil
    }

    /// Turns what async-http-client and NIO throw into errors that name the provider; cancellation stays
    /// cancellation.
    ///
    /// - Parameter answering: the response had started, so the connection broke rather than could not be made.
    static func transportError(
        _ error: any Error, provider: String, url: URL, timeouts: LLMTimeouts, answering: Bool = false
    ) -> any Error {
        if error is CancellationError || error is LLMError { return error }
        if let client = error as? HTTPClientError {
            switch client {
            case .cancelled where Task.isCancelled: return CancellationError()
            case .deadlineExceeded:
                return LLMError.timeout(provider: provider, what: "answer", after: timeouts.request)
            case .readTimeout:
                return LLMError.timeout(provider: provider, what: "send anything", after: timeouts.idle)
            case .connectTimeout:
                return LLMError.timeout(provider: provider, what: "accept a connection", after: timeouts.connect)
            default: break
            }
        }
        if Task.isCancelled { return CancellationError() }
        if answering {
            return LLMError.connectionLost(provider: provider, url: url.absoluteString, detail: describe(error))
        }
        return LLMError.connection(provider: provider, url: url.absoluteString, detail: describe(error))
    }

    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connection refused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return "connection refused"
        }
        return text
    }
}

/// A request as a provider encodes it, before signing.
struct ProviderHTTPRequest: Sendable {
    var method: String
    var url: URL
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    init(method: String = "POST", url: URL, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The body as JSON, for tests and logs.
    var json: JSONValue? { try? JSONValue(parsing: Data(body)) }
}

/// Runs `body`, failing with a timeout error when it takes longer than `limit`.
func withTimeLimit<T: Sendable>(
    _ limit: Duration, provider: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw LLMError.timeout(provider: provider, what: "answer", after: limit)
        }
        return value
    }
}
