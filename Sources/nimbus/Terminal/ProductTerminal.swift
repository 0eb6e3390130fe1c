import ArgumentParser
import Foundation
import NimbusCore
import NimbusGraph
import NimbusHost
import NimbusModules
import NimbusOps
import NimbusProducts
import NimbusSample
import Synchronization

/// Prints a product's progress on standard error: `[  0.07s] generate › resources: 9 resources`.
final class ProductEventPrinter: Sendable {
    private let start = ContinuousClock.now
    /// Prefix lines with the time since the start.
    private let elapsed: Bool
    /// Also print when a top-level agent starts (module runs show their phases).
    private let starts: Bool

    init(elapsed: Bool = true, starts: Bool = false) {
        self.elapsed = elapsed
        self.starts = starts
    }

    func handle(_ event: ProductEvent) {
        switch event.type {
        case .agentStarted where starts:
            guard let agent = event.agent, !agent.contains("›"), agent != "supervisor" else { return }
            line(agent, event.message.map { "started (\($0))" } ?? "started")
        case .progress:
            guard let agent = event.agent, agent != "supervisor", let message = event.message else { return }
            line(agent, message)
        case .retrying:
            line(event.agent ?? "run", "\(event.message ?? "failed"); retrying")
        case .failed:
            line(event.agent ?? "run", "failed")
        case .waiting where starts:
            line("supervisor", "waiting for an answer")
        default:
            break
        }
    }

    private func line(_ agent: String, _ message: String) {
        guard elapsed else {
            Console.progress("  \(agent): \(message)")
            return
        }
        let time = ContinuousClock.now - start
        let seconds = Double(time.components.seconds) + Double(time.components.attoseconds) / 1e18
        Console.progress(String(format: "[%6.2fs] ", seconds) + agent + ": " + message)
    }
}

/// The environment of a command that prints its run's progress (or, `quiet`, prints nothing while it runs).
func printingEnvironment(_ host: NimbusHost, quiet: Bool, printer: ProductEventPrinter) -> ProductEnvironment {
    quiet ? host.environment() : host.environment(events: { printer.handle($0) })
}

/// Keeps answering a run's questions (from flags, --yes or the terminal) and resuming it, whichever product it is,
/// until it is done or no answer is available.
func answerUntilDone(
    _ start: ProductResult, host: NimbusHost, environment: ProductEnvironment, answers: AnswerOptions,
    output: OutputFormat
) async throws -> ProductResult {
    var result = start
    let interactive = Console.standardInputIsTerminal && output == .text
    while result.state == .waiting, !result.questions.isEmpty {
        guard
            let given = try answers.answers(for: result.questions, threadID: result.threadID, interactive: interactive)
        else { break }
        result = try await host.resume(threadID: result.threadID, answers: given, environment: environment)
    }
    return result
}

/// The exit status of a run of any product: 0 done, 2 waiting for an answer, 1 refused or failed.
func exitStatus(_ state: ProductState) throws {
    switch state {
    case .done: return
    case .waiting: throw ExitCode(ErrorKind.approvalRequired.exitCode)
    case .refused, .failed: throw ExitCode(1)
    }
}

/// Prints a run's outcome as its product shows it: text for people, or the typed outcome as JSON.
func printResult(_ result: ProductResult, output: OutputFormat, sarif: String? = nil) throws {
    switch result.product {
    case OpsProduct.name:
        OpsTerminal.print(try result.decode(OpsOutcome.self), output: output)
    case ModulesProduct.name:
        try ModuleTerminal.print(try result.decode(ModulesProduct.Outcome.self), output: output, sarif: sarif)
    case SampleProduct.name:
        SampleTerminal.print(try result.decode(SampleProduct.Outcome.self), output: output)
    default:
        switch output {
        case .json: Console.json(result.outcome)
        case .text:
            if result.state == .waiting {
                printResumeHint(threadID: result.threadID, interrupts: result.questions)
            } else {
                Console.out("Run \(result.threadID) of \(result.product): \(result.state.rawValue).")
            }
        }
    }
}

/// How the sample review prints.
enum SampleTerminal {
    static func print(_ outcome: SampleProduct.Outcome, output: OutputFormat) {
        switch output {
        case .json:
            Console.json((try? JSONValue(encoding: outcome)) ?? .null)
        case .text:
            for line in outcome.log { Console.out("  " + line) }
            switch outcome.state {
            case .done:
                if !outcome.summary.isEmpty { Console.out(outcome.summary) }
                Console.out("Run \(outcome.threadID) completed in \(outcome.steps) steps.")
                if let path = outcome.reportPath { Console.out("Report: \(path)") }
            case .waiting:
                printResumeHint(threadID: outcome.threadID, interrupts: outcome.questions)
            default:
                Console.out("Run \(outcome.threadID) is \(outcome.status.rawValue).")
            }
        }
    }
}
