import Foundation
import NimbusAWS
import NimbusCore
import NimbusTesting
import Testing

/// The safety issue's reproductions, as a user types them: wrong answers, waiting runs' exit codes, module output
/// directories, settings that are not settings, and `hcl validate FILE`.
// Serialized: each test drives subprocesses for seconds while holding a cooperative thread (2 on this machine).
@Suite("nimbus safety fixes", .serialized)
struct AnswerValidationTests {
    @Test("a wrong answer to a module question is refused and the question still waits for a good one")
    func wrongModuleAnswer() async throws {
        let cli = try CLI()
        let out = cli.home.appendingPathComponent("db")
        let paused = try await cli.run(["module", "a database module", "--out", out.path, "--thread", "T"])
        #expect(paused.status == 2, "\(paused.err)")
        for _ in 0..<2 {
            let wrong = try await cli.run(["runs", "resume", "T", "--answer", "engine=redis"])
            #expect(wrong.status == 1)
            #expect(wrong.err.contains("'redis' is not an answer to 'engine'"), "\(wrong.err)")
            #expect(wrong.err.contains("one of postgres, mysql"))
            #expect(wrong.err.contains("nimbus runs resume T --answer 'engine=postgres'"))
            #expect(!wrong.err.contains("three answers") && !wrong.err.contains("none are pending"))
            #expect(try await cli.json(["runs", "show", "T"])["status"] == "interrupted")
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
        let good = try await cli.run(["runs", "resume", "T", "--answer", "engine=postgres"])
        #expect(good.status == 0, "\(good.err)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("main.tf").path))
    }

    @Test("a wrong answer given up front is refused too, and the run waits")
    func wrongAnswerUpFront() async throws {
        let cli = try CLI()
        let out = cli.home.appendingPathComponent("db")
        let result = try await cli.run([
            "module", "a database module", "--out", out.path, "--thread", "U", "--answer", "engine=redis",
        ])
        #expect(result.status == 1)
        #expect(result.err.contains("'redis' is not an answer to 'engine'"), "\(result.err)")
        #expect(try await cli.json(["runs", "show", "U"])["status"] == "interrupted")
        #expect(try await cli.run(["runs", "resume", "U", "--answer", "engine=mysql"]).status == 0)
    }

    @Test("the demo exits 2 while it waits, refuses 'maybe', and asks again at a terminal")
    func demo() async throws {
        let cli = try CLI()
        let out = cli.home.appendingPathComponent("out")
        let paused = try await cli.run(["demo", "--out", out.path, "--thread", "d"])
        #expect(paused.status == 2)
        let json = try await cli.run(["demo", "--out", out.path, "--thread", "j", "--output", "json"])
        #expect(json.status == 2)
        #expect(try JSONValue(parsing: json.out)["status"] == "interrupted")

        let maybe = try await cli.run(["runs", "resume", "d", "--answer", "4.approve#0=maybe"])
        #expect(maybe.status == 1)
        #expect(maybe.err.contains("'maybe' is not an answer") && maybe.err.contains("yes or no"), "\(maybe.err)")
        #expect(try await cli.json(["runs", "show", "d"])["status"] == "interrupted")

        // At a terminal (script(1) gives the command one), an unclear reply is asked again.
        let script = URL(fileURLWithPath: "/usr/bin/script")
        try #require(
            FileManager.default.isExecutableFile(atPath: script.path), "script(1) from util-linux drives a terminal")
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("NIMBUS_") }
        environment["NIMBUS_HOME"] = cli.home.path
        let terminal = try await ChildProcess.run(
            script, ["-qec", "'\(CLI.binary.path)' runs resume d", "/dev/null"], environment: environment,
            input: Data("maybe\ny\n".utf8))
        #expect(terminal.status == 0, "\(terminal.outputText)")
        #expect(terminal.outputText.contains("'maybe' is not an answer"), "\(terminal.outputText)")
        #expect(terminal.outputText.components(separatedBy: "Write the report to").count >= 3, "asked twice")
        #expect(try await cli.json(["runs", "show", "d"])["status"] == "completed")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("report.md").path))
    }

    @Test("an unclear approval of an AWS change is refused and the deletion still waits")
    func unclearApproval() async throws {
        let cli = try CLI()
        let (environment, aws, bucket) = try await OpsCommandTests.motoBucket("cli-maybe")
        _ = try await aws.call("s3", "PutObject", ["Bucket": .string(bucket), "Key": "a.txt", "Body": "a"])
        let delete = try await cli.run(["ask", "delete s3://\(bucket)/a.txt"], environment: environment)
        #expect(delete.status == 2, "\(delete.err)")
        let history = try await cli.run(["history", "--output", "json"], environment: environment)
        let thread = try #require(try JSONValue(parsing: history.out).arrayValue?.first?["id"]?.stringValue)

        let maybe = try await cli.run(
            ["runs", "resume", thread, "--answer", "approve=maybe"], environment: environment)
        #expect(maybe.status == 1)
        #expect(maybe.err.contains("'maybe' is not an answer to 'approve'"), "\(maybe.err)")
        #expect(try await aws.call("s3", "ListObjectsV2", ["Bucket": .string(bucket)])["KeyCount"]?.intValue == 1)
        let again = try await cli.run(["history", "--output", "json"], environment: environment)
        #expect(try JSONValue(parsing: again.out).arrayValue?.first?["status"] == "awaiting_approval")

        let yes = try await cli.run(["runs", "resume", thread, "--answer", "approve=yes"], environment: environment)
        #expect(yes.status == 0, "\(yes.err)")
        #expect(try await aws.call("s3", "ListObjectsV2", ["Bucket": .string(bucket)])["KeyCount"]?.intValue == 0)
    }

    @Test("module --out keeps a 0700 directory's mode and writes through a symbolic link, saying so")
    func outputDirectory() async throws {
        let cli = try CLI()
        let real = cli.home.appendingPathComponent("real")
        try FileManager.default.createDirectory(at: real, withIntermediateDirectories: true)
        try "# mine\n".write(to: real.appendingPathComponent("main.tf"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: real.path)
        let link = cli.home.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: real.path)

        let result = try await cli.run(["module", "s3 bucket", "--out", link.path, "--yes"])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("through the symbolic link \(link.path)"), "\(result.out)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == real.path)
        let mode = try FileManager.default.attributesOfItem(atPath: real.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o700)
        let backups = try FileManager.default.contentsOfDirectory(
            atPath: real.appendingPathComponent(".nimbus-backup").path)
        #expect(backups.count == 1)
    }

    @Test("words the catalog does not understand are asked about: no writes nothing, yes writes the module")
    func unknownWords() async throws {
        let cli = try CLI()
        let out = cli.home.appendingPathComponent("m")
        let request = "s3 bucket with quantum sharding"
        let paused = try await cli.run(["module", request, "--out", out.path, "--thread", "q"])
        #expect(paused.status == 2, "\(paused.err)")
        #expect(paused.err.contains("\"quantum sharding\""), "\(paused.err)")
        #expect(paused.err.contains("--answer 'unknown_words=true'"))
        let no = try await cli.run(["runs", "resume", "q", "--answer", "unknown_words=no"])
        #expect(no.status == 1)
        #expect(no.err.contains("nothing was written") && no.err.contains("nimbus module catalog s3"), "\(no.err)")
        #expect(!FileManager.default.fileExists(atPath: out.path))

        let yes = try await cli.run(["module", request, "--out", out.path, "--answer", "unknown_words=yes"])
        #expect(yes.status == 0, "\(yes.err)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("main.tf").path))
        // A request nimbus fully understands asks nothing more.
        let plain = try await cli.run(["module", "s3 bucket", "--out", cli.home.appendingPathComponent("p").path])
        #expect(plain.status == 0, "\(plain.err)")
    }

    @Test("settings that are not settings, or of the wrong type, are refused with where they were set")
    func badSettings() async throws {
        let cli = try CLI()
        let file = cli.home.appendingPathComponent("config.yaml")
        try "log:\n  levl: debug\ngraph:\n  step_limit: \"abc\"\n".write(to: file, atomically: true, encoding: .utf8)
        let fromFile = try await cli.run(["runs", "list"])
        #expect(fromFile.status != 0)
        #expect(
            fromFile.err.contains("\(file.path):2: log has no setting 'levl'; did you mean log.level?"),
            "\(fromFile.err)")
        #expect(fromFile.err.contains("\(file.path):4: graph.step_limit takes an integer, not the string 'abc'"))

        // config show still shows everything, and the problems, with exit status 1.
        let show = try await cli.run(["config", "show"])
        #expect(show.status == 1)
        #expect(show.out.contains("log.levl") && show.err.contains("did you mean log.level?"))
        try FileManager.default.removeItem(at: file)

        let flag = try await cli.run(["runs", "list", "-c", "llm.modle=ollama:x"])
        #expect(flag.status != 0)
        #expect(
            flag.err.contains("flag -c llm.modle: llm has no setting 'modle'; did you mean llm.model?"), "\(flag.err)")
        let variable = try await cli.run(["runs", "list"], environment: ["NIMBUS_GRAPH__STEP_LIMIT": "abc"])
        #expect(variable.status != 0)
        #expect(variable.err.contains("environment NIMBUS_GRAPH__STEP_LIMIT: graph.step_limit takes an integer"))

        // Variables for tools and tests are not settings, and not errors.
        let tools = try await cli.run(
            ["config", "show"], environment: ["NIMBUS_TEST_MOTO_URL": "http://x", "NIMBUS_CONFORMANCE_DIR": "/x"])
        #expect(tools.status == 0, "\(tools.err)")
        #expect(try await cli.run(["runs", "list", "-c", "graph.step_limit=40"]).status == 0)
    }

    @Test("hcl validate takes one .tf file and reports its problems, its module's names resolved")
    func validateFile() async throws {
        let cli = try CLI()
        let module = cli.home.appendingPathComponent("module")
        try FileManager.default.createDirectory(at: module, withIntermediateDirectories: true)
        try "resource \"aws_s3_bucket\" \"b\" {\n  bucket = var.name\n}\n".write(
            to: module.appendingPathComponent("main.tf"), atomically: true, encoding: .utf8)
        try "variable \"name\" {\n  description = \"Bucket name\"\n  type        = string\n}\n".write(
            to: module.appendingPathComponent("variables.tf"), atomically: true, encoding: .utf8)
        try "output \"arn\" {\n  value = aws_s3_bucket.c.arn\n}\n".write(
            to: module.appendingPathComponent("outputs.tf"), atomically: true, encoding: .utf8)

        let good = try await cli.run(["hcl", "validate", module.appendingPathComponent("main.tf").path])
        #expect(good.status == 0, "\(good.out)\(good.err)")
        #expect(good.out.contains("main.tf: valid"), "\(good.out)")
        #expect(!good.err.contains("no such directory"))

        let bad = try await cli.run(["hcl", "validate", "outputs.tf", "--output", "json"], directory: module)
        #expect(bad.status == 1)
        let report = try JSONValue(parsing: bad.out)
        #expect(report["valid"] == false && report["file"] == "outputs.tf")
        let files = report["diagnostics"]?.arrayValue?.compactMap {
            $0["filename"]?.stringValue ?? $0["file"]?.stringValue
        }
        #expect(files?.isEmpty == false && files?.allSatisfy { $0.hasSuffix("outputs.tf") } == true, "\(bad.out)")

        let missing = try await cli.run(["hcl", "validate", module.appendingPathComponent("nope.tf").path])
        #expect(missing.status == 1 && missing.err.contains("no such file or directory"))
        try "a = 1\n".write(to: module.appendingPathComponent("x.tfvars"), atomically: true, encoding: .utf8)
        let tfvars = try await cli.run(["hcl", "validate", module.appendingPathComponent("x.tfvars").path])
        #expect(tfvars.status == 1 && tfvars.err.contains("not a Terraform file"))
    }
}
