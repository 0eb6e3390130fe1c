public import NimbusGraph
public import NimbusStore

/// The three graphs benchmarked against LangGraph (`Benchmarks/langgraph/bench_langgraph.py` builds the same
/// ones). Each scenario compiles its graph once, runs it many times, and can check a run's final state.
public enum GraphScenario: String, CaseIterable, Sendable {
    /// START → a → b → c → END; each node appends its name. No checkpointer.
    case chain = "chain3"
    /// START → fan → w1…w5 in parallel, each appending to an `append` field → join → END. No checkpointer.
    case fanOut = "fanout5_join"
    /// One node increments a counter and a conditional edge loops back until it is 10; SQLite checkpoints.
    case loop = "loop10_sqlite"

    /// What the scenario does, for tables and benchmark names.
    public var summary: String {
        switch self {
        case .chain: "3-node chain, no checkpointer"
        case .fanOut: "5-way fan-out + join, append reducer, no checkpointer"
        case .loop: "10-step loop, SQLite checkpoint per step"
        }
    }
}

/// Raised when a run's final state is not what the graph must produce: the benchmark would be measuring
/// something other than the graph it claims to.
public struct ScenarioCheckFailure: Error, CustomStringConvertible {
    public let scenario: GraphScenario
    public let detail: String
    public var description: String { "\(scenario.rawValue): wrong final state: \(detail)" }
}

// MARK: - 1. Chain

/// The chain's state: the names of the nodes that ran, in order.
public struct ChainState: GraphState, Equatable {
    public var trail: [String] = []
    public init() {}

    public static let schema = StateSchema<ChainState>(
        .field("trail", \.trail, .append)
    )
}

/// Builds START → a → b → c → END.
public func makeChainGraph() throws -> CompiledGraph<ChainState> {
    var graph = StateGraph<ChainState>()
    for name in ["a", "b", "c"] {
        graph.addNode(name) { _, _ in Update(\.trail, [name]) }
    }
    graph.addEdge(from: START, to: "a")
    graph.addEdge(from: "a", to: "b")
    graph.addEdge(from: "b", to: "c")
    graph.addEdge(from: "c", to: END)
    return try graph.compile(name: "bench-chain3")
}

public func checkChain(_ state: ChainState) throws {
    guard state.trail == ["a", "b", "c"] else {
        throw ScenarioCheckFailure(scenario: .chain, detail: "trail is \(state.trail), expected [a, b, c]")
    }
}

// MARK: - 2. Fan-out and join

/// The fan-out's state: a topic set by `fan`, the workers' results (appended), and the count `join` saw.
public struct FanOutState: GraphState, Equatable {
    public var topic = ""
    public var results: [String] = []
    public var joined = 0
    public init() {}

    public static let schema = StateSchema<FanOutState>(
        .field("topic", \.topic),
        .field("results", \.results, .append),
        .field("joined", \.joined)
    )
}

/// The parallel workers' node names.
public let fanOutWorkers = ["w1", "w2", "w3", "w4", "w5"]

/// Builds START → fan → w1…w5 → join (waiting for all five) → END.
public func makeFanOutGraph() throws -> CompiledGraph<FanOutState> {
    var graph = StateGraph<FanOutState>()
    graph.addNode("fan") { _, _ in Update(\.topic, "bench") }
    for worker in fanOutWorkers {
        graph.addNode(worker) { state, _ in Update(\.results, ["\(worker):\(state.topic)"]) }
        graph.addEdge(from: "fan", to: worker)
    }
    graph.addNode("join") { state, _ in Update(\.joined, state.results.count) }
    graph.addEdge(from: START, to: "fan")
    graph.addEdge(from: fanOutWorkers, to: "join")
    graph.addEdge(from: "join", to: END)
    return try graph.compile(name: "bench-fanout5")
}

public func checkFanOut(_ state: FanOutState) throws {
    let expected = fanOutWorkers.map { "\($0):bench" }
    guard state.results.sorted() == expected, state.joined == 5, state.topic == "bench" else {
        throw ScenarioCheckFailure(
            scenario: .fanOut, detail: "results \(state.results), joined \(state.joined), topic '\(state.topic)'")
    }
}

// MARK: - 3. Loop with SQLite checkpoints

/// The loop's state: a counter.
public struct LoopState: GraphState, Equatable {
    public var count = 0
    public init() {}

    public static let schema = StateSchema<LoopState>(
        .field("count", \.count)
    )
}

/// How many times the loop's node runs.
public let loopTarget = 10

/// Builds START → inc ⟲ (until count == 10) → END, checkpointing into `store`.
public func makeLoopGraph(store: any CheckpointStore) throws -> CompiledGraph<LoopState> {
    var graph = StateGraph<LoopState>()
    graph.addNode("inc") { state, _ in Update(\.count, state.count + 1) }
    graph.addEdge(from: START, to: "inc")
    graph.addConditionalEdge(from: "inc", to: ["inc", END]) { state in
        state.count < loopTarget ? "inc" : .end
    }
    return try graph.compile(name: "bench-loop10", checkpointer: store)
}

public func checkLoop(_ result: RunResult<LoopState>) throws {
    guard result.status == .completed, result.state.count == loopTarget else {
        throw ScenarioCheckFailure(
            scenario: .loop, detail: "status \(result.status), count \(result.state.count), expected \(loopTarget)")
    }
}

/// Checks that a finished loop run really reached the store: its newest checkpoint holds the final count.
public func checkLoopPersisted(_ graph: CompiledGraph<LoopState>, threadID: String) async throws {
    let snapshot = try await graph.state(threadID: threadID)
    let history = try await graph.history(threadID: threadID)
    // One checkpoint for the input and one per superstep.
    guard snapshot.state.count == loopTarget, history.count == loopTarget + 1 else {
        throw ScenarioCheckFailure(
            scenario: .loop,
            detail: "stored thread \(threadID) has count \(snapshot.state.count) and \(history.count) checkpoints")
    }
}
