import ArgumentParser
import Foundation
import NimbusCore
import NimbusGraph
import NimbusHost
import NimbusModules
import NimbusOps
import NimbusProducts
import NimbusSample

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the built-in sample workflow: a checkpointed, parallel review of an embedded example account.",
        discussion: """
            Needs no cloud account and no model. It surveys three regions in parallel, asks you to approve the
            report, and writes findings and report.md into --out. Stop it at the question (or press Ctrl-C) and
            continue later with `nimbus runs resume THREAD`.
            Exit status: 0 done, 1 failed, 2 waiting for an answer.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var answers: AnswerOptions

    @Option(help: "Where the findings and the report are written.")
    var out = "./nimbus-demo"

    @Option(help: "Run on this thread id instead of a new one.")
    var thread: String?

    @Option(help: "Print the result as text or JSON.")
    var output: OutputFormat = .text

    @Flag(help: "Print the workflow as a Mermaid diagram and exit.")
    var diagram = false

    func run() async throws {
        if diagram {
            Console.out(try SampleReportWorkflow.graph(store: nil).mermaid())
            return
        }
        let (configuration, store) = try global.openStore()
        let printer = ProgressPrinter()
        let environment = WorkflowEnvironment(
            store: store, configuration: configuration, modes: output == .json ? [] : [.debug, .custom],
            onEvent: { printer.handle($0) })
        let outputDirectory = URL(fileURLWithPath: out).standardizedFileURL.path
        var outcome = try await SampleReportWorkflow.run(
            outputDirectory: outputDirectory, threadID: thread, environment: environment)
        outcome = try await answerUntilDone(outcome, environment: environment, answers: answers, output: output)
        try report(outcome, output: output)
    }
}

/// Keeps answering interrupts (from flags, --yes or the terminal) and resuming until the run completes or no
/// answer is available.
func answerUntilDone(
    _ start: WorkflowOutcome, environment: WorkflowEnvironment, answers: AnswerOptions, output: OutputFormat
) async throws -> WorkflowOutcome {
    var outcome = start
    let interactive = Console.standardInputIsTerminal && output == .text
    while outcome.status == .interrupted {
        guard let record = try await environment.store.thread(outcome.threadID),
            let workflow = NimbusHost.standardCatalog().workflow(named: record.graph)
        else { break }
        guard
            let given = try answers.answers(
                for: outcome.interrupts, threadID: outcome.threadID, interactive: interactive)
        else { break }
        outcome = try await workflow.resume(threadID: outcome.threadID, answers: given, environment: environment)
    }
    return outcome
}

/// Prints a run's outcome: a short human summary, or the whole outcome as JSON. A run that waits for an answer
/// exits with status 2, as every command's does.
func report(_ outcome: WorkflowOutcome, output: OutputFormat) throws {
    switch output {
    case .json:
        var object: [String: JSONValue] = [
            "thread_id": .string(outcome.threadID), "status": .string(outcome.status.rawValue),
            "steps": .int(outcome.steps), "state": outcome.state,
        ]
        object["interrupts"] = try JSONValue(encoding: outcome.interrupts)
        Console.out(JSONValue.object(object).prettyJSONText)
    case .text:
        for line in outcome.state["log"]?.arrayValue ?? [] {
            if let text = line.stringValue { Console.out("  " + text) }
        }
        switch outcome.status {
        case .completed:
            if let summary = outcome.state["summary"]?.stringValue, !summary.isEmpty { Console.out(summary) }
            Console.out("Run \(outcome.threadID) completed in \(outcome.steps) steps.")
            if let path = outcome.state["reportPath"]?.stringValue { Console.out("Report: \(path)") }
        case .interrupted:
            printResumeHint(threadID: outcome.threadID, interrupts: outcome.interrupts)
        default:
            Console.out("Run \(outcome.threadID) is \(outcome.status.rawValue).")
        }
    }
    if outcome.status == .interrupted { throw ExitCode(2) }
}
