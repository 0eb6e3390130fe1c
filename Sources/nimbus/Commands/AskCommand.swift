import ArgumentParser
import Foundation
import Logging
import NimbusAgents
import NimbusCore
import NimbusGraph
import NimbusHost
import NimbusLLM
import NimbusModules
import NimbusOps
import NimbusProducts
import NimbusSample
import NimbusStore

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
        let (configuration, store) = try global.openStore()
        let agent = try OpsTerminal.agent(
            configuration: configuration, store: store, model: model, offline: offline, quiet: output == .json)
        var outcome = try await agent.ask(
            OpsRequest(
                text, profile: aws.profile, region: aws.region, readOnly: readOnly, planOnly: plan, approveAll: yes,
                offline: offline),
            threadID: thread)
        outcome = try await OpsTerminal.approve(
            outcome, agent: agent, interactive: Console.standardInputIsTerminal && output == .text)
        OpsTerminal.print(outcome, output: output)
        try OpsTerminal.exit(outcome)
    }
}

/// What `ask` and `chat` share: making the agent, asking for approval on the terminal, printing outcomes.
enum OpsTerminal {
    static func agent(
        configuration: NimbusConfiguration, store: SQLiteStore, model: String?, offline: Bool, quiet: Bool
    ) throws -> OpsAgent {
        var chosen: (any ChatModel)?
        if !offline {
            let environment = LLMEnvironment.nimbus(configuration: configuration, store: store)
            if let model {
                chosen = try ModelRegistry(configuration: configuration, environment: environment).model(model)
            } else {
                chosen = try OpsServices.configuredModel(configuration, store: store, environment: environment)
            }
        }
        var services = try OpsServices.standard(configuration: configuration, store: store, model: chosen)
        services.logger = Logger(label: "nimbus.ops")
        if !quiet {
            let printer = ProgressPrinter()
            services.modes = [.custom]
            services.onEvent = { printer.handle($0) }
        }
        return OpsAgent(services: services)
    }

    /// Asks on the terminal (or the next line of standard input, in a chat) while the request waits for approval.
    static func approve(
        _ start: OpsOutcome, agent: OpsAgent, interactive: Bool, readAnswer: (() -> String?)? = nil
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
                if words.isEmpty { answer = .bool(false); break }
                answer = accepts.reading(.string(words))
                if answer == nil { Console.progress("'\(words)' is not an answer here: \(accepts.hint)") }
            }
            outcome = try await agent.resume(
                threadID: outcome.threadID, answers: [pending.interruptID: answer ?? .bool(false)])
        }
        return outcome
    }

    /// The exit status: 0 answered (or declined, or planned), 1 failed or refused, 2 waiting for an approval.
    static func exit(_ outcome: OpsOutcome) throws {
        switch outcome.status {
        case .awaitingApproval: throw ExitCode(2)
        case .failed, .refused: throw ExitCode(1)
        default: return
        }
    }

    static func print(_ outcome: OpsOutcome, output: OutputFormat) {
        switch output {
        case .json:
            Console.json(json(outcome))
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

    static func json(_ outcome: OpsOutcome) -> JSONValue {
        var object: [String: JSONValue] = [
            "thread_id": .string(outcome.threadID), "status": .string(outcome.status.rawValue),
            "answer": outcome.answer.map(JSONValue.string) ?? .null, "strategy": .string(outcome.strategy),
            "plan": .array(outcome.plan.map(step)),
            "steps": .array(
                outcome.steps.map { executed in
                    var entry = step(executed.step).objectValue ?? [:]
                    entry["status"] = .string(executed.status.rawValue)
                    entry["result"] = executed.result ?? .null
                    entry["reason"] = executed.reason.map(JSONValue.string) ?? .null
                    entry["error"] = executed.failure.map { .string($0.message) } ?? .null
                    entry["error_code"] = executed.failure?.code.map(JSONValue.string) ?? .null
                    entry["hint"] = executed.failure?.hint.map(JSONValue.string) ?? .null
                    return .object(entry)
                }),
        ]
        if !outcome.revealed.isEmpty {
            // For the one who asked: the stored run has these redacted.
            object["revealed"] = .array(
                outcome.revealed.map {
                    ["step": .int($0.step), "path": .string($0.path), "value": .string($0.value)]
                })
        }
        if let pending = outcome.approval {
            object["approval"] = [
                "interrupt_id": .string(pending.interruptID), "question": .string(pending.question.question),
                "steps": .array(pending.question.steps.map(JSONValue.int)),
                "actions": .array(pending.question.actions.map(JSONValue.string)),
            ]
        }
        return .object(object)
    }

    private static func step(_ step: PlannedStep) -> JSONValue {
        [
            "number": .int(step.number), "tool": .string(step.tool), "arguments": step.arguments,
            "access": .string(step.access.rawValue), "actions": .array(step.actions.map(JSONValue.string)),
            "summary": .string(step.summary), "decision": .string(step.decision.label),
        ]
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
