import Foundation
import NimbusCore
import Testing

/// Runs the built `nimbus` binary the way a user does, with a private NIMBUS_HOME.
struct CLI: ~Copyable {
    let home: URL

    init() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-cli-\(SortableID().rawValue)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: home) }

    static var binary: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        while !directory.path.hasSuffix("/debug") && !directory.path.hasSuffix("/release") && directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("nimbus")
    }

    struct Result {
        let status: Int32
        let out: String
        let err: String
    }

    /// Runs `nimbus` to its end; no thread waits while it runs (see `ChildProcess`).
    func run(
        _ arguments: [String], environment extra: [String: String] = [:], directory: URL? = nil, input: String? = nil
    ) async throws -> Result {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("NIMBUS_") }
        environment["NIMBUS_HOME"] = home.path
        for (key, value) in extra { environment[key] = value }
        let result = try await ChildProcess.run(
            CLI.binary, arguments, environment: environment, directory: directory, input: input.map { Data($0.utf8) })
        return Result(status: result.status, out: result.outputText, err: result.errorText)
    }

    func json(_ arguments: [String]) async throws -> JSONValue {
        let result = try await run(arguments + ["--output", "json"])
        #expect(result.status == 0, "nimbus \(arguments.joined(separator: " ")) failed: \(result.err)")
        return try JSONValue(parsing: result.out)
    }
}

@Suite("nimbus command line")
struct CLITests {
    @Test("--version and --help")
    func versionAndHelp() async throws {
        let cli = try CLI()
        let version = try await cli.run(["--version"])
        #expect(version.status == 0)
        #expect(version.out.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let help = try await cli.run(["--help"])
        #expect(help.out.contains("demo") && help.out.contains("runs") && help.out.contains("config"))
        let runsHelp = try await cli.run(["runs", "--help"])
        for command in ["list", "show", "history", "resume", "delete", "prune"] {
            #expect(runsHelp.out.contains(command))
        }
    }

    @Test("demo --yes runs the sample workflow to the end and writes its report")
    func demoToTheEnd() async throws {
        let cli = try CLI()
        let out = cli.home.appendingPathComponent("out")
        let result = try await cli.json(["demo", "--yes", "--out", out.path])
        #expect(result["status"] == "completed")
        #expect(result["steps"] == 5)
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("8 findings in 3 regions (5 high)"))
        #expect(report.contains("port 22 is open to 0.0.0.0/0"))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("findings-eu-west-1.json").path))
        #expect(FileManager.default.fileExists(atPath: cli.home.appendingPathComponent("nimbus.sqlite").path))
    }

    @Test("a demo paused at its question is listed, shown, answered with runs resume, and has a history")
    func pauseAndResume() async throws {
        let cli = try CLI()
        let out = cli.home.appendingPathComponent("out")
        let paused = try await cli.run(["demo", "--out", out.path, "--thread", "review-1"])
        #expect(paused.status == 2, "a run that waits for an answer exits 2")
        #expect(paused.err.contains("nimbus runs resume review-1 --answer '4.approve#0=true'"))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("report.md").path))

        let list = try await cli.json(["runs", "list"])
        #expect(list[0]?["thread_id"] == "review-1")
        #expect(list[0]?["status"] == "interrupted")
        let text = try await cli.run(["runs", "list"])
        #expect(text.out.contains("review-1") && text.out.contains("1 interrupt"))

        let show = try await cli.run(["runs", "show", "review-1"])
        #expect(show.out.contains("4.approve#0"))
        #expect(show.out.contains("next       approve"))

        let wrongAnswer = try await cli.run(["runs", "resume", "review-1", "--answer", "4.aprove#0=true"])
        #expect(wrongAnswer.status != 0)
        #expect(wrongAnswer.err.contains("4.approve#0"))

        let noAnswer = try await cli.run(["runs", "resume", "review-1"])
        #expect(noAnswer.status == 2)
        #expect(noAnswer.err.contains("--answer"))

        let resumed = try await cli.json(["runs", "resume", "review-1", "--answer", "4.approve#0=true"])
        #expect(resumed["status"] == "completed")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("report.md").path))

        let requests = try await cli.json(["history"])
        let review = requests.arrayValue?.first { $0["id"] == "review-1" }
        #expect(review?["product"] == "sample")
        #expect(review?["status"] == "completed", "history follows the resumed run")

        let history = try await cli.json(["runs", "history", "review-1"])
        #expect(history.arrayValue?.compactMap { $0["step"]?.intValue } == [5, 4, 3, 2, 1, 0])
        let withEvents = try await cli.json(["runs", "show", "review-1", "--events", "--state"])
        #expect(withEvents["state"]?["approved"] == true)
        #expect(withEvents["events"]?.arrayValue?.contains { $0["event"] == "node_finished" } == true)

        let again = try await cli.run(["runs", "resume", "review-1"])
        #expect(again.status != 0)
        #expect(again.err.contains("completed"))
    }

    @Test("a declined report completes without writing it")
    func declined() async throws {
        let cli = try CLI()
        let out = cli.home.appendingPathComponent("out")
        _ = try await cli.run(["demo", "--out", out.path, "--thread", "no"])
        let result = try await cli.json(["runs", "resume", "no", "--answer", "4.approve#0=false"])
        #expect(result["status"] == "completed")
        #expect(result["approved"] == false)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("report.md").path))
    }

    @Test("unknown threads, bad flags and bad settings give clear errors")
    func errors() async throws {
        let cli = try CLI()
        _ = try await cli.run([
            "demo", "--yes", "--out", cli.home.appendingPathComponent("o").path, "--thread", "finished-run",
        ])
        let unknown = try await cli.run(["runs", "show", "finishd-run"])
        #expect(unknown.status != 0)
        #expect(unknown.err.contains("did you mean 'finished-run'?"))
        let badStatus = try await cli.run(["runs", "list", "--status", "sleeping"])
        #expect(badStatus.status != 0)
        #expect(badStatus.err.contains("'sleeping' is not a run status"))
        let badFlag = try await cli.run(["runs", "list", "-c", "nonsense"])
        #expect(badFlag.status != 0)
        #expect(badFlag.err.contains("'nonsense' is not a setting"))
        let badLevel = try await cli.run(["runs", "list", "--log-level", "loud"])
        #expect(badLevel.status != 0)
        #expect(badLevel.err.contains("'loud' is not a log level"))
        try "log: [".write(to: cli.home.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let badFile = try await cli.run(["runs", "list"])
        #expect(badFile.status != 0)
        #expect(badFile.err.contains("config.yaml is not valid configuration"))
    }

    @Test("config show reports each value's source")
    func configShow() async throws {
        let cli = try CLI()
        try "log:\n  format: json\n".write(
            to: cli.home.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let result = try await cli.run(
            ["config", "show", "-c", "llm.model=ollama:llama3.1"], environment: ["NIMBUS_LOG_LEVEL": "debug"])
        #expect(result.status == 0)
        #expect(result.out.contains("log.level") && result.out.contains("environment NIMBUS_LOG_LEVEL"))
        #expect(result.out.contains("log.format") && result.out.contains("file "))
        #expect(result.out.contains("llm.model") && result.out.contains("flag llm.model"))
    }

    @Test("runs delete and prune")
    func deleteAndPrune() async throws {
        let cli = try CLI()
        for thread in ["a", "b"] {
            _ = try await cli.run([
                "demo", "--yes", "--out", cli.home.appendingPathComponent(thread).path, "--thread", thread,
            ])
        }
        let pruned = try await cli.run(["runs", "prune", "--keep", "2"])
        #expect(pruned.out.contains("Removed 8 checkpoints."))
        #expect(try await cli.json(["runs", "history", "a"]).arrayValue?.count == 2)
        let deleted = try await cli.run(["runs", "delete", "a"])
        #expect(deleted.status == 0)
        #expect(try await cli.json(["runs", "list"]).arrayValue?.count == 1)
    }

    @Test("demo --diagram prints the workflow as Mermaid")
    func diagram() async throws {
        let cli = try CLI()
        let result = try await cli.run(["demo", "--diagram"])
        #expect(result.out.contains("flowchart TD"))
        #expect(result.out.contains("n_plan -.-> n_survey"))
    }
}
