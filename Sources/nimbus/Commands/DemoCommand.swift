import ArgumentParser
import Foundation
import NimbusCore
import NimbusGraph
import NimbusHost
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
        let host = try global.host()
        let printer = ProductEventPrinter(elapsed: false)
        let environment = printingEnvironment(host, quiet: output == .json, printer: printer)
        let outputDirectory = URL(fileURLWithPath: out).standardizedFileURL.path
        let started = try await SampleProduct().start(
            SampleProduct.Request(outputDirectory: outputDirectory), threadID: thread, environment: environment)
        let result = try await answerUntilDone(
            try ProductResult(product: SampleProduct.name, started), host: host, environment: environment,
            answers: answers, output: output)
        try printResult(result, output: output)
        try exitStatus(result.state)
    }
}
