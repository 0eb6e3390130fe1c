import ArgumentParser
import Foundation
import NimbusAgents
import NimbusCore
import NimbusGraph

/// A problem a command finds itself (a path that is not there, a file of the wrong kind).
struct CommandProblem: NimbusError {
    enum Code: String { case invalidInput = "invalid_input", notFound = "not_found", timedOut = "timed_out" }
    let code: Code
    let message: String
    let suggestion: String?

    static func invalidInput(_ message: String, hint: String? = nil) -> CommandProblem {
        CommandProblem(code: .invalidInput, message: message, suggestion: hint)
    }

    static func notFound(_ message: String, hint: String? = nil) -> CommandProblem {
        CommandProblem(code: .notFound, message: message, suggestion: hint)
    }

    static func timedOut(_ message: String, hint: String? = nil) -> CommandProblem {
        CommandProblem(code: .timedOut, message: message, suggestion: hint)
    }
}

/// A command that prints as text or JSON: with `--output json`, its failures are JSON on standard output too.
protocol OutputSelecting {
    var output: OutputFormat { get }
}

/// How a command that failed at run time ends: the error in plain words on standard error (and as JSON on
/// standard output with `--output json`), and an exit status a script can rely on — never the usage text,
/// which is for mistakes in the command line itself.
///
/// Exit status: 1 for a failure, 2 when a change waits for someone's approval (no terminal to ask and no
/// `--yes`); 64 stays argument-parser's, for a command line that does not parse.
enum CommandFailure {
    static func finish(_ error: any Error, json: Bool) -> Never {
        if let exit = error as? ExitCode { Foundation.exit(exit.rawValue) }
        let report = report(of: GraphError.rootCause(of: error))
        Console.progress("error: \(report.message)" + (report.hint.map { "\n  hint: \($0)" } ?? ""))
        if json { Console.json(["status": "failed", "error": report.json]) }
        Foundation.exit(report.kind.exitCode)
    }

    /// The error as a program reads it (code, kind, message, hint); argument-parser's validation errors are
    /// `command.invalid_input`.
    static func report(of error: any Error) -> ErrorReport {
        if let error = error as? ValidationError {
            return ErrorReport(
                code: ErrorCode("command", "invalid_input", .invalidInput), message: error.message, hint: nil)
        }
        return ErrorReport(error)
    }
}

extension AskCommand: OutputSelecting {}
extension AuditCommand: OutputSelecting {}
extension HistoryCommand: OutputSelecting {}
extension DemoCommand: OutputSelecting {}
extension TransferCommand: OutputSelecting {}
extension ValidateCommand: OutputSelecting {}
extension AWSCallCommand: OutputSelecting {}
extension ProfilesCommand.List: OutputSelecting {}
extension RunsCommand.List: OutputSelecting {}
extension RunsCommand.Show: OutputSelecting {}
extension RunsCommand.History: OutputSelecting {}
extension RunsCommand.Resume: OutputSelecting {}
extension RunsCommand.Delete: OutputSelecting {}
extension RunsCommand.Prune: OutputSelecting {}
extension ModuleCommand.Generate: OutputSelecting {}
extension ModuleCommand.Catalog: OutputSelecting {}
extension ModuleCommand.Check: OutputSelecting {}
extension HCLCommand.Format: OutputSelecting {}
extension HCLCommand.Validate: OutputSelecting {}
extension HCLCommand.ToJSON: OutputSelecting {}
extension LLMCommand.Ask: OutputSelecting {}
extension LLMCommand.Models: OutputSelecting {}
extension ConfigCommand.Show: OutputSelecting {}
extension ChatCommand: OutputSelecting {}

extension CommandProblem {
    var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch code {
            case .notFound: .notFound
            case .timedOut: .timeout
            default: .invalidInput
            }
        return ErrorCode("command_problem", code.rawValue, kind)
    }
}
