import Foundation
import NimbusAWS
import NimbusCore
import NimbusGraph
import NimbusInspect
import NimbusLLM
import NimbusProducts
import NimbusSandbox
import NimbusStore
import NimbusTesting
import Testing

/// The inspection's iteration and retry paths with a scripted model (the model's choices are scripted; validation,
/// the sandbox, the proxy and moto are real): a script that fails validation, one that fails at run time, one that
/// asks for a write.
@Suite("Inspection workflow", .serialized)
struct InspectWorkflowTests {
    final class Harness: Sendable {
        let root: URL
        let store: SQLiteStore
        let moto: MotoServer

        init() async throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent(
                "nimbus-inspect-\(SortableID().rawValue)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            store = try SQLiteStore(path: root.appendingPathComponent("nimbus.sqlite").path)
            // A moto of its own: the shared one holds every other test's buckets, and S3 scripts read them all.
            moto = try await MotoServer.start()
        }

        deinit {
            moto.stop()
            try? FileManager.default.removeItem(at: root)
        }

        /// The sandbox's Python lives in the tests' shared cache, so the home is that cache's parent.
        func environment(model: ScriptedChatModel?) -> ProductEnvironment {
            environment { name, _, _ in
                guard let model, model.name == name else { throw ProductError.noModel(name) }
                return model
            }
        }

        func environment(
            makeModel: @escaping @Sendable (_ name: String, _ agent: String, _ threadID: String) throws -> any ChatModel
        ) -> ProductEnvironment {
            let moto = moto
            let root = root
            return ProductEnvironment(
                store: store, configuration: NimbusConfiguration(home: InspectionScriptTests.cache),
                makeModel: makeModel,
                awsClient: { _, _, gate in try moto.client(nimbusHome: root, callGuard: gate) })
        }
    }

    static func available() async throws -> Bool {
        guard BubblewrapSandbox.findBubblewrap() != nil else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("bubblewrap is not installed") }
            return false
        }
        _ = try await InspectionScriptTests.environments()
        return true
    }

    static func written(_ script: String, actions: [String]) -> ScriptedReply {
        .json([
            "title": "written by the model", "script": .string(script),
            "actions": .array(actions.map(JSONValue.string)),
        ])
    }

    @Test("a script that fails validation, then one that fails at run time, then one that works: three attempts")
    func retries() async throws {
        guard try await Self.available() else { return }
        let harness = try await Harness()
        let aws = try harness.moto.client()
        let bucket = "insp-model-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        _ = try await aws.call("s3", "CreateBucket", .object(["Bucket": .string(bucket)]))
        let policy =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::\#(bucket)/*"}]}"#
        _ = try await aws.call(
            "s3", "PutBucketPolicy", .object(["Bucket": .string(bucket), "Policy": .string(policy)]))

        let grounded = try #require(InspectionLibrary.script("s3-public-buckets"))
        let model = ScriptedChatModel([
            Self.written(
                "import json\nimport subprocess\n\nprint(json.dumps({\"checked\": 0, \"findings\": []}))\nsubprocess.run([\"ls\"])\n",
                actions: ["s3:ListAllMyBuckets"]),
            Self.written(
                "import json\n\nimport boto3\n\ns3 = boto3.client(\"s3\")\nnames = [b[\"Name\"] for b in s3.list_buckets()[\"Buckets\"]]\n"
                    + "raise SystemExit(\"cannot make sense of \" + json.dumps(names[:1]))\n",
                actions: ["s3:ListAllMyBuckets"]),
            Self.written(grounded.source, actions: grounded.actions),
        ])
        let outcome = try await InspectProduct().start(
            InspectProduct.Request(question: "which S3 buckets are public?", maxIterations: 1, model: model.name),
            threadID: nil, environment: harness.environment(model: model))
        #expect(outcome.state == .done, "\(outcome.answer)")
        #expect(outcome.model == model.name)
        let iteration = try #require(outcome.iterations.first)
        #expect(outcome.iterations.count == 1)
        #expect(iteration.attempts == 3)
        #expect(iteration.origin == .model && iteration.outcome == "ran")
        #expect(model.requests.count == 3)
        let second = model.requests[1].messages.last?.content ?? ""
        #expect(second.contains("validation failed") && second.contains("subprocess"), "\(second.suffix(400))")
        let third = model.requests[2].messages.last?.content ?? ""
        #expect(third.contains("the run failed") && third.contains("cannot make sense"), "\(third.suffix(400))")
        let found = outcome.findings.filter { $0.resource == "arn:aws:s3:::\(bucket)" }
        #expect(found.count == 1, "\(outcome.findings.map(\.resource))")
        #expect(found.first?.requests.first?.hasPrefix("s3:GetBucketPolicy ") == true, "\(found.first?.requests ?? [])")
        #expect(outcome.gaps.isEmpty, "\(outcome.gaps)")
    }

    @Test("a script that asks for a write is refused at validation, every time, and the bucket stays")
    func write() async throws {
        guard try await Self.available() else { return }
        let harness = try await Harness()
        let aws = try harness.moto.client()
        let bucket = "insp-keep-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        _ = try await aws.call("s3", "CreateBucket", .object(["Bucket": .string(bucket)]))
        let deleting = Self.written(
            "import json\n\nimport boto3\n\ns3 = boto3.client(\"s3\")\ns3.delete_bucket(Bucket=\"\(bucket)\")\n"
                + "print(json.dumps({\"checked\": 1, \"findings\": []}))\n",
            actions: ["s3:DeleteBucket"])
        let model = ScriptedChatModel([deleting, deleting])
        let outcome = try await InspectProduct().start(
            InspectProduct.Request(
                question: "which S3 buckets are public?", maxIterations: 1, maxRetries: 1, model: model.name),
            threadID: nil, environment: harness.environment(model: model))
        let iteration = try #require(outcome.iterations.first)
        #expect(iteration.outcome == "failed validation" && iteration.attempts == 2)
        #expect(iteration.execution == nil, "nothing ran")
        #expect(iteration.validation.contains { $0.code == "write-action" })
        #expect(outcome.gaps.count == 1 && outcome.findings.isEmpty)
        #expect(model.requests.count == 2)
        let buckets = try await aws.call("s3", "ListBuckets")
        #expect("\(buckets)".contains(bucket), "the bucket is still in moto")
    }

    @Test("what an iteration finds decides the next: public buckets are then checked for encryption and logging")
    func followUps() async throws {
        guard try await Self.available() else { return }
        let harness = try await Harness()
        let aws = try harness.moto.client()
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let (open, closed) = ("insp-follow-open-\(tag)", "insp-follow-closed-\(tag)")
        for bucket in [open, closed] {
            _ = try await aws.call("s3", "CreateBucket", .object(["Bucket": .string(bucket)]))
        }
        _ = try await aws.call("s3", "PutBucketAcl", .object(["Bucket": .string(open), "ACL": "public-read"]))
        let outcome = try await InspectProduct().start(
            InspectProduct.Request(question: "which S3 buckets are public?", maxIterations: 3), threadID: nil,
            environment: harness.environment(model: nil))
        #expect(
            outcome.iterations.map(\.script) == ["s3-public-buckets", "s3-unencrypted-buckets", "s3-bucket-logging"],
            "\(outcome.iterations.map(\.script))")
        let found = Set(outcome.findings.filter { $0.iteration == 1 }.map(\.resource))
        #expect(found.contains("arn:aws:s3:::\(open)"))
        let later = outcome.findings.filter { $0.iteration > 1 }
        #expect(later.allSatisfy { found.contains($0.resource) }, "follow-ups report on what was found")
        #expect(later.contains { $0.resource == "arn:aws:s3:::\(open)" && $0.script == "s3-bucket-logging" })
        #expect(
            !outcome.findings.contains { $0.resource == "arn:aws:s3:::\(closed)" }, "the private bucket is no finding")
        #expect(outcome.iterations[2].task.contains(open), "the follow-up's task names what was found")

        // With one iteration there is no room for follow-ups.
        let single = try await InspectProduct().start(
            InspectProduct.Request(question: "which S3 buckets are public?", maxIterations: 1), threadID: nil,
            environment: harness.environment(model: nil))
        #expect(single.iterations.map(\.script) == ["s3-public-buckets"])
    }

    @Test("offline, a question no grounded script covers is answered with what Nimbus can look at")
    func unanswerable() async throws {
        let harness = try await Harness()
        let outcome = try await InspectProduct().start(
            InspectProduct.Request(question: "what is the weather in Lisbon?"), threadID: nil,
            environment: harness.environment(model: nil))
        #expect(outcome.state == .refused && outcome.unanswerable)
        #expect(outcome.answer.contains("S3 buckets open to the public"))
        await #expect(throws: InspectError.self) {
            _ = try await InspectProduct().start(
                InspectProduct.Request(question: "  "), threadID: nil, environment: harness.environment(model: nil))
        }
        await #expect(throws: InspectError.self) {
            _ = try await InspectProduct().start(
                InspectProduct.Request(question: "x", maxIterations: 0), threadID: nil,
                environment: harness.environment(model: nil))
        }
        await #expect(throws: SandboxError.self) {
            _ = try await InspectProduct().start(
                InspectProduct.Request(question: "which S3 buckets are public?", sandbox: "docker"), threadID: nil,
                environment: harness.environment(model: nil))
        }
    }

    @Test(
        "one question through the local llama.cpp model: the plumbing works end to end",
        .enabled(if: LocalModel.available))
    func localModel() async throws {
        guard try await Self.available() else { return }
        let harness = try await Harness()
        let registry = try ModelRegistry(
            configuration: NimbusConfiguration(home: harness.root),
            environment: LLMEnvironment(store: harness.store))
        let store = harness.store
        let name = try LocalModel.modelName()
        let environment = harness.environment { name, agent, threadID in
            try registry.model(name, agent: agent).accounted(
                LLMCallContext(agent: agent, threadID: threadID, store: store), prices: registry.settings.prices)
        }
        let outcome = try await InspectProduct().start(
            InspectProduct.Request(
                question: "which S3 buckets are public?", maxIterations: 1, maxRetries: 1, model: name),
            threadID: nil, environment: environment)
        // SmolLM2-135M writes no working script; the plumbing is what is tested: the model was asked, its calls
        // are accounted under the run, and what it wrote was validated (or the grounded script stood in) — never run
        // unchecked.
        #expect(outcome.state == .done, "\(outcome.answer)")
        #expect(outcome.model == name)
        let iteration = try #require(outcome.iterations.first)
        #expect(iteration.attempts >= 1)
        #expect(iteration.outcome == "ran" || iteration.outcome == "failed validation" || iteration.outcome == "failed")
        if iteration.origin == .model, iteration.outcome == "failed validation" { #expect(iteration.execution == nil) }
        let calls = try await store.executions(threadID: outcome.threadID, agent: nil, limit: 50)
        #expect(!calls.isEmpty, "the model's calls are accounted under the run")
    }
}
