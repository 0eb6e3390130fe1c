import Foundation
import NimbusAWS
import NimbusCore
import NimbusTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `nimbus inspect` the way a new user runs it: offline, against moto, in bubblewrap, with report files; a script
/// of the user's own whose policy needs approval; and a run killed mid-iteration that resumes without running a
/// finished script again.
@Suite("nimbus inspect", .serialized)
struct InspectCommandTests {
    static func environment(_ moto: MotoServer) -> [String: String]? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap") else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("bubblewrap is not installed") }
            return nil
        }
        let cache = URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/nimbus/sandbox")
        return moto.isolatedEnvironment.merging([
            "NIMBUS_SANDBOX_PYTHON": cache.appendingPathComponent("python").path,
            "NIMBUS_SANDBOX_CHECKERS": cache.appendingPathComponent("checkers").path,
        ]) { _, new in new }
    }

    static func tag() -> String { String(UInt32.random(in: 0...UInt32.max), radix: 36) }

    @Test("\"which S3 buckets are public?\" finds the public ones, spares the private one, with evidence and reports")
    func publicBuckets() async throws {
        // A moto of its own: the shared one holds every other test's buckets, and S3 scripts read them all.
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        guard let environment = Self.environment(moto) else { return }
        let cli = try CLI()
        let aws = try moto.client()
        let tag = Self.tag()
        let (open, acl, closed) = ("cli-open-\(tag)", "cli-acl-\(tag)", "cli-closed-\(tag)")
        for bucket in [open, acl, closed] {
            _ = try await aws.call("s3", "CreateBucket", .object(["Bucket": .string(bucket)]))
        }
        let policy =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::\#(open)/*"}]}"#
        _ = try await aws.call("s3", "PutBucketPolicy", .object(["Bucket": .string(open), "Policy": .string(policy)]))
        _ = try await aws.call("s3", "PutBucketAcl", .object(["Bucket": .string(acl), "ACL": "public-read"]))

        let reports = ["md", "html", "json", "csv", "asff"].map { cli.home.appendingPathComponent("report.\($0)") }
        let run = try await cli.run(
            ["inspect", "which S3 buckets are public?", "--output", "json"]
                + reports.flatMap { ["--report", $0.path] },
            environment: environment)
        #expect(run.status == 0, "\(run.err.suffix(1500))")
        let outcome = try JSONValue(parsing: run.out)
        let findings = outcome["findings"]?.arrayValue ?? []
        let resources = findings.compactMap { $0["resource"]?.stringValue }
        #expect(resources.contains("arn:aws:s3:::\(open)") && resources.contains("arn:aws:s3:::\(acl)"), "\(resources)")
        #expect(!resources.contains("arn:aws:s3:::\(closed)"), "the private bucket is no finding")
        for finding in findings where finding["resource"]?.stringValue?.hasSuffix(tag) == true {
            let requests = finding["requests"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(
                !requests.isEmpty && requests.allSatisfy { !$0.hasSuffix(" -") }, "evidence by request id: \(requests)")
            // The call that read this bucket, not every bucket's.
            #expect(requests.count == 1, "\(finding["resource"] ?? .null): \(requests)")
        }
        #expect(outcome["answer"]?.stringValue?.contains("finding") == true)
        let iteration = try #require(outcome["iterations"]?.arrayValue?.first)
        #expect(iteration["script"] == "s3-public-buckets" && iteration["outcome"] == "ran")
        #expect(iteration["policy"]?.arrayValue?.contains("s3:GetBucketPolicy") == true)

        // The reports: each format, and the same findings in each.
        for report in reports {
            #expect(FileManager.default.fileExists(atPath: report.path), "\(report.lastPathComponent) written")
        }
        let markdown = try String(contentsOf: reports[0], encoding: .utf8)
        #expect(markdown.contains("# Inspection: which S3 buckets are public?") && markdown.contains(open))
        #expect(markdown.contains("## Evidence trail") && markdown.contains("s3:GetBucketPolicy"))
        let html = try String(contentsOf: reports[1], encoding: .utf8)
        #expect(html.hasPrefix("<!doctype html>") && html.contains(acl))
        let json = try JSONValue(parsing: String(contentsOf: reports[2], encoding: .utf8))
        #expect(json["findings"]?.arrayValue?.count == findings.count)
        let csv = try String(contentsOf: reports[3], encoding: .utf8).split(separator: "\n")
        #expect(
            csv.first == "severity,resource,title,recommendation,script,requests" && csv.count == findings.count + 1)
        let asff = try JSONValue(parsing: String(contentsOf: reports[4], encoding: .utf8))
        let items = asff["Findings"]?.arrayValue ?? []
        #expect(items.count == findings.count)
        #expect(
            items.first?["AwsAccountId"] == "123456789012",
            "the account, from STS: \(items.first?["AwsAccountId"] ?? .null)")
        #expect(items.allSatisfy { $0["SchemaVersion"] == "2018-10-08" && $0["Severity"]?["Label"] != nil })

        // Every call is in the audit log under the script's name; nothing secret is.
        let audit = try await cli.run(["audit", "--output", "json"], environment: environment)
        #expect(audit.out.contains("inspect:s3-public-buckets") && audit.out.contains("GetBucketPolicy"))
        let thread = try #require(outcome["thread_id"]?.stringValue)
        let shown = try await cli.run(["runs", "show", thread, "--output", "json"], environment: environment)
        #expect(shown.status == 0 && shown.out.contains("s3-public-buckets"), "\(shown.err)")

        // The run as a timed tree: each node, and the AWS calls inside the one that ran the script.
        let trace = try await cli.run(["runs", "trace", thread, "--output", "json"], environment: environment)
        #expect(trace.status == 0, "\(trace.err)")
        let tree = try JSONValue(parsing: trace.out)
        #expect(tree["kind"] == "run" && (tree["attributes"]?["aws_calls"]?.intValue ?? 0) >= 3)
        let nodes = tree["children"]?.arrayValue ?? []
        #expect(
            ["orchestrate", "prompt", "generate", "validate", "execute", "analyse", "report"].allSatisfy { name in
                nodes.contains { $0["name"]?.stringValue == name && $0["duration_ms"]?.doubleValue != nil }
            }, "\(nodes.compactMap { $0["name"]?.stringValue })")
        let execute = try #require(nodes.first { $0["name"] == "execute" })
        let inside = execute["children"]?.arrayValue?.filter { $0["kind"] == "aws" }.compactMap {
            $0["name"]?.stringValue
        }
        #expect(inside?.contains("s3:GetBucketPolicy") == true, "\(inside ?? [])")
        let text = try await cli.run(["runs", "trace", thread], environment: environment)
        #expect(text.status == 0 && text.out.contains("execute") && text.out.contains("s3:ListBuckets"))
    }

    @Test("a script of your own: a read-only policy runs; a policy with a write waits for approval and can be declined")
    func ownScript() async throws {
        // A moto of its own: the shared one holds every other test's buckets, and S3 scripts read them all.
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        guard let environment = Self.environment(moto) else { return }
        let cli = try CLI()
        let tag = Self.tag()
        let bucket = "cli-own-\(tag)"
        _ = try await moto.client().call("s3", "CreateBucket", .object(["Bucket": .string(bucket)]))
        let script = cli.home.appendingPathComponent("mine.py")
        try """
        import json

        import boto3

        s3 = boto3.client("s3")
        names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        found = [{"severity": "low", "resource": "arn:aws:s3:::" + n, "title": "a bucket of this test",
                  "evidence": {"operation": "s3:ListAllMyBuckets"}, "recommendation": "none"}
                 for n in names if n.endswith("\(tag)")]
        print(json.dumps({"checked": len(names), "findings": found}))
        """.write(to: script, atomically: true, encoding: .utf8)
        let reads = cli.home.appendingPathComponent("reads.json")
        try #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#
            .write(to: reads, atomically: true, encoding: .utf8)
        let run = try await cli.run(
            ["inspect", "--script", script.path, "--policy", reads.path, "what buckets are mine?", "--output", "json"],
            environment: environment)
        #expect(run.status == 0, "\(run.err.suffix(1500))")
        let outcome = try JSONValue(parsing: run.out)
        #expect(outcome["findings"]?.arrayValue?.first?["resource"]?.stringValue == "arn:aws:s3:::\(bucket)")
        #expect(outcome["iterations"]?.arrayValue?.first?["origin"] == "user")

        let writes = cli.home.appendingPathComponent("writes.json")
        try
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:DeleteBucket"],"Resource":"*"}]}"#
            .write(to: writes, atomically: true, encoding: .utf8)
        let waiting = try await cli.run(
            [
                "inspect", "--script", script.path, "--policy", writes.path, "what buckets are mine?", "--output",
                "json",
            ],
            environment: environment)
        #expect(waiting.status == 2, "a policy with a write waits for approval: \(waiting.err.suffix(800))")
        let paused = try JSONValue(parsing: waiting.out)
        let thread = try #require(paused["thread_id"]?.stringValue)
        let question = try #require(paused["questions"]?.arrayValue?.first)
        #expect(question["value"]?["question"]?.stringValue?.contains("s3:DeleteBucket") == true)
        #expect(question["value"]?["key"] == "approve_policy")
        let id = try #require(question["id"]?.stringValue)
        let declined = try await cli.run(
            ["runs", "resume", thread, "--answer", "\(id)=false", "--output", "json"], environment: environment)
        #expect(declined.status == 0, "\(declined.err.suffix(800))")
        #expect(declined.out.contains("was not approved"), "\(declined.out.prefix(800))")
        // Approved up front (--answer, as any run's questions are), it runs; the proxy still serves reads only.
        let approved = try await cli.run(
            [
                "inspect", "--script", script.path, "--policy", writes.path, "what buckets are mine?",
                "--answer", "approve_policy=true", "--output", "json",
            ], environment: environment)
        #expect(approved.status == 0, "\(approved.err.suffix(800))")
        #expect(try JSONValue(parsing: approved.out)["iterations"]?.arrayValue?.first?["outcome"] == "ran")

        // Bad input is named.
        let noPolicy = try await cli.run(["inspect", "--script", script.path, "q"], environment: environment)
        #expect(noPolicy.status != 0 && noPolicy.err.contains("--policy"))
        let badFormat = try await cli.run(["inspect", "q", "--report", "out.pdf"], environment: environment)
        #expect(badFormat.status != 0 && badFormat.err.contains("out.pdf"))
        let missing = try await cli.run(
            ["inspect", "--script", "/nonexistent.py", "--policy", reads.path, "q"], environment: environment)
        #expect(missing.status != 0 && missing.err.contains("/nonexistent.py"))
    }

    @Test("killed (SIGKILL) right after a script ran: resumed, the finished script is not run again")
    func killedMidIteration() async throws {
        // A moto of its own: the shared one holds every other test's buckets, and S3 scripts read them all.
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        guard var environment = Self.environment(moto) else { return }
        let cli = try CLI()
        environment["NIMBUS_HOME"] = cli.home.path
        let thread = SortableID().rawValue
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["inspect", "which S3 buckets are public or unencrypted?", "--thread", thread]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("NIMBUS_") }
            .merging(environment) { _, new in new }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Read progress until the first script has run, then kill at once: its result is recorded, the node that
        // ran it has not necessarily finished.
        var seen = ""
        var killed = false
        while let chunk = try errors.fileHandleForReading.read(upToCount: 256), !chunk.isEmpty {
            seen += String(decoding: chunk, as: UTF8.self)
            if seen.contains("ran s3-public-buckets") {
                kill(process.processIdentifier, SIGKILL)
                killed = true
                break
            }
        }
        process.waitUntilExit()
        #expect(killed, "the first script ran before the process ended: \(seen.suffix(1200))")
        guard killed else { return }

        let resumed = try await cli.run(["runs", "resume", thread, "--output", "json"], environment: environment)
        #expect(resumed.status == 0, "\(resumed.err.suffix(1500))")
        let outcome = try JSONValue(parsing: resumed.out)
        let scripts =
            outcome["outcome"]?["iterations"]?.arrayValue?.compactMap { $0["script"]?.stringValue }
            ?? outcome["iterations"]?.arrayValue?.compactMap { $0["script"]?.stringValue } ?? []
        #expect(scripts.first == "s3-public-buckets" && scripts.count >= 2, "\(resumed.out.prefix(1200))")

        // The audit log: the first script listed the buckets once, in the killed process, never again.
        let audit = try JSONValue(
            parsing: try await cli.run(["audit", "--output", "json", "--limit", "1000"], environment: environment).out)
        let entries = audit["entries"]?.arrayValue ?? audit.arrayValue ?? []
        let listings = entries.filter {
            $0["tool"] == "inspect:s3-public-buckets" && $0["operation"] == "ListBuckets"
        }
        #expect(
            listings.count == 1, "one ListBuckets by the first script: \(listings.count) in \(entries.count) entries")
    }
}

/// The inspection over HTTP: POST /v1/inspect queues it, GET /v1/inspect/{id} says where it stands, /results gives
/// the report in each format; a plain-process sandbox and an empty question are refused.
@Suite("nimbus serve: /v1/inspect", .serialized)
struct InspectServerTests {
    @Test("POST /v1/inspect, then its status and its report in every format")
    func inspectOverHTTP() async throws {
        // A moto of its own: the shared one holds every other test's buckets, and S3 scripts read them all.
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        guard let sandbox = InspectCommandTests.environment(moto) else { return }
        let cli = try CLI()
        let (base, aws) = try await ServeCommandTests.environment(moto)
        let environment = base.merging(sandbox) { first, _ in first }
        let tag = InspectCommandTests.tag()
        let open = "srv-open-\(tag)"
        _ = try await aws.call("s3", "CreateBucket", .object(["Bucket": .string(open)]))
        _ = try await aws.call("s3", "PutBucketAcl", .object(["Bucket": .string(open), "ACL": "public-read"]))
        let key = try await cli.run(["serve", "keys", "add", "inspector", "--read-only"]).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await ServeCommandTests.Server(
            cli: cli, arguments: ["--workers", "1"], environment: environment)

        let refused = try await ServeCommandTests.request(
            "POST", "\(server.url)/v1/inspect", key: key,
            body: ["question": "which S3 buckets are public?", "sandbox": "process"])
        #expect(refused.status == 400 && refused.text.contains("bubblewrap only"), "\(refused.text)")
        let empty = try await ServeCommandTests.request(
            "POST", "\(server.url)/v1/inspect", key: key, body: ["question": " "])
        #expect(empty.status == 400)
        let anonymous = try await ServeCommandTests.request(
            "POST", "\(server.url)/v1/inspect", key: nil, body: ["question": "which S3 buckets are public?"])
        #expect(anonymous.status == 401)

        let accepted = try await ServeCommandTests.request(
            "POST", "\(server.url)/v1/inspect", key: key, body: ["question": "which S3 buckets are public?"],
            headers: ["Prefer": "respond-async"])
        #expect(accepted.status == 202, "\(accepted.text)")
        let thread = try #require(accepted.json["thread_id"]?.stringValue)
        var status: JSONValue = .null
        for _ in 0..<600 {
            status = try await ServeCommandTests.request("GET", "\(server.url)/v1/inspect/\(thread)", key: key).json
            if status["state"] == "done" || status["state"] == "failed" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(status["state"] == "done", "\(status.jsonText.prefix(800)) \(server.printed.suffix(1500))")
        #expect((status["iteration"]?.intValue ?? 0) >= 1 && (status["findings"]?.intValue ?? 0) >= 1)
        #expect(status["links"]?["results"] == .string("/v1/inspect/\(thread)/results"))

        let json = try await ServeCommandTests.request("GET", "\(server.url)/v1/inspect/\(thread)/results", key: key)
        #expect(json.status == 200)
        let resources = json.json["findings"]?.arrayValue?.compactMap { $0["resource"]?.stringValue } ?? []
        #expect(resources.contains("arn:aws:s3:::\(open)"), "\(resources)")
        for (format, marker) in [
            ("md", "# Inspection"), ("html", "<!doctype html>"), ("csv", "severity,resource"), ("asff", "\"Findings\""),
        ] {
            let report = try await ServeCommandTests.request(
                "GET", "\(server.url)/v1/inspect/\(thread)/results?format=\(format)", key: key)
            #expect(report.status == 200 && report.text.contains(marker) && report.text.contains(open), "\(format)")
        }
        let bad = try await ServeCommandTests.request(
            "GET", "\(server.url)/v1/inspect/\(thread)/results?format=pdf", key: key)
        #expect(bad.status == 400)
        let missing = try await ServeCommandTests.request("GET", "\(server.url)/v1/inspect/nothing-here", key: key)
        #expect(missing.status == 404)
        _ = await server.stop()
    }
}
