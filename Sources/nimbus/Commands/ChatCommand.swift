import ArgumentParser
import Foundation
import NimbusCore
import NimbusHost
import NimbusOps
import NimbusProducts

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
        let host = try global.host()
        let environment = OpsTerminal.environment(host, quiet: output == .json)
        var session = ChatSession(profile: aws.profile, region: aws.region)
        let terminal = Console.standardInputIsTerminal
        if terminal {
            let mode =
                (offline ? nil : model ?? host.modelName(agent: "ops")).map { "model \($0)" }
                ?? "offline (no model configured)"
            Console.progress("Nimbus chat, \(mode). /help lists commands, /exit leaves.")
        }
        while !session.finished {
            if terminal { Console.prompt(session.prompt) }
            guard let line = readLine(strippingNewline: true) else { break }
            let input = line.trimmingCharacters(in: .whitespaces)
            if input.isEmpty { continue }
            if input.hasPrefix("/") {
                switch session.command(input) {
                case .reply(let text): Console.out(text)
                case .plan(let request):
                    try await ask(request, planOnly: true, environment: environment, session: &session)
                case .exit: break
                }
                continue
            }
            try await ask(input, planOnly: nil, environment: environment, session: &session)
        }
    }

    private func ask(
        _ text: String, planOnly: Bool?, environment: ProductEnvironment, session: inout ChatSession
    ) async throws {
        let request = session.request(
            text, planOnly: planOnly, readOnly: readOnly, approveAll: yes, offline: offline, model: model,
            workingDirectory: FileManager.default.currentDirectoryPath)
        do {
            var outcome = try await OpsProduct().start(request, threadID: nil, environment: environment)
            outcome = try await OpsTerminal.approve(
                outcome, environment: environment, interactive: true, readAnswer: { readLine(strippingNewline: true) })
            switch output {
            case .text: OpsTerminal.print(outcome, output: .text)
            case .json: Console.outVerbatim(((try? JSONValue(encoding: outcome)) ?? .null).jsonText + "\n")
            }
            session.record(text, outcome)
        } catch let error as any NimbusError {
            // One bad request does not end the session.
            Console.progress("error: \(error)")
            if output == .json {
                Console.outVerbatim(
                    JSONValue.object([
                        "request": .string(SecretRedactor.redact(text)), "status": "failed",
                        "error": ErrorReport(error).json,
                    ]).jsonText + "\n")
            }
            session.record(text, nil)
        }
    }
}
