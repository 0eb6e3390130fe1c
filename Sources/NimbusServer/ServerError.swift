import HTTPTypes
public import NimbusCore

/// A request the server will not serve, with the HTTP status it answers.
public struct ServerError: NimbusError {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case unauthorized, readOnlyKey, notFound, badRequest, bodyTooLarge, rateLimited, tooManyRuns, busy
        case unsafeBind, unavailable, noModule, notWebSocket
    }
    public let code: Code
    public let message: String
    public let suggestion: String?
    /// Seconds to wait, for ``Code/rateLimited``.
    public var retryAfter: Int? = nil

    public static let missingKey = ServerError(
        code: .unauthorized, message: "this route needs an API key",
        suggestion:
            "send the key as a bearer token in the Authorization header; make one with `nimbus serve keys add NAME`")
    public static let wrongKey = ServerError(
        code: .unauthorized, message: "the API key is not valid (unknown or revoked)",
        suggestion: "make a new one with `nimbus serve keys add NAME`")

    public static func readOnlyKey(_ what: String) -> ServerError {
        ServerError(
            code: .readOnlyKey, message: "this key is read-only and cannot \(what)",
            suggestion: "use a key made without --read-only")
    }

    public static func notFound(_ what: String) -> ServerError {
        ServerError(
            code: .notFound, message: "\(what) does not exist", suggestion: "GET /openapi.json lists the routes")
    }

    public static func badRequest(_ detail: String, suggestion: String? = nil) -> ServerError {
        ServerError(code: .badRequest, message: detail, suggestion: suggestion)
    }

    public static func bodyTooLarge(limit: Int) -> ServerError {
        ServerError(
            code: .bodyTooLarge, message: "the request body is larger than \(limit) bytes",
            suggestion: "raise server.max_body_bytes if this is expected")
    }

    public static func rateLimited(retryAfter: Int) -> ServerError {
        ServerError(
            code: .rateLimited, message: "too many requests with this key",
            suggestion: "wait \(retryAfter) s (Retry-After), or raise server.rate_limit", retryAfter: retryAfter)
    }

    public static func tooManyRuns(_ limit: Int) -> ServerError {
        ServerError(
            code: .tooManyRuns, message: "this key already has \(limit) runs in flight",
            suggestion: "wait for one to end, or raise server.max_runs_per_key", retryAfter: 2)
    }

    public static func busy(_ conversation: String, thread: String) -> ServerError {
        ServerError(
            code: .busy, message: "conversation '\(conversation)' still has run \(thread) in flight",
            suggestion: "send with \"on_busy\": \"enqueue\" to wait for it, or \"interrupt\" to cancel it")
    }

    public static func unsafeBind(_ host: String) -> ServerError {
        ServerError(
            code: .unsafeBind,
            message: "refusing to listen on \(host) with no API key: anyone who reaches it could act",
            suggestion: "make a key first (`nimbus serve keys add NAME`), or listen on 127.0.0.1")
    }

    public static let notWebSocket = ServerError(
        code: .notWebSocket, message: "/v1/chat is a WebSocket",
        suggestion: "connect with a WebSocket client (Upgrade: websocket); docs/server.md has the messages")

    public static func noModule(_ thread: String) -> ServerError {
        ServerError(
            code: .noModule, message: "run \(thread) has not written a module (yet)",
            suggestion: "GET /v1/runs/\(thread) shows where it stands")
    }
}

extension ServerError {
    public var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch code {
            case .unauthorized: .unauthorized
            case .readOnlyKey: .forbidden
            case .notFound, .noModule: .notFound
            case .badRequest, .bodyTooLarge, .unsafeBind, .notWebSocket: .invalidInput
            case .rateLimited, .tooManyRuns: .throttled
            case .busy: .conflict
            case .unavailable: .unavailable
            }
        return ErrorCode("server", code.rawValue, kind)
    }
}

extension ErrorKind {
    /// The HTTP status an error of this kind answers.
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .invalidInput: .badRequest
        case .notFound: .notFound
        case .conflict: .conflict
        case .unauthorized: .unauthorized
        case .forbidden, .approvalRequired: .forbidden
        case .throttled: .tooManyRequests
        case .unavailable: .serviceUnavailable
        case .timeout: .gatewayTimeout
        case .upstream: .badGateway
        default: .internalServerError
        }
    }
}
