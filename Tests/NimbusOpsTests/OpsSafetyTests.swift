import Foundation
import NimbusAWS
import NimbusAgents
import NimbusCore
import NimbusGraph
import NimbusProducts
import NimbusStore
import NimbusTesting
import Synchronization
import Testing

@testable import NimbusOps

extension OpsHarness {
    /// Whether `secret` is anywhere in what the run stored: the database and its write-ahead log, byte for byte
    /// (checkpoints, pending writes, events, history, the audit log).
    func stored(_ secret: String) throws -> Bool {
        let needle = Data(secret.utf8)
        for suffix in ["", "-wal", "-shm"] {
            let path = root.appendingPathComponent("nimbus.sqlite" + suffix).path
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            if data.range(of: needle) != nil { return true }
        }
        return false
    }

    /// A second process's agent: new services, the policy read from `policy` (as `runs resume` reads the file).
    func laterAgent(policy: ApprovalPolicy = .standard) -> OpsAgent {
        OpsAgent(services: services(policy: policy))
    }
}

/// The safety issue's reproductions in the ops product, against moto: policy at execution, secrets in stored
/// state, thread ids, hostile keys through `ask`, and access labels from the operation.
@Suite("nimbus ask is safe by construction", .serialized)
struct OpsSafetyTests {
    @Test("A deny added while a run waits for approval refuses the step when it is approved")
    func policyAtExecution() async throws {
        let ops = try await OpsHarness()
        try await ops.seedBucket()
        let paused = try await ops.ask("delete s3://\(ops.bucket)/keep.txt")
        #expect(paused.status == .awaitingApproval)
        let denied = ops.laterAgent(policy: ApprovalPolicy(deny: ["s3:Delete*"], source: "policy.yaml"))
        let done = try await denied.answerApproval(threadID: paused.threadID, approve: true)
        #expect(try await ops.keys().contains("keep.txt"), "the deny added after the plan still holds")
        #expect(done.steps.contains { $0.status == .refused && ($0.reason ?? "").contains("s3:Delete*") })
        let audit = try await ops.agent().audit(requestID: paused.threadID)
        #expect(audit.contains { $0.outcome == .refused })
        #expect(!audit.contains { $0.action.hasPrefix("s3:Delete") && $0.outcome == .succeeded })

        // Read-only at execution: a `--read-only` plan stays read-only whatever was approved.
        let readOnly = try await ops.ask("delete s3://\(ops.bucket)/keep.txt", yes: true, readOnly: true)
        #expect(readOnly.status == .refused)
        #expect(try await ops.keys().contains("keep.txt"))
    }

    @Test("A SecureString is sealed while its run waits, sent after approval in a new process, and stored nowhere")
    func secureStringWaits() async throws {
        let ops = try await OpsHarness()
        let name = "/nimbus/\(ops.bucket)/db"
        let secret = "sup3r-Secret-\(UInt32.random(in: 0...UInt32.max))"
        let request = #"call ssm PutParameter {"Name": "\#(name)", "Value": "\#(secret)", "Type": "SecureString"}"#
        let paused = try await ops.ask(request)
        #expect(paused.status == .awaitingApproval, "\(paused.answer ?? "")")
        #expect(try !ops.stored(secret), "the waiting run's checkpoint holds the secret")
        let summary = paused.approval?.question.summary ?? ""
        #expect(!summary.contains(secret))
        let done = try await ops.laterAgent().answerApproval(threadID: paused.threadID, approve: true)
        #expect(done.status == .completed, "\(done.answer ?? "")")
        let stored = try await ops.aws.call("ssm", "GetParameter", ["Name": .string(name), "WithDecryption": true])
        #expect(stored["Parameter"]?["Value"]?.stringValue == secret, "the sealed value is what was sent")
        #expect(try !ops.stored(secret))
        let history = try await ops.agent().history(limit: 10)
        let remembered = history.map { $0.text + " " + ($0.answer ?? "") }.joined(separator: "\n")
        #expect(!remembered.contains(secret))
        let audit = try await ops.agent().audit(requestID: paused.threadID)
        #expect(audit.contains { $0.action == "ssm:PutParameter" && $0.outcome == .succeeded })
        #expect(audit.allSatisfy { !$0.parameters.jsonText.contains(secret) })
    }

    @Test(
        "Secrets a call returns are shown once to the one who asked and stored nowhere",
        arguments: ["parameter", "access-key", "presign", "secret-string"])
    func revealedOnce(_ kind: String) async throws {
        let ops = try await OpsHarness()
        try await ops.seedBucket()
        let request: String
        var expected: String?
        switch kind {
        case "parameter":
            let value = "decrypted-\(UInt32.random(in: 0...UInt32.max))"
            expected = value
            let name = "/nimbus/\(ops.bucket)/token"
            _ = try await ops.aws.call(
                "ssm", "PutParameter", ["Name": .string(name), "Value": .string(value), "Type": "SecureString"])
            request = #"call ssm GetParameter {"Name": "\#(name)", "WithDecryption": true}"#
        case "access-key":
            let user = "user-\(ops.bucket)"
            _ = try await ops.aws.call("iam", "CreateUser", ["UserName": .string(user)])
            request = #"call iam CreateAccessKey {"UserName": "\#(user)"}"#
        case "presign":
            request = "give me a download link for s3://\(ops.bucket)/keep.txt valid 10 minutes"
        default:
            let value = "secret-string-\(UInt32.random(in: 0...UInt32.max))"
            expected = value
            let name = "nimbus-\(ops.bucket)"
            _ = try await ops.aws.call(
                "secretsmanager", "CreateSecret", ["Name": .string(name), "SecretString": .string(value)])
            request = #"call secretsmanager GetSecretValue {"SecretId": "\#(name)"}"#
        }
        let outcome = try await ops.ask(request, yes: true)
        #expect(outcome.status == .completed, "\(kind): \(outcome.answer ?? "")")
        #expect(!outcome.revealed.isEmpty, "\(kind): the secret reached the one who asked")
        let secrets = outcome.revealed.map(\.value)
        if let expected { #expect(secrets.contains(expected), "\(kind): \(secrets)") }
        if kind == "presign" {
            #expect(secrets.contains { $0.contains("X-Amz-Signature=") && !$0.contains(SecretRedactor.placeholder) })
        }
        for secret in secrets {
            // The signature alone, for a URL: the rest of it (bucket, key, host) is not secret.
            let core = secret.components(separatedBy: "X-Amz-Signature=").last ?? secret
            #expect(try !ops.stored(core), "\(kind): a secret is in the store")
            let answer = outcome.answer ?? ""
            #expect(!answer.contains(core), "\(kind): the stored answer holds it")
            let results = outcome.steps.map { $0.result?.jsonText ?? "" }.joined()
            #expect(!results.contains(core))
        }
    }

    @Test("Thread ids are checked, and a finished request's thread is never reused")
    func threads() async throws {
        let ops = try await OpsHarness()
        for bad in ["", "../../etc/x", "a/b", "has space", ".hidden", String(repeating: "x", count: 129), "a\nb"] {
            do {
                _ = try await ops.agent().ask(OpsRequest("whoami", offline: true), threadID: bad)
                Issue.record("thread id '\(bad.debugDescription)' was accepted")
            } catch let error as GraphError {
                #expect(error.kind == .invalidThreadID)
            }
        }
        let thread = "mine-\(UInt32.random(in: 0...UInt32.max))"
        let first = try await ops.agent().ask(OpsRequest("whoami", offline: true), threadID: thread)
        #expect(first.status == .completed)
        do {
            _ = try await ops.agent().ask(OpsRequest("list all S3 buckets", offline: true), threadID: thread)
            Issue.record("a finished request's thread was reused")
        } catch let error as GraphError {
            #expect(error.kind == .threadExists)
        }
        let history = try await ops.agent().history(limit: 10)
        #expect(history.filter { $0.id == thread }.map(\.text) == ["whoami"], "the first request's history stands")
    }

    @Test("Downloading a bucket of hostile keys by asking writes nothing outside and says what it skipped")
    func hostileDownload() async throws {
        let ops = try await OpsHarness()
        _ = try await ops.aws.call("s3", "CreateBucket", ["Bucket": .string(ops.bucket)])
        for key in ["../../victim.txt", "a/../../x", "ok/../../../x", "..", "good.txt"] {
            _ = try await ops.aws.call(
                "s3", "PutObject", ["Bucket": .string(ops.bucket), "Key": .string(key), "Body": "ZXZpbA=="])
        }
        try ops.file("victim.txt", "original")
        let outcome = try await ops.ask("download s3://\(ops.bucket)/ to ./dl", yes: true)
        #expect(outcome.status == .completed, "\(outcome.answer ?? "")")
        #expect(try String(contentsOf: ops.root.appendingPathComponent("victim.txt"), encoding: .utf8) == "original")
        #expect(FileManager.default.fileExists(atPath: ops.root.appendingPathComponent("dl/good.txt").path))
        let answer = outcome.answer ?? ""
        #expect(answer.contains("Skipped 4 items"), "\(answer)")
        // "a/../../x" would have been ./x, beside ./dl.
        #expect(!FileManager.default.fileExists(atPath: ops.root.appendingPathComponent("x").path))
        let inside = try FileManager.default.contentsOfDirectory(atPath: ops.root.appendingPathComponent("dl").path)
        #expect(inside == ["good.txt"], "\(inside)")
    }

    @Test(
        "A call's access comes from its operation, however it is spelled",
        arguments: [
            (#"call s3 list-buckets {}"#, ToolAccess.read), (#"call s3 ListBuckets {}"#, .read),
            (#"call s3 delete-bucket {"Bucket": "x"}"#, .delete), (#"call s3 DeleteBucket {"Bucket": "x"}"#, .delete),
            (#"call ec2 terminate-instances {"InstanceIds": ["i-0123456789abcdef0"]}"#, .delete),
            (#"call sqs create-queue {"QueueName": "q"}"#, .write),
        ])
    func accessLabels(_ request: String, _ access: ToolAccess) async throws {
        let ops = try await OpsHarness()
        let outcome = try await ops.ask(request, plan: true)
        #expect(outcome.plan.first?.access == access, "\(request): \(outcome.plan.map(\.line))")
    }
}

/// The host issue's drift: a resumed ops run must continue with the model it started with, through the same
/// environment every product gets, whatever is configured by then.
@Suite("An ops run resumes with its own model", .serialized)
struct OpsResumeModelTests {
    @Test("started with one model, resumed after the configuration names another: the first one answers")
    func resumedWithItsModel() async throws {
        let ops = try await OpsHarness()
        try await ops.seedBucket()
        let first = ScriptedChatModel(
            name: "scripted:first",
            [
                .toolCall("s3_delete_objects", arguments: ["bucket": .string(ops.bucket), "keys": ["keep.txt"]]),
                .text("Deleted keep.txt, as asked."),
            ])
        let second = ScriptedChatModel(name: "scripted:second", [.text("I am the other model.")])
        let asked = AskedModels()
        func environment(configured: String) -> ProductEnvironment {
            ProductEnvironment(
                store: ops.store, configuration: NimbusConfiguration(home: ops.root),
                makeModel: { name, _, _ in
                    asked.add(name)
                    switch name {
                    case first.name: return first
                    case second.name: return second
                    default: throw ProductError.noModel(name)
                    }
                },
                modelName: { _ in configured },
                awsClient: { profile, region, gate in
                    var configuration = OpsHarness.configuration(ops.moto, home: ops.root)
                    configuration.profile = profile
                    configuration.region = region
                    return try AWSClient(configuration: configuration, callGuard: gate)
                })
        }
        let product = OpsProduct()
        let paused = try await product.start(
            OpsRequest("delete keep.txt from bucket \(ops.bucket)", workingDirectory: ops.root.path), threadID: nil,
            environment: environment(configured: first.name))
        #expect(paused.status == .awaitingApproval && paused.strategy == first.name, "\(paused.answer ?? "")")
        let pending = try #require(paused.approval)
        // Later, in another process, the configuration names another model; the run resumes through the catalog.
        let done = try await ProductCatalog([RegisteredProduct(product)])
            .product(graph: OpsWorkflow.name, thread: paused.threadID)
            .resume(
                threadID: paused.threadID, answers: [pending.interruptID: true],
                environment: environment(configured: second.name)
            )
            .decode(OpsOutcome.self)
        #expect(done.status == .completed, "\(done.answer ?? "")")
        #expect(done.answer == "Deleted keep.txt, as asked.")
        #expect(asked.names.last == first.name && !asked.names.contains(second.name), "\(asked.names)")
        #expect(!(try await ops.keys().contains("keep.txt")))
        #expect(second.requests.isEmpty)
    }
}

/// The model names an environment was asked for, in order.
final class AskedModels: Sendable {
    private let list = Mutex<[String]>([])
    func add(_ name: String) { list.withLock { $0.append(name) } }
    var names: [String] { list.withLock { $0 } }
}
