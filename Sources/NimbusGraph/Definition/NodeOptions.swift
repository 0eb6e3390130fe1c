/// When and how a failed node is tried again: a number of attempts, exponential back-off with jitter,
/// and which errors are worth retrying.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// The delay before the second attempt.
    public var initialDelay: Duration
    /// Each further delay is the previous one times this.
    public var backoffFactor: Double
    /// No delay is longer than this.
    public var maxDelay: Duration
    /// Whether delays are randomised (between half and all of the computed delay) so retries spread out.
    public var jitter: Bool
    /// Whether an error is worth another attempt; by default every error except cancellation.
    public var retryOn: @Sendable (any Error) -> Bool

    public init(
        maxAttempts: Int = 3,
        initialDelay: Duration = .milliseconds(500),
        backoffFactor: Double = 2,
        maxDelay: Duration = .seconds(30),
        jitter: Bool = true,
        retryOn: @escaping @Sendable (any Error) -> Bool = { !($0 is CancellationError) }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.backoffFactor = backoffFactor
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.retryOn = retryOn
    }

    /// The delay before attempt `attempt + 1`, after `attempt` attempts failed.
    public func delay(afterAttempt attempt: Int) -> Duration {
        let exponent = Double(max(0, attempt - 1))
        let base = initialDelay * pow(backoffFactor, exponent)
        let capped = min(base, maxDelay)
        guard jitter else { return capped }
        return capped * Double.random(in: 0.5...1.0)
    }

    private func pow(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(exponent) { result *= base }
        return result
    }
}

/// How one node runs: retries, a time limit, and the nodes it may route to with `goto`.
public struct NodeOptions: Sendable {
    public var retry: RetryPolicy?
    /// Each attempt is cancelled and fails with a timeout error after this long.
    public var timeout: Duration?
    /// The nodes the node may send the run to with `Update.goto` (checked at run time, drawn in diagrams).
    public var destinations: [String]

    public init(retry: RetryPolicy? = nil, timeout: Duration? = nil, destinations: [String] = []) {
        self.retry = retry
        self.timeout = timeout
        self.destinations = destinations
    }
}
