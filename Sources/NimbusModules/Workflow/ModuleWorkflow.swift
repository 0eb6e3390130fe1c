import Foundation
public import NimbusCore
public import NimbusGraph
import NimbusHCL
public import NimbusLLM
public import NimbusProducts

/// `nimbus module`: the multi-agent Terraform module generator as a graph.
///
/// A supervisor routes between phases: a planner subgraph (requirements analyzer → clarification → execution
/// planner → security evaluator), a swarm of generators (resources first; variables, data sources, locals and
/// outputs in parallel; then backend and versions; then the README and example), a validator whose findings go
/// back for at most two repair rounds, and a writer that asks before replacing existing files and writes the
/// module atomically with backups. Every phase is checkpointed; a clarification question pauses the run until it
/// is answered (`--answer`, the terminal, or `nimbus runs resume`).
public enum ModuleWorkflow {
    /// The graph name stored with each run.
    public static let name = "terraform-module"

    /// How a run is asked to behave.
    public struct Options: Sendable, Hashable, Codable {
        public var backend: BackendChoice
        /// Answers to clarification questions given up front (`--answer engine=postgres`).
        public var answers: [String: String]
        /// Replace existing files (after backing them up) without asking.
        public var overwrite: Bool
        /// The model to use (`provider:model`); nil for the offline catalog.
        public var model: String?
        /// Ask before planning a module without words of the request nobody understood (the `unknown_words`
        /// question); otherwise they are only reported in the outcome.
        public var askAboutUnknownWords: Bool

        public init(
            backend: BackendChoice = .s3, answers: [String: String] = [:], overwrite: Bool = false,
            model: String? = nil,
            askAboutUnknownWords: Bool = false
        ) {
            self.backend = backend
            self.answers = answers
            self.overwrite = overwrite
            self.model = model
            self.askAboutUnknownWords = askAboutUnknownWords
        }

        enum CodingKeys: String, CodingKey {
            case backend, answers, overwrite, model, askAboutUnknownWords
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            backend = try container.decode(BackendChoice.self, forKey: .backend)
            answers = try container.decode([String: String].self, forKey: .answers)
            overwrite = try container.decode(Bool.self, forKey: .overwrite)
            model = try container.decodeIfPresent(String.self, forKey: .model)
            // Runs stored before the question existed never ask it.
            askAboutUnknownWords = try container.decodeIfPresent(Bool.self, forKey: .askAboutUnknownWords) ?? false
        }
    }

    /// The run's state.
    public struct State: GraphState {
        public var request: String
        public var outputDirectory: String
        public var options: Options
        public var requirements: ModuleRequirements?
        public var unknownWords: [String] = []
        public var plan: PlanDocument?
        public var review: [String] = []
        public var files: [String: String] = [:]
        public var problems: [GenerationProblem] = []
        public var report: ValidationReport?
        public var repairRounds = 0
        /// A main.tf the repair round changed: the generators rebuild the other files around it.
        public var repairedResources: String?
        public var written: WriteResult?
        public var declined = false
        public var llmCalls = 0
        public var timeline: [String] = []
        public var summary = ""

        public init(request: String, outputDirectory: String, options: Options = Options()) {
            self.request = request
            self.outputDirectory = outputDirectory
            self.options = options
        }

        public static let schema = StateSchema<State>(
            .field("requirements", \.requirements),
            .field("unknown_words", \.unknownWords),
            .field("plan", \.plan),
            .field("review", \.review),
            .field("files", \.files),
            .field("problems", \.problems),
            .field("report", \.report),
            .field("repair_rounds", \.repairRounds),
            .field("repaired_resources", \.repairedResources),
            .field("written", \.written),
            .field("declined", \.declined),
            .field("llm_calls", \.llmCalls, .custom("sum") { total, calls in total += calls }),
            .field("timeline", \.timeline, .append),
            .field("summary", \.summary)
        )
    }

    /// What the graph needs at run time besides its state: the catalog, and a model when one is configured.
    public struct Services: Sendable {
        public var catalog: ModuleCatalog
        public var model: (any ChatModel)?
        public var writer: ModuleWriter

        public init(
            catalog: ModuleCatalog = .standard, model: (any ChatModel)? = nil, writer: ModuleWriter = ModuleWriter()
        ) {
            self.catalog = catalog
            self.model = model
            self.writer = writer
        }
    }

    /// The most model calls one module may take; repairs stop when it is spent.
    public static let modelCallBudget = 10

    /// The phases the supervisor sends the run to.
    static let phases = ["planner", "generate", "validate", "repair", "write", "summarize"]

    /// Compiles the workflow.
    public static func graph(
        services: Services = Services(), store: (any CheckpointStore)?, eventLog: (any GraphEventLog)? = nil
    ) throws -> CompiledGraph<State> {
        let planner = try PlannerGraph.graph(services: services)
        let generator = try GeneratorSwarm.graph(services: services)
        let retry = RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(100), retryOn: { !($0 is any NimbusError) })

        var graph = StateGraph<State>()
        graph.addNode("supervisor", destinations: phases) { state, context in
            let next = nextPhase(state)
            context.progress("supervisor: \(next)")
            var update = Update<State>()
            update.goto(Route(next))
            return update
        }
        graph.addSubgraph(
            "planner", planner, options: NodeOptions(retry: retry),
            input: { PlannerGraph.State(request: $0.request, options: $0.options) },
            output: { planned in
                Update {
                    $0.write(\.requirements, planned.requirements)
                    $0.write(\.unknownWords, planned.unknownWords)
                    $0.write(\.plan, planned.plan)
                    $0.write(\.review, planned.review)
                    $0.write(\.llmCalls, planned.llmCalls)
                    $0.append(\.timeline, "planned: " + (planned.plan.map(describe) ?? "nothing"))
                }
            })
        graph.addSubgraph(
            "generate", generator, options: NodeOptions(retry: retry),
            input: {
                GeneratorSwarm.State(plan: $0.plan!, backend: $0.options.backend, resources: $0.repairedResources)
            },
            output: { generated in
                Update {
                    $0.write(\.files, generated.files)
                    $0.write(\.problems, generated.problems)
                    $0.append(\.timeline, "generated \(generated.files.count) files")
                }
            })
        graph.addNode("validate", retry: retry) { state, context in
            context.progress("validating \(state.files.count) files")
            let planned = try state.plan!.materialize(services.catalog)
            var report = ModuleValidator.validate(files: state.files, optOuts: planned.plan.optOuts)
            for problem in state.problems {
                report.findings.append(
                    ValidationFinding(
                        check: "generation", rule: problem.generator, severity: .high, file: "", line: 0, resource: nil,
                        message: problem.message, fix: nil))
            }
            return Update {
                $0.write(\.report, report)
                $0.append(\.timeline, "validated: \(report.errors.count) blocking, \(report.findings.count) findings")
            }
        }
        graph.addNode("repair") { state, context in
            let round = state.repairRounds + 1
            context.progress("repair round \(round)")
            let (files, calls) = try await ModuleRepair.repair(
                files: state.files, report: state.report!, model: services.model,
                budget: modelCallBudget - state.llmCalls, context: context)
            // New references in main.tf need their variables, locals and outputs: the generators run again.
            let resourcesChanged = files["main.tf"] != state.files["main.tf"]
            return Update {
                $0.write(\.files, resourcesChanged ? [:] : files)
                if resourcesChanged { $0.write(\.repairedResources, files["main.tf"]) }
                $0.write(\.repairRounds, round)
                $0.write(\.report, nil)
                // Generation problems stay until the generators run again.
                if resourcesChanged { $0.write(\.problems, []) }
                $0.write(\.llmCalls, calls)
                $0.append(\.timeline, "repair round \(round)")
            }
        }
        graph.addNode("write") { state, context in
            let directory = state.outputDirectory
            let existing = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
                $0 != ".nimbus-backup"
            }
            if !existing.isEmpty, !state.options.overwrite {
                let approved = try context.interrupt(
                    [
                        "key": "overwrite",
                        "question": .string(
                            "\(directory) already has \(existing.count) entries; back them up to .nimbus-backup/ and write the module?"
                        ),
                    ] as JSONValue, accepts: .yesOrNo)
                if approved != true {
                    return Update {
                        $0.write(\.declined, true)
                        $0.append(\.timeline, "not written: overwriting was declined")
                    }
                }
            }
            var files = state.files.map { ModuleFile(path: $0.key, contents: $0.value) }
            if let report = state.report { files.append(ModuleFile(path: "VALIDATION.md", contents: report.markdown)) }
            let result = try await context.step("write-module") { _ in
                try services.writer.write(files, to: directory)
            }
            context.progress("wrote \(files.count) files to \(result.directory)")
            return Update {
                $0.write(\.written, result)
                $0.append(\.timeline, "wrote \(files.count) files" + (result.backup.map { ", backup in \($0)" } ?? ""))
            }
        }
        graph.addNode("summarize") { state, _ in
            Update(\.summary, summary(of: state))
        }
        graph.addEdge(from: START, to: "supervisor")
        for phase in ["planner", "generate", "validate", "repair", "write"] {
            graph.addEdge(from: phase, to: "supervisor")
        }
        graph.addEdge(from: "summarize", to: END)
        return try graph.compile(name: name, checkpointer: store, retention: .keepLast(100), eventLog: eventLog)
    }

    /// The services for a run's options: the model it was started with, by name.
    static func services(
        _ options: Options, threadID: String, environment: ProductEnvironment, writer: ModuleWriter = ModuleWriter()
    )
        throws -> Services
    {
        Services(model: try options.model.map { try environment.makeModel($0, "module", threadID) }, writer: writer)
    }

    /// What the supervisor does next, from what the state already has.
    static func nextPhase(_ state: State) -> String {
        if state.plan == nil { return "planner" }
        if state.files.isEmpty { return "generate" }
        guard let report = state.report else { return "validate" }
        if !report.passed { return state.repairRounds < 2 ? "repair" : "summarize" }
        if state.written == nil && !state.declined { return "write" }
        return "summarize"
    }

    static func describe(_ plan: PlanDocument) -> String {
        switch plan {
        case .catalog(let requirements):
            "\(requirements.family) '\(requirements.name)'"
                + (requirements.features.isEmpty ? "" : " with \(requirements.features.joined(separator: ", "))")
        case .composed(let composition):
            "composed '\(composition.primary.name)' of "
                + composition.parts.map { part in
                    part.family + (part.features.isEmpty ? "" : " with \(part.features.joined(separator: ", "))")
                }.joined(separator: "; ")
        case .custom(let custom): "custom '\(custom.name)' from the model"
        }
    }

    static func summary(of state: State) -> String {
        var lines: [String] = []
        if let plan = state.plan { lines.append("Module: \(describe(plan)).") }
        lines += state.review.map { "Review: \($0)." }
        if let written = state.written {
            lines.append(
                "Wrote \(written.operations.filter { $0.kind == .created || $0.kind == .replaced }.count) files to \(written.directory)"
                    + (written.link.map { " (through the symbolic link \($0), which stays as it is)." } ?? "."))
            if let backup = written.backup { lines.append("Previous files are in \(written.directory)/\(backup).") }
        } else if state.declined {
            lines.append("Nothing was written: replacing the existing files was declined.")
        } else {
            lines.append(
                "Nothing was written: the module did not pass validation after \(state.repairRounds) repair rounds.")
        }
        if let report = state.report {
            lines.append(
                "Validation: \(report.passed ? "passed" : "failed"), \(report.findings.count) findings (\(report.errors.count) blocking)."
            )
        }
        if !state.unknownWords.isEmpty {
            lines.append("Words not understood: \(state.unknownWords.joined(separator: ", ")).")
        }
        return lines.joined(separator: "\n")
    }
}

/// Fixes what the validator found: formatting offline; with a model, the files it names.
enum ModuleRepair {
    static func repair(
        files: [String: String], report: ValidationReport, model: (any ChatModel)?, budget: Int = .max,
        context: NodeContext
    ) async throws -> (files: [String: String], llmCalls: Int) {
        var repaired = files
        for finding in report.findings where finding.check == "format" {
            if let text = repaired[finding.file],
                case .success(let formatted) = Formatter.format(text, filename: finding.file)
            {
                repaired[finding.file] = formatted
            }
        }
        let remaining = report.errors.filter { $0.check != "format" && !$0.file.isEmpty }
        guard let model, !remaining.isEmpty else { return (repaired, 0) }
        var calls = 0
        for file in Set(remaining.map(\.file)).sorted() {
            guard let text = repaired[file] else { continue }
            guard calls < budget else {
                context.progress(
                    "the model-call budget (\(ModuleWorkflow.modelCallBudget)) is spent; \(file) is not repaired")
                break
            }
            let problems = remaining.filter { $0.file == file }.map {
                "line \($0.line): \($0.message)" + ($0.fix.map { " (fix: \($0))" } ?? "")
            }
            let request = ChatRequest(
                system: ModulePrompts.repairSystem,
                user: "File \(file):\n```hcl\n\(text)\n```\nProblems:\n" + problems.joined(separator: "\n"),
                temperature: 0)
            calls += 1
            let answer = try await context.step("repair-\(file)") { _ in try await model.respond(to: request).text }
            let candidate = ModulePrompts.stripFences(answer)
            // Never take a repair that does not parse.
            if !HCLParser.parse(candidate, filename: file).diagnostics.hasErrors {
                repaired[file] = (try? Formatter.format(candidate, filename: file).get()) ?? candidate
            }
        }
        return (repaired, calls)
    }
}

/// `nimbus module` as a product: a request in plain words and where to write; an outcome that says what was
/// understood, planned, reviewed, validated and written.
public struct ModulesProduct: Product {
    public static let name = "modules"
    public static let graph = ModuleWorkflow.name
    public static let summary =
        "Terraform module generator: planner, generator swarm, validator with repairs, atomic writer"
    public static func diagram() throws -> String { try ModuleWorkflow.graph(store: nil).mermaid() }

    /// Writes through this writer (tests fail it midway).
    public var writer: ModuleWriter

    public init(writer: ModuleWriter = ModuleWriter()) {
        self.writer = writer
    }

    /// What to generate, and where.
    public struct Request: Codable, Sendable, Hashable {
        /// "enterprise S3 bucket with versioning, KMS encryption and access logging".
        public var request: String
        public var outputDirectory: String
        public var options: ModuleWorkflow.Options

        public init(_ request: String, outputDirectory: String, options: ModuleWorkflow.Options = .init()) {
            self.request = request
            self.outputDirectory = outputDirectory
            self.options = options
        }

        enum CodingKeys: String, CodingKey {
            case request, options
            case outputDirectory = "output_directory"
        }
    }

    /// How a module run ended or where it waits.
    public struct Outcome: ProductOutcome, Hashable {
        public var threadID: String
        public var status: RunStatus
        public var steps: Int
        public var request: String
        public var outputDirectory: String
        public var requirements: ModuleRequirements?
        /// Words of the request nobody understood.
        public var unknownWords: [String]
        /// The security review of the plan, one line per rule outcome.
        public var review: [String]
        /// What was written, when it was.
        public var written: WriteResult?
        public var report: ValidationReport?
        public var llmCalls: Int
        public var repairRounds: Int
        /// The person said no to replacing existing files (or to going on without words not understood).
        public var declined: Bool
        public var summary: String
        public var questions: [Interrupt]

        public var state: ProductState {
            switch status {
            case .interrupted, .paused: .waiting
            case .completed: written != nil ? .done : (declined ? .refused : .failed)
            case .failed, .cancelled, .running: .failed
            }
        }

        enum CodingKeys: String, CodingKey {
            case status, steps, request, requirements, review, written, report, declined, summary, questions
            case threadID = "thread_id"
            case outputDirectory = "output_directory"
            case unknownWords = "unknown_words"
            case llmCalls = "llm_calls"
            case repairRounds = "repair_rounds"
        }

        init(_ result: RunResult<ModuleWorkflow.State>) {
            let state = result.state
            threadID = result.threadID
            status = result.status
            steps = result.steps
            request = state.request
            outputDirectory = state.outputDirectory
            requirements = state.requirements
            unknownWords = state.unknownWords
            review = state.review
            written = state.written
            report = state.report
            llmCalls = state.llmCalls
            repairRounds = state.repairRounds
            declined = state.declined
            summary = state.summary
            questions = result.interrupts
        }
    }

    public func start(_ request: Request, threadID: String?, environment: ProductEnvironment) async throws -> Outcome {
        if let threadID { try GraphError.validateThreadID(threadID) }
        let threadID = threadID ?? SortableID().rawValue
        let compiled = try ModuleWorkflow.graph(
            services: try ModuleWorkflow.services(
                request.options, threadID: threadID, environment: environment, writer: writer),
            store: environment.store, eventLog: environment.store)
        let (modes, handler) = environment.graphEvents()
        let result = try await compiled.invoke(
            ModuleWorkflow.State(
                request: request.request, outputDirectory: request.outputDirectory, options: request.options),
            // A new module run never continues another run's thread.
            configuration: RunConfiguration(threadID: threadID, requireNewThread: true), modes: modes,
            onEvent: handler)
        return try await recorded(Outcome(result), model: request.options.model, environment)
    }

    public func resume(
        threadID: String, answers: [String: JSONValue], environment: ProductEnvironment
    ) async throws
        -> Outcome
    {
        // The run goes on with the options — and the model — it was started with.
        let options = try await stored(threadID, environment: environment).state.options
        let compiled = try ModuleWorkflow.graph(
            services: try ModuleWorkflow.services(
                options, threadID: threadID, environment: environment, writer: writer),
            store: environment.store, eventLog: environment.store)
        let (modes, handler) = environment.graphEvents()
        let result = try await compiled.resume(threadID: threadID, answers: answers, modes: modes, onEvent: handler)
        return try await recorded(Outcome(result), model: options.model, environment)
    }

    /// The run in the request history.
    private func recorded(
        _ outcome: Outcome, model: String?, _ environment: ProductEnvironment
    ) async throws
        -> Outcome
    {
        try await environment.recordRequest(
            product: Self.name, threadID: outcome.threadID, text: outcome.request, state: outcome.state,
            strategy: model ?? "offline", steps: outcome.steps, answer: outcome.summary.isEmpty ? nil : outcome.summary)
        return outcome
    }

    public func outcome(threadID: String, environment: ProductEnvironment) async throws -> Outcome {
        Outcome(try await stored(threadID, environment: environment))
    }

    private func stored(
        _ threadID: String, environment: ProductEnvironment
    ) async throws
        -> RunResult<ModuleWorkflow.State>
    {
        try await ModuleWorkflow.graph(store: environment.store, eventLog: environment.store).result(threadID: threadID)
    }
}
