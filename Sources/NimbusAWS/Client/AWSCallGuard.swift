public import NimbusCore

/// What an operation does to an account (``AccessLevel``).
public typealias AWSAccess = AccessLevel

/// One call an ``AWSClient`` is about to make, as its ``AWSCallGuard`` sees it: the operation by its model
/// name, what it does, the actions a policy can name it by, and its parameters with secrets masked.
public struct AWSOperationCall: Sendable {
    /// Why the call is made.
    public enum Purpose: Sendable, Hashable {
        /// An operation sent to the service.
        case send
        /// A presigned URL, signed here and handed to the caller; no request is sent.
        case presign(expires: Int)
        /// Getting credentials for other calls (STS AssumeRole for a `role_arn` profile).
        case credentials
    }

    /// The service's name in the bundled models (`s3`, `ec2`).
    public let service: String
    /// The operation's name in the model (`DeleteObjects`), however the caller spelled it.
    public let operation: String
    public let purpose: Purpose
    /// What the operation does, from its name (``OperationModel/access``).
    public let access: AWSAccess
    /// `service:Operation`: `s3:DeleteObjects`.
    public let action: String
    /// The IAM actions that authorise the call, all of them needed (`s3:DeleteObjects` is authorised by
    /// `s3:DeleteObject`, a multipart part by `s3:PutObject`, `s3:CopyObject` by `s3:PutObject` and
    /// `s3:GetObject`); just ``action`` where the two agree.
    public let iamActions: [String]
    /// The parameters with every member the model marks sensitive replaced by ``SecretRedactor/placeholder``.
    public let redactedInput: JSONValue
    /// The values the model marks sensitive among the parameters (a SecureString, a password), so the caller can
    /// keep them out of everything it stores, logs or shows.
    public let sensitiveValues: [String]
    /// The profile and region the client signs with.
    public let profile: String
    public let region: String?

    public init(
        service: String, operation: String, purpose: Purpose, access: AWSAccess, action: String,
        iamActions: [String], redactedInput: JSONValue, sensitiveValues: [String], profile: String, region: String?
    ) {
        self.service = service
        self.operation = operation
        self.purpose = purpose
        self.access = access
        self.action = action
        self.iamActions = iamActions.isEmpty ? [action] : iamActions
        self.redactedInput = redactedInput
        self.sensitiveValues = sensitiveValues
        self.profile = profile
        self.region = region
    }

    /// Every name a policy rule can match this call by: ``action`` and the IAM actions.
    public var actions: [String] { [action] + iamActions.filter { $0 != action } }

    /// The same call, seen as another purpose and access (how credential calls are marked).
    public func with(purpose: Purpose, access: AWSAccess) -> AWSOperationCall {
        AWSOperationCall(
            service: service, operation: operation, purpose: purpose, access: access, action: action,
            iamActions: iamActions, redactedInput: redactedInput, sensitiveValues: sensitiveValues, profile: profile,
            region: region)
    }
}

/// How a call ended, for ``AWSCallGuard/didFinish(_:_:)``.
public enum AWSCallResult: Sendable {
    /// The service answered with success. `sensitiveValues` are values the model marks sensitive in the answer
    /// (a decrypted parameter, a new secret access key): for the one who asked, never for a log.
    case succeeded(requestID: String?, sensitiveValues: [String], duration: Duration)
    /// The service, the network or the parameters failed.
    case failed(error: any Error, requestID: String?, duration: Duration)
}

/// Sees every call an ``AWSClient`` makes, before it is sent and after it ends: the one place where policy,
/// approval and the audit log apply to all of them. A client cannot be made without one, and every request goes
/// through ``AWSClient/execute(_:_:_:payload:extraHeaders:handle:)`` or ``AWSClient/presign(_:_:_:expires:)``,
/// which ask it first.
public protocol AWSCallGuard: Sendable {
    /// Decides before anything is sent; throwing refuses the call, and nothing is sent. Called once per call,
    /// not once per retry.
    func willSend(_ call: AWSOperationCall) async throws
    /// Hears how a call that was allowed ended.
    func didFinish(_ call: AWSOperationCall, _ result: AWSCallResult) async
}

/// A guard that allows every call and records none: for tests, benchmarks and the emulator set-up of test
/// accounts, never for a product. A source test fails when product code names it.
public struct UncheckedAWSCalls: AWSCallGuard {
    public init() {}
    public func willSend(_ call: AWSOperationCall) async throws {}
    public func didFinish(_ call: AWSOperationCall, _ result: AWSCallResult) async {}
}

/// A guard that refuses every call: for a client a command needs only for its settings (the profile list), which
/// must never reach AWS.
public struct NoAWSCallsAllowed: AWSCallGuard {
    public init() {}

    public func willSend(_ call: AWSOperationCall) async throws {
        throw AWSClientError.notAllowedHere(action: call.action)
    }

    public func didFinish(_ call: AWSOperationCall, _ result: AWSCallResult) async {}
}
