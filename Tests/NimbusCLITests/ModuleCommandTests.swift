import Foundation
import NimbusCore
import NimbusStore
import NimbusTesting
import Testing

@Suite("nimbus module")
struct ModuleCommandTests {
    static let readmeRequest = "enterprise S3 bucket with versioning, KMS encryption and access logging"

    @Test("the README's command writes a validated module and shows progress and a summary")
    func readmeCommand() async throws {
        let cli = try CLI()
        let out = cli.home.appendingPathComponent("s3-module")
        let result = try await cli.run(["module", Self.readmeRequest, "--out", out.path])
        #expect(result.status == 0, "\(result.err)")
        for agent in [
            "planner › analyze", "planner › review", "generate › resources", "generate › variables", "validate",
            "write",
        ] {
            #expect(result.err.contains(agent), "no progress from \(agent)")
        }
        #expect(result.err.contains("s]"), "progress lines carry the elapsed time")
        #expect(result.out.contains("created  main.tf"))
        #expect(result.out.contains("Wrote 10 files to \(out.path)"))
        #expect(result.out.contains("Validation: passed"))
        for file in [
            "main.tf", "variables.tf", "outputs.tf", "versions.tf", "backend.tf", "README.md", "VALIDATION.md",
        ] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "missing \(file)")
        }
        let check = try await cli.run(["module", "check", out.path])
        #expect(check.status == 0, "\(check.out)\(check.err)")

        // A misspelt argument: both checks name the provider's own argument.
        let main = out.appendingPathComponent("main.tf")
        let text = try String(contentsOf: main, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.contains("  bucket ") && $0.contains("=") })
        try text.replacingOccurrences(
            of: String(line), with: String(line).replacingOccurrences(of: "bucket ", with: "buckte ")
        )
        .write(to: main, atomically: true, encoding: .utf8)
        let broken = try await cli.run(["module", "check", out.path])
        #expect(broken.status == 1)
        #expect(broken.out.contains("did you mean \"bucket\""), "\(broken.out)")
        let validate = try await cli.run(["hcl", "validate", out.path])
        #expect(validate.status == 1)
        #expect(validate.out.contains("an argument named \"buckte\" is not expected here; did you mean \"bucket\"?"))
    }

    @Test("--output json describes the run; --sarif writes the report")
    func jsonAndSARIF() async throws {
        let cli = try CLI()
        let out = cli.home.appendingPathComponent("m")
        let sarif = cli.home.appendingPathComponent("report.sarif")
        let result = try await cli.json([
            "module", "s3 bucket with replication", "--out", out.path, "--backend", "local", "--sarif", sarif.path,
        ])
        #expect(result["status"] == "completed")
        #expect(result["requirements"]?["family"] == "s3")
        #expect(result["requirements"]?["features"]?.arrayValue?.contains("replication") == true)
        #expect(result["report"]?["findings"] != nil)
        #expect(result["written"]?["directory"]?.stringValue == out.path)
        #expect(result["llm_calls"] == 0)
        let history = try await cli.json(["history"])
        #expect(history.arrayValue?.first?["product"] == "modules")
        #expect(history.arrayValue?.first?["request"] == "s3 bucket with replication")
        let document = try JSONValue(parsing: String(contentsOf: sarif, encoding: .utf8))
        #expect(document["version"] == "2.1.0")
        #expect(try String(contentsOf: out.appendingPathComponent("backend.tf"), encoding: .utf8).contains("\"local\""))
    }

    @Test("an existing directory waits for approval, resumes with runs resume, and is backed up")
    func approvalAndResume() async throws {
        let cli = try CLI()
        let out = cli.home.appendingPathComponent("m")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try "# mine\n".write(to: out.appendingPathComponent("main.tf"), atomically: true, encoding: .utf8)

        let paused = try await cli.run(["module", "s3 bucket", "--out", out.path, "--thread", "mod-1"])
        #expect(paused.status == 2, "\(paused.err)")
        #expect(paused.err.contains("nimbus runs resume mod-1 --answer 'overwrite=true'"))
        #expect(try String(contentsOf: out.appendingPathComponent("main.tf"), encoding: .utf8) == "# mine\n")

        let list = try await cli.json(["runs", "list"])
        #expect(list[0]?["graph"] == "terraform-module" || list[0]?["thread_id"] == "mod-1")

        let resumed = try await cli.run(["runs", "resume", "mod-1", "--answer", "overwrite=true"])
        #expect(resumed.status == 0, "\(resumed.err)")
        #expect(resumed.out.contains("Previous files are in"))
        let backups = try FileManager.default.contentsOfDirectory(
            atPath: out.appendingPathComponent(".nimbus-backup").path)
        #expect(backups.count == 1)
        let saved = out.appendingPathComponent(".nimbus-backup/\(backups[0])/main.tf")
        #expect(try String(contentsOf: saved, encoding: .utf8) == "# mine\n")

        // --yes approves the overwrite up front.
        let again = try await cli.run(["module", "s3 bucket", "--out", out.path, "--yes"])
        #expect(again.status == 0, "\(again.err)")
    }

    @Test("a question is answered with runs resume --answer; --answer up front skips it")
    func clarification() async throws {
        let cli = try CLI()
        let out = cli.home.appendingPathComponent("db")
        let paused = try await cli.run(["module", "a database module", "--out", out.path, "--thread", "db-1"])
        #expect(paused.status == 2, "\(paused.err)")
        #expect(paused.err.contains("postgres"), "the question shows its choices: \(paused.err)")
        #expect(paused.err.contains("nimbus runs resume db-1 --answer 'engine=postgres'"))
        #expect(!FileManager.default.fileExists(atPath: out.path))

        let show = try await cli.json(["runs", "show", "db-1"])
        #expect(show["status"] == "interrupted")

        let resumed = try await cli.run(["runs", "resume", "db-1", "--answer", "engine=mysql"])
        #expect(resumed.status == 0, "\(resumed.err)")
        let main = try String(contentsOf: out.appendingPathComponent("main.tf"), encoding: .utf8)
        #expect(main.contains("require_secure_transport"))

        let direct = try await cli.run([
            "module", "a database module", "--out", cli.home.appendingPathComponent("db2").path, "--answer",
            "engine=postgres",
        ])
        #expect(direct.status == 0, "\(direct.err)")
    }

    /// The plumbing with a real (tiny) model: SmolLM2-135M rarely writes valid HCL, so the run may fail, but it
    /// must fail cleanly: calls are recorded and within the budget, and nothing invalid reaches the disk.
    @Test(
        "a free-form request through the local llama.cpp model: calls are counted, nothing invalid is written",
        .enabled(if: LocalModel.available))
    func localModel() async throws {
        let cli = try CLI()
        let out = cli.home.appendingPathComponent("exports")
        let result = try await cli.run([
            "module", "somewhere durable to keep our nightly exports", "--out", out.path, "--llm",
            try LocalModel.modelName(), "--yes", "--output", "json",
        ])
        #expect(result.status == 0 || result.status == 1, "\(result.err)")
        let json = try JSONValue(parsing: result.out)
        let threadID = try #require(json["thread_id"]?.stringValue)
        if result.status == 0 {
            #expect(json["status"] == "completed")
            let calls = try #require(json["llm_calls"]?.intValue)
            #expect((1...10).contains(calls))
            let check = try await cli.run(["module", "check", out.path])
            #expect(check.status == 0, "\(check.out)")
        } else {
            #expect(json["status"] == "failed")
            #expect(json["error"]?.stringValue?.isEmpty == false)
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("main.tf").path))
        }
        // Every model call is in the store's accounting, under the run's thread.
        let show = try await cli.json(["runs", "show", threadID])
        #expect(show["thread_id"]?.stringValue == threadID)
        let store = try SQLiteStore(path: cli.home.appendingPathComponent("nimbus.sqlite").path)
        let calls = try await store.executions(threadID: threadID, agent: nil, limit: 100)
        #expect((1...10).contains(calls.count), "model calls recorded: \(calls.count)")
        #expect(calls.allSatisfy { $0.model != nil }, "each call names its model")
    }

    /// The same plumbing for a request of several services the grammar cannot read alone: the model may name
    /// parts; whatever it says, the module is composed from the catalog and checked, or the run fails cleanly.
    @Test(
        "a free-form request for several services through the local llama.cpp model: composed and valid, or nothing",
        .enabled(if: LocalModel.available))
    func localModelComposition() async throws {
        let cli = try CLI()
        let out = cli.home.appendingPathComponent("uploads")
        let result = try await cli.run([
            "module", "an S3 bucket for uploads and a queue that hears about each upload, quarantined", "--out",
            out.path, "--llm", try LocalModel.modelName(), "--yes", "--output", "json",
        ])
        #expect(result.status == 0 || result.status == 1, "\(result.err)")
        let json = try JSONValue(parsing: result.out)
        if result.status == 0 {
            #expect(json["status"] == "completed")
            #expect((1...10).contains(try #require(json["llm_calls"]?.intValue)))
            let check = try await cli.run(["module", "check", out.path])
            #expect(check.status == 0, "\(check.out)")
        } else {
            #expect(json["status"] == "failed")
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("main.tf").path))
        }
    }

    @Test("bad input gets a clear error")
    func badInput() async throws {
        let cli = try CLI()
        let out = cli.home.appendingPathComponent("m").path
        let unknown = try await cli.run(["module", "a mainframe for the payroll batch", "--out", out])
        #expect(unknown.status == 1)
        #expect(unknown.err.contains("cannot tell which kind of infrastructure 'a mainframe for the payroll batch'"))
        #expect(unknown.err.contains("s3 (S3 bucket)"))
        #expect(!unknown.err.contains("node '"), "the error is the cause, not the graph's wrapping")

        let backend = try await cli.run(["module", "s3 bucket", "--out", out, "--backend", "gcs"])
        #expect(backend.status != 0)
        #expect(backend.err.contains("--backend is s3 or local, not 'gcs'"))

        let empty = try await cli.run(["module", "  ", "--out", out])
        #expect(empty.status != 0)
        #expect(empty.err.contains("the request is empty"))

        let missingOut = try await cli.run(["module", "s3 bucket"])
        #expect(missingOut.status != 0)
        #expect(missingOut.err.contains("--out"))

        let noModule = try await cli.run(["module", "check", cli.home.path])
        #expect(noModule.status != 0)
        #expect(noModule.err.contains("no .tf files") || noModule.err.contains("not a module"))
    }

    @Test("module catalog lists the families and shows one")
    func catalog() async throws {
        let cli = try CLI()
        let text = try await cli.run(["module", "catalog"])
        #expect(text.status == 0)
        #expect(text.out.contains("s3") && text.out.contains("S3 bucket"))
        let json = try await cli.json(["module", "catalog"])
        #expect(json.arrayValue?.contains { $0["id"] == "s3" } == true)
        let s3 = try await cli.run(["module", "catalog", "s3"])
        #expect(s3.out.contains("replication") && s3.out.contains("object-lock"))
        let unknown = try await cli.run(["module", "catalog", "mainframe"])
        #expect(unknown.status != 0)
        #expect(unknown.err.contains("s3"))
    }

    @Test("module check finds security problems in any module, with exit status, JSON and SARIF")
    func checkInsecureModule() async throws {
        let cli = try CLI()
        let module = cli.home.appendingPathComponent("legacy")
        try FileManager.default.createDirectory(at: module, withIntermediateDirectories: true)
        try """
        resource "aws_security_group" "admin" {
          name = "admin"

          ingress {
            from_port   = 22
            to_port     = 22
            protocol    = "tcp"
            cidr_blocks = ["0.0.0.0/0"]
          }
        }

        resource "aws_s3_bucket" "data" {
          bucket = "legacy-data"
        }

        """.write(to: module.appendingPathComponent("main.tf"), atomically: true, encoding: .utf8)
        let text = try await cli.run(["module", "check", module.path])
        #expect(text.status == 1)
        #expect(text.out.contains("NIM-SG-001"))
        #expect(text.out.contains("NIM-S3-001"))
        #expect(text.out.contains("Validation failed"))

        let sarif = cli.home.appendingPathComponent("legacy.sarif")
        let json = try await cli.run(["module", "check", module.path, "--output", "json", "--sarif", sarif.path])
        #expect(json.status == 1)
        let report = try JSONValue(parsing: json.out)
        #expect(report["findings"]?.arrayValue?.contains { $0["rule"] == "NIM-SG-001" } == true)
        let document = try JSONValue(parsing: String(contentsOf: sarif, encoding: .utf8))
        let results = document["runs"]?[0]?["results"]?.arrayValue ?? []
        #expect(results.contains { $0["ruleId"] == "NIM-SG-001" && $0["level"] == "error" })
    }
}
