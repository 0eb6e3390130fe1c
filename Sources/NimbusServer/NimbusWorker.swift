public import Foundation
public import Logging
import NimbusCore
public import NimbusHost
public import NimbusStore
import ServiceLifecycle

/// `nimbus worker`: runs queued runs of every product in the catalog (the jobs `nimbus serve` queues, kind
/// `nimbus.run`) and no-op jobs (`nimbus.noop`, from `nimbus worker ping`), with the same workers a server runs
/// inside itself. Point any number of workers, on any number of machines, at one PostgreSQL store and they share
/// its queue: a job is claimed by one worker (`FOR UPDATE SKIP LOCKED`), leased and kept alive by heartbeats, and
/// a worker that dies loses its lease, so another resumes the run from its last checkpoint.
public final class NimbusWorker: Sendable {
    public struct Settings: Sendable, Hashable {
        /// Runs at once in this process.
        public var concurrency: Int
        /// Seconds a claimed job is leased; a worker that stops heartbeating loses it after this long.
        public var lease: TimeInterval
        /// The wait before a failed job's next attempt (no-op jobs; runs that fail keep their failure).
        public var backoff: RetryBackoff
        /// Exit once no job is due (each slot stops when it finds none).
        public var drain: Bool

        public init(
            concurrency: Int = 2, lease: TimeInterval = 30, backoff: RetryBackoff = RetryBackoff(), drain: Bool = false
        ) {
            self.concurrency = max(1, concurrency)
            self.lease = max(1, lease)
            self.backoff = backoff
            self.drain = drain
        }
    }

    public let host: NimbusHost
    public let settings: Settings
    let runs: RunCoordinator
    let logger: Logger

    public init(host: NimbusHost, settings: Settings = Settings(), logger: Logger = Logger(label: "nimbus.worker")) {
        self.host = host
        self.settings = settings
        self.logger = logger
        let server = ServerSettings(configuration: host.configuration)
        runs = RunCoordinator(
            host: host, workers: settings.concurrency, maxRunsPerKey: .max, metrics: ServerMetrics(),
            live: LiveEvents(), webhook: Webhook(settings: server), tracer: nil, role: "worker",
            lease: settings.lease, kinds: [RunJob.kind, NoopJob.kind], backoff: settings.backoff,
            drain: settings.drain)
    }

    /// This process's workers' name in lease owners: `worker:HOST:PID` (each slot adds `:N`).
    public var name: String { runs.workerName }

    /// Works until SIGTERM or SIGINT: then takes no new job, lets runs reach a checkpoint (or, after `grace`, stops
    /// them at their next one and hands them back to the queue), and returns.
    public func run(grace: Duration = .seconds(10), onStarted: @Sendable () async -> Void = {}) async throws {
        try await host.store.connect()
        try await runs.releaseAbandonedJobs()
        await onStarted()
        let group = ServiceGroup(
            configuration: .init(
                // A draining worker's service ends by itself: that ends the worker, not as a failure.
                services: [
                    .init(
                        service: WorkerService(runs: runs, grace: grace),
                        successTerminationBehavior: .gracefullyShutdownGroup)
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Queues `count` no-op jobs (each failing, when `fail` is given) and returns them.
    public static func ping(
        store: any Store, count: Int, fail: String? = nil, maxAttempts: Int = 3, sleepMilliseconds: Int? = nil
    ) async throws -> [JobRecord] {
        var jobs: [JobRecord] = []
        let payload = try JSONValue(encoding: NoopJob(fail: fail, sleepMilliseconds: sleepMilliseconds))
        for _ in 0..<max(1, count) {
            jobs.append(
                try await store.enqueue(NewJob(kind: NoopJob.kind, payload: payload, maxAttempts: maxAttempts)))
        }
        return jobs
    }

    /// The kind of no-op jobs.
    public static let pingKind = NoopJob.kind
}

struct WorkerService: Service {
    let runs: RunCoordinator
    let grace: Duration
    func run() async throws { await runs.serve(grace: grace) }
}
