import Foundation
import NimbusAgents
import NimbusCore
import Testing

@Suite("approval policy")
struct PolicyTests {
    @Test(
        "service:Operation patterns with wildcards, case-insensitive",
        arguments: [
            ("s3:PutObject", "s3:PutObject", true), ("s3:putobject", "S3:PutObject", true),
            ("s3:Put*", "s3:PutObject", true), ("s3:Put*", "s3:GetObject", false), ("s3:*", "s3:DeleteBucket", true),
            ("*:Delete*", "ec2:DeleteVpc", true), ("*:Delete*", "ec2:DescribeVpcs", false),
            ("ec2:?topInstances", "ec2:StopInstances", true), ("ec2:Stop", "ec2:StopInstances", false),
            ("*", "iam:CreateUser", true), ("s3:*Object*", "s3:DeleteObjects", true),
            ("iam:*", "s3:ListBuckets", false),
        ])
    func matching(pattern: String, action: String, expected: Bool) {
        #expect(ApprovalPolicy.matches(pattern, action) == expected)
    }

    @Test("deny beats ask beats allow; reads run and changes ask by default; allow needs every action")
    func precedence() {
        let policy = ApprovalPolicy(allow: ["s3:*"], ask: ["s3:Delete*"], deny: ["s3:DeleteBucket"])
        #expect(
            policy.decision(for: ["s3:DeleteBucket"], access: .delete)
                == .deny(rule: "s3:DeleteBucket", action: "s3:DeleteBucket"))
        #expect(policy.decision(for: ["s3:DeleteObjects"], access: .delete) == .ask(rule: "s3:Delete*"))
        #expect(policy.decision(for: ["s3:PutObject"], access: .write) == .allow(rule: "s3:*"))
        // One action the allow list does not cover keeps the default for writes.
        #expect(policy.decision(for: ["s3:PutObject", "ec2:StopInstances"], access: .write) == .ask(rule: nil))
        // A denied action anywhere in a step denies the step.
        #expect(
            policy.decision(for: ["s3:ListObjectsV2", "s3:DeleteBucket"], access: .delete)
                == .deny(rule: "s3:DeleteBucket", action: "s3:DeleteBucket"))
        let standard = ApprovalPolicy.standard
        #expect(standard.decision(for: ["ec2:DescribeInstances"], access: .read) == .allow(rule: nil))
        #expect(standard.decision(for: ["ec2:StopInstances"], access: .write) == .ask(rule: nil))
        #expect(standard.decision(for: ["s3:DeleteObjects"], access: .delete) == .ask(rule: nil))
        // ask applies to reads too (secrets worth a question).
        let careful = ApprovalPolicy(ask: ["secretsmanager:Get*"])
        #expect(
            careful.decision(for: ["secretsmanager:GetSecretValue"], access: .read) == .ask(rule: "secretsmanager:Get*")
        )
    }

    @Test("policy.yaml: lists of patterns; absent file is the standard policy")
    func loadsFile() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        #expect(try ApprovalPolicy.load(home: home) == .standard)
        try """
        # what may run without a question
        allow:
          - s3:PutObject
          - s3:CreateBucket
        ask: ["ec2:*"]
        deny:
          - "iam:*"
          - s3:DeleteBucket
        """.write(to: home.appendingPathComponent("policy.yaml"), atomically: true, encoding: .utf8)
        let policy = try ApprovalPolicy.load(home: home)
        #expect(policy.allow == ["s3:PutObject", "s3:CreateBucket"])
        #expect(policy.ask == ["ec2:*"])
        #expect(policy.deny == ["iam:*", "s3:DeleteBucket"])
        #expect(policy.source == home.appendingPathComponent("policy.yaml").path)
    }

    @Test(
        "policy.yaml errors name the file and the line",
        arguments: [
            ("allow:\n  - s3:PutObject\nalow:\n  - s3:GetObject\n", "line 3", "did you mean 'allow'?"),
            (
                "deny:\n  - s3:PutObject\n  - DeleteEverything\n", "line 3",
                "'DeleteEverything' in 'deny' is not a service:Operation"
            ),
            ("ask:\n  - s3:Get*\n  - {service: s3}\n", "line 3", "must be a service:Operation pattern, not a mapping"),
            ("allow: [s3:PutObject\n", "line", "is not valid YAML"),
            ("- s3:PutObject\n", "line 1", "the top level must be a mapping"),
        ])
    func errors(text: String, line: String, detail: String) {
        #expect {
            _ = try ApprovalPolicy.parse(text, file: "/home/me/.nimbus/policy.yaml")
        } throws: { error in
            let description = "\(error)"
            return description.contains("/home/me/.nimbus/policy.yaml, \(line)") && description.contains(detail)
        }
    }

    @Test("the request's own words set its scope; API names count, tag values do not matter")
    func scope() {
        #expect(RequestScope.infer(from: "list all S3 buckets").maxAccess == .read)
        #expect(RequestScope.infer(from: "show instances tagged env=dev").maxAccess == .read)
        #expect(RequestScope.infer(from: "upload ./data to s3://reports/2026/").maxAccess == .write)
        #expect(RequestScope.infer(from: "stop the instances tagged env=dev").maxAccess == .write)
        #expect(RequestScope.infer(from: "delete old.log from s3://logs").maxAccess == .delete)
        #expect(RequestScope.infer(from: "call s3 DeleteBucket").maxAccess == .delete)
        #expect(RequestScope.infer(from: "list buckets").refusal(for: .delete) != nil)
        #expect(RequestScope.infer(from: "empty bucket x").refusal(for: .delete) == nil)
    }
}
