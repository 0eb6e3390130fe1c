import ArgumentParser
import Foundation
import NimbusAWS
import NimbusCore
import NimbusHost
import NimbusInspect
import NimbusSandbox
import NimbusStore

#if canImport(Glibc)
import Glibc
#endif

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run Python where it cannot do harm: bubblewrap namespaces, limits, and a signing proxy for AWS.",
        discussion: """
            Scripts run with boto3 in a Python environment Nimbus makes once under the Nimbus home (`nimbus sandbox
            prepare`). Inside there is no network but the signing proxy, no home, no /etc, a read-only system and a
            private /tmp. The script's boto3 signs with dummy keys; the proxy checks each call against the policy
            you give (reads only), re-signs it with your real credentials and writes it to the audit log.
            docs/sandbox.md says what is isolated and how.
            """,
        subcommands: [Prepare.self, Run.self])

    struct Prepare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make the sandbox's Python environment (boto3 from PyPI), once, and check bubblewrap.")

        @OptionGroup var global: GlobalOptions

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            let configuration = try global.configuration()
            let python = SandboxPython.location(home: configuration.home)
            let json = output == .json
            try await python.prepare { line in if !json { Console.progress(line) } }
            let bwrap = BubblewrapSandbox.findBubblewrap()
            switch output {
            case .json:
                Console.json([
                    "python": .string(python.directory.path),
                    "packages": .array(SandboxPython.packages.map(JSONValue.string)),
                    "bubblewrap": bwrap.map(JSONValue.string) ?? .null,
                ])
            case .text:
                Console.out("The sandbox's Python is ready in \(python.directory.path).")
                Console.out(
                    bwrap.map { "bubblewrap: \($0)" }
                        ?? "bubblewrap is not installed: apt-get install bubblewrap (scripts cannot run until it is)")
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a Python script in the sandbox; with --policy, its boto3 calls go through the proxy.",
            discussion: """
                The script's standard output and error are passed on; a summary (how it ended, time, CPU, memory, AWS
                calls) follows on standard error, or everything as one JSON object with --output json. The command
                exits with the script's status.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The Python script.")
        var script: String

        @Argument(parsing: .postTerminator, help: "Arguments for the script, after `--`.")
        var arguments: [String] = []

        @Option(help: "An IAM policy (JSON) with the actions the script may call; without one it reaches no AWS API.")
        var policy: String?

        @Option(help: "bubblewrap (the default), or process: a plain process that can read your files and the network.")
        var sandbox: String = "bubblewrap"

        @Option(help: "Wall-clock seconds before the script is stopped.")
        var timeout: Double = 60

        @Option(name: .customLong("cpu"), help: "CPU seconds.")
        var cpuSeconds: Int = 30

        @Option(name: .customLong("memory-mib"), help: "Address space, in MiB.")
        var memoryMiB: Int = 1024

        @Option(name: .customLong("output-mib"), help: "Standard output and error, each, in MiB.")
        var outputMiB: Int = 4

        @Option(help: "The AWS profile the proxy signs with.")
        var profile: String?

        @Option(help: "The AWS region.")
        var region: String?

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            let host = try global.host()
            let path = (script as NSString).expandingTildeInPath
            guard let source = FileManager.default.contents(atPath: path) else {
                throw CommandProblem.notFound("there is no script at \(path)")
            }
            let python = SandboxPython.location(home: host.configuration.home)
            if !python.isReady {
                try await python.prepare { line in if output == .text { Console.progress(line) } }
            }
            let kind = try SandboxKind(named: sandbox)
            let runner = try kind.sandbox(python: python)
            if kind == .process { Console.progress("warning: \(runner.isolation)") }
            let limits = SandboxLimits(
                wallSeconds: timeout, cpuSeconds: cpuSeconds, memoryBytes: memoryMiB << 20, outputBytes: outputMiB << 20
            )
            let runID = SortableID().rawValue
            var parsed: SandboxPolicy?
            if let policyPath = policy {
                let expanded = (policyPath as NSString).expandingTildeInPath
                guard let data = FileManager.default.contents(atPath: expanded) else {
                    throw CommandProblem.notFound("there is no policy at \(expanded)")
                }
                parsed = try SandboxPolicy(json: data)
                if output == .text, let parsed {
                    Console.progress(
                        "the script may call: \(parsed.allowedActions.joined(separator: ", ")) (reads only)")
                }
            }
            let client = try parsed.map { _ in
                try host.awsClient(
                    profile: profile, region: region,
                    gate: try host.gate(tool: "sandbox", requestID: runID, readOnly: true))
            }
            let (result, calls) = try await AuditedSandbox.run(
                SandboxJob(script: String(decoding: source, as: UTF8.self), arguments: arguments, limits: limits),
                in: runner, policy: parsed, client: client, audit: host.store, requestID: runID, tool: "sandbox")
            switch output {
            case .json:
                Console.json([
                    "run_id": .string(runID), "sandbox": .string(result.sandbox), "summary": .string(result.summary),
                    "exit_status": result.exitStatus.map { .int(Int($0)) } ?? .null,
                    "signal": result.signal.map { .int(Int($0)) } ?? .null,
                    "limit": result.limit.map { .string($0.rawValue) } ?? .null,
                    "stdout": .string(result.stdoutText), "stderr": .string(result.stderrText),
                    "wall_seconds": .double(result.wallSeconds), "cpu_seconds": .double(result.cpuSeconds),
                    "peak_memory_bytes": .int(result.peakMemoryBytes),
                    "aws_calls": .array(
                        calls.map { call in
                            [
                                "action": .string("\(call.service):\(call.operation)"), "allowed": .bool(call.allowed),
                                "status": .int(call.status),
                                "request_id": call.requestID.map(JSONValue.string) ?? .null,
                                "refusal": call.refusal.map(JSONValue.string) ?? .null,
                            ]
                        }),
                ])
            case .text:
                Console.outVerbatim(result.stdoutText)
                if !result.stderr.isEmpty { _ = Console.write(result.stderrText, to: 2) }
                let refused = calls.filter { !$0.allowed }.count
                Console.progress(
                    "\(result.summary) in \(String(format: "%.2f", result.wallSeconds)) s, CPU "
                        + "\(String(format: "%.2f", result.cpuSeconds)) s, peak \(result.peakMemoryBytes >> 20) MiB, "
                        + "\(calls.count) AWS call\(calls.count == 1 ? "" : "s")\(refused > 0 ? " (\(refused) refused)" : "")"
                )
            }
            let status = result.exitStatus ?? 1
            if status != 0 { throw ExitCode(status == 0 ? 1 : status) }
        }
    }
}

extension SandboxCommand.Prepare: OutputSelecting {}
extension SandboxCommand.Run: OutputSelecting {}
