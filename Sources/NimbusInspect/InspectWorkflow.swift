import Foundation
import NimbusAWS
public import NimbusCore
public import NimbusGraph
public import NimbusLLM
public import NimbusSandbox

/// The iterative inspection: orchestrate → prompt → generate → validate → execute → analyse → (orchestrate | report).
///
/// Offline, the generator chooses grounded scripts from ``InspectionLibrary`` for the question; each iteration runs
/// one, validated and sandboxed, and its findings carry the AWS request ids of the calls behind them. At most
/// ``InspectWorkflow/State/maxIterations`` iterations with ``InspectWorkflow/State/maxRetries`` retries each.
/// The sandboxed run is a recorded step: a run resumed after a crash never runs a finished script again.
public enum InspectWorkflow {
    public static let name = "inspect"

    /// One iteration as the report shows it: its task (the prompt), code, policy, validation and run.
    public struct Iteration: Codable, Sendable, Hashable {
        public var number: Int
        /// The grounded script's id, `user-script` or `question`.
        public var topic: String
        public var script: String
        public var title: String
        public var origin: ScriptPackage.Origin
        /// The focused task the prompt generator wrote for this iteration.
        public var task: String
        /// The code that ran (the last attempt's).
        public var source: String
        public var policy: [String]
        public var dependencies: [String]
        public var attempts: Int
        /// `ran`, `failed validation`, `failed`, `declined`.
        public var outcome: String
        public var validation: [ScriptValidation.Finding]
        public var execution: Execution?
    }

    /// A script's run: how it ended, what it used and which AWS calls it made.
    public struct Execution: Codable, Sendable, Hashable {
        public var summary: String
        public var exitStatus: Int32?
        public var wallSeconds: Double
        public var cpuSeconds: Double
        public var peakMemoryBytes: Int
        public var stdout: String
        public var stderrTail: String
        public var calls: [SigningProxy.Call]

        enum CodingKeys: String, CodingKey {
            case summary
            case exitStatus = "exit_status"
            case wallSeconds = "wall_seconds"
            case cpuSeconds = "cpu_seconds"
            case peakMemoryBytes = "peak_memory_bytes"
            case stdout
            case stderrTail = "stderr_tail"
            case calls
        }
    }

    /// A finding with the evidence behind it.
    public struct Finding: Codable, Sendable, Hashable {
        public var severity: String
        public var resource: String
        public var title: String
        public var recommendation: String
        public var script: String
        public var iteration: Int
        /// What the script saw.
        public var evidence: JSONValue
        /// The AWS calls behind it: `service:Operation` and request id.
        public var requests: [String]
    }

    public struct State: GraphState {
        public var question: String
        public var maxIterations: Int
        public var maxRetries: Int
        /// Where the run reads from, kept so a resumed run reads from the same account and sandbox.
        public var profile: String?
        public var region: String?
        public var sandbox: String?
        /// The model that writes scripts, `provider:model`; nil chooses grounded scripts offline.
        public var model: String?
        /// A script of the user's own (`--script`), run instead of generated ones.
        public var userScript: ScriptPackage?
        public var planned: [String] = []
        /// A follow-up's resources: the ones the iteration that asked for it found; its findings are about them.
        public var focus: [String: [String]] = [:]
        public var iteration: Int = 0
        public var current: String?
        public var task: String = ""
        public var attempts: Int = 0
        public var package: ScriptPackage?
        /// What went wrong with the last attempt, for the generator's next one.
        public var feedback: String = ""
        public var validation: ScriptValidation?
        public var execution: Execution?
        public var declined: Bool = false
        public var iterations: [Iteration] = []
        public var findings: [Finding] = []
        public var checked: [String: Int] = [:]
        public var gaps: [String] = []
        public var answer: String = ""
        public var unanswerable: Bool = false

        public init(
            question: String, maxIterations: Int = 3, maxRetries: Int = 2, profile: String? = nil,
            region: String? = nil, sandbox: String? = nil, model: String? = nil, userScript: ScriptPackage? = nil
        ) {
            self.question = question
            self.maxIterations = maxIterations
            self.maxRetries = maxRetries
            self.profile = profile
            self.region = region
            self.sandbox = sandbox
            self.model = model
            self.userScript = userScript
        }

        public static let schema = StateSchema<State>(
            .field("question", \.question), .field("max_iterations", \.maxIterations),
            .field("max_retries", \.maxRetries), .field("profile", \.profile), .field("region", \.region),
            .field("sandbox", \.sandbox), .field("model", \.model), .field("user_script", \.userScript),
            .field("planned", \.planned), .field("focus", \.focus, .merge), .field("iteration", \.iteration),
            .field("current", \.current),
            .field("task", \.task), .field("attempts", \.attempts), .field("package", \.package),
            .field("feedback", \.feedback), .field("validation", \.validation), .field("execution", \.execution),
            .field("declined", \.declined), .field("iterations", \.iterations, .append),
            .field("findings", \.findings, .append), .field("checked", \.checked, .merge),
            .field("gaps", \.gaps, .append), .field("answer", \.answer), .field("unanswerable", \.unanswerable))
    }

    /// What the graph's nodes need from outside: the code generator's model, validation and the sandbox.
    public struct Runtime: Sendable {
        public var model: (any ChatModel)?
        public var validate: @Sendable (ScriptPackage) async throws -> ScriptValidation
        public var execute: @Sendable (ScriptPackage) async throws -> Execution

        public init(
            model: (any ChatModel)? = nil,
            validate: @escaping @Sendable (ScriptPackage) async throws -> ScriptValidation,
            execute: @escaping @Sendable (ScriptPackage) async throws -> Execution
        ) {
            self.model = model
            self.validate = validate
            self.execute = execute
        }
    }

    /// The topic of a user's own script, and of a question no grounded script covers (a model writes one).
    static let userTopic = "user-script"
    static let questionTopic = "question"

    public static func graph(
        runtime: Runtime?, store: (any CheckpointStore)?, eventLog: (any GraphEventLog)? = nil
    ) throws -> CompiledGraph<State> {
        var graph = StateGraph<State>()
        graph.addNode("orchestrate") { state, context in
            if state.iteration > 0 {
                // What the last iteration found decides what else to look at: its script's follow-ups, while
                // iterations remain.
                let last = state.iterations.last
                let found = state.findings.contains { $0.iteration == state.iteration }
                let next = (last.flatMap { InspectionLibrary.script($0.topic) }?.followUps ?? [])
                    .filter { !state.planned.contains($0) && InspectionLibrary.script($0) != nil }
                guard found, !next.isEmpty, state.planned.count < state.maxIterations else {
                    return Update { $0.write(\.current, nil) }
                }
                let added = Array(next.prefix(state.maxIterations - state.planned.count))
                let resources = Array(Set(state.findings.filter { $0.iteration == state.iteration }.map(\.resource)))
                    .sorted()
                context.progress(
                    "found \(counted(resources.count, "resource")); next, about them: "
                        + added.joined(separator: ", "))
                return Update {
                    $0.write(\.current, nil)
                    $0.write(\.planned, state.planned + added)
                    $0.write(\.focus, Dictionary(uniqueKeysWithValues: added.map { ($0, resources) }))
                }
            }
            guard state.planned.isEmpty else { return Update { $0.write(\.current, nil) } }
            if state.userScript != nil { return Update { $0.write(\.planned, [userTopic]) } }
            let scripts = InspectionLibrary.matching(state.question).prefix(max(1, state.maxIterations))
            if scripts.isEmpty, state.model != nil {
                context.progress("no grounded script covers the question; the model writes one")
                return Update { $0.write(\.planned, [questionTopic]) }
            }
            guard !scripts.isEmpty else {
                let topics = InspectionLibrary.all.map(\.title).joined(separator: "; ")
                return Update {
                    $0.write(\.unanswerable, true)
                    $0.write(
                        \.answer,
                        "Nimbus has no inspection for that question offline (configure a model to have one written). "
                            + "It can look at: \(topics).")
                }
            }
            context.progress(
                "planned \(counted(scripts.count, "script")): "
                    + scripts.map(\.id).joined(separator: ", "))
            return Update { $0.write(\.planned, scripts.map(\.id)) }
        }
        graph.addNode("prompt") { state, context in
            let done = Set(state.iterations.map(\.topic))
            guard let next = state.planned.first(where: { !done.contains($0) }) else {
                return Update { $0.write(\.current, nil) }
            }
            let task = Self.task(for: next, state: state)
            context.progress("iteration \(state.iteration + 1): \(task.title)")
            return Update {
                $0.write(\.iteration, state.iteration + 1)
                $0.write(\.current, next)
                $0.write(\.task, task.text)
                $0.write(\.attempts, 0)
                $0.write(\.feedback, "")
                $0.write(\.declined, false)
                $0.write(\.package, nil)
                $0.write(\.validation, nil)
                $0.write(\.execution, nil)
            }
        }
        graph.addNode("generate") { state, context in
            guard let topic = state.current else { return Update() }
            let attempt = state.attempts + 1
            // Recorded: a resumed run does not ask the model again for a package it already has.
            let package = try await context.step("generate-\(state.iteration)-\(attempt)") { _ in
                try await generate(topic: topic, state: state, model: runtime?.model, context: context)
            }
            return Update {
                $0.write(\.attempts, attempt)
                $0.write(\.package, package)
                $0.write(\.validation, nil)
                $0.write(\.execution, nil)
            }
        }
        graph.addNode("validate") { state, context in
            guard let runtime, let package = state.package else {
                throw InspectError.cannotRun("the inspection has no runtime to validate with")
            }
            let writes = package.actions.filter { OperationModel.access(named: $0) != .read }
            context.progress("policy: \(package.actions.joined(separator: ", "))")
            if package.origin == .user, !writes.isEmpty {
                // A user's policy that names more than reads is shown and must be approved; the proxy still serves
                // reads only.
                let approved =
                    try context.interrupt(
                        [
                            "question": .string(
                                "The script's policy allows \(writes.joined(separator: ", ")), which are not reads. "
                                    + "Run it? (the proxy refuses every write regardless)"),
                            "policy": .array(package.actions.map(JSONValue.string)),
                            // Lets `--answer approve_policy=true` approve it up front.
                            "key": "approve_policy",
                        ] as JSONValue, accepts: .yesOrNo) == true
                guard approved else { return Update { $0.write(\.declined, true) } }
            }
            var validation = try await runtime.validate(package)
            if package.origin != .user {
                // The inspection never writes: a generated policy that names a write is sent back.
                validation.findings += writes.map { action in
                    ScriptValidation.Finding(
                        check: "policy", severity: .error, line: nil, code: "write-action",
                        message: "the policy names \(action), which is not a read; inspections only read")
                }
            }
            context.progress(
                validation.passed
                    ? "validated: \(validation.operations.joined(separator: ", "))"
                    : "validation failed: \(validation.errorSummary)")
            return Update {
                $0.write(\.validation, validation)
                if !validation.passed { $0.write(\.feedback, "validation failed: " + validation.errorSummary) }
            }
        }
        graph.addNode("execute") { state, context in
            guard let runtime, let package = state.package else {
                throw InspectError.cannotRun("the inspection has no sandbox to run in")
            }
            // Recorded: resumed after a crash, the finished run's result is returned, the script is not run again.
            let execution = try await context.step("run-\(state.iteration)-\(state.attempts)") { _ in
                try await runtime.execute(package)
            }
            context.progress("ran \(package.id): \(execution.summary), \(counted(execution.calls.count, "AWS call"))")
            let failure = Self.failure(of: execution)
            return Update {
                $0.write(\.execution, execution)
                if let failure { $0.write(\.feedback, "the run failed: " + failure) }
            }
        }
        graph.addNode("analyse") { state, context in
            guard let topic = state.current else { return Update() }
            let package = state.package
            let title = package?.title ?? topic
            var iteration = Iteration(
                number: state.iteration, topic: topic, script: package?.id ?? topic, title: title,
                origin: package?.origin ?? .library, task: state.task, source: package?.source ?? "",
                policy: package?.actions ?? [], dependencies: package?.dependencies ?? [], attempts: state.attempts,
                outcome: "ran", validation: state.validation?.findings ?? [], execution: state.execution)
            if state.declined {
                iteration.outcome = "declined"
                return Update {
                    $0.append(\.iterations, iteration)
                    $0.append(\.gaps, "\(title): its policy was not approved, so it did not run")
                }
            }
            guard state.validation?.passed == true else {
                iteration.outcome = "failed validation"
                return Update {
                    $0.append(\.iterations, iteration)
                    $0.append(
                        \.gaps,
                        "\(title): \(state.feedback.isEmpty ? "the script did not pass validation" : state.feedback)")
                }
            }
            guard let execution = state.execution, Self.failure(of: execution) == nil,
                let report = Self.report(execution)
            else {
                iteration.outcome = "failed"
                let why = state.execution.flatMap(Self.failure(of:)) ?? "it did not run"
                return Update {
                    $0.append(\.iterations, iteration)
                    $0.append(\.gaps, "\(title): \(why)")
                }
            }
            var findings = Self.findings(
                report, execution: execution, script: package?.id ?? topic, iteration: state.iteration)
            if let focus = state.focus[topic] {
                // A follow-up answers about what the earlier iteration found, not the whole account.
                let wanted = Set(focus)
                findings = findings.filter { wanted.contains($0.resource) }
            }
            let refused = execution.calls.filter { !$0.allowed }.map { "\($0.service):\($0.operation)" }
            context.progress(
                "analysed: \(counted(findings.count, "finding")) in \(counted(report.checked, "resource"))")
            return Update {
                $0.append(\.iterations, iteration)
                $0.write(\.findings, findings)
                $0.write(\.checked, [topic: report.checked])
                if !refused.isEmpty {
                    $0.append(\.gaps, "\(title): the proxy refused \(refused.joined(separator: ", "))")
                }
            }
        }
        graph.addNode("report") { state, context in
            context.progress("writing the answer")
            return Update { $0.write(\.answer, answer(state)) }
        }

        graph.addEdge(from: START, to: "orchestrate")
        graph.addConditionalEdge(from: "orchestrate", to: ["prompt", "report"]) { state in
            if state.unanswerable { return "report" }
            let done = Set(state.iterations.map(\.topic))
            let remaining = state.planned.contains { !done.contains($0) }
            return remaining && state.iteration < state.maxIterations ? "prompt" : "report"
        }
        graph.addConditionalEdge(from: "prompt", to: ["generate", "report"]) { state in
            state.current == nil ? "report" : "generate"
        }
        graph.addEdge(from: "generate", to: "validate")
        graph.addConditionalEdge(from: "validate", to: ["execute", "generate", "analyse"]) { state in
            if state.declined { return "analyse" }
            if state.validation?.passed == true { return "execute" }
            return retries(state) ? "generate" : "analyse"
        }
        graph.addConditionalEdge(from: "execute", to: ["analyse", "generate"]) { state in
            let failed = state.execution.flatMap(failure(of:)) != nil
            return failed && retries(state) ? "generate" : "analyse"
        }
        graph.addEdge(from: "analyse", to: "orchestrate")
        graph.addEdge(from: "report", to: END)
        return try graph.compile(name: name, checkpointer: store, retention: .keepLast(50), eventLog: eventLog)
    }

    /// Whether a failed attempt is tried again: while retries remain, and only when the next attempt can differ
    /// (a model writes it again, or it failed at run time; a grounded script that fails validation fails again).
    static func retries(_ state: State) -> Bool {
        guard state.attempts <= state.maxRetries else { return false }
        if state.validation?.passed == false, state.package?.origin != .model { return false }
        return true
    }

    /// Why a run counts as failed, or nil: a non-zero exit, a limit, or output that is not the JSON report.
    static func failure(of execution: Execution) -> String? {
        if execution.exitStatus != 0 {
            let tail = execution.stderrTail.split(separator: "\n").suffix(3).joined(separator: " | ")
            return "\(execution.summary)\(tail.isEmpty ? "" : ": " + tail)"
        }
        if report(execution) == nil {
            return "it printed no JSON report ({\"checked\": N, \"findings\": [...]}) on standard output"
        }
        return nil
    }

    static func report(_ execution: Execution) -> ScriptReport? {
        let text = execution.stdout.split(separator: "\n").last.map(String.init) ?? ""
        return try? JSONDecoder().decode(ScriptReport.self, from: Data(text.utf8))
    }

    /// A script's findings with the AWS calls behind each: the calls of the operation its evidence names, else
    /// every call the script made.
    static func findings(_ report: ScriptReport, execution: Execution, script: String, iteration: Int) -> [Finding] {
        let calls = execution.calls.filter(\.allowed)
        return report.findings.map { finding in
            let operation = finding.evidence?["operation"]?.stringValue?.lowercased()
            let named = calls.filter { call in
                guard let operation else { return false }
                let name = "\(call.service):\(call.operation)".lowercased()
                return name == operation || call.actions.contains { $0.lowercased() == operation }
            }
            // Calls that read this very resource (S3's are one per bucket, by path), else the operation's calls.
            let name = finding.resource.split(whereSeparator: { $0 == ":" || $0 == "/" }).last.map(String.init) ?? ""
            let own = named.filter { call in
                guard let path = call.path, !name.isEmpty else { return false }
                return path.split(separator: "/").contains { $0 == name }
            }
            let chosen = own.isEmpty ? (named.isEmpty ? calls : named) : own
            let behind = chosen.prefix(20).map { "\($0.service):\($0.operation) \($0.requestID ?? "-")" }
            return Finding(
                severity: finding.severity, resource: finding.resource, title: finding.title,
                recommendation: finding.recommendation, script: script, iteration: iteration,
                evidence: finding.evidence ?? .null, requests: behind)
        }
    }

    /// The prompt generator: a focused task for the next script, informed by what earlier iterations found.
    static func task(for topic: String, state: State) -> (title: String, text: String) {
        let earlier =
            state.findings.isEmpty
            ? "nothing found yet"
            : "\(state.findings.count) finding(s) so far, from \(Set(state.findings.map(\.script)).sorted().joined(separator: ", "))"
        let gaps = state.gaps.isEmpty ? "" : " Still missing: \(state.gaps.joined(separator: "; "))."
        let success =
            "Success: print one JSON object {\"checked\": N, \"findings\": [{severity, resource (ARN), title, "
            + "evidence {operation, …}, recommendation}]}."
        switch topic {
        case userTopic:
            let title = state.userScript?.title ?? "your script"
            return (title, "Run \(title) for: \(state.question). \(success) Context: \(earlier).\(gaps)")
        case questionTopic:
            return (
                "a script for the question",
                "Answer: \(state.question). Collect only what the question needs, with read calls. \(success) "
                    + "Context: \(earlier).\(gaps)"
            )
        default:
            let script = InspectionLibrary.script(topic)
            let title = script?.title ?? topic
            var needed = script.map { " Needed: \($0.actions.joined(separator: ", "))." } ?? ""
            if let focus = state.focus[topic] {
                needed += " Report only on what the last iteration found: \(focus.prefix(20).joined(separator: ", "))."
            }
            return (
                title,
                "Collect: \(title.lowercased()), for: \(state.question).\(needed) \(success) Context: \(earlier).\(gaps)"
            )
        }
    }

    /// The code generator: the user's script, a grounded script offline, or a new one from the model, shaped like
    /// the grounded one and told what was wrong with the last attempt.
    static func generate(
        topic: String, state: State, model: (any ChatModel)?, context: NodeContext
    ) async throws -> ScriptPackage {
        if topic == userTopic, let user = state.userScript { return user }
        let grounded = InspectionLibrary.script(topic).map { ScriptPackage(grounded: $0, question: state.question) }
        guard let model, state.model != nil else {
            guard let grounded else {
                throw InspectError.cannotRun("no grounded script for \(topic) and no model to write one")
            }
            context.progress("using the grounded script \(grounded.id)")
            return grounded
        }
        context.progress("asking \(model.name) for a script (attempt \(state.attempts + 1))")
        do {
            let response = try await model.respond(
                to: ChatRequest(
                    system: ScriptPackage.instructions,
                    user: ScriptPackage.prompt(task: state.task, example: grounded, feedback: state.feedback)),
                format: ScriptPackage.format)
            let written = try response.decode(ScriptPackage.Written.self)
            return ScriptPackage(
                id: grounded?.id ?? "generated", title: written.title ?? grounded?.title ?? "a generated script",
                source: written.script, actions: written.actions,
                dependencies: written.dependencies ?? SandboxPython.packages, arguments: grounded?.arguments ?? [],
                origin: .model)
        } catch let error as CancellationError {
            throw error
        } catch {
            guard let grounded else { throw error }
            context.progress(
                "the model did not write a usable script (\(error.localizedDescription)); using \(grounded.id)")
            return grounded
        }
    }

    /// The answer in words.
    static func answer(_ state: State) -> String {
        if state.unanswerable { return state.answer }
        let checked = state.checked.values.reduce(0, +)
        var lines: [String] = []
        if state.findings.isEmpty {
            lines.append("No problems found in \(counted(checked, "resource")) checked.")
        } else {
            let high = state.findings.filter { $0.severity == "high" }.count
            lines.append(
                "\(counted(state.findings.count, "finding")) (\(high) high) in \(counted(checked, "resource")) checked:"
            )
            for finding in state.findings {
                lines.append("- [\(finding.severity)] \(finding.resource): \(finding.title)")
            }
        }
        if !state.gaps.isEmpty { lines.append("Not covered: " + state.gaps.joined(separator: "; ") + ".") }
        return lines.joined(separator: "\n")
    }
}
