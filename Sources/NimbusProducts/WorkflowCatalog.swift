public import NimbusAgents
public import NimbusCore
public import NimbusGraph
public import NimbusLLM
public import NimbusStore

/// How a workflow run ended or paused, without the workflow's Swift state type: what the CLI and server show.
public struct WorkflowOutcome: Sendable {
    public let threadID: String
    public let status: RunStatus
    public let interrupts: [Interrupt]
    /// The final (or paused) state as JSON.
    public let state: JSONValue
    public let steps: Int
    /// Secrets the run's calls returned, for the person who resumed it and nobody else (see
    /// ``RevealedSecrets``); never part of ``state``.
    public var revealed: [RevealedSecrets.Secret] = []

    public init(threadID: String, status: RunStatus, interrupts: [Interrupt], state: JSONValue, steps: Int) {
        self.threadID = threadID
        self.status = status
        self.interrupts = interrupts
        self.state = state
        self.steps = steps
    }

    /// Wraps a typed run result.
    public init<State: GraphState>(_ result: RunResult<State>) throws {
        self.init(
            threadID: result.threadID, status: result.status, interrupts: result.interrupts,
            state: try JSONValue(encoding: result.state), steps: result.steps)
    }
}

/// What a workflow needs to run: the store, the models, and who is watching.
public struct WorkflowEnvironment: Sendable {
    public var store: any Store
    public var configuration: NimbusConfiguration
    public var modes: EventModes
    public var onEvent: @Sendable (GraphEvent) -> Void
    /// Makes the model named `provider:model` for an agent (with the configured fallback, cache and accounting).
    /// A resumed run asks for the model it started with, by name. `threadID` is the run's, for the accounting of
    /// each call in `agent_executions`.
    public var makeModel: @Sendable (_ name: String, _ agent: String, _ threadID: String) throws -> any ChatModel

    public init(
        store: any Store, configuration: NimbusConfiguration, modes: EventModes = [],
        onEvent: @escaping @Sendable (GraphEvent) -> Void = { _ in },
        makeModel: @escaping @Sendable (_ name: String, _ agent: String, _ threadID: String) throws -> any ChatModel = {
            name, _, _ in
            throw WorkflowError.noModel(name)
        }
    ) {
        self.store = store
        self.configuration = configuration
        self.modes = modes
        self.onEvent = onEvent
        self.makeModel = makeModel
    }
}

/// A workflow the CLI and server can resume by the graph name stored with each thread.
public struct RegisteredWorkflow: Sendable {
    public let name: String
    public let summary: String
    /// The graph as a Mermaid diagram.
    public let diagram: @Sendable () throws -> String
    let resumeRun: @Sendable (String, [String: JSONValue], WorkflowEnvironment) async throws -> WorkflowOutcome

    public init(
        name: String, summary: String, diagram: @escaping @Sendable () throws -> String,
        resume: @escaping @Sendable (String, [String: JSONValue], WorkflowEnvironment) async throws -> WorkflowOutcome
    ) {
        self.name = name
        self.summary = summary
        self.diagram = diagram
        self.resumeRun = resume
    }

    /// Continues a paused, failed or crashed run of this workflow.
    public func resume(
        threadID: String, answers: [String: JSONValue], environment: WorkflowEnvironment
    ) async throws
        -> WorkflowOutcome
    {
        try await resumeRun(threadID, answers, environment)
    }
}

/// The workflows a host knows, by graph name: the ones it is built with, and any registered at run time (the
/// agents.yaml issue adds user-defined workflows here). A value, made by the host; no process-wide list.
public struct WorkflowCatalog: Sendable {
    public private(set) var all: [RegisteredWorkflow]

    public init(_ workflows: [RegisteredWorkflow] = []) {
        all = workflows
    }

    /// Adds a workflow, or replaces the one with its name.
    public mutating func register(_ workflow: RegisteredWorkflow) {
        all.removeAll { $0.name == workflow.name }
        all.append(workflow)
    }

    /// The workflow that runs graph `name`, if this catalog knows it.
    public func workflow(named name: String) -> RegisteredWorkflow? {
        all.first { $0.name == name }
    }

    /// The workflow that runs graph `name`, or an error naming the thread and the graphs this catalog knows.
    public func workflow(named name: String, thread: String) throws -> RegisteredWorkflow {
        guard let workflow = workflow(named: name) else {
            throw WorkflowError.unknownWorkflow(name, thread: thread, known: all.map(\.name))
        }
        return workflow
    }
}

/// A problem running a workflow.
public struct WorkflowError: NimbusError {
    private enum Code: Sendable { case unknownWorkflow, badOutput, noModel }
    private let code: Code
    public let message: String
    public let suggestion: String?

    public static func unknownWorkflow(_ name: String, thread: String, known: [String]) -> WorkflowError {
        WorkflowError(
            code: .unknownWorkflow,
            message: "thread '\(thread)' runs graph '\(name)', which this nimbus does not know",
            suggestion: "known graphs: \(known.joined(separator: ", "))")
    }

    public static func noModel(_ name: String) -> WorkflowError {
        WorkflowError(
            code: .noModel, message: "this environment cannot make model '\(name)'",
            suggestion: "run it from the nimbus command, which reads llm: from the configuration")
    }

    public static func badOutput(_ path: String, detail: String) -> WorkflowError {
        WorkflowError(code: .badOutput, message: "cannot write to \(path): \(detail)", suggestion: nil)
    }
}
