public import Foundation
public import Logging
public import NimbusAWS
public import NimbusAgents
public import NimbusCore
public import NimbusGraph
public import NimbusLLM
public import NimbusProducts
public import NimbusStore

/// What the ops workflow needs from its host: the store (runs, history, audit), the policy, how to make AWS
/// clients, the model (none: the offline router), the tools, and who watches the events.
public struct OpsServices: Sendable {
    public var store: any Store
    /// The Nimbus home: `policy.yaml`, and transfer state under `transfers/`.
    public var home: URL
    public var policy: ApprovalPolicy
    /// Makes the AWS client for a profile and region (nil: the usual defaults), guarded by the request's gate.
    public var awsClient: @Sendable (_ profile: String?, _ region: String?, _ gate: AWSGate) throws -> AWSClient
    /// Seals secrets a request carries (a SecureString) in its stored state, and opens them before a call.
    public var seal: SecretSeal
    /// The model for requests in free form; nil routes every request offline.
    public var model: (any ChatModel)?
    public var tools: ToolRegistry<OpsToolEnvironment>
    /// Requests in flight at once in a transfer.
    public var transferConcurrency: Int
    /// The most tool-calling turns a model gets per request.
    public var maxTurns: Int
    /// The first turn's tool choice: `.auto`, or a forced tool for small models that cannot choose.
    public var firstTurnToolChoice: ToolChoice
    public var logger: Logger
    public var modes: EventModes
    public var onEvent: @Sendable (GraphEvent) -> Void
    /// Collects the secrets results hold, for the person who asked (set by ``OpsAgent`` for each call).
    public var revealed: RevealedSecrets?

    public init(
        store: any Store, home: URL, policy: ApprovalPolicy = .standard,
        awsClient: (@Sendable (_ profile: String?, _ region: String?, _ gate: AWSGate) throws -> AWSClient)? = nil,
        model: (any ChatModel)? = nil, tools: ToolRegistry<OpsToolEnvironment> = OpsTools.registry,
        transferConcurrency: Int = 8, maxTurns: Int = 8, firstTurnToolChoice: ToolChoice = .auto,
        logger: Logger = Logger(label: "nimbus.ops"), modes: EventModes = [],
        onEvent: @escaping @Sendable (GraphEvent) -> Void = { _ in }
    ) {
        self.store = store
        self.home = home
        self.policy = policy
        let logger = logger
        self.awsClient =
            awsClient ?? { profile, region, gate in
                try AWSClient(
                    configuration: AWSConfiguration(profile: profile, region: region, nimbusHome: home),
                    callGuard: gate, logger: logger)
            }
        seal = SecretSeal(home: home)
        self.model = model
        self.tools = tools
        self.transferConcurrency = transferConcurrency
        self.maxTurns = maxTurns
        self.firstTurnToolChoice = firstTurnToolChoice
        self.logger = logger
        self.modes = modes
        self.onEvent = onEvent
    }

    /// The services a host's environment gives: its store, home, the policy as it is now, AWS clients behind the
    /// gate, its event handlers, and `model` (nil: the offline router).
    public static func from(_ environment: ProductEnvironment, model: (any ChatModel)?) throws -> OpsServices {
        let (modes, handler) = environment.graphEvents()
        return OpsServices(
            store: environment.store, home: environment.home, policy: try environment.policy(),
            awsClient: environment.awsClient, model: model, logger: environment.logger, modes: modes, onEvent: handler)
    }
}

/// The AWS operations agent as a library service: ask in plain words, answer approvals, read history and the
/// audit log. The CLI's `ask` and `chat` use it, and a server can put it behind REST or a WebSocket as is.
public struct OpsAgent: Sendable {
    public let services: OpsServices

    public init(services: OpsServices) {
        self.services = services
    }

    /// Runs a request until it answers or waits for approval.
    ///
    /// - Parameter threadID: a thread of the caller's choosing; it must be a valid id that holds no run yet (a
    ///   finished request's thread is never reused). A new id by default.
    public func ask(_ request: OpsRequest, threadID: String? = nil) async throws -> OpsOutcome {
        try await ask(request, threadID: threadID ?? SortableID().rawValue, chosen: threadID != nil)
    }

    /// `chosen`: the caller named the thread, so it must be valid and new.
    func ask(_ request: OpsRequest, threadID thread: String, chosen: Bool) async throws -> OpsOutcome {
        if chosen { try GraphError.validateThreadID(thread) }
        defer { SecretRedactor.release(scope: thread) }
        var request = request
        // Before anything is stored: the first checkpoint holds the request.
        request.text = try RequestSecrets.seal(request.text, seal: services.seal, scope: thread)
        let revealed = RevealedSecrets()
        var services = services
        services.revealed = revealed
        let result = try await OpsWorkflow.graph(services: services).invoke(
            OpsWorkflow.State(request: request),
            configuration: RunConfiguration(threadID: thread, requireNewThread: chosen),
            modes: services.modes, onEvent: services.onEvent)
        var outcome = OpsOutcome(threadID: result.threadID, state: result.state, interrupts: result.interrupts)
        outcome.revealed = revealed.all
        return outcome
    }

    /// Continues a request: after an answer (interrupt id → value), or after a crash.
    public func resume(threadID: String, answers: [String: JSONValue] = [:]) async throws -> OpsOutcome {
        guard let record = try await services.store.thread(threadID) else { throw OpsError.unknownRequest(threadID) }
        guard record.graph == OpsWorkflow.name else { throw OpsError.notARequest(threadID, graph: record.graph) }
        defer { SecretRedactor.release(scope: threadID) }
        let revealed = RevealedSecrets()
        var services = services
        services.revealed = revealed
        let result = try await OpsWorkflow.graph(services: services).resume(
            threadID: threadID, answers: answers, modes: services.modes, onEvent: services.onEvent)
        var outcome = OpsOutcome(threadID: result.threadID, state: result.state, interrupts: result.interrupts)
        outcome.revealed = revealed.all
        return outcome
    }

    /// Answers the approval a request waits for: yes runs the waiting steps, no runs none of them.
    public func answerApproval(threadID: String, approve: Bool) async throws -> OpsOutcome {
        guard let record = try await services.store.thread(threadID) else { throw OpsError.unknownRequest(threadID) }
        guard let pending = record.interrupts.first else { throw OpsError.nothingToApprove(threadID) }
        return try await resume(threadID: threadID, answers: [pending.id: .bool(approve)])
    }

    /// Past requests, newest first.
    public func history(limit: Int = 50) async throws -> [RequestRecord] {
        try await services.store.requests(limit: limit)
    }

    /// The audit log, newest first.
    public func audit(since: Date? = nil, requestID: String? = nil, limit: Int = 200) async throws -> [AuditEntry] {
        try await services.store.auditEntries(since: since, requestID: requestID, limit: limit)
    }
}

/// A problem with an ops request as a whole.
public struct OpsError: NimbusError {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case unknownRequest, notARequest, nothingToApprove, diagramOnly
    }
    public let code: Code
    public let message: String
    public let suggestion: String?

    public static func unknownRequest(_ id: String) -> OpsError {
        OpsError(code: .unknownRequest, message: "there is no request '\(id)'", suggestion: "see `nimbus history`")
    }

    public static func notARequest(_ id: String, graph: String) -> OpsError {
        OpsError(
            code: .notARequest, message: "thread '\(id)' runs \(graph), not a request",
            suggestion: "continue it with `nimbus runs resume \(id)`")
    }

    static let diagramOnly = OpsError(
        code: .diagramOnly, message: "the ops graph built for a diagram has no services and cannot run", suggestion: nil
    )

    public static func nothingToApprove(_ id: String) -> OpsError {
        OpsError(code: .nothingToApprove, message: "request '\(id)' is not waiting for an approval", suggestion: nil)
    }
}

/// AWS operations in plain words as a product: an ``OpsRequest`` in, an ``OpsOutcome`` out. The model a run
/// plans with is chosen when it starts (the request's, else the one configured for `ops`; none offline) and
/// kept: a resumed run asks the host for the model it started with, by name.
public struct OpsProduct: Product {
    public static let name = "ops"
    public static let graph = OpsWorkflow.name
    public static let summary = "AWS operations in plain words: route, plan, approve, execute, respond"
    public static func diagram() throws -> String { try OpsWorkflow.diagram() }

    public init() {}

    /// The agent for one call: the environment's services and the model chosen for the request.
    public func agent(for request: OpsRequest, threadID: String, environment: ProductEnvironment) throws -> OpsAgent {
        var model: (any ChatModel)?
        if !request.offline, let name = request.model ?? environment.modelName("ops") {
            model = try environment.makeModel(name, "ops", threadID)
        }
        return OpsAgent(services: try OpsServices.from(environment, model: model))
    }

    /// The agent that continues a stored run: with the model the run started with.
    public func agent(resuming threadID: String, environment: ProductEnvironment) async throws -> OpsAgent {
        guard let record = try await environment.store.thread(threadID) else {
            throw OpsError.unknownRequest(threadID)
        }
        guard record.graph == OpsWorkflow.name else {
            throw ProductError.notItsRun(threadID, graph: record.graph, product: Self.name)
        }
        let state = try await OpsWorkflow.graph(services: OpsServices.from(environment, model: nil))
            .result(threadID: threadID).state
        let model = try state.strategy == "offline" ? nil : environment.makeModel(state.strategy, "ops", threadID)
        return OpsAgent(services: try OpsServices.from(environment, model: model))
    }

    public func start(
        _ request: OpsRequest, threadID: String?, environment: ProductEnvironment
    ) async throws
        -> OpsOutcome
    {
        let thread = threadID ?? SortableID().rawValue
        return try await agent(for: request, threadID: thread, environment: environment).ask(
            request, threadID: thread, chosen: threadID != nil)
    }

    public func resume(
        threadID: String, answers: [String: JSONValue], environment: ProductEnvironment
    ) async throws
        -> OpsOutcome
    {
        try await agent(resuming: threadID, environment: environment).resume(threadID: threadID, answers: answers)
    }

    public func outcome(threadID: String, environment: ProductEnvironment) async throws -> OpsOutcome {
        let result = try await OpsWorkflow.graph(services: OpsServices.from(environment, model: nil))
            .result(threadID: threadID)
        return OpsOutcome(threadID: threadID, state: result.state, interrupts: result.interrupts)
    }
}

extension OpsError {
    public var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch code {
            case .nothingToApprove: .conflict
            default: .invalidInput
            }
        return ErrorCode("ops", code.rawValue, kind)
    }
}
