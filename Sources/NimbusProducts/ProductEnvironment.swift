public import Foundation
public import Logging
public import NimbusAWS
public import NimbusAgents
public import NimbusCore
public import NimbusGraph
public import NimbusLLM
public import NimbusStore

/// What a product needs to run, made once by the host (NimbusHost) and handed to every product: the store, the
/// configuration, models by name, AWS clients behind the gate, the policy as it is now, and who watches.
public struct ProductEnvironment: Sendable {
    public var store: any Store
    public var configuration: NimbusConfiguration
    /// The graph events to hand to ``onEvent`` (also what ``events`` is fed from).
    public var modes: EventModes
    /// Raw graph events, for a debug stream.
    public var onEvent: @Sendable (GraphEvent) -> Void
    /// Typed progress: what a person or a client watches.
    public var events: @Sendable (ProductEvent) -> Void
    /// Makes the model named `provider:model` for an agent (with the configured fallback, cache, accounting and
    /// Bedrock signing). A resumed run asks for the model it started with, by name; `threadID` is the run's, for
    /// the accounting of each call.
    public var makeModel: @Sendable (_ name: String, _ agent: String, _ threadID: String) throws -> any ChatModel
    /// The model configured for an agent (`llm.agents.NAME`, else `llm.model`); nil when none is.
    public var modelName: @Sendable (_ agent: String) -> String?
    /// Makes an AWS client for a profile and region whose every call passes `gate`.
    public var awsClient: @Sendable (_ profile: String?, _ region: String?, _ gate: AWSGate) throws -> AWSClient
    /// The approval policy as it is now (`policy.yaml` read again, so a change applies to the next call).
    public var policy: @Sendable () throws -> ApprovalPolicy
    public var logger: Logger

    public init(
        store: any Store, configuration: NimbusConfiguration, modes: EventModes = [],
        onEvent: @escaping @Sendable (GraphEvent) -> Void = { _ in },
        events: @escaping @Sendable (ProductEvent) -> Void = { _ in },
        makeModel: @escaping @Sendable (_ name: String, _ agent: String, _ threadID: String) throws -> any ChatModel = {
            name, _, _ in
            throw ProductError.noModel(name)
        },
        modelName: @escaping @Sendable (_ agent: String) -> String? = { _ in nil },
        awsClient: @escaping @Sendable (_ profile: String?, _ region: String?, _ gate: AWSGate) throws -> AWSClient = {
            _, _, _ in
            throw ProductError.noAWS
        },
        policy: @escaping @Sendable () throws -> ApprovalPolicy = { .standard },
        logger: Logger = Logger(label: "nimbus.product")
    ) {
        self.store = store
        self.configuration = configuration
        self.modes = modes
        self.onEvent = onEvent
        self.events = events
        self.makeModel = makeModel
        self.modelName = modelName
        self.awsClient = awsClient
        self.policy = policy
        self.logger = logger
    }

    /// The Nimbus home: transfer state, keys.
    public var home: URL { configuration.home }

    /// The graph events a run should emit, and a handler that feeds both the raw stream and the typed events.
    public func graphEvents() -> (modes: EventModes, handler: @Sendable (GraphEvent) -> Void) {
        let translator = ProductEventTranslator()
        let onEvent = onEvent
        let events = events
        let raw = modes
        return (
            raw.union(ProductEventTranslator.modes),
            { event in
                if raw.contains(event.mode) { onEvent(event) }
                if let typed = translator.translate(event) { events(typed) }
            }
        )
    }
}

extension ProductEnvironment {
    /// Keeps a run in the request history under its product, or brings its row up to date (by thread): what
    /// `nimbus history` lists and the REST API will. Products whose runs do more (ops keeps its plan's steps and
    /// profile) write their own rows.
    public func recordRequest(
        product: String, threadID: String, text: String, state: ProductState, strategy: String, steps: Int,
        answer: String?
    ) async throws {
        let status: RequestRecord.Status =
            switch state {
            case .done: .completed
            case .waiting: .awaitingApproval
            case .refused: .declined
            case .failed: .failed
            }
        try await store.recordRequest(
            RequestRecord(
                id: threadID, product: product, text: text, status: status, answer: answer, strategy: strategy,
                steps: steps))
    }
}

/// A problem a product has with its environment or a stored run.
public struct ProductError: NimbusError {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case noModel, noAWS, unknownProduct, notItsRun, noCheckpoint
    }
    public let code: Code
    public let message: String
    public let suggestion: String?

    public static func noModel(_ name: String) -> ProductError {
        ProductError(
            code: .noModel, message: "this environment cannot make model '\(name)'",
            suggestion: "run it through a host that reads llm: from the configuration")
    }

    public static let noAWS = ProductError(code: .noAWS, message: "this environment has no AWS access", suggestion: nil)

    public static func unknownProduct(graph: String, thread: String, known: [String]) -> ProductError {
        ProductError(
            code: .unknownProduct, message: "thread '\(thread)' runs graph '\(graph)', which this nimbus does not know",
            suggestion: "known graphs: \(known.joined(separator: ", "))")
    }

    public static func notItsRun(_ thread: String, graph: String, product: String) -> ProductError {
        ProductError(
            code: .notItsRun, message: "thread '\(thread)' runs \(graph), not \(product)",
            suggestion: "continue it with `nimbus runs resume \(thread)`")
    }

    public static func noCheckpoint(_ thread: String) -> ProductError {
        ProductError(code: .noCheckpoint, message: "thread '\(thread)' has no checkpoint to read", suggestion: nil)
    }
}

extension ProductError {
    public var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch code {
            case .unknownProduct: .notFound
            case .noCheckpoint: .notFound
            case .notItsRun: .conflict
            default: .invalidInput
            }
        return ErrorCode("product", code.rawValue, kind)
    }
}
