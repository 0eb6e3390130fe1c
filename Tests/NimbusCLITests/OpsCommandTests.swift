import Foundation
import NimbusAWS
import NimbusCore
import NimbusTesting
import Testing

/// The issue's "done when", as a new user does it against moto: `nimbus validate`, `nimbus ask "list all S3
/// buckets"`, upload a directory by asking, be asked before a deletion, and find all of it in `nimbus history`
/// and `nimbus audit`.
// Serialized: each test drives subprocesses for seconds while holding a cooperative thread (2 on this machine).
@Suite("nimbus ask, history, audit", .serialized)
struct OpsCommandTests {
    /// The environment of a user whose AWS is the shared moto server (nothing from ~/.aws), a client for looking
    /// at it, and a new bucket.
    static func motoBucket(_ prefix: String) async throws -> ([String: String], AWSClient, String) {
        let moto = try await MotoServer.shared()
        let environment = moto.isolatedEnvironment
        let bucket = "\(prefix)-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        let aws = try moto.client()
        _ = try await aws.call("s3", "CreateBucket", ["Bucket": .string(bucket)])
        return (environment, aws, bucket)
    }

    @Test("a new user against moto: validate, list, upload by asking, a deletion that asks, history and audit")
    func newUser() async throws {
        let cli = try CLI()
        let (environment, aws, bucket) = try await Self.motoBucket("cli-ops")
        let data = cli.home.appendingPathComponent("work/data")
        try FileManager.default.createDirectory(
            at: data.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try "one".write(to: data.appendingPathComponent("one.txt"), atomically: true, encoding: .utf8)
        try "two".write(to: data.appendingPathComponent("sub/two.txt"), atomically: true, encoding: .utf8)
        let work = cli.home.appendingPathComponent("work")
        func nimbus(_ arguments: String...) async throws -> CLI.Result {
            try await cli.run(arguments, environment: environment, directory: work)
        }

        let validate = try await nimbus("validate")
        #expect(validate.status == 0, "\(validate.err)")
        #expect(validate.out.contains("123456789012"))

        let list = try await nimbus("ask", "list all S3 buckets")
        #expect(list.status == 0, "\(list.err)")
        #expect(list.out.contains("S3 buckets:"))
        // The text shows the first 50 buckets of a busy shared emulator; the JSON has them all.
        let listed = try await nimbus("ask", "list all S3 buckets", "--output", "json")
        #expect(listed.out.contains("\"\(bucket)\""), "\(listed.out.prefix(300))")

        let upload = try await nimbus("ask", "upload ./data to s3://\(bucket)/2026/", "--yes")
        #expect(upload.status == 0, "\(upload.err)")
        #expect(upload.out.contains("Uploaded 2 files"))

        // No terminal: the deletion waits, exit status 2, with the command that approves it.
        let delete = try await nimbus("ask", "delete s3://\(bucket)/2026/one.txt")
        #expect(delete.status == 2, "\(delete.out)\(delete.err)")
        #expect(delete.err.contains("--answer approve=true"), "\(delete.err)")
        let objects = try await aws.call("s3", "ListObjectsV2", ["Bucket": .string(bucket)])
        #expect(objects["KeyCount"]?.intValue == 2, "nothing deleted before the answer")

        let history = try await cli.run(["history", "--output", "json"], environment: environment)
        let requests = try JSONValue(parsing: history.out).arrayValue ?? []
        #expect(requests.count == 4)
        #expect(requests.first?["status"]?.stringValue == "awaiting_approval")
        #expect(requests.allSatisfy { $0["product"]?.stringValue == "ops" })
        let thread = try #require(requests.first?["id"]?.stringValue)

        let resumed = try await nimbus("runs", "resume", thread, "--answer", "approve=true")
        #expect(resumed.status == 0, "\(resumed.err)")
        let after = try await aws.call("s3", "ListObjectsV2", ["Bucket": .string(bucket)])
        #expect(after["KeyCount"]?.intValue == 1, "the approved deletion ran")

        let audit = try await cli.run(["audit", "--output", "json"], environment: environment)
        #expect(audit.status == 0, "\(audit.err)")
        let entries = try JSONValue(parsing: audit.out).arrayValue ?? []
        let actions = entries.compactMap { $0["action"]?.stringValue ?? $0["operation"]?.stringValue }
        #expect(actions.contains { $0.contains("ListBuckets") })
        #expect(actions.contains { $0.contains("DeleteObjects") })
        #expect(actions.contains { $0.contains("PutObject") || $0.contains("CreateMultipartUpload") })
        let text = try await cli.run(["audit", "--since", "1h"], environment: environment)
        #expect(text.status == 0, "\(text.err)")
        #expect(text.out.contains("s3:DeleteObjects"))
        #expect(!text.out.contains(environment["AWS_SECRET_ACCESS_KEY"] ?? "\u{0}"), "no secret in the audit log")
    }

    @Test("nimbus chat: requests, /history, /plan, an inline approval answered no, /exit")
    func chat() async throws {
        let cli = try CLI()
        let (environment, aws, bucket) = try await Self.motoBucket("cli-chat")
        _ = try await aws.call("s3", "PutObject", ["Bucket": .string(bucket), "Key": "a.txt", "Body": "a"])
        let session = [
            "list all S3 buckets", "/history", "delete s3://\(bucket)/a.txt", "n", "/plan",
            "delete s3://\(bucket)/a.txt", "/region eu-west-1", "/exit",
        ].joined(separator: "\n")
        let result = try await cli.run(["chat"], environment: environment, input: session + "\n")
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("S3 buckets:"))
        #expect(result.out.contains("1. [completed] list all S3 buckets"), "\(result.out)")
        #expect(result.out.contains("Not changed, as you declined"))
        #expect(result.out.contains("Plan for \"delete s3://\(bucket)/a.txt\" (nothing was run)"))
        #expect(result.out.contains("region: eu-west-1"))
        let listed = try await aws.call("s3", "ListObjectsV2", ["Bucket": .string(bucket)])
        #expect(listed["KeyCount"]?.intValue == 1, "the declined deletion deleted nothing")
    }

    @Test("bad input: an empty request, an unknown profile, a broken policy file")
    func badInput() async throws {
        let cli = try CLI()
        let empty = try await cli.run(["ask"])
        #expect(empty.status != 0)
        #expect(empty.err.contains("list all S3 buckets"))
        try "deny: [s3Delete]\n".write(
            to: cli.home.appendingPathComponent("policy.yaml"), atomically: true, encoding: .utf8)
        let policy = try await cli.run(["ask", "list all S3 buckets"])
        #expect(policy.status != 0)
        #expect(policy.err.contains("policy.yaml"), "\(policy.err)")
    }
}
