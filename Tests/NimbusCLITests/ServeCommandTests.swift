import Foundation
import NimbusAWS
import NimbusCore
import NimbusTesting
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

#if canImport(Glibc)
import Glibc
#endif

/// `nimbus serve` as a user runs it: a real process on a free port, with the page tested in Chromium, the routes
/// fuzzed by schemathesis, SIGTERM, and a restart that finishes what the last one queued.
@Suite("nimbus serve, as a process", .serialized)
struct ServeCommandTests {
    /// Distinctive credentials (moto takes any): nothing the server writes may contain them.
    static let accessKey = "AKIANIMBUSSERVETEST7"
    static let secretKey = "nimbus-serve-test-secret-3f9c1d2e8a7b"

    /// A running `nimbus serve`: its port, and everything it printed.
    final class Server: Sendable {
        let process: Process
        let port: Int
        private let output: Output
        var printed: String { output.text.withLock { $0 } }
        var url: String { "http://127.0.0.1:\(port)" }

        init(cli: borrowing CLI, arguments: [String], environment: [String: String]) async throws {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["serve", "--port", "0"] + arguments
            var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("NIMBUS_") }
            env["NIMBUS_HOME"] = cli.home.path
            for (key, value) in environment { env[key] = value }
            process.environment = env
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = pipe
            let output = Output()
            pipe.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                if !data.isEmpty { output.text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
            }
            try process.run()
            var port: Int?
            for _ in 0..<300 where port == nil {
                try await Task.sleep(for: .milliseconds(100))
                let text = output.text.withLock { $0 }
                if let range = text.range(of: #"serving on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                    port = Int(text[range].split(separator: ":").last ?? "")
                }
                if !process.isRunning { break }
            }
            self.process = process
            self.output = output
            guard let port else {
                process.terminate()
                throw ServeFailed(output: output.text.withLock { $0 })
            }
            self.port = port
        }

        /// Sends SIGTERM and waits for the process to end; its exit status.
        func stop() async -> Int32 {
            kill(process.processIdentifier, SIGTERM)
            for _ in 0..<200 where process.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
            if process.isRunning { process.interrupt() }
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    final class Output: Sendable {
        let text = Mutex("")
    }

    struct ServeFailed: Error, CustomStringConvertible {
        let output: String
        var description: String { "nimbus serve did not start:\n\(output)" }
    }

    static func request(
        _ method: String, _ url: String, key: String?, body: JSONValue? = nil, headers: [String: String] = [:]
    ) async throws -> (status: Int, json: JSONValue, text: String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.httpBody = Data(body.jsonText.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let text = String(decoding: data, as: UTF8.self)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONValue(parsing: text)) ?? .null, text)
    }

    static func environment(_ given: MotoServer? = nil) async throws -> ([String: String], AWSClient) {
        let moto: MotoServer = if let given { given } else { try await MotoServer.shared() }
        var environment = moto.isolatedEnvironment
        environment["AWS_ACCESS_KEY_ID"] = accessKey
        environment["AWS_SECRET_ACCESS_KEY"] = secretKey
        return (environment, try moto.client())
    }

    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    @Test("beyond loopback with no key is refused; keys add, list and revoke")
    func keysAndBind() async throws {
        let cli = try CLI()
        let refused = try await cli.run(["serve", "--host", "0.0.0.0", "--port", "0"])
        #expect(refused.status != 0)
        #expect(refused.err.contains("refusing to listen on 0.0.0.0"), "\(refused.err)")
        let added = try await cli.run(["serve", "keys", "add", "ci", "--output", "json"])
        #expect(added.status == 0, "\(added.err)")
        let secret = try JSONValue(parsing: added.out)["key"]?.stringValue ?? ""
        #expect(secret.hasPrefix("nmb_") && secret.count > 40)
        let listed = try await cli.run(["serve", "keys", "list"])
        #expect(listed.out.contains("ci") && !listed.out.contains(secret))
        #expect(try await cli.run(["serve", "keys", "add", "ci"]).status != 0, "a name is taken once")
        #expect(try await cli.run(["serve", "keys", "revoke", "ci"]).status == 0)
        let again = try await cli.run(["serve", "keys", "revoke", "ci"])
        #expect(again.status != 0 && again.err.contains("no live key named 'ci'"))
        #expect(try await cli.run(["serve", "keys", "add", "bad name!"]).status != 0)
    }

    @Test(
        "the page in a real browser: log in, list, a deletion declined, a module downloaded; then schemathesis; no secret anywhere"
    )
    func pageAndFuzzing() async throws {
        let cli = try CLI()
        // A moto of its own: the page shows the first 50 buckets, and the shared one holds every suite's.
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let (environment, aws) = try await Self.environment(moto)
        let bucket = "browser-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        _ = try await aws.call("s3", "CreateBucket", ["Bucket": .string(bucket)])
        let key = try await cli.run(["serve", "keys", "add", "browser"]).out.trimmingCharacters(
            in: .whitespacesAndNewlines)
        // Generous limits: schemathesis sends hundreds of requests with one key.
        let server = try await Server(
            cli: cli, arguments: ["-c", "server.rate_limit=500", "-c", "server.rate_burst=1000"],
            environment: environment)
        var responses = ""

        if let python = ProcessInfo.processInfo.environment["NIMBUS_TEST_SELENIUM_PYTHON"] {
            let artifacts = Self.repository.appendingPathComponent(".build/test-artifacts/browser")
            try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
            var env = ProcessInfo.processInfo.environment
            env["NIMBUS_TEST_SERVER_URL"] = server.url
            env["NIMBUS_TEST_SERVER_KEY"] = key
            env["NIMBUS_TEST_BUCKET"] = bucket
            env["NIMBUS_TEST_MOTO_URL"] = environment["AWS_ENDPOINT_URL"]
            env["NIMBUS_TEST_ARTIFACTS"] = artifacts.path
            let browser = try await ChildProcess.run(
                URL(fileURLWithPath: python),
                [Self.repository.appendingPathComponent("Tests/Browser/page_test.py").path],
                environment: env)
            responses += browser.outputText + browser.errorText
            #expect(browser.status == 0, "the browser test failed:\n\(browser.outputText)\n\(browser.errorText)")
            let listed = try await aws.call("s3", "ListBuckets", [:])
            #expect(
                (listed["Buckets"]?.arrayValue ?? []).contains { $0["Name"]?.stringValue == bucket },
                "declined in the page: the bucket is still there")
        } else {
            print(
                "NIMBUS_TEST_SELENIUM_PYTHON is not set (scripts/test.d/browser.sh sets it): the browser test is skipped"
            )
        }

        if let schemathesis = ProcessInfo.processInfo.environment["NIMBUS_TEST_SCHEMATHESIS"] {
            let fuzz = try await ChildProcess.run(
                URL(fileURLWithPath: schemathesis),
                [
                    "run", "\(server.url)/openapi.json", "--header", "Authorization: Bearer \(key)",
                    "--checks",
                    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                    "--max-examples", "15", "--exclude-path", "/v1/chat", "--exclude-path-regex", "/events$",
                    "--workers", "1", "--no-color",
                ], environment: ProcessInfo.processInfo.environment, directory: cli.home)
            responses += fuzz.outputText
            #expect(
                fuzz.status == 0,
                "schemathesis found problems:\n\(fuzz.outputText.suffix(6000))\n\(fuzz.errorText.suffix(2000))")
        } else {
            print("NIMBUS_TEST_SCHEMATHESIS is not set (scripts/test.d/server.sh sets it): fuzzing is skipped")
        }

        // Ask once more over plain HTTP so the responses are checked even without the tools above.
        let list = try await Self.request(
            "POST", "\(server.url)/v1/ask", key: key, body: ["text": "list all S3 buckets"])
        #expect(list.status == 200)
        responses += list.text
        responses += try await Self.request("GET", "\(server.url)/v1/audit", key: key).text
        responses += try await Self.request("GET", "\(server.url)/v1/profiles", key: key).text

        #expect(await server.stop() == 0, "SIGTERM ends the server cleanly:\n\(server.printed.suffix(2000))")
        // The secret key, the API key itself: never in what the server printed, answered or stored.
        var stored = ""
        let walker = FileManager.default.enumerator(at: cli.home, includingPropertiesForKeys: nil)
        while let file = walker?.nextObject() as? URL {
            if let data = FileManager.default.contents(atPath: file.path) {
                stored += String(decoding: data, as: UTF8.self)
            }
        }
        for (secret, name) in [(Self.secretKey, "the AWS secret key"), (key, "the API key")] {
            #expect(!server.printed.contains(secret), "\(name) is in the server's output")
            #expect(!responses.contains(secret) || name == "the API key", "\(name) is in a response")
            #expect(!stored.contains(secret), "\(name) is in the Nimbus home")
        }
        #expect(
            server.printed.contains("\"request_id\"") || server.printed.contains("request_id="),
            "requests are logged with ids")
    }

    @Test("a run queued on a server with no workers is run by the next server on the same store")
    func queuedRunSurvivesRestart() async throws {
        let cli = try CLI()
        let (environment, _) = try await Self.environment()
        let key = try await cli.run(["serve", "keys", "add", "queue"]).out.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let first = try await Server(cli: cli, arguments: ["--workers", "0"], environment: environment)
        let accepted = try await Self.request(
            "POST", "\(first.url)/v1/ask", key: key, body: ["text": "list all S3 buckets"],
            headers: ["Prefer": "respond-async"])
        #expect(accepted.status == 202, "\(accepted.text)")
        let thread = try #require(accepted.json["thread_id"]?.stringValue)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await Self.request("GET", "\(first.url)/v1/runs/\(thread)", key: key).status == 404, "not run yet")
        #expect(await first.stop() == 0)

        let second = try await Server(cli: cli, arguments: [], environment: environment)
        var state = ""
        for _ in 0..<100 where state != "done" {
            try await Task.sleep(for: .milliseconds(100))
            state =
                try await Self.request("GET", "\(second.url)/v1/runs/\(thread)", key: key).json["state"]?.stringValue
                ?? ""
        }
        #expect(state == "done", "the second server ran what the first queued")
        _ = await second.stop()
    }

    @Test("a server killed (SIGKILL) in the middle of a module run: the next start resumes it from its checkpoint")
    func killedMidRun() async throws {
        let cli = try CLI()
        let (environment, _) = try await Self.environment()
        let key = try await cli.run(["serve", "keys", "add", "crash"]).out.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let first = try await Server(cli: cli, arguments: ["--workers", "1"], environment: environment)
        let accepted = try await Self.request(
            "POST", "\(first.url)/v1/modules", key: key,
            body: ["request": "ECS Fargate service behind an application load balancer in a new VPC"],
            headers: ["Prefer": "respond-async"])
        #expect(accepted.status == 202, "\(accepted.text)")
        let thread = try #require(accepted.json["thread_id"]?.stringValue)
        // Kill it once the run has checkpointed at least one step and before it ends.
        var killedRunning = false
        for _ in 0..<400 {
            let run = try await Self.request("GET", "\(first.url)/v1/runs?limit=5", key: key)
            let status = (run.json["runs"]?.arrayValue ?? []).first { $0["thread_id"]?.stringValue == thread }
            if let status, status["status"] == "running", (status["step"]?.intValue ?? 0) >= 1 {
                kill(first.process.processIdentifier, SIGKILL)
                first.process.waitUntilExit()
                killedRunning = true
                break
            }
            if status?["status"] == "completed" { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        if !killedRunning {
            _ = await first.stop()
            print("the module run ended before it could be killed; nothing to resume (a fast machine)")
            return
        }
        let second = try await Server(cli: cli, arguments: [], environment: environment)
        var state = ""
        var result: JSONValue = .null
        for _ in 0..<300 where state != "done" {
            try await Task.sleep(for: .milliseconds(100))
            result = try await Self.request("GET", "\(second.url)/v1/runs/\(thread)", key: key).json
            state = result["state"]?.stringValue ?? ""
        }
        #expect(state == "done", "the run resumed on the next start: \(result.jsonText.prefix(600))")
        let files = try await Self.request("GET", "\(second.url)/v1/modules/\(thread)/files", key: key)
        #expect((files.json["files"]?.arrayValue ?? []).contains { $0["path"] == "main.tf" })
        let history = try await cli.run(["runs", "history", thread, "--output", "json"])
        #expect(history.status == 0)
        _ = await second.stop()
    }
}
