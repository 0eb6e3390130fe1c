import ArgumentParser
import Foundation
import NimbusCore

#if canImport(Glibc)
import Glibc
#endif

@main
struct NimbusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nimbus",
        abstract: "An agentic cloud-operations assistant: Terraform modules, AWS operations, inspection, clusters.",
        discussion: """
            Runs are checkpointed under $NIMBUS_HOME (default ~/.nimbus): list them with `nimbus runs list`,
            continue a paused or crashed one with `nimbus runs resume THREAD`.
            Exit status: 0 done, 1 failed or refused, 2 waiting for an answer or an approval, 64 a command line
            that does not parse.
            """,
        version: NimbusVersion.current,
        subcommands: [
            ModuleCommand.self, DemoCommand.self, RunsCommand.self, ConfigCommand.self, HCLCommand.self,
            ProfilesCommand.self,
            ValidateCommand.self, TransferCommand.self, AWSCallCommand.self, LLMCommand.self,
            AskCommand.self, ChatCommand.self, InspectCommand.self, HistoryCommand.self, AuditCommand.self,
            ServeCommand.self,
            MCPCommand.self, WorkerCommand.self, StoreCommand.self, SandboxCommand.self,
        ]
    )

    /// Parses, runs, and ends with the right status: a command line that does not parse gets argument-parser's
    /// usage text (exit 64); a command that fails gets ``CommandFailure``'s message (exit 1, or 2 when it waits).
    static func main() async {
        // A reader that goes away (`| head`) must not kill a transfer half-way: writes then fail with EPIPE, which
        // Console treats as the reader leaving.
        signal(SIGPIPE, SIG_IGN)
        // Everything Nimbus creates (the store, transfer state, keys) is for its user alone.
        umask(0o077)
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                var synchronous = command
                try synchronous.run()
            }
        } catch {
            // Help asked for by running a command group, and argument-parser's own errors, print as it prints
            // them; everything else is a failure of the command's work.
            // (A ValidationError thrown by `run` is about the work — no such request — not about the command line.)
            let parsers =
                String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") && !(error is ValidationError)
            if error is CleanExit || parsers { exit(withError: error) }
            CommandFailure.finish(error, json: (command as? any OutputSelecting)?.output == .json)
        }
    }
}
