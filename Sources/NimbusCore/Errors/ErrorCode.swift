import Foundation

/// What kind of failure an error is, for the two programs that must act on it without reading it: a shell script
/// (the exit status) and an HTTP client (the status code). The one table both use is `httpStatus` and `exitCode`.
public enum ErrorKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The request, a flag, a file or an answer is malformed or names something impossible.
    case invalidInput = "invalid_input"
    /// What the request names does not exist: a run, a file, a profile, a bucket.
    case notFound = "not_found"
    /// The request conflicts with what is there: a run already running, an answer to a finished run.
    case conflict
    /// Credentials are missing, expired or not accepted.
    case unauthorized
    /// Refused by a policy, a read-only run, the request's scope, or a person who said no.
    case forbidden
    /// A change waits for someone's approval and nobody could be asked.
    case approvalRequired = "approval_required"
    /// A service asked us to slow down.
    case throttled
    /// A service Nimbus called (AWS, a model provider) failed or answered with something unusable.
    case upstream
    /// A service or the store could not be reached.
    case unavailable
    /// Something did not answer in time.
    case timeout
    /// A fault of Nimbus itself.
    case `internal`

    /// The HTTP status a server answers with.
    public var httpStatus: Int {
        switch self {
        case .invalidInput: 400
        case .unauthorized: 401
        case .forbidden, .approvalRequired: 403
        case .notFound: 404
        case .conflict: 409
        case .throttled: 429
        case .internal: 500
        case .upstream: 502
        case .unavailable: 503
        case .timeout: 504
        }
    }

    /// The exit status of a command: 2 when a change waits for approval (a script can ask and run again), 1 for
    /// every other failure. (64 stays argument-parser's, for a command line that does not parse.)
    public var exitCode: Int32 { self == .approvalRequired ? 2 : 1 }
}

/// A stable, machine-readable name for an error — `aws_transfer.missing_object`, `aws_gate.not_approved` — for
/// `--output json`, API answers and tests: programs match the code, never the wording.
///
/// The name is the error's domain (its type without `Error`, in snake case) and its code; every `NimbusError`
/// gives its own, with the `ErrorKind` that decides the HTTP status and exit code. Two codes are equal when
/// their names are.
public struct ErrorCode: Sendable, Hashable, CustomStringConvertible {
    /// `domain.name`, e.g. `graph.unknown_thread`.
    public let rawValue: String
    public let kind: ErrorKind

    /// A code in `domain` (snake case) named `name` (camel or snake case; written in snake case).
    public init(_ domain: String, _ name: String, _ kind: ErrorKind) {
        rawValue = domain + "." + Self.snakeCase(name)
        self.kind = kind
    }

    public var description: String { rawValue }
    public static func == (lhs: ErrorCode, rhs: ErrorCode) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    /// The code of any error: a `NimbusError`'s own; file-system errors as `file.not_found`,
    /// `file.permission_denied` or `file.io`; cancellation as `task.cancelled`; anything else `internal.error`.
    public static func of(_ error: any Error) -> ErrorCode {
        if let error = error as? any NimbusError { return error.errorCode }
        if error is CancellationError { return ErrorCode("task", "cancelled", .unavailable) }
        return FileErrorText.code(of: error) ?? ErrorCode("internal", "error", .internal)
    }

    /// `AWSTransfer` → `aws_transfer`, `notApproved` → `not_approved`.
    public static func snakeCase(_ text: String) -> String {
        var output = ""
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            let isUpper = scalar.properties.isUppercase
            if isUpper, index > 0 {
                let previousLower = scalars[index - 1].properties.isLowercase
                let nextLower = index + 1 < scalars.count && scalars[index + 1].properties.isLowercase
                if previousLower || (nextLower && scalars[index - 1].properties.isUppercase) { output += "_" }
            }
            output += String(scalar).lowercased()
        }
        return output.replacingOccurrences(of: "__", with: "_")
    }
}

/// An error as a program receives it — from `--output json`, and the same from the server: its code, the kind
/// that set the status, and the words for people (secrets redacted).
public struct ErrorReport: Sendable, Hashable, Codable {
    public let code: String
    public let kind: ErrorKind
    public let message: String
    public let hint: String?

    public init(code: ErrorCode, message: String, hint: String?) {
        self.code = code.rawValue
        kind = code.kind
        self.message = SecretRedactor.redact(message)
        self.hint = hint.map(SecretRedactor.redact)
    }

    /// The report of any error: a `NimbusError`'s message and suggestion, file errors in plain words.
    public init(_ error: any Error) {
        let code = ErrorCode.of(error)
        if let error = error as? any NimbusError {
            self.init(code: code, message: error.message, hint: error.suggestion)
        } else if FileErrorText.code(of: error) != nil {
            let path = (error as NSError).userInfo[NSFilePathErrorKey] as? String
            self.init(code: code, message: (path.map { "\($0): " } ?? "") + FileErrorText.describe(error), hint: nil)
        } else {
            self.init(code: code, message: "\(error)", hint: nil)
        }
    }

    /// `{"code", "kind", "message", "hint"}`: the report's Codable form (no `hint` when there is none).
    public var json: JSONValue {
        // Strings and an enum of strings always encode.
        (try? JSONValue(encoding: self)) ?? .object(["code": .string(code)])
    }
}
