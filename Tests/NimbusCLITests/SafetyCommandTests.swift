import Foundation
import NimbusAWS
import NimbusCore
import NimbusStore
import NimbusTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The safety issue at the command line: one gate for every command's AWS calls (counted by a proxy that
/// does not trust Nimbus), approvals and exit statuses, a reader that leaves early, cloud text that would drive
/// the terminal, errors as JSON, private files, the credentials file, thread ids.
@Suite("nimbus commands are safe by construction", .serialized)
struct SafetyCommandTests {
    /// The leaf commands `nimbus --experimental-dump-help` lists, as "runs resume".
    static func leafCommands(_ cli: borrowing CLI) async throws -> [String] {
        let dump = try await cli.run(["--experimental-dump-help"])
        let root = try JSONValue(parsing: dump.out)["command"] ?? .null
        var leaves: [String] = []
        func walk(_ command: JSONValue, _ path: [String]) {
            let subcommands = command["subcommands"]?.arrayValue ?? []
            if subcommands.isEmpty {
                leaves.append(path.joined(separator: " "))
                return
            }
            for sub in subcommands { walk(sub, path + [sub["commandName"]?.stringValue ?? "?"]) }
        }
        walk(root, [])
        return leaves.filter { $0 != "help" }
    }

    /// Audit rows of calls that were sent (succeeded or failed), as the store has them.
    static func sentCalls(_ home: URL) async throws -> Int {
        let path = home.appendingPathComponent("nimbus.sqlite").path
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        let entries = try await SQLiteStore(path: path).auditEntries(since: nil, requestID: nil, limit: 1_000_000)
        return entries.filter { $0.outcome == .succeeded || $0.outcome == .failed }.count
    }

    @Test("Every subcommand's AWS calls pass the gate: what reaches AWS is what the audit log shows")
    func everyCommandThroughTheGate() async throws {
        let cli = try CLI()
        let moto = try await MotoServer.shared()
        let proxy = try await RecordingProxy.start(upstream: moto.url)
        var environment = moto.isolatedEnvironment
        environment["AWS_ENDPOINT_URL"] = proxy.url.absoluteString
        let seed = try moto.client()
        let bucket = "gate-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        _ = try await seed.call("s3", "CreateBucket", ["Bucket": .string(bucket)])
        _ = try await seed.call("s3", "PutObject", ["Bucket": .string(bucket), "Key": "a.txt", "Body": "YQ=="])
        _ = try await seed.call("s3", "PutObject", ["Bucket": .string(bucket), "Key": "b.txt", "Body": "Yg=="])
        let work = cli.home.appendingPathComponent("work")
        try FileManager.default.createDirectory(
            at: work.appendingPathComponent("data"), withIntermediateDirectories: true)
        try "one".write(to: work.appendingPathComponent("data/one.txt"), atomically: true, encoding: .utf8)
        try #"resource "aws_s3_bucket" "b" { bucket = "x" }"#.write(
            to: work.appendingPathComponent("main.tf"), atomically: true, encoding: .utf8)
        // A sandboxed script's calls reach AWS only through the signing proxy, which audits each one.
        environment["NIMBUS_SANDBOX_PYTHON"] =
            URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/nimbus/sandbox/python").path
        environment["NIMBUS_SANDBOX_CHECKERS"] =
            URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/nimbus/sandbox/checkers").path
        try "import boto3\nboto3.client('s3').list_buckets()\nboto3.client('s3').delete_bucket(Bucket='\(bucket)')\n"
            .write(to: work.appendingPathComponent("list.py"), atomically: true, encoding: .utf8)
        try #"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#.write(
            to: work.appendingPathComponent("policy.json"), atomically: true, encoding: .utf8)

        // Each leaf command with invocations that would call AWS if they could; `sends` says whether some AWS
        // call is expected, so the count cannot agree by both being zero when a command does call AWS.
        struct Invocation {
            var command: String
            var arguments: [String]
            var input: String? = nil
            var sends = false
        }
        var steps: [Invocation] = [
            Invocation(command: "validate", arguments: ["validate"], sends: true),
            Invocation(command: "aws", arguments: ["aws", "s3", "ListBuckets"], sends: true),
            Invocation(
                command: "aws", arguments: ["aws", "s3", "ListObjectsV2", #"{"Bucket":"\#(bucket)"}"#, "--all"],
                sends: true),
            Invocation(
                command: "aws", arguments: ["aws", "s3", "DeleteObject", #"{"Bucket":"\#(bucket)","Key":"a.txt"}"#]),
            Invocation(
                command: "aws",
                arguments: [
                    "aws", "s3", "PutObject", #"{"Bucket":"\#(bucket)","Key":"c.txt","Body":"Yw=="}"#, "--yes",
                ],
                sends: true),
            Invocation(command: "transfer", arguments: ["transfer", "./data", "s3://\(bucket)/up/"]),
            Invocation(
                command: "transfer", arguments: ["transfer", "./data", "s3://\(bucket)/up/", "--yes"], sends: true),
            Invocation(command: "transfer", arguments: ["transfer", "s3://\(bucket)/", "./down"], sends: true),
            Invocation(command: "ask", arguments: ["ask", "list all S3 buckets"], sends: true),
            Invocation(command: "ask", arguments: ["ask", "delete s3://\(bucket)/b.txt"]),
            Invocation(command: "ask", arguments: ["ask", "don't delete s3://\(bucket)/b.txt", "--yes"]),
            Invocation(
                command: "chat", arguments: ["chat"], input: "list objects in bucket \(bucket)\n/exit\n", sends: true),
            Invocation(command: "profiles list", arguments: ["profiles", "list"]),
            Invocation(
                command: "profiles add", arguments: ["profiles", "add", "gatecheck", "--access-key-id", "AKIAGATE"],
                input: "secret-key-value\n"),
            Invocation(command: "history", arguments: ["history"]),
            Invocation(command: "audit", arguments: ["audit"]),
            Invocation(command: "demo", arguments: ["demo", "--yes", "--out", "./demo"]),
            Invocation(
                command: "module generate",
                arguments: ["module", "generate", "S3 bucket with versioning", "--out", "./mod", "--yes"]),
            Invocation(command: "module catalog", arguments: ["module", "catalog"]),
            Invocation(command: "module check", arguments: ["module", "check", "./mod"]),
            Invocation(command: "config show", arguments: ["config", "show"]),
            Invocation(command: "hcl fmt", arguments: ["hcl", "fmt", "./main.tf", "--check"]),
            Invocation(command: "hcl validate", arguments: ["hcl", "validate", "./main.tf"]),
            Invocation(command: "hcl json", arguments: ["hcl", "json", "./main.tf"]),
            Invocation(command: "hcl dump", arguments: ["hcl", "dump", "./main.tf"]),
            Invocation(command: "llm ask", arguments: ["llm", "ask", "hello"]),
            Invocation(command: "llm models", arguments: ["llm", "models"]),
            Invocation(command: "runs list", arguments: ["runs", "list"]),
            Invocation(command: "runs trace", arguments: ["runs", "trace", "no-such-thread"]),
            Invocation(command: "serve keys add", arguments: ["serve", "keys", "add", "gatecheck"]),
            Invocation(command: "serve keys list", arguments: ["serve", "keys", "list"]),
            Invocation(command: "serve keys revoke", arguments: ["serve", "keys", "revoke", "gatecheck"]),
            Invocation(command: "store info", arguments: ["store", "info"]),
            Invocation(
                command: "store migrate", arguments: ["store", "migrate", "--to", "postgres://u@127.0.0.1:9/db"]),
            Invocation(command: "worker ping", arguments: ["worker", "ping", "--wait", "0"]),
            Invocation(command: "worker", arguments: ["worker", "--drain"]),
            Invocation(command: "sandbox prepare", arguments: ["sandbox", "prepare"]),
            Invocation(
                command: "sandbox run", arguments: ["sandbox", "run", "./list.py", "--policy", "./policy.json"],
                sends: true),
            Invocation(
                command: "inspect", arguments: ["inspect", "find security groups open to the world"], sends: true),
            Invocation(
                command: "mcp", arguments: ["mcp"],
                input: """
                    {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"gatecheck","version":"1"}}}
                    {"jsonrpc":"2.0","method":"notifications/initialized"}
                    {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"s3_list_buckets","arguments":{}}}

                    """, sends: true),
        ]
        var covered = Set<String>()
        var thread: String?
        func run(_ step: Invocation) async throws {
            covered.insert(step.command)
            let before = (proxy.requests.count, try await Self.sentCalls(cli.home))
            let result = try await cli.run(step.arguments, environment: environment, directory: work, input: step.input)
            let after = (proxy.requests.count, try await Self.sentCalls(cli.home))
            let reached = after.0 - before.0
            let audited = after.1 - before.1
            #expect(
                reached == audited,
                "nimbus \(step.arguments.joined(separator: " ")): \(reached) requests reached AWS, \(audited) audited; \(result.err.suffix(300))"
            )
            if step.sends {
                #expect(reached > 0, "nimbus \(step.arguments.joined(separator: " ")) sent nothing: \(result.err)")
            }
            if step.arguments == ["ask", "delete s3://\(bucket)/b.txt"] {
                thread = result.err.components(separatedBy: "runs resume ").dropFirst().first?
                    .split(separator: " ").first.map(String.init)
            }
        }
        for step in steps { try await run(step) }
        let waiting = try #require(thread, "the deletion waits with its thread")
        steps = [
            Invocation(command: "runs show", arguments: ["runs", "show", waiting, "--state"]),
            Invocation(command: "runs history", arguments: ["runs", "history", waiting]),
            Invocation(
                command: "runs resume", arguments: ["runs", "resume", waiting, "--answer", "approve=true"], sends: true),
            Invocation(command: "runs prune", arguments: ["runs", "prune", "--keep", "5"]),
            Invocation(command: "runs delete", arguments: ["runs", "delete", waiting]),
        ]
        for step in steps { try await run(step) }
        let deleted = try await seed.call("s3", "ListObjectsV2", ["Bucket": .string(bucket)])
        let keys = (deleted["Contents"]?.arrayValue ?? []).compactMap { $0["Key"]?.stringValue }
        #expect(keys.contains("a.txt"), "`aws … DeleteObject` without --yes and no terminal deleted nothing")
        #expect(!keys.contains("b.txt"), "the approved deletion ran through the gate")
        await proxy.stop()
        let leaves = try await Self.leafCommands(cli)
        let missing = leaves.filter { !covered.contains($0) }
        #expect(missing.isEmpty, "add an invocation for each new command to this test: \(missing)")
    }

    @Test("No product code makes an AWS client that skips the gate")
    func noUncheckedClients() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let enumerator = FileManager.default.enumerator(atPath: sources.path)
        var offenders: [String] = []
        var scanned = 0
        while let path = enumerator?.nextObject() as? String {
            guard path.hasSuffix(".swift"), !path.hasPrefix("NimbusTesting/"),
                path != "NimbusAWS/Client/AWSCallGuard.swift"
            else { continue }
            scanned += 1
            let text = try String(contentsOf: sources.appendingPathComponent(path), encoding: .utf8)
            if text.contains("UncheckedAWSCalls()") { offenders.append(path) }
        }
        #expect(scanned > 100)
        #expect(offenders.isEmpty, "product code bypasses the gate: \(offenders)")
    }

    @Test("aws and transfer: the policy wins over --yes, no terminal and no --yes changes nothing (exit 2)")
    func approvals() async throws {
        let cli = try CLI()
        let (environment, aws, bucket) = try await OpsCommandTests.motoBucket("cli-gate")
        _ = try await aws.call("s3", "PutObject", ["Bucket": .string(bucket), "Key": "k.txt", "Body": "aw=="])
        try "deny:\n  - \"s3:Delete*\"\n  - \"s3:PutObject\"\n".write(
            to: cli.home.appendingPathComponent("policy.yaml"), atomically: true, encoding: .utf8)
        let file = cli.home.appendingPathComponent("f.txt")
        try "hi".write(to: file, atomically: true, encoding: .utf8)
        let commands: [[String]] = [
            ["aws", "s3", "DeleteObject", #"{"Bucket":"\#(bucket)","Key":"k.txt"}"#, "--yes"],
            ["aws", "s3", "DeleteBucket", #"{"Bucket":"\#(bucket)"}"#, "--yes"],
            ["aws", "s3", "PutObject", #"{"Bucket":"\#(bucket)","Key":"n.txt","Body":"aGk="}"#, "--yes"],
            ["transfer", file.path, "s3://\(bucket)/", "--yes"],
        ]
        for arguments in commands {
            let result = try await cli.run(arguments, environment: environment)
            #expect(result.status == 1, "\(arguments): \(result.status) \(result.err)")
            #expect(result.err.contains("is denied by"), "\(result.err)")
            #expect(!result.err.contains("Usage:"))
        }
        try FileManager.default.removeItem(at: cli.home.appendingPathComponent("policy.yaml"))
        let unasked = try await cli.run(
            ["aws", "s3", "DeleteBucket", #"{"Bucket":"\#(bucket)"}"#], environment: environment)
        #expect(unasked.status == 2, "\(unasked.err)")
        let upload = try await cli.run(["transfer", file.path, "s3://\(bucket)/"], environment: environment)
        #expect(upload.status == 2, "\(upload.err)")
        let listed = try await aws.call("s3", "ListObjectsV2", ["Bucket": .string(bucket)])
        #expect((listed["Contents"]?.arrayValue ?? []).compactMap { $0["Key"]?.stringValue } == ["k.txt"])
        let audit = try JSONValue(parsing: try await cli.run(["audit", "--output", "json"]).out).arrayValue ?? []
        let outcomes = audit.compactMap { entry -> String? in
            guard let service = entry["service"]?.stringValue, let operation = entry["operation"]?.stringValue,
                let outcome = entry["outcome"]?.stringValue
            else { return nil }
            return "\(service):\(operation) \(outcome)"
        }
        #expect(
            outcomes.contains("s3:DeleteObject refused") && outcomes.contains("s3:DeleteBucket declined"), "\(outcomes)"
        )
        #expect(outcomes.contains("s3:PutObject refused"))
        #expect(outcomes.contains("s3:PutObject declined"), "a transfer nobody approved is in the audit log too")
    }

    @Test("A reader that leaves early does not kill a transfer: it finishes, exit 0")
    func closedPipe() async throws {
        let cli = try CLI()
        let (environment, aws, bucket) = try await OpsCommandTests.motoBucket("cli-pipe")
        for index in 0..<20 {
            _ = try await aws.call(
                "s3", "PutObject", ["Bucket": .string(bucket), "Key": .string("f\(index).txt"), "Body": "eA=="])
        }
        let target = cli.home.appendingPathComponent("d")
        var shellEnvironment = environment
        shellEnvironment["NIMBUS_HOME"] = cli.home.path
        let script =
            "\"$0\" transfer s3://\(bucket)/ \(target.path) --log-format json | head -c 1 >/dev/null; "
            + "exit ${PIPESTATUS[0]}"
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: "/bin/bash"), ["-c", script, CLI.binary.path],
            environment: ProcessInfo.processInfo.environment.merging(shellEnvironment) { _, new in new })
        #expect(result.status == 0, "exit \(result.status): \(result.errorText)")
        let files = try FileManager.default.contentsOfDirectory(atPath: target.path)
        #expect(files.count == 20 && !files.contains { $0.hasSuffix(".nimbus-partial") }, "\(files)")
    }

    @Test("Text from the cloud cannot drive the terminal: escapes in logs and history are shown, not obeyed")
    func terminalEscapes() async throws {
        let cli = try CLI()
        let moto = try await MotoServer.shared()
        let aws = try moto.client()
        let group = "/cli/escape-\(UInt32.random(in: 0...UInt32.max))"
        _ = try await aws.call("logs", "CreateLogGroup", ["logGroupName": .string(group)])
        _ = try await aws.call("logs", "CreateLogStream", ["logGroupName": .string(group), "logStreamName": "s"])
        let evil = "\u{1B}[2Jcleared\u{1B}]0;owned\u{07} \u{202E}reversed \u{9B}31m"
        _ = try await aws.call(
            "logs", "PutLogEvents",
            [
                "logGroupName": .string(group), "logStreamName": "s",
                "logEvents": [
                    ["timestamp": .int(Int(Date().timeIntervalSince1970 * 1000) - 1000), "message": .string(evil)]
                ],
            ])
        let shown = try await cli.run(["ask", "show logs of group \(group)"], environment: moto.isolatedEnvironment)
        #expect(shown.status == 0, "\(shown.err)")
        #expect(shown.out.contains("cleared") && shown.out.contains("\\e[2J"), "\(shown.out)")
        for control in ["\u{1B}", "\u{07}", "\u{202E}", "\u{9B}"] {
            #expect(!shown.out.contains(control) && !shown.err.contains(control))
        }
        _ = try await cli.run(["ask", "show logs of group \u{1B}[31m\(group)"], environment: moto.isolatedEnvironment)
        let history = try await cli.run(["history"])
        #expect(!history.out.contains("\u{1B}"), "history prints stored escapes raw")
        let json = try await cli.run(["history", "--output", "json"])
        #expect(!json.out.contains("\u{1B}") && (try? JSONValue(parsing: json.out)) != nil)
    }

    @Test("Errors: plain words, exit 1 and no usage at run time; JSON on standard output with --output json")
    func errors() async throws {
        let cli = try CLI()
        let cases: [([String], String, String)] = [
            (["runs", "show", "NOPE"], "graph.unknown_thread", "not_found"),
            (["history", "NOPE"], "command_problem.not_found", "not_found"),
            (["audit", "--since", "yesterday-ish"], "command.invalid_input", "invalid_input"),
            (["transfer", "s3://", "./x"], "aws_transfer.bad_location", "invalid_input"),
            (["module", "check", "/nonexistent/module"], "module_write.not_a_directory", "invalid_input"),
            (["hcl", "validate", "/nonexistent.tf"], "command_problem.not_found", "not_found"),
            (["runs", "delete", "NOPE"], "graph.unknown_thread", "not_found"),
        ]
        for (arguments, code, kind) in cases {
            let text = try await cli.run(arguments)
            #expect(text.status == 1, "\(arguments): exit \(text.status)")
            #expect(
                !text.err.contains("Usage:") && !text.err.contains("NSCocoaErrorDomain"), "\(arguments): \(text.err)")
            let json = try await cli.run(arguments + ["--output", "json"])
            #expect(json.status == 1)
            let body = try JSONValue(parsing: json.out)
            #expect(body["status"] == "failed", "\(arguments): \(json.out)")
            #expect(body["error"]?["code"]?.stringValue == code, "\(arguments): \(json.out)")
            #expect(body["error"]?["kind"]?.stringValue == kind, "\(arguments): \(json.out)")
        }
        let usage = try await cli.run(["runs", "show"])
        #expect(usage.status == 64, "a command line that does not parse is still a usage error")
    }

    @Test("Progress is JSON lines with --log-format json")
    func jsonProgress() async throws {
        let cli = try CLI()
        let result = try await cli.run([
            "demo", "--yes", "--out", cli.home.appendingPathComponent("o").path, "--log-format", "json",
        ])
        #expect(result.status == 0, "\(result.err)")
        let lines = result.err.split(separator: "\n").filter { !$0.isEmpty }
        #expect(
            !lines.isEmpty && lines.allSatisfy { (try? JSONValue(parsing: String($0))) != nil },
            "\(result.err.prefix(400))")
    }

    @Test("The Nimbus home is private, and an existing one is tightened")
    func privateHome() async throws {
        let cli = try CLI()
        chmod(cli.home.path, 0o755)
        let config = cli.home.appendingPathComponent("config.yaml")
        try "log:\n  level: info\n".write(to: config, atomically: true, encoding: .utf8)
        chmod(config.path, 0o644)
        let result = try await cli.run(["runs", "list"])
        #expect(result.status == 0, "\(result.err)")
        func mode(_ url: URL) throws -> Int {
            try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int ?? 0
        }
        #expect(try mode(cli.home) == 0o700)
        #expect(try mode(config) == 0o600)
        #expect(try mode(cli.home.appendingPathComponent("nimbus.sqlite")) == 0o600)
    }

    @Test("profiles add never wipes a file it cannot read, and refuses names that break it")
    func profilesAdd() async throws {
        let cli = try CLI()
        let first = try await cli.run(
            ["profiles", "add", "first", "--access-key-id", "AKIA1"], input: "first-secret\n")
        #expect(first.status == 0, "\(first.err)")
        let bad = try await cli.run(["profiles", "add", "multi\nline", "--access-key-id", "AKIA2"], input: "s\n")
        #expect(bad.status == 1 && bad.err.contains("is not a profile name"), "\(bad.err)")
        let file = cli.home.appendingPathComponent("credentials.yaml")
        let broken = try String(contentsOf: file, encoding: .utf8) + "  oops: [\n"
        try broken.write(to: file, atomically: true, encoding: .utf8)
        let third = try await cli.run(
            ["profiles", "add", "third", "--access-key-id", "AKIA3"], input: "third-secret\n")
        #expect(third.status == 1, "\(third.err)")
        #expect(try String(contentsOf: file, encoding: .utf8) == broken)
    }

    @Test("ask --thread: bad ids are refused, a finished request's thread is not reused")
    func threads() async throws {
        let cli = try CLI()
        let moto = try await MotoServer.shared()
        for bad in ["", "../../etc/x"] {
            let result = try await cli.run(["ask", "whoami", "--thread", bad], environment: moto.isolatedEnvironment)
            #expect(result.status == 1 && result.err.contains("is not a thread id"), "\(result.err)")
        }
        let first = try await cli.run(["ask", "whoami", "--thread", "mine"], environment: moto.isolatedEnvironment)
        #expect(first.status == 0, "\(first.err)")
        let again = try await cli.run(
            ["ask", "list all S3 buckets", "--thread", "mine"], environment: moto.isolatedEnvironment)
        #expect(again.status == 1 && again.err.contains("already holds a run"), "\(again.err)")
        let shown = try await cli.json(["history", "mine"])
        #expect(shown["request"] == "whoami")
    }
}
