public import Foundation
import Logging
import NimbusAWS
public import NimbusAgents
import NimbusCore
public import NimbusGraph
import NimbusLLM
import NimbusProducts
public import NimbusStore

/// A request in plain words, and how to run it: the ops product's typed request (JSON with snake_case keys, see
/// docs/outcomes.md).
public struct OpsRequest: Sendable, Hashable, Codable {
    /// "list all S3 buckets", "upload ./data to s3://reports/2026/".
    public var text: String
    public var profile: String?
    public var region: String?
    /// Refuse every step that is not a read.
    public var readOnly: Bool
    /// Plan, show the plan, run nothing.
    public var planOnly: Bool
    /// Approve steps that need it without asking (`--yes`); policy denials and read-only still apply.
    public var approveAll: Bool
    /// Use the offline router even when a model is configured.
    public var offline: Bool
    /// The model to plan with (`provider:model`); nil for the one configured for `ops`.
    public var model: String?
    /// Where relative local paths in the request point. Nil: the request may not touch local files at all (a
    /// server's requests never read or write its own disk because they said so).
    public var workingDirectory: String?
    /// Earlier turns of a chat, for a model's context.
    public var history: [OpsTurn]

    public init(
        _ text: String, profile: String? = nil, region: String? = nil, readOnly: Bool = false, planOnly: Bool = false,
        approveAll: Bool = false, offline: Bool = false, model: String? = nil, workingDirectory: String? = nil,
        history: [OpsTurn] = []
    ) {
        self.text = text
        self.profile = profile
        self.region = region
        self.readOnly = readOnly
        self.planOnly = planOnly
        self.approveAll = approveAll
        self.offline = offline
        self.model = model
        self.workingDirectory = workingDirectory
        self.history = history
    }

    enum CodingKeys: String, CodingKey {
        case text, profile, region, offline, model, history
        case readOnly = "read_only"
        case planOnly = "plan_only"
        case approveAll = "approve_all"
        case workingDirectory = "working_directory"
    }

    /// The names runs stored before the keys were snake_case used.
    enum StoredKeys: String, CodingKey {
        case readOnly, planOnly, approveAll, workingDirectory
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let stored = try decoder.container(keyedBy: StoredKeys.self)
        func flag(_ key: CodingKeys, _ old: StoredKeys) throws -> Bool {
            try container.decodeIfPresent(Bool.self, forKey: key) ?? stored.decodeIfPresent(Bool.self, forKey: old)
                ?? false
        }
        text = try container.decode(String.self, forKey: .text)
        profile = try container.decodeIfPresent(String.self, forKey: .profile)
        region = try container.decodeIfPresent(String.self, forKey: .region)
        readOnly = try flag(.readOnly, .readOnly)
        planOnly = try flag(.planOnly, .planOnly)
        approveAll = try flag(.approveAll, .approveAll)
        offline = try container.decodeIfPresent(Bool.self, forKey: .offline) ?? false
        model = try container.decodeIfPresent(String.self, forKey: .model)
        workingDirectory =
            try container.decodeIfPresent(String.self, forKey: .workingDirectory)
            ?? stored.decodeIfPresent(String.self, forKey: .workingDirectory)
        history = try container.decodeIfPresent([OpsTurn].self, forKey: .history) ?? []
    }
}

/// One earlier exchange of a chat.
public struct OpsTurn: Sendable, Hashable, Codable {
    public var request: String
    public var answer: String

    public init(request: String, answer: String) {
        self.request = request
        self.answer = answer
    }
}

/// The AWS operations workflow: `route → plan → approve → execute → respond`.
///
/// - **route** reads the request: with no model (or `offline`), the grammar of ``OpsRouter`` turns it into a plan
///   or into an answer saying what it can do; with a model, it opens a tool-calling conversation.
/// - **plan** reviews the steps (registry, read-only, scope, policy) and runs the reads later steps depend on, so
///   the approval question names real resources; with a model, it asks the model for its next tool calls.
/// - **approve** asks once, with an interrupt, before any write or delete the policy does not allow.
/// - **execute** runs the steps in order as recorded steps (a resume never repeats an AWS call), each step's
///   result available to the next; with a model, the results go back to it and the loop returns to **plan**.
/// - **respond** answers: results, or what failed, why and what to try.
///
/// Any node that fails with a Nimbus error goes straight to **respond**, which turns it into that answer.
public enum OpsWorkflow {
    /// The graph name stored with each run.
    public static let name = "ops-ask"

    /// The workflow's state.
    public struct State: GraphState {
        public var request: OpsRequest
        /// `offline`, or the model's name.
        public var strategy = "offline"
        public var settings: AgentSettings
        public var loop = AgentLoop()
        /// Answer with counts ("how many buckets").
        public var counts = false
        /// The profile and region the request runs with.
        public var profile: String?
        public var region: String?
        public var status: RequestRecord.Status = .running
        public var answer: String?
        public var failure: StepFailure?
        /// Lines worth printing, for `nimbus runs resume`.
        public var log: [String] = []
        public var createdAt = Date()

        public init(request: OpsRequest) {
            self.request = request
            settings = AgentSettings(
                request: request.text, readOnly: request.readOnly, approvedBy: request.approveAll ? "--yes" : nil,
                planOnly: request.planOnly)
            profile = request.profile
            region = request.region
        }

        public static let schema = StateSchema<State>(
            .field("request", \.request),
            .field("strategy", \.strategy),
            .field("settings", \.settings),
            .field("loop", \.loop),
            .field("counts", \.counts),
            .field("profile", \.profile),
            .field("region", \.region),
            .field("status", \.status),
            .field("answer", \.answer),
            .field("failure", \.failure),
            .field("log", \.log, .append),
            .field("created_at", \.createdAt)
        )
    }

    /// The graph over `services`.
    public static func graph(services: OpsServices) throws -> CompiledGraph<State> {
        try build(OpsNodes(services: services), store: services.store, maxTurns: services.maxTurns)
    }

    /// The graph as a Mermaid diagram.
    public static func diagram() throws -> String {
        try build(nil, store: nil, maxTurns: 8).mermaid()
    }

    private static func build(_ nodes: OpsNodes?, store: (any Store)?, maxTurns: Int) throws -> CompiledGraph<State> {
        func run(
            _ body: @escaping @Sendable (OpsNodes, State, NodeContext) async throws -> Update<State>
        ) -> NodeAction<State> {
            { state, context in
                guard let nodes else { throw OpsError.diagramOnly }
                return try await body(nodes, state, context)
            }
        }
        var graph = StateGraph<State>()
        graph.addNode("route", run { try await $0.route($1, $2) })
        graph.addNode("plan", run { try await $0.plan($1, $2) })
        graph.addNode("approve", run { try await $0.approve($1, $2) })
        graph.addNode("execute", run { try await $0.execute($1, $2) })
        graph.addNode("respond", run { try await $0.respond($1, $2) })
        graph.addEdge(from: START, to: "route")
        graph.addConditionalEdge(from: "route", to: ["plan", "respond"]) { state in
            state.failure != nil || state.answer != nil ? "respond" : "plan"
        }
        graph.addConditionalEdge(from: "plan", to: ["approve", "respond"]) { state in
            state.failure != nil || state.settings.planOnly || state.loop.isFinished ? "respond" : "approve"
        }
        graph.addEdge(from: "approve", to: "execute")
        graph.addConditionalEdge(from: "execute", to: ["plan", "respond"]) { state in
            state.failure == nil && state.strategy != "offline" && !state.loop.isFinished ? "plan" : "respond"
        }
        graph.addEdge(from: "respond", to: END)
        return try graph.compile(
            name: name, checkpointer: store, stepLimit: 6 + maxTurns * 3, retention: .keepLast(50), eventLog: store)
    }
}

/// The nodes of ``OpsWorkflow``.
struct OpsNodes: Sendable {
    let services: OpsServices

    // MARK: route

    func route(_ state: OpsWorkflow.State, _ context: NodeContext) async throws -> Update<OpsWorkflow.State> {
        var update = Update<OpsWorkflow.State>()
        let request = state.request
        var profile = state.profile
        var region = state.region
        let named = OpsRouter.target(of: request.text)
        profile = profile ?? named.profile
        region = region ?? named.region
        var strategy = "offline"
        if let model = services.model, !request.offline {
            strategy = model.name
            if let reason = OpsRouter.changesForbidden(by: request.text) {
                // A model is not trusted to read "don't delete X" better than the grammar: it gets reads only.
                var settings = state.settings
                settings.scope = RequestScope(maxAccess: .read, because: [reason])
                update.write(\.settings, settings)
            }
            let agent = try agent(state, model: model)
            let history = request.history.flatMap { [ChatMessage.user($0.request), .assistant($0.answer)] }
            update.write(
                \.loop,
                agent.start(
                    state.settings, instructions: instructions(profile: profile, region: region), history: history))
            update.append(\.log, "asking \(model.name)")
        } else {
            var settings = state.settings
            // Offline plans come from the person's own words alone, so they set no narrower scope.
            settings.scope = RequestScope(maxAccess: .delete, because: ["the request's own words"])
            update.write(\.settings, settings)
            switch OpsRouter().route(request.text) {
            case .unsupported(let help):
                update.write(\.answer, help)
                update.write(\.status, .refused)
            case .plan(let routed):
                OpsNodes.registerSecrets(in: routed.steps.map(\.arguments), scope: context.threadID)
                var loop = state.loop
                loop.plan = routed.steps
                loop.nextStep = routed.steps.count + 1
                update.write(\.loop, loop)
                update.write(\.counts, routed.counts)
                profile = state.profile ?? routed.profile
                region = state.region ?? routed.region
            }
        }
        update.write(\.strategy, strategy)
        update.write(\.profile, profile)
        update.write(\.region, region)
        try await services.store.recordRequest(
            RequestRecord(
                id: context.threadID, product: OpsProduct.name, text: SecretRedactor.redact(request.text),
                status: .running, strategy: strategy,
                profile: profile,
                region: region, createdAt: state.createdAt))
        do {
            // An unknown profile or a broken credentials file is reported now, before any planning.
            _ = try services.awsClient(profile, region, gate(state, context))
        } catch let error as any NimbusError {
            update.write(\.failure, OpsFailures.describe(error))
        }
        return update
    }

    // MARK: plan

    func plan(_ state: OpsWorkflow.State, _ context: NodeContext) async throws -> Update<OpsWorkflow.State> {
        try await guarded {
            var loop = state.loop
            if state.strategy == "offline" {
                let executor = executor(state)
                loop.plan = executor.reviewer.review(loop.plan)
                if !state.settings.planOnly {
                    let previewed = try await executor.preview(loop.plan, after: loop.executed, context: context)
                    loop.plan = previewed.plan
                    loop.executed += previewed.executed
                }
            } else {
                guard let model = services.model else {
                    throw AgentError.noModel(
                        "this request was started with \(state.strategy), and no model is configured now")
                }
                loop = try await agent(
                    state,
                    model: model.accounted(
                        LLMCallContext(node: context, agent: "ops", store: services.store))
                ).propose(
                    loop, settings: state.settings, context: context)
            }
            return Update {
                $0.write(\.loop, loop)
                $0.write(\.log, loop.plan.lines.map { "plan: " + $0 })
            }
        }
    }

    // MARK: approve

    func approve(_ state: OpsWorkflow.State, _ context: NodeContext) async throws -> Update<OpsWorkflow.State> {
        let plan = state.loop.plan
        if plan.blockedBy == nil, !plan.awaitingApproval.isEmpty, state.settings.approvedBy == nil {
            try await services.store.recordRequest(
                RequestRecord(
                    id: context.threadID, product: OpsProduct.name,
                    text: OpsNodes.publicText(state, scope: context.threadID),
                    status: .awaitingApproval,
                    strategy: state.strategy, profile: state.profile, region: state.region,
                    steps: state.loop.executed.count + plan.count, createdAt: state.createdAt))
        }
        var loop = state.loop
        loop.plan = try ApprovalGate.decide(plan, approvedBy: state.settings.approvedBy, context: context)
        return Update(\.loop, loop)
    }

    // MARK: execute

    func execute(_ state: OpsWorkflow.State, _ context: NodeContext) async throws -> Update<OpsWorkflow.State> {
        try await guarded {
            var loop = state.loop
            let before = Set(loop.executed.map(\.step.number))
            if state.strategy == "offline" {
                let outcomes = try await executor(state).execute(loop.plan, after: loop.executed, context: context)
                loop.executed += outcomes.filter { !before.contains($0.step.number) }
                loop.plan = []
            } else {
                guard let model = services.model else {
                    throw AgentError.noModel(
                        "this request was started with \(state.strategy), and no model is configured now")
                }
                loop = try await agent(state, model: model).execute(loop, settings: state.settings, context: context)
            }
            let new = loop.executed.filter { !before.contains($0.step.number) }
            try await auditUnsent(new, state: state, context: context)
            return Update {
                $0.write(\.loop, loop)
                $0.write(\.log, new.map(\.line))
            }
        }
    }

    /// Steps that were refused or declined never reach AWS, but the audit log shows them, so "what did Nimbus
    /// do, and what did it not do" has one answer.
    private func auditUnsent(_ outcomes: [ExecutedStep], state: OpsWorkflow.State, context: NodeContext) async throws {
        let unsent = outcomes.filter { $0.status == .refused || $0.status == .declined }
        guard !unsent.isEmpty else { return }
        // The profile and region the steps would have used, resolved as for the calls that are sent, so the two
        // kinds of rows read alike.
        let gate = gate(state, context)
        let client = try? services.awsClient(state.profile, state.region, gate)
        _ = try await context.step("audit-unsent") {
            for outcome in unsent {
                for action in outcome.step.actions {
                    let parts = action.split(separator: ":", maxSplits: 1).map(String.init)
                    await gate.scoped(tool: outcome.step.tool, grant: .readsOnly).recordUnsent(
                        service: parts.first ?? action, operation: parts.last ?? action,
                        parameters: outcome.step.arguments, outcome: outcome.status == .refused ? .refused : .declined,
                        reason: outcome.reason, profile: client?.profileName ?? state.profile,
                        region: client?.region ?? state.region)
                }
            }
            return true
        }
    }

    // MARK: respond

    func respond(_ state: OpsWorkflow.State, _ context: NodeContext) async throws -> Update<OpsWorkflow.State> {
        let (status, answer) = OpsResponder.answer(state)
        try await services.store.recordRequest(
            RequestRecord(
                id: context.threadID, product: OpsProduct.name,
                text: OpsNodes.publicText(state, scope: context.threadID), status: status,
                answer: answer,
                strategy: state.strategy, profile: state.profile, region: state.region,
                steps: state.loop.executed.count + state.loop.plan.count, createdAt: state.createdAt,
                updatedAt: Date()))
        return Update {
            $0.write(\.status, status)
            $0.write(\.answer, answer)
            $0.append(\.log, answer)
        }
    }

    // MARK: Helpers

    /// The request's words as history keeps them: with the secrets among its steps' parameters masked (registered
    /// again here, since a resumed run may be in a new process).
    static func publicText(_ state: OpsWorkflow.State, scope: String) -> String {
        registerSecrets(in: (state.loop.plan + state.loop.executed.map(\.step)).map(\.arguments), scope: scope)
        return SecretRedactor.redact(state.request.text)
    }

    /// Values under secret-sounding keys in a request's own parameters (`"SecretString": "…"` in a `call`) are
    /// registered with the redactor for the run, so they are masked in logs, history and the audit log.
    static func registerSecrets(in arguments: [JSONValue], scope: String) {
        SecretRedactor.registerValuesUnderSensitiveKeys(in: .array(arguments), scope: scope)
    }

    /// The request's gate: the policy as loaded now (a resumed run reads the file again), read-only, the audit
    /// log, and the thread as request id and secret scope. Tool calls get it scoped to their step's approval.
    func gate(_ state: OpsWorkflow.State, _ context: NodeContext) -> AWSGate {
        AWSGate(
            policy: services.policy, readOnly: state.settings.readOnly, audit: services.store,
            requestID: context.threadID, logger: services.logger)
    }

    /// Runs a node's work; a Nimbus error (a model that cannot be reached, a bad reference) becomes the run's
    /// failure, which **respond** turns into an answer. Interrupts, cancellation and the runtime's own errors
    /// pass through.
    private func guarded(
        _ body: () async throws -> Update<OpsWorkflow.State>
    ) async throws -> Update<OpsWorkflow.State> {
        do {
            return try await body()
        } catch let error as any NimbusError where !(error is GraphError) {
            return Update(\.failure, OpsFailures.describe(error))
        }
    }

    func toolEnvironment(_ state: OpsWorkflow.State, _ context: NodeContext) throws -> OpsToolEnvironment {
        let gate = gate(state, context)
        return OpsToolEnvironment(
            client: try services.awsClient(state.profile, state.region, gate), gate: gate,
            transferDirectory: services.home.appendingPathComponent("transfers"),
            transferConcurrency: services.transferConcurrency,
            workingDirectory: state.request.workingDirectory.map { URL(fileURLWithPath: $0) })
    }

    func executor(_ state: OpsWorkflow.State) -> StepExecutor<OpsToolEnvironment> {
        let seal = services.seal
        return StepExecutor(
            reviewer: PlanReviewer(
                registry: services.tools, policy: services.policy, scope: state.settings.scope,
                readOnly: state.settings.readOnly),
            environment: { context in try toolEnvironment(state, context) }, describeFailure: OpsFailures.describe,
            revealed: services.revealed, openSealed: { try seal.open($0) })
    }

    func agent(_ state: OpsWorkflow.State, model: any ChatModel) throws -> ToolCallingAgent<OpsToolEnvironment> {
        var agent = ToolCallingAgent(
            name: "ops", model: model, registry: services.tools, policy: services.policy,
            environment: { context in try toolEnvironment(state, context) }, describeFailure: OpsFailures.describe,
            maxTurns: services.maxTurns, firstTurnToolChoice: services.firstTurnToolChoice)
        let seal = services.seal
        agent.revealed = services.revealed
        agent.openSealed = { try seal.open($0) }
        return agent
    }

    func instructions(profile: String?, region: String?) -> String {
        """
        You are Nimbus, operating the user's AWS account (profile \(profile ?? "default"), region \
        \(region ?? "default")) through the tools you are given. Do what the user asks and nothing more. Look before \
        you change anything: use the read tools to find names and ids. Every write and delete is checked against \
        the user's request, a policy and the user's approval; when a call is refused or declined, do not look for \
        another way to do it, say so. Answer briefly in plain words and name the resources involved.
        """
    }
}
