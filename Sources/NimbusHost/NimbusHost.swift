public import AsyncHTTPClient
import Foundation
public import Logging
public import NimbusAWS
public import NimbusAgents
public import NimbusCore
public import NimbusGraph
import NimbusInspect
public import NimbusLLM
import NimbusModules
import NimbusOps
public import NimbusProducts
import NimbusSample
public import NimbusStore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The composition root of Nimbus. From a configuration it opens the store (in a private Nimbus home), builds the
/// models (fallback, cache, accounting, Bedrock requests signed through the AWS gate), the AWS client factory
/// behind the gate, and the product catalog — once. The command line makes one per process; the server, MCP
/// and workers make one too and ask it for everything, so none of them wires Nimbus on its own.
public final class NimbusHost: Sendable {
    public let configuration: NimbusConfiguration
    /// The store `store.url` (PostgreSQL) or `store.path` names, else `nimbus.sqlite` in the Nimbus home.
    public let store: any Store
    public let models: ModelRegistry
    /// The products this host runs; extensible (``register(_:)``) at run time.
    public var catalog: ProductCatalog { catalogBox.value }
    public let logger: Logger
    /// The environment AWS clients read (endpoint, profile, keys): the process's, unless the host was given one.
    public let awsEnvironment: [String: String]
    private let catalogBox: CatalogBox

    /// Opens everything `configuration` names. The Nimbus home is made private (0700, files 0600) first.
    public init(
        configuration: NimbusConfiguration, awsEnvironment: [String: String]? = nil,
        logger: Logger = Logger(label: "nimbus.host")
    ) throws {
        try PrivateFiles.secureHome(configuration.home)
        let store = try StoreLocation(configuration: configuration).open(logger: Logger(label: "nimbus.store"))
        self.configuration = configuration
        self.store = store
        self.logger = logger
        let awsEnvironment = awsEnvironment ?? ProcessInfo.processInfo.environment
        self.awsEnvironment = awsEnvironment
        catalogBox = CatalogBox(Self.standardCatalog())
        let home = configuration.home
        models = try ModelRegistry(
            configuration: configuration,
            environment: LLMEnvironment(
                logger: Logger(label: "nimbus.llm"), store: store,
                bedrockSigner: { region in
                    // Bedrock calls are AWS calls: each signature passes the gate (policy, audit log).
                    let gate = AWSGate(
                        policy: try ApprovalPolicy.load(home: home), audit: store, requestID: SortableID().rawValue,
                        tool: "model")
                    let aws = try AWSClient(
                        configuration: AWSConfiguration(region: region, environment: awsEnvironment, nimbusHome: home),
                        callGuard: gate)
                    return GatedRequestSigner(
                        signer: SigV4Signer(
                            credentials: aws.credentialProvider,
                            options: SigningOptions(service: "bedrock", region: region)),
                        gate: gate, profile: aws.profileName, region: region)
                }))
    }

    /// The products this build knows: the sample review, modules, AWS operations and inspection.
    public static func standardCatalog() -> ProductCatalog {
        ProductCatalog([
            RegisteredProduct(SampleProduct()), RegisteredProduct(ModulesProduct()), RegisteredProduct(OpsProduct()),
            RegisteredProduct(InspectProduct()),
        ])
    }

    /// Adds a product (user-defined workflows), or replaces the one with its name.
    public func register(_ product: RegisteredProduct) {
        catalogBox.register(product)
    }

    // MARK: What products get

    /// The approval policy as it is now: `policy.yaml` in the Nimbus home, read again on every call.
    public func policy() throws -> ApprovalPolicy {
        try ApprovalPolicy.load(home: configuration.home)
    }

    /// The model named `provider:model` for an agent, its calls accounted under `threadID`.
    public func model(named name: String, agent: String, threadID: String) throws -> any ChatModel {
        try models.model(name, agent: agent).accounted(
            LLMCallContext(agent: agent, threadID: threadID, store: store), prices: models.settings.prices)
    }

    /// The model configured for an agent (`llm.agents.NAME`, else `llm.model`), by name; nil when none is.
    public func modelName(agent: String) -> String? {
        models.modelName(forAgent: agent)
    }

    /// A gate for a command or request of its own: the policy as it is now, this host's audit log.
    public func gate(
        tool: String?, requestID: String = SortableID().rawValue, grant: AccessGrant = .readsOnly,
        approver: (any CallApprover)? = nil, readOnly: Bool = false
    ) throws -> AWSGate {
        AWSGate(
            policy: try policy(), readOnly: readOnly, audit: store, requestID: requestID, tool: tool, grant: grant,
            approver: approver)
    }

    /// An AWS client for a profile and region whose every call passes `gate`.
    public func awsClient(
        profile: String? = nil, region: String? = nil, gate: AWSGate, httpClient: HTTPClient = .shared
    ) throws -> AWSClient {
        try AWSClient(
            configuration: AWSConfiguration(
                profile: profile, region: region, environment: awsEnvironment, nimbusHome: configuration.home),
            callGuard: gate, httpClient: httpClient, logger: Logger(label: "nimbus.aws"))
    }

    /// What a product run gets from this host, with who watches it.
    public func environment(
        modes: EventModes = [], onEvent: @escaping @Sendable (GraphEvent) -> Void = { _ in },
        events: @escaping @Sendable (ProductEvent) -> Void = { _ in }
    ) -> ProductEnvironment {
        let home = configuration.home
        let awsEnvironment = awsEnvironment
        return ProductEnvironment(
            store: store, configuration: configuration, modes: modes, onEvent: onEvent, events: events,
            makeModel: { [self] name, agent, threadID in try model(named: name, agent: agent, threadID: threadID) },
            modelName: { [self] agent in modelName(agent: agent) },
            awsClient: { profile, region, gate in
                try AWSClient(
                    configuration: AWSConfiguration(
                        profile: profile, region: region, environment: awsEnvironment, nimbusHome: home),
                    callGuard: gate, logger: Logger(label: "nimbus.aws"))
            },
            policy: { try ApprovalPolicy.load(home: home) }, logger: Logger(label: "nimbus.product"))
    }

    // MARK: Runs

    /// Continues any stored run, whichever product it belongs to (by the graph stored with its thread).
    public func resume(
        threadID: String, answers: [String: JSONValue], environment: ProductEnvironment
    ) async throws -> ProductResult {
        let record = try await thread(threadID)
        return try await catalog.product(graph: record.graph, thread: threadID).resume(
            threadID: threadID, answers: answers, environment: environment)
    }

    /// A stored run's outcome, typed by its product, as JSON.
    public func outcome(threadID: String) async throws -> ProductResult {
        let record = try await thread(threadID)
        return try await catalog.product(graph: record.graph, thread: threadID).outcome(
            threadID: threadID, environment: environment())
    }

    /// The thread's record, or an error naming it and the closest thread this store has.
    public func thread(_ threadID: String) async throws -> ThreadRecord {
        if let record = try await store.thread(threadID) { return record }
        let known = try await store.threads(status: nil, limit: 500).map(\.threadID)
        throw GraphError.unknownThread(threadID, known: known)
    }

    /// Whether the process that owns a running thread (`host:pid`) is alive on this machine: a run is resumed
    /// only when nobody is running it.
    public static func ownerIsAlive(_ owner: String) -> Bool {
        let parts = owner.split(separator: ":")
        guard parts.count == 2, let pid = Int32(parts[1]) else { return false }
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        let host = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard String(parts[0]) == host, pid != getpid() else { return false }
        return kill(pid, 0) == 0
    }
}

/// The catalog, changeable while a long-lived host runs.
private final class CatalogBox: Sendable {
    private let catalog: Mutex<ProductCatalog>
    init(_ catalog: ProductCatalog) { self.catalog = Mutex(catalog) }
    var value: ProductCatalog { catalog.withLock { $0 } }
    func register(_ product: RegisteredProduct) { catalog.withLock { $0.register(product) } }
}
