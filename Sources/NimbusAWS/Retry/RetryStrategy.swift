import Foundation
import Synchronization

/// The settings of AWS's standard retry mode.
public struct RetryConfiguration: Sendable {
    /// Attempts in all, the first included (`AWS_MAX_ATTEMPTS`, `max_attempts`); 1 disables retries.
    public var maxAttempts: Int
    /// The base of the exponential back-off.
    public var baseDelay: Duration
    /// No wait is longer than this.
    public var maxBackoff: Duration
    /// The retry quota's capacity; each retry spends from it, each success refunds a little.
    public var quotaCapacity: Int

    public init(
        maxAttempts: Int = 3, baseDelay: Duration = .seconds(1), maxBackoff: Duration = .seconds(20),
        quotaCapacity: Int = 500
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxBackoff = maxBackoff
        self.quotaCapacity = quotaCapacity
    }
}

/// AWS's standard retry mode: retry throttling, transient and 5xx errors with exponential back-off and full
/// jitter, while a shared quota lasts (so a failing service is not hammered by every caller at once).
public final class StandardRetryStrategy: Sendable {
    public let configuration: RetryConfiguration
    private let quota: Mutex<Int>
    static let retryCost = 5
    static let timeoutCost = 10
    static let successRefund = 1

    public init(configuration: RetryConfiguration = RetryConfiguration()) {
        self.configuration = configuration
        quota = Mutex(configuration.quotaCapacity)
    }

    /// Tokens left in the quota.
    public var availableQuota: Int { quota.withLock { $0 } }

    /// Whether to retry after `attempt` (1-based) failed with `error`, and how long to wait first; takes the
    /// retry's cost from the quota. Nil when the error is final, attempts are used up or the quota is empty.
    public func delay(afterAttempt attempt: Int, error: any Error) -> Duration? {
        guard attempt < configuration.maxAttempts else { return nil }
        let cost: Int
        if let awsError = error as? AWSError {
            guard awsError.isRetryable else { return nil }
            cost = StandardRetryStrategy.retryCost
        } else if let clientError = error as? AWSClientError, clientError.kind == .transport {
            cost = StandardRetryStrategy.timeoutCost
        } else {
            return nil
        }
        let granted = quota.withLock { available -> Bool in
            guard available >= cost else { return false }
            available -= cost
            return true
        }
        guard granted else { return nil }
        return backoff(attempt: attempt)
    }

    /// Full jitter: a random wait between zero and base × 2^(attempt−1), capped.
    public func backoff(attempt: Int) -> Duration {
        let ceiling = min(
            configuration.baseDelay * (1 << min(attempt - 1, 20)), configuration.maxBackoff)
        let (seconds, attoseconds) = ceiling.components
        let total = Double(seconds) + Double(attoseconds) / 1e18
        return .milliseconds(Int(Double.random(in: 0...1) * total * 1000))
    }

    /// A request succeeded: refund the quota a little (after a retry, the cost of that retry).
    public func recordSuccess(retried: Bool) {
        quota.withLock {
            $0 = min(
                configuration.quotaCapacity,
                $0 + (retried ? StandardRetryStrategy.retryCost : StandardRetryStrategy.successRefund))
        }
    }
}

/// How far the local clock is from AWS's, learned from a skew error's `Date` header, so the next signature uses
/// AWS's time.
final class ClockSkew: Sendable {
    private let offset = Mutex<TimeInterval>(0)

    var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    var current: TimeInterval { offset.withLock { $0 } }

    /// Records the server's time when it is more than four minutes away; returns whether the offset changed.
    func adjust(serverDate: Date, localDate: Date = Date()) -> Bool {
        let difference = serverDate.timeIntervalSince(localDate)
        return offset.withLock { value in
            guard abs(difference - value) > 240 else { return false }
            value = difference
            return true
        }
    }
}
