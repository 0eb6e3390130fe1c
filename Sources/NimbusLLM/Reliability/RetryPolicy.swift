public import Foundation

/// When and how often a failed model call is tried again: on rate limits (429), server errors (5xx), broken
/// connections and timeouts, with exponential back-off and jitter, waiting as long as the provider's `Retry-After`
/// asks when it says.
public struct LLMRetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (1 means no retries).
    public var maxAttempts: Int
    public var initialDelay: Duration
    public var multiplier: Double
    public var maxDelay: Duration
    /// A `Retry-After` longer than this is not waited for: the error goes to the caller instead.
    public var maxRetryAfter: Duration
    /// Waits a random 50–100 % of the computed delay, so many clients do not retry in step.
    public var jitter: Bool

    public init(
        maxAttempts: Int = 3, initialDelay: Duration = .milliseconds(500), multiplier: Double = 2,
        maxDelay: Duration = .seconds(20), maxRetryAfter: Duration = .seconds(60), jitter: Bool = true
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
        self.jitter = jitter
    }

    /// No retries.
    public static let noRetries = LLMRetryPolicy(maxAttempts: 1)

    /// How long to wait after failed attempt `attempt` (1-based), or `nil` to give up.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration?) -> Duration? {
        guard attempt < maxAttempts else { return nil }
        if let retryAfter {
            return retryAfter <= maxRetryAfter ? retryAfter : nil
        }
        let seconds = min(
            Self.seconds(initialDelay) * pow(multiplier, Double(attempt - 1)), Self.seconds(maxDelay))
        let factor = jitter ? Double.random(in: 0.5...1.0) : 1.0
        return .milliseconds(Int64(seconds * factor * 1000))
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Reads `retry-after-ms` (milliseconds) or `Retry-After` (seconds, or an HTTP date).
    public static func retryAfter(
        headers: [(name: String, value: String)], now: Date = Date()
    ) -> Duration? {
        func value(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name }?.value.trimmingCharacters(in: .whitespaces)
        }
        if let text = value("retry-after-ms"), let millis = Double(text), millis >= 0 {
            return .milliseconds(Int64(millis))
        }
        guard let text = value("retry-after") else { return nil }
        if let seconds = Double(text), seconds >= 0 { return .milliseconds(Int64(seconds * 1000)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
    }
}

/// How long a model call may take.
public struct LLMTimeouts: Sendable, Hashable {
    /// To open a connection.
    public var connect: Duration
    /// For a whole answer (`respond`), retries included; for a stream, until the response headers arrive.
    public var request: Duration
    /// Between two pieces of a response: a stream that stalls this long fails.
    public var idle: Duration

    public init(connect: Duration = .seconds(10), request: Duration = .seconds(300), idle: Duration = .seconds(120)) {
        self.connect = connect
        self.request = request
        self.idle = idle
    }
}
