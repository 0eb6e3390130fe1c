import ArgumentParser
import Foundation
import NimbusCore
import NimbusGraph
import NimbusHost
import NimbusModules
import NimbusProducts

struct ModuleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "module",
        abstract: "Generate, list and check Terraform modules.",
        discussion: """
            nimbus module "enterprise S3 bucket with versioning, KMS encryption and access logging" --out ./s3-module

            Without a model the module comes from the built-in catalog of AWS service families (`nimbus module
            catalog`); with one (--llm or llm.model in the configuration) the agents also read free-form requests
            and plan beyond the catalog. Every module is validated before it is written: syntax, module checks,
            terraform fmt form and Nimbus's security rules (`nimbus module check DIR` runs them on any module).
            """,
        subcommands: [Generate.self, Catalog.self, Check.self],
        defaultSubcommand: Generate.self)

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate",
            abstract: "Generate a module from a request in plain language (the default subcommand).",
            discussion: """
                A question the request leaves open ("a database module": which engine?) is asked on the terminal,
                answered with --answer key=value, or later with `nimbus runs resume THREAD --answer key=value`.
                Words of the request that nimbus does not understand ("with object lock" when the family has no
                such feature) are asked about: write the module without them (--answer unknown_words=yes), or not.
                Existing files in --out are backed up to .nimbus-backup/<timestamp>/ after you agree (or --yes).
                When --out is a symbolic link, the module is written into the directory it points to.
                Exit status: 0 written, 1 failed or not written, 2 waiting for an answer.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var answers: AnswerOptions

        @Argument(help: "What the module is for, e.g. \"enterprise S3 bucket with versioning and KMS encryption\".")
        var request: String

        @Option(help: "The directory the module is written to.")
        var out: String

        @Option(help: "The Terraform state backend: s3 or local.")
        var backend = "s3"

        @Option(help: "The model to use (provider:model, e.g. openai:gpt-4o-mini); the configured model by default.")
        var llm: String?

        @Flag(help: "Use the built-in catalog only, even when a model is configured.")
        var offline = false

        @Option(help: "Print the result as text or JSON.")
        var output: OutputFormat = .text

        @Option(help: "Also write the validation report as SARIF 2.1.0 to this file.")
        var sarif: String?

        @Option(help: "Run on this thread id instead of a new one.")
        var thread: String?

        func validate() throws {
            if BackendChoice(rawValue: backend) == nil {
                throw ValidationError("--backend is s3 or local, not '\(backend)'")
            }
            if offline && llm != nil { throw ValidationError("--offline and --llm contradict each other; pick one") }
            if request.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw ValidationError("the request is empty; say what the module is for, e.g. \"S3 bucket with KMS\"")
            }
        }

        func run() async throws {
            let host = try global.host()
            let printer = ProductEventPrinter(starts: true)
            let environment = printingEnvironment(host, quiet: output != .text, printer: printer)
            let options = ModuleWorkflow.Options(
                backend: BackendChoice(rawValue: backend) ?? .s3, answers: try answers.parsedText(), overwrite: false,
                model: offline ? nil : (llm ?? host.modelName(agent: "module")), askAboutUnknownWords: true)
            if let model = options.model, output == .text { Console.progress("using model \(model)") }
            let directory = URL(fileURLWithPath: out).standardizedFileURL.path
            let threadID = thread ?? SortableID().rawValue
            let result: ProductResult
            do {
                let started = try await ModulesProduct().start(
                    ModulesProduct.Request(request, outputDirectory: directory, options: options), threadID: threadID,
                    environment: environment)
                result = try await answerUntilDone(
                    try ProductResult(product: ModulesProduct.name, started), host: host, environment: environment,
                    answers: answers, output: output)
            } catch {
                let cause = GraphError.rootCause(of: error)
                guard output == .json else { throw cause }
                // One JSON document on standard output: this one, which names the run; the words on stderr.
                Console.progress("error: \(cause)")
                // A refused answer leaves the run waiting for a better one.
                let status = (cause as? GraphError)?.kind == .refusedAnswer ? "interrupted" : "failed"
                // Scripts reading --output json get the failure as JSON too; the message is also on stderr.
                Console.json(
                    JSONValue.object([
                        "thread_id": .string(threadID), "status": .string(status), "request": .string(request),
                        "output_directory": .string(directory), "error": .string(String(describing: cause)),
                    ]))
                throw ExitCode(1)
            }
            try printResult(result, output: output, sarif: sarif)
            try exitStatus(result.state)
        }
    }

    struct Catalog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "catalog",
            abstract: "List the service families modules are generated from, or show one family's features.")

        @Argument(help: "A family id to show in detail (e.g. s3).")
        var family: String?

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            let catalog = ModuleCatalog.standard
            if let id = family {
                guard let family = catalog.family(id) else {
                    throw ModuleRequestError.unknownFamily(id, catalog: catalog)
                }
                switch output {
                case .json: Console.out(Self.json(family).prettyJSONText)
                case .text:
                    Console.out("\(family.id): \(family.title) — \(family.summary)")
                    Console.out("Asked for with: \(family.keywords.joined(separator: ", "))")
                    Console.out("")
                    Console.table(
                        ["FEATURE", "DEFAULT", "SAY"],
                        family.features.map {
                            [$0.id, $0.enabledByDefault ? "on" : "off", $0.keywords.joined(separator: ", ")]
                        })
                    for question in family.questions {
                        Console.out("")
                        Console.out(
                            "Question \(question.key): \(question.question) (\(question.choices.joined(separator: ", ")))"
                        )
                    }
                }
                return
            }
            switch output {
            case .json: Console.out(JSONValue.array(catalog.families.map(Self.json)).prettyJSONText)
            case .text:
                Console.table(
                    ["FAMILY", "TITLE", "FEATURES"],
                    catalog.families.map { [$0.id, $0.title, $0.features.map(\.id).joined(separator: ", ")] })
                Console.out("")
                Console.out("Show one family with `nimbus module catalog FAMILY`.")
            }
        }

        static func json(_ family: ServiceFamily) -> JSONValue {
            [
                "id": .string(family.id), "title": .string(family.title), "summary": .string(family.summary),
                "keywords": .array(family.keywords.map(JSONValue.string)),
                "features": .array(
                    family.features.map {
                        [
                            "id": .string($0.id), "title": .string($0.title), "default": .bool($0.enabledByDefault),
                            "keywords": .array($0.keywords.map(JSONValue.string)),
                        ]
                    }),
                "questions": .array(
                    family.questions.map {
                        [
                            "key": .string($0.key), "question": .string($0.question),
                            "choices": .array($0.choices.map(JSONValue.string)),
                        ]
                    }),
            ]
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate any Terraform module: syntax, module checks, fmt form and Nimbus's security rules.",
            discussion: """
                Reads DIR's .tf files and those of DIR/examples. A finding can be suppressed on its block with a
                comment `# nimbus:skip=RULE-ID reason`. Exit status 1 when a blocking (high or critical) finding remains.
                """)

        @Argument(help: "The module directory.")
        var directory: String

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        @Option(help: "Also write the report as SARIF 2.1.0 to this file.")
        var sarif: String?

        func run() async throws {
            let report = try ModuleValidator.validate(directory: directory)
            if let sarif { try writeSARIF(report, to: sarif) }
            switch output {
            case .json: Console.out(try JSONValue(encoding: report).prettyJSONText)
            case .text: printFindings(report)
            }
            if !report.passed { throw ExitCode(1) }
        }
    }
}

/// How a module run prints.
enum ModuleTerminal {
    static func print(_ outcome: ModulesProduct.Outcome, output: OutputFormat, sarif: String?) throws {
        if let sarif, let report = outcome.report { try writeSARIF(report, to: sarif) }
        switch output {
        case .json:
            Console.json(try JSONValue(encoding: outcome))
        case .text:
            if outcome.state == .waiting {
                printResumeHint(threadID: outcome.threadID, interrupts: outcome.questions)
            } else if outcome.status == .completed {
                for operation in outcome.written?.operations ?? []
                where operation.kind == .created || operation.kind == .replaced {
                    Console.out("  \(operation.kind == .created ? "created " : "replaced") \(operation.path)")
                }
                if let report = outcome.report, !report.findings.isEmpty { printFindings(report) }
                Console.out(outcome.summary)
            } else {
                Console.out("Run \(outcome.threadID) is \(outcome.status.rawValue).")
            }
        }
    }
}

private func writeSARIF(_ report: ValidationReport, to path: String) throws {
    do {
        try Data((report.sarif.prettyJSONText + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw WorkflowError.badOutput(path, detail: FileErrorText.describe(error))
    }
}

private func printFindings(_ report: ValidationReport) {
    if report.findings.isEmpty {
        Console.out("Validation passed: no findings (\(report.checks.count) checks).")
        return
    }
    Console.table(
        ["SEVERITY", "RULE", "WHERE", "MESSAGE"],
        report.findings.map { finding in
            [
                finding.severity.rawValue, finding.rule,
                "\(finding.file):\(finding.line)" + (finding.resource.map { " \($0)" } ?? ""),
                finding.message + (finding.fix.map { " — fix: \($0)" } ?? ""),
            ]
        })
    Console.out(
        report.passed
            ? "Validation passed: \(report.findings.count) findings, none blocking."
            : "Validation failed: \(report.errors.count) blocking findings.")
}
