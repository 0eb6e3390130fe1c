import ArgumentParser
import Foundation
import NimbusCore
import NimbusServer
import NimbusStore

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run queued runs of every product: the jobs `nimbus serve` queues, on one store shared by many.",
        discussion: """
            Start as many workers as you like, on as many machines, against one PostgreSQL store
            (NIMBUS_STORE_URL=postgres://… or store.url): each job is claimed by one of them, leased and kept alive
            by heartbeats; an idle worker hears a new job at once (LISTEN/NOTIFY). A worker killed mid-run loses its
            lease and another resumes the run from its last checkpoint, with nothing it did done again.
            `nimbus serve --workers 0` makes an API-only node that leaves all runs to workers.
            SIGTERM or Ctrl-C takes no new job and lets runs reach a checkpoint (after 10 s they stop at their next
            one and go back to the queue). `nimbus worker ping` checks that workers are taking work.
            On a SQLite store a worker shares the queue with the processes of its own machine.
            """,
        subcommands: [Ping.self])

    @OptionGroup var global: GlobalOptions

    @Option(help: "Runs at once in this process.")
    var concurrency = 2

    @Option(help: "Seconds a claimed job is leased: a worker that dies gives its runs up after this long.")
    var lease: Double = 30

    @Option(help: "Seconds before a failed job's second attempt; each later attempt waits twice as long.")
    var backoff: Double = 2

    @Flag(help: "Run what is due, then exit once no job is left to run (for batch runs and cron).")
    var drain = false

    func run() async throws {
        guard (1...256).contains(concurrency) else {
            throw ValidationError("--concurrency takes 1 to 256, not \(concurrency)")
        }
        guard lease >= 1 else { throw ValidationError("--lease takes at least 1 second") }
        let host = try global.host()
        let worker = NimbusWorker(
            host: host,
            settings: NimbusWorker.Settings(
                concurrency: concurrency, lease: lease, backoff: RetryBackoff(base: max(0, backoff)), drain: drain))
        let location = (try? StoreLocation(configuration: host.configuration).description) ?? "the store"
        let slots = concurrency
        let name = worker.name
        try await worker.run(onStarted: {
            Console.progress("Worker \(name) is taking runs from \(location) (\(slots) at once).")
        })
        Console.progress("Worker \(name) stopped.")
    }

    struct Ping: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue no-op jobs and wait for workers to run them: is the queue flowing, and how fast?",
            discussion: """
                Each job leaves one agent-execution row per attempt naming the worker that ran it. With --fail each
                attempt fails: the job is retried with back-off and ends dead-lettered after its attempts.
                """)

        @OptionGroup var global: GlobalOptions

        @Option(help: "How many jobs.")
        var count = 1

        @Option(help: "Make every attempt fail with this message.")
        var fail: String?

        @Option(help: "Attempts per job.")
        var attempts = 3

        @Option(help: "Seconds to wait for the jobs to end (0: queue them and return).")
        var wait: Double = 30

        @Flag(help: "Queue each job only after the one before it ended: how fast an idle worker starts a job.")
        var oneByOne = false

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            guard (1...100_000).contains(count) else { throw ValidationError("--count takes 1 to 100000") }
            guard (1...20).contains(attempts) else { throw ValidationError("--attempts takes 1 to 20") }
            let store = try global.host().store
            try await store.connect()
            let started = Date()
            var jobs: [JobRecord] = []
            if oneByOne {
                guard wait > 0 else { throw ValidationError("--one-by-one waits for each job; give --wait above 0") }
                let deadline = Date(timeIntervalSinceNow: wait)
                for _ in 0..<count where Date() < deadline {
                    let job = try await NimbusWorker.ping(store: store, count: 1, fail: fail, maxAttempts: attempts)[0]
                    jobs.append(job)
                    while Date() < deadline, !((try await store.job(job.id))?.status.isFinal ?? true) {
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
            } else {
                jobs = try await NimbusWorker.ping(store: store, count: count, fail: fail, maxAttempts: attempts)
            }
            if wait <= 0 {
                switch output {
                case .json: Console.json(["queued": .int(jobs.count), "jobs": .array(jobs.map { .string($0.id) })])
                case .text: Console.out("\(jobs.count) no-op job\(jobs.count == 1 ? "" : "s") queued.")
                }
                return
            }
            var ended: [JobRecord] = []
            let deadline = Date(timeIntervalSinceNow: wait)
            var pending = Set(jobs.map(\.id))
            while !pending.isEmpty, Date() < deadline {
                for id in pending {
                    if let job = try await store.job(id), job.status.isFinal {
                        ended.append(job)
                        pending.remove(id)
                    }
                }
                if !pending.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
            }
            let elapsed = Date().timeIntervalSince(started)
            var byStatus: [String: Int] = [:]
            for job in ended { byStatus[job.status.rawValue, default: 0] += 1 }
            let workers = Set(ended.compactMap { $0.result?["worker"]?.stringValue })
            switch output {
            case .json:
                Console.json([
                    "queued": .int(jobs.count), "ended": .int(ended.count), "waiting": .int(pending.count),
                    "statuses": .object(byStatus.mapValues { .int($0) }), "seconds": .double(elapsed),
                    "workers": .array(workers.sorted().map(JSONValue.string)),
                    "jobs": .array(jobs.map { .string($0.id) }),
                ])
            case .text:
                let statuses = byStatus.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
                Console.out(
                    "\(ended.count) of \(jobs.count) jobs ended in \(String(format: "%.2f", elapsed)) s"
                        + (statuses.isEmpty ? "" : " (\(statuses.joined(separator: ", ")))")
                        + (workers.isEmpty
                            ? "" : ", run by \(workers.count) worker slot\(workers.count == 1 ? "" : "s")"))
            }
            if !pending.isEmpty {
                throw CommandProblem.timedOut(
                    "\(pending.count) of \(jobs.count) jobs were not run within \(Int(wait)) s",
                    hint: "is a worker running? start one with `nimbus worker` on the same store")
            }
        }
    }
}

extension WorkerCommand.Ping: OutputSelecting {}
