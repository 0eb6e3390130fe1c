import Foundation
import NimbusAWS
import NimbusCore
import NimbusTesting
import Testing

/// `nimbus sandbox`: a user's script in bubblewrap against moto, its AWS calls through the proxy and in the audit
/// log, a call outside the policy refused, the script's exit status passed on, and bad input named.
@Suite("nimbus sandbox", .serialized)
struct SandboxCommandTests {
    @Test("run a boto3 script with a policy: the read goes through and is audited, the delete is refused")
    func runWithPolicy() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap") else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("bubblewrap is not installed") }
            return
        }
        let cli = try CLI()
        let moto = try await MotoServer.shared()
        let bucket = "cli-sandbox-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        _ = try await moto.client().call("s3", "CreateBucket", .object(["Bucket": .string(bucket)]))
        let python = URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/nimbus/sandbox/python")
        let environment = moto.isolatedEnvironment.merging(["NIMBUS_SANDBOX_PYTHON": python.path]) { _, new in new }
        let prepared = try await cli.run(["sandbox", "prepare", "--output", "json"], environment: environment)
        #expect(prepared.status == 0, "\(prepared.err)")

        let script = cli.home.appendingPathComponent("check.py")
        try """
        import json, sys, boto3, botocore.exceptions
        s3 = boto3.client("s3")
        names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        try:
            s3.delete_bucket(Bucket=sys.argv[1])
            deleted = "yes"
        except botocore.exceptions.ClientError as error:
            deleted = error.response["Error"]["Code"]
        print(json.dumps({"found": sys.argv[1] in names, "deleted": deleted}))
        sys.exit(3)
        """.write(to: script, atomically: true, encoding: .utf8)
        let policy = cli.home.appendingPathComponent("policy.json")
        try
            #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}"#
            .write(to: policy, atomically: true, encoding: .utf8)

        let run = try await cli.run(
            ["sandbox", "run", script.path, "--policy", policy.path, "--output", "json", "--", bucket],
            environment: environment)
        #expect(run.status == 3, "the script's status is the command's: \(run.err)")
        let report = try JSONValue(parsing: run.out)
        #expect(report["sandbox"]?.stringValue == "bubblewrap")
        let printed = try JSONValue(parsing: report["stdout"]?.stringValue ?? "")
        #expect(printed["found"]?.boolValue == true)
        #expect(printed["deleted"]?.stringValue == "AccessDenied")
        let actions = report["aws_calls"]?.arrayValue?.compactMap { $0["action"]?.stringValue } ?? []
        #expect(actions == ["s3:ListBuckets", "s3:DeleteBucket"])
        let buckets = try await moto.client().call("s3", "ListBuckets")
        #expect("\(buckets)".contains(bucket), "the bucket is still in moto")

        let audit = try await cli.run(["audit", "--output", "json"], environment: environment)
        #expect(audit.out.contains("\"DeleteBucket\"") && audit.out.contains("\"refused\""), "\(audit.out.prefix(600))")
        #expect(!audit.out.contains("nimbus-real") && !run.out.contains("AKIA"))
    }

    @Test("bad input is named: no script, no policy file, a bad policy, an unknown sandbox")
    func badInput() async throws {
        let cli = try CLI()
        let script = cli.home.appendingPathComponent("ok.py")
        try "print('hi')\n".write(to: script, atomically: true, encoding: .utf8)
        let badPolicy = cli.home.appendingPathComponent("bad.json")
        try #"{"Statement": [{"Effect": "Allow", "NotAction": "s3:*"}]}"#.write(
            to: badPolicy, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["sandbox", "run", "/nonexistent/x.py"], "no script at /nonexistent/x.py"),
            (["sandbox", "run", script.path, "--policy", "/nonexistent/p.json"], "no policy at /nonexistent/p.json"),
            (["sandbox", "run", script.path, "--policy", badPolicy.path], "NotAction"),
            (["sandbox", "run", script.path, "--sandbox", "docker"], "no sandbox named 'docker'"),
        ]
        let python = URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/nimbus/sandbox/python")
        for (arguments, expected) in cases {
            let result = try await cli.run(arguments, environment: ["NIMBUS_SANDBOX_PYTHON": python.path])
            #expect(result.status == 1, "\(arguments)")
            #expect(result.err.contains(expected), "\(arguments): \(result.err)")
        }
    }
}
