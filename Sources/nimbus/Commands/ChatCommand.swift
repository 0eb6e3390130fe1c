import ArgumentParser
import Foundation
import NimbusCore
import NimbusHost
import NimbusModules
import NimbusOps
import NimbusProducts
import NimbusSample

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "An interactive session with the AWS operations agent: one request per line, approvals inline.",
        discussion: """
            Commands: /profile NAME, /region NAME, /plan (plan the next requests without running them; again to
            stop), /plan REQUEST (plan just that one), /history (this session's requests), /help, /exit.
            Works on a terminal and with piped standard input: an approval question reads the next line.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var aws: AWSOptions

    @Flag(name: .shortAndLong, help: "Approve steps that write or delete without asking (policy denials still apply).")
    var yes = false

    @Flag(help: "Refuse every step that is not a read.")
    var readOnly = false

    @Flag(help: "Use the offline router even when a model is configured.")
    var offline = false

    @Option(help: "The model to plan with, provider:model (default: llm.agents.ops, else NIMBUS_LLM).")
    var model: String?

    @Option(help: "Print each answer as text, or as one line of JSON per request (the same fields as `ask`).")
    var output: OutputFormat = .text

    func run() async throws {
        let (configuration, store) = try global.openStore()
        let agent = try OpsTerminal.agent(
            configuration: configuration, store: store, model: model, offline: offline, quiet: output == .json)
        var session = ChatSession(profile: aws.profile, region: aws.region)
        let terminal = Console.standardInputIsTerminal
        if terminal {
            let mode = agent.services.model.map { "model \($0.name)" } ?? "offline (no model configured)"
            Console.progress("Nimbus chat, \(mode). /help lists commands, /exit leaves.")
        }
        while true {
            if terminal { Console.prompt(session.prompt) }
            guard let line = readLine(strippingNewline: true) else { break }
            let input = line.trimmingCharacters(in: .whitespaces)
            if input.isEmpty { continue }
            if input.hasPrefix("/") {
                guard let request = session.command(input) else {
                    if session.finished { break }
                    continue
                }
                try await ask(request, planOnly: true, agent: agent, session: &session)
                continue
            }
            try await ask(input, planOnly: session.planning, agent: agent, session: &session)
        }
    }

    private func ask(_ text: String, planOnly: Bool, agent: OpsAgent, session: inout ChatSession) async throws {
        let request = OpsRequest(
            text, profile: session.profile, region: session.region, readOnly: readOnly, planOnly: planOnly,
            approveAll: yes, offline: offline, history: session.turns.suffix(6))
        do {
            var outcome = try await agent.ask(request)
            outcome = try await OpsTerminal.approve(
                outcome, agent: agent, interactive: true, readAnswer: { readLine(strippingNewline: true) })
            switch output {
            case .text: OpsTerminal.print(outcome, output: .text)
            case .json: Console.outVerbatim(OpsTerminal.json(outcome).jsonText + "\n")
            }
            session.record(text, outcome)
        } catch let error as any NimbusError {
            // One bad request does not end the session.
            Console.progress("error: \(error)")
            if output == .json {
                Console.outVerbatim(
                    JSONValue.object([
                        "request": .string(SecretRedactor.redact(text)), "status": "failed",
                        "error": ["code": .string(ErrorCode.of(error)), "message": .string(error.message)],
                    ]).jsonText + "\n")
            }
            session.record(text, nil)
        }
    }
}

/// A chat's settings and what was asked in it.
struct ChatSession {
    var profile: String?
    var region: String?
    var planning = false
    var finished = false
    var turns: [OpsTurn] = []
    var asked: [(text: String, status: String, id: String?)] = []

    var prompt: String {
        var parts = ["nimbus"]
        if let profile { parts.append(profile) }
        if let region { parts.append(region) }
        if planning { parts.append("plan") }
        return parts.joined(separator: ":") + "> "
    }

    mutating func record(_ text: String, _ outcome: OpsOutcome?) {
        asked.append((text, outcome?.status.rawValue ?? "error", outcome?.threadID))
        if let answer = outcome?.answer { turns.append(OpsTurn(request: text, answer: answer)) }
    }

    /// Runs a slash command; returns a request to plan for `/plan REQUEST`.
    mutating func command(_ input: String) -> String? {
        let parts = input.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : nil
        switch parts[0].lowercased() {
        case "/exit", "/quit":
            finished = true
        case "/profile":
            profile = argument
            Console.out("profile: \(profile ?? "(default)")")
        case "/region":
            region = argument
            Console.out("region: \(region ?? "(default)")")
        case "/plan":
            if let argument { return argument }
            planning.toggle()
            Console.out(
                planning
                    ? "planning only: requests are planned, not run (/plan again to stop)" : "running requests again")
        case "/history":
            if asked.isEmpty { Console.out("nothing asked yet") }
            for (index, entry) in asked.enumerated() {
                Console.out("\(index + 1). [\(entry.status)] \(entry.text)" + (entry.id.map { "  (\($0))" } ?? ""))
            }
        case "/help":
            Console.out(
                """
                Ask in plain words, one request per line ("list all S3 buckets").
                /profile NAME   use another AWS profile      /region NAME   use another region
                /plan           plan without running (toggle) /plan REQUEST  plan just that request
                /history        this session's requests       /exit          leave
                """)
        default:
            Console.out("unknown command \(parts[0]); /help lists them")
        }
        return nil
    }
}
