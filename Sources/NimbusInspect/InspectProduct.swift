import Foundation
import NimbusAWS
import NimbusAgents
public import NimbusCore
public import NimbusGraph
public import NimbusProducts
import NimbusSandbox
import NimbusStore

#if canImport(Glibc)
import Glibc
#endif

/// `nimbus inspect`: a question about an account, answered by validated boto3 scripts run in the sandbox, with every
/// finding tied to the AWS calls behind it.
public struct InspectProduct: Product {
    public static let name = "inspect"
    public static let graph = InspectWorkflow.name
    public static let summary = "answers a question about an account with sandboxed boto3 scripts and evidence"
    public static func diagram() throws -> String { try InspectWorkflow.graph(runtime: nil, store: nil).mermaid() }

    public init() {}

    public struct Request: Codable, Sendable, Hashable {
        public var question: String
        public var profile: String?
        public var region: String?
        /// `bubblewrap` (the default) or `process` (a plain process, only when asked for by name).
        public var sandbox: String?
        public var maxIterations: Int?
        public var maxRetries: Int?
        /// The model that writes scripts (`provider:model`); default: `llm.agents.inspect`, else `llm.model`.
        public var model: String?
        /// Choose grounded scripts even when a model is configured.
        public var offline: Bool?
        /// A script of the caller's own, as text (never a path: a server does not read its disk for a request).
        public var script: String?
        /// The IAM policy document for ``script``.
        public var policy: JSONValue?
        /// What to call the script in the report.
        public var scriptName: String?

        public init(
            question: String, profile: String? = nil, region: String? = nil, sandbox: String? = nil,
            maxIterations: Int? = nil, maxRetries: Int? = nil, model: String? = nil, offline: Bool? = nil,
            script: String? = nil, policy: JSONValue? = nil, scriptName: String? = nil
        ) {
            self.question = question
            self.profile = profile
            self.region = region
            self.sandbox = sandbox
            self.maxIterations = maxIterations
            self.maxRetries = maxRetries
            self.model = model
            self.offline = offline
            self.script = script
            self.policy = policy
            self.scriptName = scriptName
        }

        enum CodingKeys: String, CodingKey {
            case question, profile, region, sandbox, model, offline, script, policy
            case maxIterations = "max_iterations"
            case maxRetries = "max_retries"
            case scriptName = "script_name"
        }
    }

    public struct Outcome: ProductOutcome, Hashable {
        public var threadID: String
        public var status: RunStatus
        public var question: String
        public var answer: String
        public var findings: [InspectWorkflow.Finding]
        public var iterations: [InspectWorkflow.Iteration]
        public var gaps: [String]
        public var checked: Int
        public var unanswerable: Bool
        /// The model that wrote scripts; nil offline.
        public var model: String?
        public var questions: [Interrupt]

        public var state: ProductState {
            if unanswerable { return .refused }
            switch status {
            case .completed: return .done
            case .interrupted, .paused: return .waiting
            case .failed, .cancelled, .running: return .failed
            }
        }

        enum CodingKeys: String, CodingKey {
            case threadID = "thread_id"
            case status, question, answer, findings, iterations, gaps, checked, unanswerable, model, questions
        }

        init(_ result: RunResult<InspectWorkflow.State>) {
            threadID = result.threadID
            status = result.status
            question = result.state.question
            answer = result.state.answer
            findings = result.state.findings
            iterations = result.state.iterations
            gaps = result.state.gaps
            checked = result.state.checked.values.reduce(0, +)
            unanswerable = result.state.unanswerable
            model = result.state.model
            questions = result.interrupts
        }
    }

    public func start(_ request: Request, threadID: String?, environment: ProductEnvironment) async throws -> Outcome {
        if let threadID { try GraphError.validateThreadID(threadID) }
        let question = request.question.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !question.isEmpty else { throw InspectError("the question is empty") }
        let iterations = request.maxIterations ?? 3
        let retries = request.maxRetries ?? 2
        guard (1...10).contains(iterations), (0...5).contains(retries) else {
            throw InspectError("max_iterations takes 1 to 10 and max_retries 0 to 5")
        }
        let thread = threadID ?? SortableID().rawValue
        var userScript: ScriptPackage?
        if let source = request.script {
            guard let policy = request.policy else {
                throw InspectError("a script of your own needs its IAM policy (the actions it may call)")
            }
            let parsed = try SandboxPolicy(json: Data(policy.jsonText.utf8))
            userScript = ScriptPackage(userScript: source, policy: parsed, name: request.scriptName ?? "your script")
        } else if request.policy != nil {
            throw InspectError("a policy was given without a script")
        }
        let modelName =
            request.offline == true || userScript != nil
            ? nil : request.model ?? environment.modelName(Self.name)
        _ = try SandboxKind(named: request.sandbox ?? SandboxKind.bubblewrap.rawValue)
        let (modes, handler) = environment.graphEvents()
        let graph = try InspectWorkflow.graph(
            runtime: try runtime(request, model: modelName, thread: thread, environment: environment),
            store: environment.store, eventLog: environment.store)
        let result = try await graph.invoke(
            InspectWorkflow.State(
                question: question, maxIterations: iterations, maxRetries: retries, profile: request.profile,
                region: request.region, sandbox: request.sandbox, model: modelName, userScript: userScript),
            configuration: RunConfiguration(threadID: thread, requireNewThread: threadID != nil), modes: modes,
            onEvent: handler)
        return try await recorded(Outcome(result), environment)
    }

    public func resume(
        threadID: String, answers: [String: JSONValue], environment: ProductEnvironment
    ) async throws -> Outcome {
        let stored = try await InspectWorkflow.graph(runtime: nil, store: environment.store).state(threadID: threadID)
        let request = Request(
            question: stored.state.question, profile: stored.state.profile, region: stored.state.region,
            sandbox: stored.state.sandbox)
        let (modes, handler) = environment.graphEvents()
        let result = try await InspectWorkflow.graph(
            runtime: try runtime(request, model: stored.state.model, thread: threadID, environment: environment),
            store: environment.store, eventLog: environment.store
        ).resume(threadID: threadID, answers: answers, modes: modes, onEvent: handler)
        return try await recorded(Outcome(result), environment)
    }

    public func outcome(threadID: String, environment: ProductEnvironment) async throws -> Outcome {
        Outcome(try await InspectWorkflow.graph(runtime: nil, store: environment.store).result(threadID: threadID))
    }

    private func recorded(_ outcome: Outcome, _ environment: ProductEnvironment) async throws -> Outcome {
        try await environment.recordRequest(
            product: Self.name, threadID: outcome.threadID, text: outcome.question, state: outcome.state,
            strategy: outcome.model ?? "offline", steps: outcome.iterations.count,
            answer: outcome.answer.isEmpty ? nil : outcome.answer)
        return outcome
    }

    /// Validation and the sandbox for one run: the host's credentials stay with the proxy; every call is audited
    /// under the run's thread.
    func runtime(
        _ request: Request, model: String?, thread: String, environment: ProductEnvironment
    ) throws -> InspectWorkflow.Runtime {
        let home = environment.home
        let python = SandboxPython.location(home: home)
        let checkers = SandboxPython.checkers(home: home)
        let kind = try SandboxKind(named: request.sandbox ?? SandboxKind.bubblewrap.rawValue)
        let gate = AWSGate(
            policy: try environment.policy(), readOnly: true, audit: environment.store, requestID: thread,
            tool: "inspect")
        let client = try environment.awsClient(request.profile, request.region, gate)
        let store = environment.store
        let events = environment.events
        return InspectWorkflow.Runtime(
            model: try model.map { try environment.makeModel($0, Self.name, thread) },
            validate: { script in
                for environment in [python, checkers] where !environment.isReady {
                    try await environment.prepare { line in
                        events(ProductEvent(type: .progress, threadID: thread, agent: "prepare", message: line))
                    }
                }
                return try await ScriptValidator(runtime: python, checkers: checkers).validate(
                    script: script.source, policy: script.policy)
            },
            execute: { script in
                let sandbox = try kind.sandbox(python: python)
                let (result, calls) = try await AuditedSandbox.run(
                    SandboxJob(script: script.source, arguments: script.arguments, limits: Self.limits), in: sandbox,
                    policy: script.policy, client: client, audit: store, requestID: thread,
                    tool: "inspect:\(script.id)")
                return InspectWorkflow.Execution(
                    summary: result.summary, exitStatus: result.exitStatus, wallSeconds: result.wallSeconds,
                    cpuSeconds: result.cpuSeconds, peakMemoryBytes: result.peakMemoryBytes,
                    stdout: String(result.stdoutText.prefix(1 << 20)),
                    stderrTail: String(result.stderrText.suffix(2000)),
                    calls: calls)
            })
    }
}

extension InspectProduct {
    /// An inspection script's limits: the sandbox's defaults, but five minutes of wall time, since a script that
    /// reads every bucket of a large account makes a few calls per bucket, each through the proxy.
    static let limits = SandboxLimits(wallSeconds: 300)
}

/// A request the inspection cannot take (`bad_request`), or a run that cannot go on (`cannot_run`).
public struct InspectError: NimbusError {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case badRequest = "bad_request"
        case cannotRun = "cannot_run"
    }
    public let code: Code
    public let message: String

    public init(_ message: String) { self.init(.badRequest, message) }

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    static func cannotRun(_ message: String) -> InspectError { InspectError(.cannotRun, message) }

    public var errorCode: ErrorCode {
        ErrorCode("inspect", code.rawValue, code == .badRequest ? .invalidInput : .internal)
    }
}
