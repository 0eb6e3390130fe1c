public import NimbusCore

/// A problem with a service model or with the parameters of a call, found before anything is sent: an unknown
/// service, operation or parameter, a missing required parameter, a value of the wrong type.
public struct AWSModelError: NimbusError {
    /// Which problem this is.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        public var description: String { name }

        public static let unknownService = Kind(name: "unknownService")
        public static let unknownOperation = Kind(name: "unknownOperation")
        public static let unknownParameter = Kind(name: "unknownParameter")
        public static let missingParameter = Kind(name: "missingParameter")
        public static let wrongType = Kind(name: "wrongType")
        public static let invalidModel = Kind(name: "invalidModel")
        public static let invalidJSON = Kind(name: "invalidJSON")
        public static let invalidResponse = Kind(name: "invalidResponse")
    }

    public let kind: Kind
    public let message: String
    public let suggestion: String?

    init(_ kind: Kind, _ message: String, suggestion: String? = nil) {
        self.kind = kind
        self.message = message
        self.suggestion = suggestion
    }

    static func didYouMean(_ word: String, _ candidates: some Sequence<String>) -> String? {
        closestMatch(to: word, in: candidates).map { "did you mean '\($0)'?" }
    }

    public static func unknownService(_ name: String, known: [String]) -> AWSModelError {
        AWSModelError(
            .unknownService, "'\(name)' is not a service Nimbus has a model for",
            suggestion: didYouMean(name, known) ?? "known services: \(known.joined(separator: ", "))")
    }

    public static func unknownOperation(_ name: String, service: String, known: [String]) -> AWSModelError {
        AWSModelError(
            .unknownOperation, "\(service) has no operation '\(name)'", suggestion: didYouMean(name, known))
    }

    public static func unknownParameter(
        _ path: String, name: String, operation: String, known: [String]
    )
        -> AWSModelError
    {
        let allowed = known.isEmpty ? "it takes no parameters" : "known: \(known.joined(separator: ", "))"
        return AWSModelError(
            .unknownParameter, "\(operation) has no parameter '\(path)'",
            suggestion: didYouMean(name, known) ?? allowed)
    }

    public static func missingParameter(_ path: String, operation: String) -> AWSModelError {
        AWSModelError(.missingParameter, "\(operation) requires the parameter '\(path)', which is missing")
    }

    public static func wrongType(
        _ path: String, operation: String, expected: String, found: String
    )
        -> AWSModelError
    {
        AWSModelError(.wrongType, "\(operation) parameter '\(path)' should be \(expected) but is \(found)")
    }

    public static func invalidModel(_ detail: String) -> AWSModelError {
        AWSModelError(.invalidModel, "invalid service model: \(detail)")
    }

    public static func invalidJSON(_ detail: String) -> AWSModelError {
        AWSModelError(.invalidJSON, "invalid JSON: \(detail)")
    }

    public static func invalidResponse(service: String, operation: String, detail: String) -> AWSModelError {
        AWSModelError(.invalidResponse, "\(service) \(operation) returned a response Nimbus cannot read: \(detail)")
    }
}

/// A problem finding or loading AWS credentials: none found, a malformed file (named with its line), an unknown
/// profile (with the known ones), expired credentials, a failing `credential_process`.
public struct AWSCredentialsError: NimbusError {
    /// Which problem this is.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        public var description: String { name }

        public static let notFound = Kind(name: "notFound")
        public static let malformedFile = Kind(name: "malformedFile")
        public static let unknownProfile = Kind(name: "unknownProfile")
        public static let expired = Kind(name: "expired")
        public static let incompleteProfile = Kind(name: "incompleteProfile")
        public static let processFailed = Kind(name: "processFailed")
        public static let providerFailed = Kind(name: "providerFailed")
        public static let encryption = Kind(name: "encryption")
        public static let invalidProfileName = Kind(name: "invalidProfileName")
        public static let invalidSetting = Kind(name: "invalidSetting")
    }

    public let kind: Kind
    public let message: String
    public let suggestion: String?

    init(_ kind: Kind, _ message: String, suggestion: String? = nil) {
        self.kind = kind
        self.message = SecretRedactor.redact(message)
        self.suggestion = suggestion
    }

    public static func notFound(tried: [String]) -> AWSCredentialsError {
        AWSCredentialsError(
            .notFound, "no AWS credentials found (tried: \(tried.joined(separator: ", ")))",
            suggestion:
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, add a profile to ~/.aws/credentials, or pass --profile"
        )
    }

    public static func malformedFile(_ path: String, line: Int, detail: String) -> AWSCredentialsError {
        AWSCredentialsError(.malformedFile, "\(path), line \(line): \(detail)", suggestion: "fix the line and retry")
    }

    public static func unknownProfile(_ name: String, known: [String]) -> AWSCredentialsError {
        let list = known.isEmpty ? "no profiles are defined" : "known profiles: \(known.joined(separator: ", "))"
        let hint = closestMatch(to: name, in: known).map { "did you mean '\($0)'? " } ?? ""
        return AWSCredentialsError(
            .unknownProfile, "there is no AWS profile named '\(name)'", suggestion: hint + list)
    }

    public static func expired(source: String, at time: String) -> AWSCredentialsError {
        AWSCredentialsError(
            .expired, "the credentials from \(source) expired at \(time)",
            suggestion: "refresh them (a new session token, `aws sso login`) and try again")
    }

    public static func incompleteProfile(_ profile: String, file: String, detail: String) -> AWSCredentialsError {
        AWSCredentialsError(.incompleteProfile, "profile '\(profile)' in \(file) \(detail)")
    }

    public static func processFailed(_ profile: String, detail: String) -> AWSCredentialsError {
        AWSCredentialsError(.processFailed, "credential_process of profile '\(profile)' failed: \(detail)")
    }

    public static func providerFailed(_ provider: String, detail: String) -> AWSCredentialsError {
        AWSCredentialsError(.providerFailed, "\(provider) credentials could not be loaded: \(detail)")
    }

    public static func invalidProfileName(_ name: String) -> AWSCredentialsError {
        AWSCredentialsError(
            .invalidProfileName, "'\(name.debugDescription.dropFirst().dropLast())' is not a profile name",
            suggestion: "use letters, digits and . _ @ + - (at most 64 characters, starting with a letter or digit)")
    }

    public static func invalidSetting(profile: String, key: String, detail: String) -> AWSCredentialsError {
        AWSCredentialsError(.invalidSetting, "the setting '\(key)' of profile '\(profile)' \(detail)")
    }

    public static func encryption(_ path: String, detail: String) -> AWSCredentialsError {
        AWSCredentialsError(
            .encryption, "the secrets in \(path) cannot be decrypted: \(detail)",
            suggestion: "the key file beside it (credentials.key) must be the one they were encrypted with")
    }
}

/// A problem sending a request: the endpoint, the network, a timeout, a response that could not be read.
public struct AWSClientError: NimbusError {
    /// Which problem this is.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        public var description: String { name }

        public static let invalidEndpoint = Kind(name: "invalidEndpoint")
        public static let transport = Kind(name: "transport")
        public static let missingRegion = Kind(name: "missingRegion")
        public static let retryQuotaExhausted = Kind(name: "retryQuotaExhausted")
        public static let notAllowedHere = Kind(name: "notAllowedHere")
    }

    public let kind: Kind
    public let message: String
    public let suggestion: String?

    init(_ kind: Kind, _ message: String, suggestion: String? = nil) {
        self.kind = kind
        self.message = SecretRedactor.redact(message)
        self.suggestion = suggestion
    }

    public static func invalidEndpoint(_ text: String, source: String) -> AWSClientError {
        AWSClientError(
            .invalidEndpoint, "'\(text)' from \(source) is not an endpoint URL",
            suggestion: "use a URL such as http://127.0.0.1:5000")
    }

    public static func notAllowedHere(action: String) -> AWSClientError {
        AWSClientError(.notAllowedHere, "\(action) was not sent: this client may not call AWS")
    }

    public static func transport(service: String, operation: String, url: String, detail: String) -> AWSClientError {
        AWSClientError(.transport, "\(service) \(operation) could not reach \(url): \(detail)")
    }

    public static func missingRegion(service: String) -> AWSClientError {
        AWSClientError(
            .missingRegion, "no AWS region is set for \(service)",
            suggestion: "pass --region, set AWS_REGION, or add `region = ...` to the profile in ~/.aws/config")
    }
}

extension AWSModelError {
    public var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch self.kind {
            case .invalidModel: .internal
            case .invalidResponse: .upstream
            default: .invalidInput
            }
        return ErrorCode("aws_model", self.kind.description, kind)
    }
}

extension AWSCredentialsError {
    public var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch self.kind {
            case .notFound, .unknownProfile: .notFound
            case .expired, .processFailed, .providerFailed: .unauthorized
            case .encryption: .internal
            default: .invalidInput
            }
        return ErrorCode("aws_credentials", self.kind.description, kind)
    }
}

extension AWSClientError {
    public var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch self.kind {
            case .transport: .unavailable
            case .retryQuotaExhausted: .throttled
            case .notAllowedHere: .forbidden
            default: .invalidInput
            }
        return ErrorCode("aws_client", self.kind.description, kind)
    }
}
