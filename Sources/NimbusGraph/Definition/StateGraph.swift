import NimbusCore

/// What a node does: read the state (and its context), do work, return writes.
public typealias NodeAction<State: GraphState> = @Sendable (State, NodeContext) async throws -> Update<State>

/// A router for conditional edges: reads the state after a step and names where to go.
public typealias Router<State: GraphState> = @Sendable (State) async throws -> [Route]

/// Builds a graph: nodes, static edges, conditional edges with declared destinations, joins and subgraphs.
/// ``compile(name:checkpointer:interruptBefore:interruptAfter:stepLimit:retention:eventLog:)`` checks it and
/// makes it runnable.
///
/// ```swift
/// var graph = StateGraph<Research>()
/// graph.addNode("search") { state, context in Update(\.notes, ["…"]) }
/// graph.addNode("write") { state, context in Update(\.topic, "done") }
/// graph.addEdge(from: START, to: "search")
/// graph.addConditionalEdges(from: "search", to: ["search", "write"]) { state in
///     state.notes.count < 3 ? ["search"] : ["write"]
/// }
/// graph.addEdge(from: "write", to: END)
/// let research = try graph.compile(name: "research")
/// ```
public struct StateGraph<State: GraphState>: Sendable {
    @usableFromInline
    enum NodeKind: Sendable {
        case function
        case subgraph
    }

    @usableFromInline
    struct Node: Sendable {
        @usableFromInline let name: String
        @usableFromInline let kind: NodeKind
        @usableFromInline let options: NodeOptions
        @usableFromInline let action: NodeAction<State>

        init(name: String, kind: NodeKind, options: NodeOptions, action: @escaping NodeAction<State>) {
            self.name = name
            self.kind = kind
            self.options = options
            self.action = action
        }
    }

    @usableFromInline
    struct ConditionalEdge: Sendable {
        @usableFromInline let source: String
        @usableFromInline let destinations: [String]
        @usableFromInline let router: Router<State>
    }

    @usableFromInline
    struct Join: Sendable {
        @usableFromInline let sources: [String]
        @usableFromInline let target: String
        @usableFromInline let id: String

        init(sources: [String], target: String) {
            self.sources = sources
            self.target = target
            self.id = sources.joined(separator: "+") + "->" + target
        }
    }

    @usableFromInline var nodes: [String: Node] = [:]
    @usableFromInline var nodeOrder: [String] = []
    var edges: [(from: String, to: String)] = []
    var conditionalEdges: [ConditionalEdge] = []
    @usableFromInline var joins: [Join] = []
    var problems: [String] = []

    /// An empty graph over `State`.
    public init(_ stateType: State.Type = State.self) {}

    /// Adds a node.
    public mutating func addNode(
        _ name: String, options: NodeOptions = NodeOptions(), _ action: @escaping NodeAction<State>
    ) {
        add(Node(name: name, kind: .function, options: options, action: action))
    }

    /// Adds a node with a retry policy, a time limit or `goto` destinations.
    public mutating func addNode(
        _ name: String, retry: RetryPolicy? = nil, timeout: Duration? = nil, destinations: [String] = [],
        _ action: @escaping NodeAction<State>
    ) {
        addNode(name, options: NodeOptions(retry: retry, timeout: timeout, destinations: destinations), action)
    }

    /// Adds a compiled graph as one node. `input` makes the subgraph's state from this graph's; `output` turns
    /// its final state into writes here. The subgraph checkpoints into this run's store under a thread of
    /// its own, its events carry its name in their namespace, and its interrupts pause this run.
    public mutating func addSubgraph<Child: GraphState>(
        _ name: String,
        _ subgraph: CompiledGraph<Child>,
        options: NodeOptions = NodeOptions(),
        input: @escaping @Sendable (State) throws -> Child,
        output: @escaping @Sendable (Child) throws -> Update<State>
    ) {
        let action: NodeAction<State> = { state, context in
            let childState = try await subgraph.runAsSubgraph(name: name, input: try input(state), parent: context)
            return try output(childState)
        }
        add(Node(name: name, kind: .subgraph, options: options, action: action))
    }

    /// Adds an edge: after `source` finishes, `target` runs in the next step.
    public mutating func addEdge(from source: String, to target: String) {
        edges.append((source, target))
    }

    /// Adds a join: `target` runs once every one of `sources` has finished (in any steps).
    public mutating func addEdge(from sources: [String], to target: String) {
        if sources.count == 1 {
            addEdge(from: sources[0], to: target)
        } else if sources.isEmpty {
            problems.append("a join to '\(target)' has no sources")
        } else {
            joins.append(Join(sources: sources, target: target))
        }
    }

    /// Adds conditional edges: after `source` finishes and the step's writes are applied, `router` reads the
    /// state and returns the routes to take, each one of `destinations` (or ``END``). Returning several routes,
    /// or sends with inputs, fans out into parallel tasks.
    public mutating func addConditionalEdges(
        from source: String, to destinations: [String], _ router: @escaping Router<State>
    ) {
        if destinations.isEmpty { problems.append("the conditional edges from '\(source)' declare no destinations") }
        conditionalEdges.append(ConditionalEdge(source: source, destinations: destinations, router: router))
    }

    /// Adds a conditional edge whose router picks exactly one route.
    public mutating func addConditionalEdge(
        from source: String, to destinations: [String], _ router: @escaping @Sendable (State) async throws -> Route
    ) {
        addConditionalEdges(from: source, to: destinations) { state in [try await router(state)] }
    }

    private mutating func add(_ node: Node) {
        if node.name == START || node.name == END {
            problems.append("'\(node.name)' is reserved and cannot be a node name")
        } else if node.name.isEmpty {
            problems.append("a node has an empty name")
        } else if nodes[node.name] != nil {
            problems.append("node '\(node.name)' is added twice")
        } else if node.name.contains(where: { $0 == "/" || $0 == "#" }) {
            problems.append("node name '\(node.name)' may not contain '/' or '#'")
        } else {
            nodes[node.name] = node
            nodeOrder.append(node.name)
        }
    }

    /// Checks the graph and makes it runnable.
    ///
    /// - Parameters:
    ///   - name: the graph's name, stored with each run (used to resume runs by name).
    ///   - checkpointer: where runs persist; needed for interrupts, resume and history.
    ///   - interruptBefore: nodes to pause before (approval gates).
    ///   - interruptAfter: nodes to pause after.
    ///   - stepLimit: the most supersteps a run may take.
    ///   - retention: how many checkpoints each thread keeps.
    ///   - eventLog: where lifecycle events are kept, if anywhere.
    public func compile(
        name: String,
        checkpointer: (any CheckpointStore)? = nil,
        interruptBefore: [String] = [],
        interruptAfter: [String] = [],
        stepLimit: Int = 100,
        retention: RetentionPolicy? = nil,
        eventLog: (any GraphEventLog)? = nil
    ) throws -> CompiledGraph<State> {
        var problems = self.problems + validate()
        for gate in interruptBefore + interruptAfter where nodes[gate] == nil {
            problems.append("interrupt gate '\(gate)' is not a node\(suggestion(for: gate))")
        }
        if stepLimit < 1 { problems.append("the step limit must be at least 1, not \(stepLimit)") }
        guard problems.isEmpty else { throw GraphError.invalidGraph(name, problems: problems) }
        return CompiledGraph(
            name: name, definition: self, checkpointer: checkpointer, interruptBefore: Set(interruptBefore),
            interruptAfter: Set(interruptAfter), stepLimit: stepLimit, retention: retention, eventLog: eventLog)
    }

    private func suggestion(for name: String) -> String {
        guard let match = closestMatch(to: name, in: nodeOrder) else { return "" }
        return " (did you mean '\(match)'?)"
    }

    // MARK: - Validation

    /// Every node a node can lead to, as drawn: static edges, conditional destinations, goto destinations.
    func successors(of node: String) -> [String] {
        var result = edges.filter { $0.from == node }.map(\.to)
        for edge in conditionalEdges where edge.source == node { result += edge.destinations }
        if let options = nodes[node]?.options { result += options.destinations }
        return result
    }

    func validate() -> [String] {
        var problems: [String] = []
        let schemaDuplicates = State.schema.duplicateNames
        if !schemaDuplicates.isEmpty {
            problems.append("the state schema declares \(schemaDuplicates.joined(separator: ", ")) more than once")
        }
        func checkSource(_ name: String, _ what: String) {
            if name != START, nodes[name] == nil {
                problems.append("\(what) starts at unknown node '\(name)'\(suggestion(for: name))")
            }
        }
        func checkTarget(_ name: String, _ what: String) {
            if name != END, nodes[name] == nil {
                problems.append("\(what) leads to unknown node '\(name)'\(suggestion(for: name))")
            }
        }
        for edge in edges {
            checkSource(edge.from, "an edge")
            checkTarget(edge.to, "the edge from '\(edge.from)'")
            if edge.from == END { problems.append("an edge cannot start at END") }
            if edge.to == START { problems.append("an edge cannot lead to START") }
        }
        for edge in conditionalEdges {
            checkSource(edge.source, "a conditional edge")
            for destination in edge.destinations {
                checkTarget(destination, "the conditional edge from '\(edge.source)'")
            }
        }
        for join in joins {
            for source in join.sources where nodes[source] == nil {
                problems.append(
                    "the join to '\(join.target)' waits for unknown node '\(source)'\(suggestion(for: source))")
            }
            checkTarget(join.target, "the join from \(join.sources.joined(separator: ", "))")
        }
        for name in nodeOrder {
            for destination in nodes[name]!.options.destinations {
                checkTarget(destination, "the goto destinations of '\(name)'")
            }
        }
        guard problems.isEmpty else { return problems }

        if successors(of: START).isEmpty {
            return ["the graph has no entry point: add an edge from START"]
        }

        // Forward reachability; a join fires only once all its sources are reachable.
        var reachable: Set<String> = [START]
        var changed = true
        while changed {
            changed = false
            for node in reachable {
                for next in successors(of: node) where !reachable.contains(next) {
                    reachable.insert(next)
                    changed = true
                }
            }
            for join in joins where !reachable.contains(join.target) && join.sources.allSatisfy(reachable.contains) {
                reachable.insert(join.target)
                changed = true
            }
        }
        for name in nodeOrder where !reachable.contains(name) {
            problems.append("node '\(name)' is unreachable from START")
        }

        // Backward: which nodes can reach END.
        var finishing: Set<String> = [END]
        changed = true
        while changed {
            changed = false
            for name in [START] + nodeOrder where !finishing.contains(name) {
                let viaEdges = successors(of: name).contains(where: finishing.contains)
                let viaJoin = joins.contains { $0.sources.contains(name) && finishing.contains($0.target) }
                if viaEdges || viaJoin {
                    finishing.insert(name)
                    changed = true
                }
            }
        }
        for name in nodeOrder where reachable.contains(name) && !finishing.contains(name) {
            problems.append("node '\(name)' has no way to END")
        }
        return problems
    }

    // MARK: - Diagram

    /// The graph as a Mermaid flowchart: solid arrows for edges, dotted for conditional routes and gotos,
    /// joins drawn with `&`, subgraphs as subroutine boxes.
    public func mermaid(title: String? = nil) -> String {
        var lines: [String] = []
        if let title { lines += ["---", "title: \(title)", "---"] }
        lines.append("flowchart TD")
        func id(_ name: String) -> String {
            switch name {
            case START: return "__start__"
            case END: return "__end__"
            default:
                return "n_" + name.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            }
        }
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "#quot;") + "\"" }
        lines.append("    __start__([\"start\"])")
        for name in nodeOrder {
            switch nodes[name]!.kind {
            case .function: lines.append("    \(id(name))[\(quoted(name))]")
            case .subgraph: lines.append("    \(id(name))[[\(quoted(name))]]")
            }
        }
        lines.append("    __end__([\"end\"])")
        for edge in edges {
            lines.append("    \(id(edge.from)) --> \(id(edge.to))")
        }
        for edge in conditionalEdges {
            for destination in edge.destinations {
                lines.append("    \(id(edge.source)) -.-> \(id(destination))")
            }
        }
        for name in nodeOrder {
            for destination in nodes[name]!.options.destinations {
                lines.append("    \(id(name)) -. goto .-> \(id(destination))")
            }
        }
        for join in joins {
            lines.append("    \(join.sources.map(id).joined(separator: " & ")) --> \(id(join.target))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
