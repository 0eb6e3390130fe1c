import Foundation
public import NimbusCore

/// A problem talking to a model: the message names the provider, and for HTTP failures carries the status, the
/// provider's own error message and its request id. It never contains an API key.
public struct LLMError: NimbusError {
    /// Which problem this is; compare kinds rather than messages.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        public var description: String { name }

        /// The provider answered with an HTTP error status (see ``LLMError/status``).
        public static let httpStatus = Kind(name: "httpStatus")
        /// The provider could not be reached or the connection broke.
        public static let connection = Kind(name: "connection")
        /// No answer within the configured time.
        public static let timeout = Kind(name: "timeout")
        /// The provider's answer could not be understood.
        public static let malformedResponse = Kind(name: "malformedResponse")
        /// The provider reported an error in the middle of a stream.
        public static let streamError = Kind(name: "streamError")
        /// A tool call's arguments do not fit the Swift type they are decoded into.
        public static let badToolArguments = Kind(name: "badToolArguments")
        /// The model's structured answer does not match the schema, even after one retry.
        public static let invalidStructuredOutput = Kind(name: "invalidStructuredOutput")
        /// The model configuration is wrong or incomplete.
        public static let configuration = Kind(name: "configuration")
        /// The request cannot be expressed for this provider.
        public static let unsupported = Kind(name: "unsupported")
    }

    public let kind: Kind
    public let message: String
    public let suggestion: String?
    /// The provider (`openai`, `anthropic`, `ollama`, `bedrock`, …), when the problem is with one.
    public let provider: String?
    /// The HTTP status, for ``Kind/httpStatus``.
    public let status: Int?
    /// The provider's own error message, as it sent it (secrets redacted).
    public let providerMessage: String?
    /// The provider's request id, to quote to its support.
    public let requestID: String?
    /// How long the provider asked us to wait (`Retry-After`), if it did.
    public let retryAfter: Duration?

    init(
        _ kind: Kind, _ message: String, suggestion: String? = nil, provider: String? = nil, status: Int? = nil,
        providerMessage: String? = nil, requestID: String? = nil, retryAfter: Duration? = nil
    ) {
        self.kind = kind
        self.message = SecretRedactor.redact(message)
        self.suggestion = suggestion
        self.provider = provider
        self.status = status
        self.providerMessage = providerMessage.map(SecretRedactor.redact)
        self.requestID = requestID
        self.retryAfter = retryAfter
    }

    /// Whether trying again later may succeed: rate limits, server errors, broken connections, timeouts.
    public var isTransient: Bool {
        switch kind {
        case .connection, .timeout: return true
        case .httpStatus:
            guard let status else { return false }
            return status == 408 || status == 409 || status == 425 || status == 429 || status >= 500
        default: return false
        }
    }

    static func httpStatus(
        provider: String, status: Int, providerMessage: String?, requestID: String?, retryAfter: Duration?
    ) -> LLMError {
        var text = "\(provider) answered HTTP \(status)"
        if let providerMessage, !providerMessage.isEmpty { text += ": \(providerMessage)" }
        if let requestID { text += " (request id \(requestID))" }
        let hint: String? =
            switch status {
            case 401, 403: "check the API key or credentials for \(provider)"
            case 404: "check the model name and the base URL"
            case 429: "the provider is rate limiting; wait, or lower the request rate"
            default: nil
            }
        return LLMError(
            .httpStatus, text, suggestion: hint, provider: provider, status: status, providerMessage: providerMessage,
            requestID: requestID, retryAfter: retryAfter)
    }

    static func connection(provider: String, url: String, detail: String) -> LLMError {
        LLMError(
            .connection, "cannot reach \(provider) at \(url): \(detail)",
            suggestion: "check that the server is running and the URL is right", provider: provider)
    }

    static func connectionLost(provider: String, url: String, detail: String) -> LLMError {
        LLMError(
            .connection, "the connection to \(provider) at \(url) broke during the answer: \(detail)",
            provider: provider)
    }

    static func timeout(provider: String, what: String, after limit: Duration) -> LLMError {
        LLMError(.timeout, "\(provider) did not \(what) within \(limit)", provider: provider)
    }

    static func malformedResponse(provider: String, detail: String, requestID: String? = nil) -> LLMError {
        let id = requestID.map { " (request id \($0))" } ?? ""
        return LLMError(
            .malformedResponse, "\(provider) sent an answer that cannot be read: \(detail)\(id)", provider: provider,
            requestID: requestID)
    }

    static func streamError(provider: String, providerMessage: String, type: String?, requestID: String?) -> LLMError {
        let label = type.map { " (\($0))" } ?? ""
        let id = requestID.map { " (request id \($0))" } ?? ""
        return LLMError(
            .streamError, "\(provider) reported an error while streaming\(label): \(providerMessage)\(id)",
            provider: provider, providerMessage: providerMessage, requestID: requestID)
    }

    static func badToolArguments(tool: String, expected: String, detail: String) -> LLMError {
        LLMError(
            .badToolArguments, "the arguments of the call to tool '\(tool)' do not fit \(expected): \(detail)")
    }

    static func invalidStructuredOutput(model: String, problems: [String]) -> LLMError {
        LLMError(
            .invalidStructuredOutput,
            "\(model) did not answer with JSON matching the schema, even after a retry:\n"
                + problems.prefix(10).map { "  - \($0)" }.joined(separator: "\n"),
            suggestion: "simplify the schema, or use a stronger model")
    }

    static func configuration(_ message: String, suggestion: String? = nil, provider: String? = nil) -> LLMError {
        LLMError(.configuration, message, suggestion: suggestion, provider: provider)
    }

    static func unsupported(provider: String, _ detail: String) -> LLMError {
        LLMError(.unsupported, "\(provider) cannot \(detail)", provider: provider)
    }
}

extension LLMError {
    public var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch self.kind {
            case .httpStatus where status == 429: .throttled
            case .httpStatus where status == 401: .unauthorized
            case .httpStatus where status == 403: .forbidden
            case .connection: .unavailable
            case .timeout: .timeout
            case .configuration, .unsupported: .invalidInput
            default: .upstream
            }
        return ErrorCode("llm", self.kind.description, kind)
    }
}
