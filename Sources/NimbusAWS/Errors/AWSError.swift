public import NimbusCore

/// An error an AWS service returned: which service and operation, the error code and message, the HTTP status and
/// the request id to quote to AWS support. Modelled error fields (such as DynamoDB's `CancellationReasons`) are in
/// ``details``.
public struct AWSError: NimbusError {
    /// The service's name in Nimbus (`s3`, `dynamodb`).
    public let service: String
    /// The operation that failed (`PutObject`).
    public let operation: String
    /// The AWS error code (`NoSuchBucket`, `ThrottlingException`).
    public let code: String
    /// The service's own message; may be empty.
    public let errorMessage: String
    /// The HTTP status code.
    public let statusCode: Int
    /// The request id AWS gave the request (`x-amzn-RequestId`, `x-amz-request-id` or the body's `RequestId`).
    public let requestID: String?
    /// Fields of the modelled error shape, when the service models this error.
    public let details: JSONValue

    public init(
        service: String, operation: String, code: String, message: String, statusCode: Int, requestID: String?,
        details: JSONValue = .object([:])
    ) {
        self.service = service
        self.operation = operation
        self.code = code
        self.errorMessage = SecretRedactor.redact(message)
        self.statusCode = statusCode
        self.requestID = requestID
        self.details = details
    }

    public var message: String {
        var text = "\(service) \(operation) failed with \(code) (HTTP \(statusCode))"
        if !errorMessage.isEmpty { text += ": \(errorMessage)" }
        if let requestID, !requestID.isEmpty { text += " [request id \(requestID)]" }
        return text
    }

    public var suggestion: String? {
        switch code {
        case "ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired":
            return "the credentials have expired: refresh them (aws sso login, a new session token) and try again"
        case "InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId":
            return "the access key is not known to AWS: check the profile with `nimbus validate`"
        case "SignatureDoesNotMatch", "InvalidSignatureException":
            return "the secret access key does not match the key id, or the clock is wrong"
        case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
            return "the identity lacks permission for \(operation); `nimbus validate` shows which identity is used"
        default:
            return nil
        }
    }

    /// Codes AWS uses when a caller sends requests too fast.
    public static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
        "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
    ]

    /// Codes for failures that may pass when retried.
    public static let transientCodes: Set<String> = [
        "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure", "ServiceUnavailable",
        "IDPCommunicationError",
    ]

    /// Codes that mean the request's clock was too far from the service's.
    public static let clockSkewCodes: Set<String> = [
        "RequestTimeTooSkewed", "RequestExpired", "InvalidSignatureException", "SignatureDoesNotMatch",
        "AuthFailure", "RequestInTheFuture",
    ]

    /// Whether the service asked the caller to slow down.
    public var isThrottling: Bool { AWSError.throttlingCodes.contains(code) || statusCode == 429 }

    /// Whether the standard retry mode retries this error.
    public var isRetryable: Bool {
        isThrottling || AWSError.transientCodes.contains(code) || [500, 502, 503, 504].contains(statusCode)
    }
}

extension AWSError {
    /// `aws.` and AWS's own code in snake case (`aws.no_such_bucket`), of the kind its HTTP status says.
    public var errorCode: ErrorCode {
        let kind: ErrorKind
        if Self.throttlingCodes.contains(code) || statusCode == 429 {
            kind = .throttled
        } else {
            switch statusCode {
            case 401: kind = .unauthorized
            case 403: kind = .forbidden
            case 404: kind = .notFound
            case 409, 412: kind = .conflict
            case 400..<500: kind = .invalidInput
            case 503: kind = .unavailable
            case 504: kind = .timeout
            default: kind = .upstream
            }
        }
        return ErrorCode("aws", code, kind)
    }
}
