public import NimbusCore

/// What happened to one planned step: its result, why it failed, or why it never ran.
public struct ExecutedStep: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        case succeeded, failed, declined, refused, skipped
    }

    /// The step as it ran, its references resolved.
    public var step: PlannedStep
    public var status: Status
    /// The tool's result (secrets redacted unless the tool's result is the secret asked for).
    public var result: JSONValue?
    /// The result in a person's words.
    public var report: String?
    public var failure: StepFailure?
    /// Why a step did not run (refused, declined, skipped).
    public var reason: String?

    public init(
        step: PlannedStep, status: Status, result: JSONValue? = nil, report: String? = nil,
        failure: StepFailure? = nil, reason: String? = nil
    ) {
        self.step = step
        self.status = status
        self.result = result
        self.report = report
        self.failure = failure
        self.reason = reason
    }

    /// One line: `1. s3.list_buckets: succeeded` or `2. s3.delete_objects: declined (you said no)`.
    public var line: String {
        var text = "\(step.number). \(step.summary): \(status.rawValue)"
        if let failure { text += " — \(failure.message)" } else if let reason { text += " (\(reason))" }
        return text
    }
}

/// Why a step failed, for people: what went wrong, a code to match on, and what to try.
public struct StepFailure: Sendable, Hashable, Codable {
    public var message: String
    /// A machine-readable code (an AWS error code such as `NoSuchBucket`) when there is one.
    public var code: String?
    public var hint: String?

    public init(message: String, code: String? = nil, hint: String? = nil) {
        self.message = message
        self.code = code
        self.hint = hint
    }

    /// The usual description of an error: a ``NimbusError``'s message and suggestion, or its text.
    public static func describing(_ error: any Error) -> StepFailure {
        if let error = error as? any NimbusError {
            return StepFailure(message: SecretRedactor.redact(error.message), hint: error.suggestion)
        }
        return StepFailure(message: SecretRedactor.redact("\(error)"))
    }
}
