public import NimbusCore
public import NimbusGraph
public import NimbusLLM

/// What a request lets an agent do: the person's words, the scope they imply, and the run's switches.
public struct AgentSettings: Sendable, Hashable, Codable {
    public var request: String
    public var scope: RequestScope
    /// Refuse every step that is not a read (`--read-only`).
    public var readOnly: Bool
    /// Who approves steps that need it without asking (`"--yes"`); nil asks with an interrupt.
    public var approvedBy: String?
    /// Stop once the first plan is reviewed (`--plan`): show it, run nothing.
    public var planOnly: Bool

    public init(
        request: String, scope: RequestScope? = nil, readOnly: Bool = false, approvedBy: String? = nil,
        planOnly: Bool = false
    ) {
        self.request = request
        self.scope = scope ?? RequestScope.infer(from: request)
        self.readOnly = readOnly
        self.approvedBy = approvedBy
        self.planOnly = planOnly
    }
}

/// The state of ``ToolCallingAgent/graph(name:checkpointer:eventLog:)``: the settings and the loop.
public struct AgentRun: GraphState {
    public var settings: AgentSettings
    public var loop: AgentLoop

    public init(settings: AgentSettings, loop: AgentLoop) {
        self.settings = settings
        self.loop = loop
    }

    public static let schema = StateSchema<AgentRun>(.field("settings", \.settings), .field("loop", \.loop))
}

/// Where a tool-calling conversation stands: the messages so far, the plan of the current turn, and every step
/// run. It lives in graph state, so a paused or crashed run continues where it stopped.
public struct AgentLoop: Sendable, Hashable, Codable {
    public var messages: [ChatMessage]
    /// The current turn's reviewed steps, until they run.
    public var plan: [PlannedStep] = []
    /// Every step so far, in order.
    public var executed: [ExecutedStep] = []
    /// Turns that ended in tool calls.
    public var turns = 0
    /// The final answer, once there is one.
    public var answer: String?
    /// The number the next proposed step gets.
    public var nextStep = 1

    public init(messages: [ChatMessage] = []) {
        self.messages = messages
    }

    /// Whether the loop has its answer.
    public var isFinished: Bool { answer != nil }
}

/// A tool-calling agent over any ``ChatModel``: the model proposes tool calls; each proposal is checked against
/// the registry, the request's scope and the policy; write and delete steps wait for approval (an interrupt);
/// then the steps run as recorded steps and their results go back to the model as quoted data, until the model
/// answers or the turn limit is reached.
///
/// The pieces are public so a workflow can put them in its own graph (the ops workflow does); ``graph(name:
/// checkpointer:)`` wires them into a ready-made one.
public struct ToolCallingAgent<Environment: Sendable>: Sendable {
    public var name: String
    public var model: any ChatModel
    public var registry: ToolRegistry<Environment>
    public var policy: ApprovalPolicy
    /// Makes the tools' environment for a run.
    public var environment: @Sendable (NodeContext) throws -> Environment
    public var describeFailure: @Sendable (any Error) -> StepFailure
    /// The most turns that end in tool calls before the agent stops and reports.
    public var maxTurns: Int
    /// The tool choice of the first turn: `.auto`, or a forced tool for models that cannot choose one themselves.
    public var firstTurnToolChoice: ToolChoice
    /// The longest tool result sent to the model, in characters.
    public var maxResultCharacters: Int
    public var temperature: Double?
    /// Where the secrets of results go, for the person who asked (``StepExecutor/revealed``).
    public var revealed: RevealedSecrets?
    /// Opens sealed secrets in a step's arguments before it runs (``StepExecutor/openSealed``).
    public var openSealed: @Sendable (JSONValue) throws -> JSONValue = { $0 }

    public init(
        name: String, model: any ChatModel, registry: ToolRegistry<Environment>, policy: ApprovalPolicy = .standard,
        environment: @escaping @Sendable (NodeContext) throws -> Environment,
        describeFailure: @escaping @Sendable (any Error) -> StepFailure = StepFailure.describing,
        maxTurns: Int = 8, firstTurnToolChoice: ToolChoice = .auto, maxResultCharacters: Int = 8000,
        temperature: Double? = 0
    ) {
        self.name = name
        self.model = model
        self.registry = registry
        self.policy = policy
        self.environment = environment
        self.describeFailure = describeFailure
        self.maxTurns = maxTurns
        self.firstTurnToolChoice = firstTurnToolChoice
        self.maxResultCharacters = maxResultCharacters
        self.temperature = temperature
    }

    /// The opening of a conversation: the system prompt (with the data-not-instructions rule), earlier turns,
    /// and the request.
    public func start(
        _ settings: AgentSettings, instructions: String, history: [ChatMessage] = []
    ) -> AgentLoop {
        let system = instructions + "\n\n" + ToolResultQuoting.rule
        return AgentLoop(messages: [.system(system)] + history + [.user(settings.request)])
    }

    public func reviewer(_ settings: AgentSettings) -> PlanReviewer<Environment> {
        PlanReviewer(registry: registry, policy: policy, scope: settings.scope, readOnly: settings.readOnly)
    }

    public func executor(_ settings: AgentSettings) -> StepExecutor<Environment> {
        StepExecutor(
            reviewer: reviewer(settings), environment: environment, describeFailure: describeFailure,
            revealed: revealed, openSealed: openSealed)
    }

    // MARK: The loop's steps

    /// Asks the model for its next move (a recorded step, so a resumed run does not ask again). Tool calls become
    /// the reviewed plan of this turn, with the reads they depend on previewed; a text answer ends the loop.
    public func propose(_ loop: AgentLoop, settings: AgentSettings, context: NodeContext) async throws -> AgentLoop {
        var loop = loop
        guard loop.turns < maxTurns else {
            loop.answer =
                "I stopped after \(loop.turns) rounds of tool calls without a final answer. "
                + "What ran is listed above; ask again with a narrower request."
            return loop
        }
        let maxAccess = settings.readOnly ? ToolAccess.read : settings.scope.maxAccess
        let request = ChatRequest(
            messages: loop.messages, tools: registry.definitions(maxAccess: maxAccess),
            toolChoice: loop.turns == 0 ? firstTurnToolChoice : .auto, temperature: temperature)
        context.progress("asking \(model.name)")
        let response = try await context.step("model") { try await model.respond(to: request) }
        loop.messages.append(response.message)
        guard !response.toolCalls.isEmpty else {
            loop.answer = response.text.trimmingCharacters(in: .whitespacesAndNewlines)
            return loop
        }
        var steps: [PlannedStep] = []
        for call in response.toolCalls {
            var step = PlannedStep(number: loop.nextStep, tool: call.name, callID: call.id)
            loop.nextStep += 1
            do {
                step.arguments = try call.argumentsJSON()
            } catch {
                step.decision = .refused(reason: "\(error)")
            }
            steps.append(step)
        }
        let reviewer = reviewer(settings)
        loop.plan = steps.map { step in
            if case .refused = step.decision { return step }
            return reviewer.review(step)
        }
        context.progress("plan: " + loop.plan.lines.joined(separator: "; "))
        if !settings.planOnly {
            let previewed = try await executor(settings).preview(loop.plan, after: loop.executed, context: context)
            loop.plan = previewed.plan
            loop.executed += previewed.executed
        }
        return loop
    }

    /// Approves or declines the plan's waiting steps (an interrupt unless `settings.approvedBy` is set).
    public func approve(_ loop: AgentLoop, settings: AgentSettings, context: NodeContext) throws -> AgentLoop {
        var loop = loop
        loop.plan = try ApprovalGate.decide(loop.plan, approvedBy: settings.approvedBy, context: context)
        return loop
    }

    /// Runs the plan and gives the model one quoted result per tool call.
    public func execute(_ loop: AgentLoop, settings: AgentSettings, context: NodeContext) async throws -> AgentLoop {
        var loop = loop
        let previewed = Set(loop.executed.map(\.step.number))
        let outcomes = try await executor(settings).execute(loop.plan, after: loop.executed, context: context)
        loop.executed += outcomes.filter { !previewed.contains($0.step.number) }
        for outcome in outcomes {
            guard let callID = outcome.step.callID else { continue }
            loop.messages.append(
                ChatMessage(
                    role: .tool, content: ToolResultQuoting.message(for: outcome, maxCharacters: maxResultCharacters),
                    toolCallID: callID,
                    toolName: registry.tool(named: outcome.step.tool)?.modelName ?? outcome.step.tool
                ))
        }
        loop.plan = []
        loop.turns += 1
        return loop
    }

    // MARK: A ready-made graph

    /// The loop as a graph: `plan → approve → execute → plan …`, ending when the model answers (or, with
    /// `planOnly`, once the first plan is reviewed).
    public func graph(
        name: String? = nil, checkpointer: (any CheckpointStore)?, eventLog: (any GraphEventLog)? = nil
    ) throws -> CompiledGraph<AgentRun> {
        var graph = StateGraph<AgentRun>()
        graph.addNode("plan") { state, context in
            Update(\.loop, try await propose(state.loop, settings: state.settings, context: context))
        }
        graph.addNode("approve") { state, context in
            Update(\.loop, try approve(state.loop, settings: state.settings, context: context))
        }
        graph.addNode("execute") { state, context in
            Update(\.loop, try await execute(state.loop, settings: state.settings, context: context))
        }
        graph.addEdge(from: START, to: "plan")
        graph.addConditionalEdge(from: "plan", to: ["approve", END]) { state in
            state.loop.isFinished || state.settings.planOnly ? .end : "approve"
        }
        graph.addEdge(from: "approve", to: "execute")
        graph.addEdge(from: "execute", to: "plan")
        return try graph.compile(
            name: name ?? self.name, checkpointer: checkpointer, stepLimit: maxTurns * 3 + 3, eventLog: eventLog)
    }
}
