import ArgumentParser
import Foundation
import NimbusAgents
import NimbusCore
import NimbusGraph
import NimbusHost
import NimbusOps
import NimbusProducts

struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Operate AWS in plain words: \"list all S3 buckets\", \"upload ./data to s3://reports/2026/\".",
        discussion: """
            Nimbus plans the request, shows the plan, asks before anything that writes or deletes, runs it and
            answers. With no model configured it understands common requests offline (run with an unknown request
            to see them); with NIMBUS_LLM set, a model plans with the same tools and the same checks.
            Approvals: answer at the terminal, pass --yes, or allow actions in ~/.nimbus/policy.yaml.
            Every AWS call is recorded: see `nimbus history` and `nimbus audit`.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var aws: AWSOptions

    @Argument(help: "The request, in plain words (quoted, or as several words).")
    var request: [String] = []

    @Flag(name: .shortAndLong, help: "Approve steps that write or delete without asking (policy denials still apply).")
    var yes = false

    @Flag(help: "Refuse every step that is not a read.")
    var readOnly = false

    @Flag(help: "Show the plan and run nothing.")
    var plan = false

    @Flag(help: "Use the offline router even when a model is configured.")
    var offline = false

    @Option(help: "The model to plan with, provider:model (default: llm.agents.ops, else NIMBUS_LLM).")
    var model: String?

    @Option(help: "Run on this thread id instead of a new one.")
    var thread: String?

    @Flag(help: "List the tools the agent can use, and exit.")
    var listTools = false

    @Option(help: "Print as text or JSON.")
    var output: OutputFormat = .text

    func run() async throws {
        if listTools {
            OpsTerminal.printTools(output: output)
            return
        }
        let text = request.joined(separator: " ").trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw ValidationError("say what to do: nimbus ask \"list all S3 buckets\"") }
        let host = try global.host()
        let environment = OpsTerminal.environment(host, quiet: output == .json)
        var outcome = try await OpsProduct().start(
            OpsRequest(
                text, profile: aws.profile, region: aws.region, readOnly: readOnly, planOnly: plan, approveAll: yes,
                offline: offline, model: model, workingDirectory: FileManager.default.currentDirectoryPath),
            threadID: thread, environment: environment)
        outcome = try await OpsTerminal.approve(
            outcome, environment: environment, interactive: Console.standardInputIsTerminal && output == .text)
        OpsTerminal.print(outcome, output: output)
        try OpsTerminal.exit(outcome)
    }
}

/// What `ask` and `chat` share: the environment with progress lines, approvals at the terminal, printing.
enum OpsTerminal {
    /// The host's environment for ops requests, printing progress on standard error unless `quiet`.
    static func environment(_ host: NimbusHost, quiet: Bool) -> ProductEnvironment {
        guard !quiet else { return host.environment() }
        let printer = ProductEventPrinter(elapsed: false)
        return host.environment(events: { printer.handle($0) })
    }

    /// Asks on the terminal (or the next line of standard input, in a chat) while the request waits for approval.
    static func approve(
        _ start: OpsOutcome, environment: ProductEnvironment, interactive: Bool, readAnswer: (() -> String?)? = nil
    ) async throws -> OpsOutcome {
        var outcome = start
        while let pending = outcome.approval {
            guard interactive else { break }
            Console.progress(pending.question.summary)
            let accepts = AcceptedAnswers.approval(steps: pending.question.steps)
            var answer: JSONValue?
            // An unclear reply is asked again; an empty one, or the end of input, is a no.
            while answer == nil {
                let reply: String?
                if let readAnswer {
                    Console.prompt("\(pending.question.question) [y/N] ")
                    reply = readAnswer()
                } else {
                    reply = Console.ask("\(pending.question.question) [y/N] ")
                }
                let words = (reply ?? "").trimmingCharacters(in: .whitespaces)
                if words.isEmpty {
                    answer = .bool(false)
                    break
                }
                answer = accepts.reading(.string(words))
                if answer == nil { Console.progress("'\(words)' is not an answer here: \(accepts.hint)") }
            }
            outcome = try await OpsProduct().resume(
                threadID: outcome.threadID, answers: [pending.interruptID: answer ?? .bool(false)],
                environment: environment)
        }
        return outcome
    }

    /// The exit status: 0 answered (or declined, or planned), 1 failed or refused, 2 waiting for an approval.
    static func exit(_ outcome: OpsOutcome) throws {
        switch outcome.state {
        case .waiting: throw ExitCode(ErrorKind.approvalRequired.exitCode)
        case .failed, .refused: throw ExitCode(1)
        case .done: return
        }
    }

    static func print(_ outcome: OpsOutcome, output: OutputFormat) {
        switch output {
        case .json:
            Console.json((try? JSONValue(encoding: outcome)) ?? .null)
        case .text:
            if let answer = outcome.answer { Console.out(answer) }
            if !outcome.revealed.isEmpty {
                Console.out("Shown once, and not stored anywhere:")
                for secret in outcome.revealed { Console.out("  step \(secret.step) \(secret.path): \(secret.value)") }
            }
            if let pending = outcome.approval {
                Console.progress(pending.question.summary)
                Console.progress("The request is waiting for your approval: \(pending.question.question)")
                Console.progress(
                    "Approve it with: nimbus runs resume \(outcome.threadID) --answer approve=true"
                        + " (or approve=false to decline)")
            }
        }
    }

    static func printTools(output: OutputFormat) {
        let tools = OpsTools.registry.all
        switch output {
        case .json:
            Console.json(
                JSONValue.array(
                    tools.map {
                        [
                            "name": .string($0.name), "access": .string($0.access.rawValue),
                            "summary": .string($0.summary), "actions": .array($0.actions.map(JSONValue.string)),
                            "schema": $0.schema,
                        ]
                    }
                ))
        case .text:
            Console.table(
                ["TOOL", "ACCESS", "WHAT IT DOES"], tools.map { [$0.name, $0.access.rawValue, $0.summary] })
        }
    }
}
