import Foundation
import NimbusCore
import NimbusStore
import NimbusTesting
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

#if canImport(Glibc)
import Glibc
#endif

/// `nimbus worker`, `nimbus store` and `nimbus serve` on PostgreSQL, as processes: several workers share one queue
/// and run each job exactly once, a killed worker's run is finished by another from its checkpoint, a restart of
/// PostgreSQL under a worker, migrations raced by three processes, and a SQLite store copied across.
@Suite("nimbus worker and store on PostgreSQL", .serialized)
struct WorkerCommandTests {
    /// A `nimbus` process left running (a worker, a server), with what it printed.
    final class Background: Sendable {
        final class Captured: Sendable {
            let text = Mutex("")
        }

        let process: Process
        private let captured = Captured()
        var printed: String { captured.text.withLock { $0 } }

        init(_ arguments: [String], home: URL, environment: [String: String]) throws {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = arguments
            var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("NIMBUS_") }
            env["NIMBUS_HOME"] = home.path
            for (key, value) in environment { env[key] = value }
            process.environment = env
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            let captured = self.captured
            pipe.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                if !data.isEmpty { captured.text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
            }
            try process.run()
            self.process = process
        }

        /// Waits until the process has printed `pattern` (a regular expression); the match.
        @discardableResult
        func waitFor(_ pattern: String, seconds: Double = 30) async throws -> String {
            let deadline = Date(timeIntervalSinceNow: seconds)
            while Date() < deadline {
                let printed = self.printed
                if let range = printed.range(of: pattern, options: .regularExpression) {
                    return String(printed[range])
                }
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw PostgresTestError(message: "never printed /\(pattern)/; printed:\n\(printed)")
        }

        func stop() async -> Int32 {
            kill(process.processIdentifier, SIGTERM)
            for _ in 0..<300 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return process.terminationStatus
        }

        func killHard() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    static var server: PostgresTestServer? {
        if PostgresTestServer.configured == nil { print(PostgresTestServer.skipNote) }
        return PostgresTestServer.configured
    }

    static func workers(
        _ count: Int, home: URL, store: String, arguments: [String] = []
    ) async throws -> [Background] {
        var started: [Background] = []
        for _ in 0..<count {
            let worker = try Background(
                ["worker", "--concurrency", "2"] + arguments, home: home, environment: ["NIMBUS_STORE_URL": store])
            started.append(worker)
        }
        for worker in started { try await worker.waitFor("is taking runs from") }
        return started
    }

    @Test("2 and 4 worker processes sharing one queue run 200 jobs, each exactly once", arguments: [2, 4])
    func sharedQueue(processes: Int) async throws {
        guard let server = Self.server else { return }
        let cli = try CLI()
        let store = try server.makeDatabase("nimbus_queue")
        let workers = try await Self.workers(processes, home: cli.home, store: store)
        let ping = try await cli.run(
            ["worker", "ping", "--count", "200", "--wait", "60", "--output", "json"],
            environment: ["NIMBUS_STORE_URL": store])
        #expect(ping.status == 0, "\(ping.err)")
        let result = try JSONValue(parsing: ping.out)
        #expect(result["statuses"] == ["succeeded": 200])
        for worker in workers { #expect(await worker.stop() == 0, "\(worker.printed)") }
        // One execution per job (a job run twice would leave two), and the work spread over the processes.
        let database = String(store.split(separator: "/").last?.split(separator: "?").first ?? "")
        let counts = try server.psql(
            "SELECT count(*), count(DISTINCT job_id) FROM agent_executions WHERE agent = 'nimbus.noop'",
            database: database)
        #expect(counts.trimmingCharacters(in: .whitespacesAndNewlines) == "200|200")
        let attempts = try server.psql("SELECT max(attempts) FROM jobs", database: database)
        #expect(attempts.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        let processesUsed = try server.psql(
            "SELECT count(DISTINCT split_part(output, ':', 4)) FROM agent_executions", database: database)
        #expect(Int(processesUsed.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 >= 2, "work was shared")
    }

    @Test("a job that always fails is retried with back-off and ends dead-lettered after its attempts")
    func deadLetter() async throws {
        guard let server = Self.server else { return }
        let cli = try CLI()
        let store = try server.makeDatabase("nimbus_dead")
        let workers = try await Self.workers(1, home: cli.home, store: store, arguments: ["--backoff", "0.2"])
        let ping = try await cli.run(
            ["worker", "ping", "--fail", "always broken", "--attempts", "3", "--wait", "30", "--output", "json"],
            environment: ["NIMBUS_STORE_URL": store])
        #expect(ping.status == 0, "\(ping.err)")
        #expect(try JSONValue(parsing: ping.out)["statuses"] == ["dead_lettered": 1])
        let info = try await cli.run(["store", "info", "--output", "json"], environment: ["NIMBUS_STORE_URL": store])
        let summary = try JSONValue(parsing: info.out)
        #expect(summary["jobs"] == ["dead_lettered": 1])
        #expect(summary["rows"]?["agent_executions"] == 3, "one execution per attempt")
        for worker in workers { _ = await worker.stop() }
    }

    @Test("ping --one-by-one queues each job after the one before it ended")
    func oneByOne() async throws {
        guard let server = Self.server else { return }
        let cli = try CLI()
        let store = try server.makeDatabase("nimbus_one_by_one")
        let workers = try await Self.workers(1, home: cli.home, store: store)
        let ping = try await cli.run(
            ["worker", "ping", "--count", "5", "--one-by-one", "--wait", "30", "--output", "json"],
            environment: ["NIMBUS_STORE_URL": store])
        #expect(ping.status == 0, "\(ping.err)")
        #expect(try JSONValue(parsing: ping.out)["statuses"] == ["succeeded": 5])
        let database = String(store.split(separator: "/").last?.split(separator: "?").first ?? "")
        // No job was queued before the one before it had finished.
        let overlaps = try server.psql(
            """
            SELECT count(*) FROM (SELECT j.created_at, lag(e.finished_at) OVER (ORDER BY j.created_at) AS previous
            FROM jobs j JOIN agent_executions e ON e.job_id = j.id) t WHERE t.created_at < t.previous
            """, database: database)
        #expect(overlaps.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        for worker in workers { _ = await worker.stop() }
    }

    @Test("three processes migrating one new database at once apply each migration once")
    func concurrentMigrations() async throws {
        guard let server = Self.server else { return }
        let cli = try CLI()
        let store = try server.makeDatabase("nimbus_migrate")
        let results = try await withThrowingTaskGroup(of: CLI.Result.self) { group in
            for _ in 0..<3 {
                group.addTask { [home = cli.home] in
                    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("NIMBUS_") }
                    environment["NIMBUS_HOME"] = home.path
                    environment["NIMBUS_STORE_URL"] = store
                    let result = try await ChildProcess.run(
                        CLI.binary, ["store", "info", "--output", "json"], environment: environment)
                    return CLI.Result(status: result.status, out: result.outputText, err: result.errorText)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for result in results {
            #expect(result.status == 0, "\(result.err)")
            #expect(try JSONValue(parsing: result.out)["migrations"] == ["pg1-core"])
        }
        let database = String(store.split(separator: "/").last?.split(separator: "?").first ?? "")
        #expect(
            try server.psql("SELECT count(*) FROM nimbus_migrations", database: database)
                .trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }

    @Test("bad store URLs and unreachable servers are errors that name the store, without its password")
    func badLocations() async throws {
        let cli = try CLI()
        let bad = try await cli.run(
            ["store", "info"], environment: ["NIMBUS_STORE_URL": "postgres://u:hunter2@h/db?sslmode=sometimes"])
        #expect(bad.status == 1)
        #expect(bad.err.contains("sslmode 'sometimes'"), "\(bad.err)")
        #expect(!bad.err.contains("hunter2"))
        let down = try await cli.run(
            ["store", "info"], environment: ["NIMBUS_STORE_URL": "postgres://u:hunter2@127.0.0.1:9/db"])
        #expect(down.status == 1)
        #expect(down.err.contains("postgres://u:***@127.0.0.1:9/db"), "\(down.err)")
        #expect(!down.err.contains("hunter2"))
        let wrongTarget = try await cli.run(["store", "migrate", "--to", "mysql://x/y"])
        #expect(wrongTarget.status == 1 && wrongTarget.err.contains("postgres://"), "\(wrongTarget.err)")
    }

    @Test("store migrate copies a store written by the previous release; the runs go on on PostgreSQL")
    func migrateFromSQLite() async throws {
        guard let server = Self.server else { return }
        let cli = try CLI()
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/store-v3.sqlite")
        try FileManager.default.copyItem(at: fixture, to: cli.home.appendingPathComponent("nimbus.sqlite"))
        let before = try await cli.json(["store", "info"])
        let store = try server.makeDatabase("nimbus_copy")
        let copied = try await cli.json(["store", "migrate", "--to", store])
        #expect(copied["verified"] == true)
        #expect(copied["rows"] == before["rows"], "every table's rows copied")
        #expect((copied["total"]?.intValue ?? 0) > 0)

        // A second copy into the same database is refused and changes nothing.
        let again = try await cli.run(["store", "migrate", "--to", store])
        #expect(again.status == 1 && again.err.contains("already holds data"), "\(again.err)")

        let onPostgres = ["NIMBUS_STORE_URL": store]
        let after = try await cli.run(["store", "info", "--output", "json"], environment: onPostgres)
        #expect(try JSONValue(parsing: after.out)["rows"] == before["rows"])
        let runs = try await cli.run(["runs", "list", "--output", "json"], environment: onPostgres)
        let threads = (try JSONValue(parsing: runs.out).arrayValue ?? []).compactMap { $0["thread_id"]?.stringValue }
        #expect(threads.contains("fixture-demo") && threads.contains("fixture-ops"), "\(runs.out)")
        // The demo paused at its question in SQLite resumes on PostgreSQL.
        let declined = try await cli.run(
            ["runs", "resume", "fixture-demo", "--answer", "4.approve#0=false", "--output", "json"],
            environment: onPostgres)
        #expect(declined.status == 0, "\(declined.err)")
        #expect(try JSONValue(parsing: declined.out)["status"] == "completed")
        let history = try await cli.run(["history", "--output", "json"], environment: onPostgres)
        #expect(history.out.contains("fixture-ops"))
    }

    @Test("an API-only server and two workers on one database: a worker killed mid-run, the other finishes it")
    func killedWorker() async throws {
        guard let server = Self.server else { return }
        let cli = try CLI()
        let store = try server.makeDatabase("nimbus_kill")
        let environment = ["NIMBUS_STORE_URL": store]
        let key = try await cli.run(["serve", "keys", "add", "kill"], environment: environment).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let api = try Background(
            ["serve", "--port", "0", "--workers", "0"], home: cli.home, environment: environment)
        let address = try await api.waitFor(#"serving on http://127\.0\.0\.1:\d+"#)
        let base = "http://" + (address.components(separatedBy: "http://").last ?? "")
        let first = try await Self.workers(1, home: cli.home, store: store, arguments: ["--lease", "2"])[0]

        // A synchronous request on the API-only node is answered once a worker ran it.
        let listed = try await Self.request(
            "POST", "\(base)/v1/modules", key: key, body: ["request": "S3 bucket for logs"])
        #expect(listed.status == 200, "\(listed.text.prefix(400))")
        #expect(listed.json["state"] == "done")

        let accepted = try await Self.request(
            "POST", "\(base)/v1/modules", key: key,
            body: ["request": "ECS Fargate service behind an application load balancer in a new VPC"],
            headers: ["Prefer": "respond-async"])
        #expect(accepted.status == 202, "\(accepted.text)")
        let thread = try #require(accepted.json["thread_id"]?.stringValue)
        var killed = false
        for _ in 0..<600 {
            let runs = try await Self.request("GET", "\(base)/v1/runs?limit=5", key: key)
            let run = (runs.json["runs"]?.arrayValue ?? []).first { $0["thread_id"]?.stringValue == thread }
            if let run, run["status"] == "running", (run["step"]?.intValue ?? 0) >= 1 {
                first.killHard()
                killed = true
                break
            }
            if run?["status"] == "completed" { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let second = try await Self.workers(1, home: cli.home, store: store, arguments: ["--lease", "2"])[0]
        var result: JSONValue = .null
        for _ in 0..<300 where result["state"] != "done" {
            try await Task.sleep(for: .milliseconds(100))
            result = try await Self.request("GET", "\(base)/v1/runs/\(thread)", key: key).json
        }
        #expect(result["state"] == "done", "\(result.jsonText.prefix(600))")
        if killed {
            // The second worker resumed the thread: its job took a second attempt, nothing started afresh.
            let database = String(store.split(separator: "/").last?.split(separator: "?").first ?? "")
            // The thread ends a moment before its worker marks the job done.
            var attempts = ""
            for _ in 0..<100 where attempts != "2|succeeded" {
                attempts = try server.psql(
                    "SELECT attempts, status FROM jobs WHERE thread_id = '\(thread)'", database: database
                ).trimmingCharacters(in: .whitespacesAndNewlines)
                if attempts != "2|succeeded" { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(attempts == "2|succeeded")
            // Resumed, not started afresh: a fresh start would checkpoint its first steps a second time.
            let repeated = try server.psql(
                "SELECT count(*) - count(DISTINCT step) FROM checkpoints WHERE thread_id = '\(thread)'",
                database: database)
            #expect(repeated.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "no step checkpointed twice")
        } else {
            print("the module run ended before it could be killed; nothing to resume (a fast machine)")
        }
        let files = try await Self.request("GET", "\(base)/v1/modules/\(thread)/files", key: key)
        #expect((files.json["files"]?.arrayValue ?? []).contains { $0["path"] == "main.tf" })
        _ = await second.stop()
        _ = await api.stop()
    }

    @Test(
        "every connection cut under a worker (as a PostgreSQL restart does): it reconnects, the job in flight and the next one finish"
    )
    func connectionsCut() async throws {
        guard let server = Self.server else { return }
        let cli = try CLI()
        let store = try server.makeDatabase("nimbus_cut")
        let database = String(store.split(separator: "/").last?.split(separator: "?").first ?? "")
        let worker = try await Self.workers(1, home: cli.home, store: store)[0]
        let environment = ["NIMBUS_STORE_URL": store]
        // A job that holds its worker for 2 s; meanwhile the server drops every connection to the database,
        // the listening one included.
        _ = try await Self.enqueueSlow(store: store, milliseconds: 2000)
        try await Task.sleep(for: .milliseconds(700))
        let cut = try server.psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(database)'")
        #expect((Int(cut.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 1, "connections were cut")
        var jobs: JSONValue = .null
        for _ in 0..<600 where jobs != ["succeeded": 1] {
            try await Task.sleep(for: .milliseconds(100))
            let info = try await cli.run(["store", "info", "--output", "json"], environment: environment)
            if info.status == 0 { jobs = (try? JSONValue(parsing: info.out))?["jobs"] ?? .null }
        }
        #expect(jobs == ["succeeded": 1], "the job in flight finished: \(worker.printed.suffix(800))")
        let after = try await cli.run(["worker", "ping", "--wait", "30", "--output", "json"], environment: environment)
        #expect(after.status == 0, "a new job ran after the cut: \(after.err)")
        #expect(try JSONValue(parsing: after.out)["statuses"] == ["succeeded": 1])
        #expect(await worker.stop() == 0)
    }

    /// Queues one no-op job that sleeps, through the store.
    static func enqueueSlow(store: String, milliseconds: Int) async throws -> JobRecord {
        let opened = try StoreLocation(store).open()
        return try await opened.enqueue(
            NewJob(kind: "nimbus.noop", payload: ["sleep_ms": .int(milliseconds)], maxAttempts: 3))
    }

    static func request(
        _ method: String, _ url: String, key: String?, body: JSONValue? = nil, headers: [String: String] = [:]
    ) async throws -> (status: Int, json: JSONValue, text: String) {
        try await ServeCommandTests.request(method, url, key: key, body: body, headers: headers)
    }
}
