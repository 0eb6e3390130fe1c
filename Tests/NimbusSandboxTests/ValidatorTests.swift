import Foundation
import NimbusSandbox
import Testing

/// The script validator with the real checkers (ruff, bandit and parliament from PyPI, in their own environment)
/// and botocore's models.
@Suite("Script validation", .serialized)
struct ValidatorTests {
    static func validator() async throws -> ScriptValidator {
        let cache = URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/nimbus")
        let checkers = SandboxPython.checkers(home: cache)
        try await checkers.prepare()
        return ScriptValidator(runtime: try await TestSandbox.python(), checkers: checkers)
    }

    static let listPolicy = SandboxPolicy(allowing: ["s3:ListAllMyBuckets", "s3:ListBucket", "s3:GetBucketPolicy"])

    @Test("a good script passes and names its calls and the actions they need")
    func goodScript() async throws {
        let validation = try await Self.validator().validate(
            script: """
                import json
                import boto3

                s3 = boto3.client("s3")
                names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
                pages = s3.get_paginator("list_objects_v2")
                for name in names:
                    for page in pages.paginate(Bucket=name):
                        pass
                    s3.get_bucket_policy(Bucket=name)
                print(json.dumps({"buckets": names}))
                """, policy: Self.listPolicy)
        #expect(validation.passed, "\(validation.findings)")
        #expect(validation.operations == ["s3:ListBuckets", "s3:ListObjectsV2", "s3:GetBucketPolicy"])
        #expect(Set(validation.requiredActions) == ["s3:ListAllMyBuckets", "s3:ListBucket", "s3:GetBucketPolicy"])
    }

    @Test("a write, a misspelt call, a call outside the policy and a service the proxy does not serve are errors")
    func badCalls() async throws {
        let validation = try await Self.validator().validate(
            script: """
                import boto3

                s3 = boto3.client("s3")
                s3.delete_bucket(Bucket="x")
                s3.list_bucketz()
                boto3.client("ec2").describe_instances()
                boto3.client("glue").get_databases()
                """, policy: Self.listPolicy)
        #expect(!validation.passed)
        let messages = validation.findings.filter { $0.severity == .error }.map(\.message)
        #expect(messages.contains { $0.contains("DeleteBucket is not a read") })
        #expect(messages.contains { $0.contains("s3.list_bucketz is not an operation") })
        #expect(messages.contains { $0.contains("ec2:DescribeInstances") && $0.contains("not in the policy") })
        #expect(messages.contains { $0.contains("glue is not a service") })
        #expect(validation.errorSummary.contains("line 4"))
    }

    @Test("imports off the allow-list, dynamic code and syntax errors are errors; nothing of the script runs")
    func unsafeCode() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-ran-\(UUID().uuidString)")
        let unsafe = try await Self.validator().validate(
            script: """
                import subprocess
                import boto3
                open("\(marker.path)", "w").write("ran")
                eval("1 + 1")
                boto3.resource("s3")
                """, policy: Self.listPolicy)
        let messages = unsafe.findings.filter { $0.severity == .error }.map(\.message)
        #expect(messages.contains { $0.contains("'subprocess' is not on the allow-list") })
        #expect(messages.contains { $0.contains("eval() is not allowed") })
        #expect(messages.contains { $0.contains("resources are not supported") })
        #expect(!FileManager.default.fileExists(atPath: marker.path), "validation ran the script")
        let broken = try await Self.validator().validate(script: "def f(:\n    pass\n", policy: Self.listPolicy)
        #expect(broken.findings.first?.check == "syntax" && broken.findings.first?.line == 1)
    }

    @Test("ruff, bandit and parliament findings come back with their codes")
    func checkers() async throws {
        let validation = try await Self.validator().validate(
            script: """
                import hashlib
                import boto3

                hashlib.md5(b"x")
                undefined_thing()
                boto3.client("s3").list_buckets()
                """, policy: SandboxPolicy(allowing: ["s3:ListAllMyBuckets", "s3:ListAllMyBucketz"]))
        let codes = Set(validation.findings.compactMap(\.code))
        #expect(codes.contains("F821"), "ruff: an undefined name")
        #expect(codes.contains("B324"), "bandit: md5")
        #expect(codes.contains("UNKNOWN_ACTION"), "parliament: an action that does not exist")
        #expect(!validation.passed)
    }
}
