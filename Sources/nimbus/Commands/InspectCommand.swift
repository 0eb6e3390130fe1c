import ArgumentParser
import Foundation
import NimbusCore
import NimbusHost
import NimbusInspect
import NimbusProducts
import NimbusSandbox

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Answer a question about an AWS account with small boto3 scripts run in the sandbox, with evidence.",
        discussion: """
            Each iteration writes (with a model) or chooses (offline, from the grounded scripts) one boto3 script \
            and its minimal IAM policy, validates it (Python ast, ruff, bandit, parliament, every call a real read \
            in the policy), runs it in the sandbox behind the signing proxy, and analyses what it printed. Every \
            finding names the AWS calls behind it, by request id; every call is in the audit log (`nimbus audit`).

            Examples:
              nimbus inspect "which S3 buckets are public?"
              nimbus inspect "find security groups open to the world" --report findings.html
              nimbus inspect --script mine.py --policy mine.json "are my tables backed up?"
              nimbus inspect --list
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var aws: AWSOptions
    @OptionGroup var answers: AnswerOptions

    @Argument(help: "The question, in plain words.")
    var question: [String] = []

    @Option(help: "Run this Python script of your own instead of generated ones (needs --policy).")
    var script: String?

    @Option(help: "The IAM policy (JSON) your --script may call; a policy with more than reads must be approved.")
    var policy: String?

    @Option(
        name: .customLong("report"),
        help:
            "Write the report to this file, in the format its extension names (.md, .html, .json, .csv, .asff); repeatable."
    )
    var reports: [String] = []

    @Option(help: "bubblewrap (the default), or process: a plain process that can read your files and the network.")
    var sandbox: String?

    @Option(name: .customLong("max-iterations"), help: "At most this many scripts (1-10).")
    var maxIterations: Int = 3

    @Option(name: .customLong("max-retries"), help: "Retries of a script that fails validation or its run (0-5).")
    var maxRetries: Int = 2

    @Option(help: "The model that writes scripts, provider:model (default: llm.agents.inspect, else NIMBUS_LLM).")
    var model: String?

    @Flag(help: "Choose grounded scripts even when a model is configured.")
    var offline = false

    @Option(help: "Run on this thread id instead of a new one.")
    var thread: String?

    @Flag(help: "List the grounded scripts and the actions each needs, and exit.")
    var list = false

    @Option(help: "Print as text or JSON.")
    var output: OutputFormat = .text

    func run() async throws {
        if list {
            printLibrary()
            return
        }
        let text = question.joined(separator: " ").trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else {
            throw ValidationError("ask a question: nimbus inspect \"which S3 buckets are public?\"")
        }
        let formats = try reports.map { path -> (String, InspectionReportFormat) in
            guard let format = InspectionReportFormat(fileName: path) else {
                throw CommandProblem.invalidInput(
                    "cannot tell the report format of \(path)", hint: "end it in .md, .html, .json, .csv or .asff")
            }
            return ((path as NSString).expandingTildeInPath, format)
        }
        var source: String?
        var policyDocument: JSONValue?
        if let script {
            let path = (script as NSString).expandingTildeInPath
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CommandProblem.notFound("there is no script at \(path)")
            }
            source = String(decoding: data, as: UTF8.self)
            guard let policy else {
                throw CommandProblem.invalidInput(
                    "--script needs --policy", hint: "write the IAM actions it calls in a policy document")
            }
            let policyPath = (policy as NSString).expandingTildeInPath
            guard let data = FileManager.default.contents(atPath: policyPath) else {
                throw CommandProblem.notFound("there is no policy at \(policyPath)")
            }
            do {
                policyDocument = try JSONDecoder().decode(JSONValue.self, from: data)
            } catch {
                throw CommandProblem.invalidInput("\(policyPath) is not JSON: \(error.localizedDescription)")
            }
        } else if policy != nil {
            throw CommandProblem.invalidInput("--policy goes with --script")
        }
        if let sandbox, try SandboxKind(named: sandbox) == .process, output == .text {
            Console.progress("warning: scripts run in \(PlainProcessSandbox.isolation)")
        }
        let host = try global.host()
        let environment = OpsTerminal.environment(host, quiet: output == .json)
        let started = try await InspectProduct().start(
            InspectProduct.Request(
                question: text, profile: aws.profile, region: aws.region, sandbox: sandbox,
                maxIterations: maxIterations, maxRetries: maxRetries, model: model, offline: offline,
                script: source, policy: policyDocument,
                scriptName: script.map { ($0 as NSString).lastPathComponent }),
            threadID: thread, environment: environment)
        // A policy of your own that names more than reads waits for approval: from --answer, --yes or the terminal.
        let outcome = try await answerUntilDone(
            try ProductResult(product: InspectProduct.name, started), host: host, environment: environment,
            answers: answers, output: output
        ).decode(InspectProduct.Outcome.self)
        var account = "000000000000"
        if formats.contains(where: { $0.1 == .asff }) {
            // ASFF names the account: asked of STS through the gate (audited like every call).
            let client = try host.awsClient(
                profile: aws.profile, region: aws.region, gate: try host.gate(tool: "inspect", readOnly: true))
            account = (try? await client.call("sts", "GetCallerIdentity"))?["Account"]?.stringValue ?? account
        }
        for (path, format) in formats {
            let body = outcome.report(format, account: account, region: aws.region ?? "us-east-1")
            do {
                try Data(body.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw CommandProblem.invalidInput("cannot write the report to \(path): \(error.localizedDescription)")
            }
            if output == .text { Console.progress("wrote the \(format.rawValue) report to \(path)") }
        }
        switch output {
        case .json:
            Console.json((try? JSONValue(encoding: outcome)) ?? .null)
        case .text:
            Console.out(outcome.answer)
            for finding in outcome.findings {
                Console.out("  evidence for \(finding.resource): \(finding.requests.joined(separator: ", "))")
            }
            if outcome.state == .waiting { printResumeHint(threadID: outcome.threadID, interrupts: outcome.questions) }
            Console.progress("thread \(outcome.threadID): nimbus runs show \(outcome.threadID)")
        }
        try exitStatus(outcome.state)
    }

    func printLibrary() {
        let scripts = InspectionLibrary.all
        switch output {
        case .json:
            Console.json([
                "scripts": .array(
                    scripts.map { script in
                        [
                            "id": .string(script.id), "title": .string(script.title),
                            "actions": .array(script.actions.map(JSONValue.string)),
                            "keywords": .array(script.keywords.map(JSONValue.string)),
                        ]
                    })
            ])
        case .text:
            for script in scripts {
                Console.out("\(script.id): \(script.title)")
                Console.out("    \(script.actions.joined(separator: " "))")
            }
        }
    }
}

extension InspectCommand: OutputSelecting {}
