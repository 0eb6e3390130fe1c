public import NimbusCore
public import NimbusGraph

/// One product of Nimbus — Terraform modules, AWS operations, the sample review, and later inspection, clusters
/// and user-defined workflows — in one shape: it starts from a typed request, resumes with answers, reports
/// typed progress (``ProductEnvironment/events``) and ends, or pauses, in a typed, `Codable` outcome whose JSON
/// is the one `--output json`, the REST API and MCP all show (docs/outcomes.md).
public protocol Product: Sendable {
    associatedtype Request: Codable & Sendable
    associatedtype Outcome: ProductOutcome

    /// The product's name in the catalog, in history and in the API: `ops`, `modules`, `sample`.
    static var name: String { get }
    /// The graph its runs are stored under; a stored thread finds its product by it.
    static var graph: String { get }
    /// One line on what it does.
    static var summary: String { get }
    /// The graph as a Mermaid diagram.
    static func diagram() throws -> String

    /// Starts a run. `threadID`, when the caller chose one, must be a valid id that holds no run yet.
    func start(_ request: Request, threadID: String?, environment: ProductEnvironment) async throws -> Outcome
    /// Continues a paused, failed or crashed run: answers by interrupt id (or the question's key).
    func resume(
        threadID: String, answers: [String: JSONValue], environment: ProductEnvironment
    ) async throws
        -> Outcome
    /// A stored run's outcome as it stands, without running anything.
    func outcome(threadID: String, environment: ProductEnvironment) async throws -> Outcome
}

/// What every product's outcome says, whatever else it holds.
public protocol ProductOutcome: Codable, Sendable {
    /// The run's thread, also its id in history and audit.
    var threadID: String { get }
    /// Done, waiting for an answer, or ended without doing what was asked.
    var state: ProductState { get }
    /// The questions the run waits for (empty unless ``state`` is ``ProductState/waiting``).
    var questions: [Interrupt] { get }
}

/// Where a run of any product stands, for exit statuses and HTTP answers alike.
public enum ProductState: String, Sendable, Hashable, Codable {
    /// It did what was asked (or was only asked for a plan).
    case done
    /// It waits for an answer or an approval.
    case waiting
    /// It refused, or a person declined, and nothing more will happen.
    case refused
    /// It failed.
    case failed
}

/// A product as the catalog keeps it: its outcomes as JSON, so callers that know only its name — `runs resume`,
/// the REST API, MCP, a worker — can drive it.
public struct RegisteredProduct: Sendable {
    public let name: String
    public let graph: String
    public let summary: String
    public let diagram: @Sendable () throws -> String
    let startJSON: @Sendable (JSONValue, String?, ProductEnvironment) async throws -> ProductResult
    let resumeJSON: @Sendable (String, [String: JSONValue], ProductEnvironment) async throws -> ProductResult
    let outcomeJSON: @Sendable (String, ProductEnvironment) async throws -> ProductResult

    public init<P: Product>(_ product: P) {
        name = P.name
        graph = P.graph
        summary = P.summary
        diagram = { try P.diagram() }
        startJSON = { request, thread, environment in
            try ProductResult(
                product: P.name,
                try await product.start(try request.decode(P.Request.self), threadID: thread, environment: environment))
        }
        resumeJSON = { thread, answers, environment in
            try ProductResult(
                product: P.name, try await product.resume(threadID: thread, answers: answers, environment: environment))
        }
        outcomeJSON = { thread, environment in
            try ProductResult(product: P.name, try await product.outcome(threadID: thread, environment: environment))
        }
    }

    /// Starts a run from a request as JSON (the product's `Request`).
    public func start(
        _ request: JSONValue, threadID: String?, environment: ProductEnvironment
    ) async throws
        -> ProductResult
    {
        try await startJSON(request, threadID, environment)
    }

    public func resume(
        threadID: String, answers: [String: JSONValue], environment: ProductEnvironment
    )
        async throws -> ProductResult
    {
        try await resumeJSON(threadID, answers, environment)
    }

    public func outcome(threadID: String, environment: ProductEnvironment) async throws -> ProductResult {
        try await outcomeJSON(threadID, environment)
    }
}

/// A product's outcome without its Swift type: the common fields, and the outcome itself as JSON.
public struct ProductResult: Sendable {
    public let product: String
    public let threadID: String
    public let state: ProductState
    public let questions: [Interrupt]
    /// The typed outcome, encoded (snake_case keys).
    public let outcome: JSONValue

    public init(product: String, _ outcome: some ProductOutcome) throws {
        self.product = product
        threadID = outcome.threadID
        state = outcome.state
        questions = outcome.questions
        self.outcome = try JSONValue(encoding: outcome)
    }

    /// The typed outcome back, for a caller that knows the product.
    public func decode<O: ProductOutcome>(_ type: O.Type) throws -> O {
        try outcome.decode(type)
    }
}

/// The products a host knows — the ones it is built with, and any registered at run time (the agents.yaml issue
/// adds user-defined workflows here) — by name and by graph. A value the host builds; no process-wide list.
public struct ProductCatalog: Sendable {
    public private(set) var all: [RegisteredProduct]

    public init(_ products: [RegisteredProduct] = []) {
        all = products
    }

    /// Adds a product, or replaces the one with its name.
    public mutating func register(_ product: RegisteredProduct) {
        all.removeAll { $0.name == product.name }
        all.append(product)
    }

    public func product(named name: String) -> RegisteredProduct? {
        all.first { $0.name == name }
    }

    /// The product whose runs are stored under `graph`, or an error naming the thread and the known graphs.
    public func product(graph: String, thread: String) throws -> RegisteredProduct {
        guard let product = all.first(where: { $0.graph == graph }) else {
            throw ProductError.unknownProduct(graph: graph, thread: thread, known: all.map(\.graph))
        }
        return product
    }
}
