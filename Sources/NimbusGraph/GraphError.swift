public import NimbusCore

/// A problem defining or running a graph. The message names the node, field or thread involved;
/// compare ``kind`` to tell problems apart.
public struct GraphError: NimbusError {
    /// Which problem this is.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        public var description: String { name }

        public static let invalidGraph = Kind(name: "invalidGraph")
        public static let undeclaredField = Kind(name: "undeclaredField")
        public static let wrongWriteType = Kind(name: "wrongWriteType")
        public static let conflictingWrites = Kind(name: "conflictingWrites")
        public static let stepLimit = Kind(name: "stepLimit")
        public static let nodeFailed = Kind(name: "nodeFailed")
        public static let nodeTimedOut = Kind(name: "nodeTimedOut")
        public static let undeclaredRoute = Kind(name: "undeclaredRoute")
        public static let unknownThread = Kind(name: "unknownThread")
        public static let nothingToResume = Kind(name: "nothingToResume")
        public static let unknownInterrupt = Kind(name: "unknownInterrupt")
        public static let checkpointStoreRequired = Kind(name: "checkpointStoreRequired")
        public static let corruptCheckpoint = Kind(name: "corruptCheckpoint")
        public static let threadBusy = Kind(name: "threadBusy")
        public static let threadExists = Kind(name: "threadExists")
        public static let invalidThreadID = Kind(name: "invalidThreadID")
        public static let badInput = Kind(name: "badInput")
        public static let unknownCheckpoint = Kind(name: "unknownCheckpoint")
        public static let refusedAnswer = Kind(name: "refusedAnswer")
    }

    public let kind: Kind
    public let message: String
    public let suggestion: String?
    /// The node the problem is about, if any.
    public let node: String?
    /// The error a node threw, for ``Kind/nodeFailed``.
    public let underlying: (any Error)?

    @usableFromInline init(
        _ kind: Kind, _ message: String, suggestion: String? = nil, node: String? = nil, underlying: (any Error)? = nil
    ) {
        self.kind = kind
        self.message = message
        self.suggestion = suggestion
        self.node = node
        self.underlying = underlying
    }

    @usableFromInline static func invalidGraph(_ name: String, problems: [String]) -> GraphError {
        GraphError(
            .invalidGraph,
            "graph '\(name)' is not valid:\n" + problems.map { "  - \($0)" }.joined(separator: "\n"))
    }

    @usableFromInline static func undeclaredField(node: String, keyPath: AnyKeyPath, stateType: Any.Type) -> GraphError
    {
        GraphError(
            .undeclaredField,
            "node '\(node)' wrote \(keyPath), which is not a field of \(stateType).schema",
            suggestion: "declare it with .field(\"name\", \\.property) in the schema", node: node)
    }

    @usableFromInline static func wrongWriteType(field: String, expected: String, found: String) -> GraphError {
        GraphError(.wrongWriteType, "field '\(field)' takes writes of type \(expected), not \(found)")
    }

    @usableFromInline static func conflictingWrites(field: String, nodes: [String]) -> GraphError {
        GraphError(
            .conflictingWrites,
            "nodes \(nodes.map { "'\($0)'" }.joined(separator: " and ")) both wrote the last-value field '\(field)' "
                + "in the same step",
            suggestion: "give '\(field)' a reducer (.append, .merge or .custom) or let only one of them write it",
            node: nodes.first)
    }

    @usableFromInline static func stepLimit(_ limit: Int, lastNodes: [String]) -> GraphError {
        GraphError(
            .stepLimit,
            "the run reached its limit of \(limit) steps without ending; the last step ran "
                + lastNodes.map { "'\($0)'" }.joined(separator: ", "),
            suggestion: "check the loop's exit condition, or raise the limit with stepLimit", node: lastNodes.first)
    }

    @usableFromInline static func nodeFailed(_ node: String, attempts: Int, underlying: any Error) -> GraphError {
        let tries = attempts > 1 ? " after \(attempts) attempts" : ""
        return GraphError(
            .nodeFailed, "node '\(node)' failed\(tries): \(underlying)", node: node, underlying: underlying)
    }

    /// The error a failed node (or a node of a subgraph inside it) threw first: what a person should read, without
    /// the "node 'x' failed" layers. Any other error is returned as it is.
    public static func rootCause(of error: any Error) -> any Error {
        var current = error
        while let graphError = current as? GraphError, graphError.kind == .nodeFailed,
            let underlying = graphError.underlying
        {
            current = underlying
        }
        return current
    }

    @usableFromInline static func nodeTimedOut(_ node: String, after timeout: Duration) -> GraphError {
        GraphError(.nodeTimedOut, "node '\(node)' did not finish within \(timeout)", node: node)
    }

    @usableFromInline static func undeclaredRoute(from node: String, to target: String, allowed: [String]) -> GraphError
    {
        GraphError(
            .undeclaredRoute,
            "'\(node)' routed to '\(target)', which is not among its declared destinations "
                + "(\(allowed.joined(separator: ", ")))",
            suggestion: closestMatch(to: target, in: allowed).map { "did you mean '\($0)'?" }, node: node)
    }

    public static func unknownThread(_ threadID: String, known: [String]) -> GraphError {
        let hint = closestMatch(to: threadID, in: known).map { "did you mean '\($0)'?" }
        return GraphError(
            .unknownThread, "there is no run with thread id '\(threadID)'",
            suggestion: hint ?? "list runs with `nimbus runs list`")
    }

    @usableFromInline static func nothingToResume(_ threadID: String, status: RunStatus) -> GraphError {
        GraphError(.nothingToResume, "thread '\(threadID)' is \(status.rawValue); there is nothing to resume")
    }

    @usableFromInline static func unknownInterrupt(_ id: String, pending: [String]) -> GraphError {
        let list = pending.isEmpty ? "none are pending" : "pending: " + pending.joined(separator: ", ")
        return GraphError(
            .unknownInterrupt, "'\(id)' is not a pending interrupt of this run (\(list))",
            suggestion: closestMatch(to: id, in: pending).map { "did you mean '\($0)'?" })
    }

    @usableFromInline static func checkpointStoreRequired(_ feature: String) -> GraphError {
        GraphError(
            .checkpointStoreRequired, "\(feature) needs a checkpoint store",
            suggestion: "compile the graph with checkpointer: InMemoryCheckpointStore() or a SQLiteStore")
    }

    @usableFromInline static func corruptCheckpoint(threadID: String, detail: String) -> GraphError {
        GraphError(.corruptCheckpoint, "the stored state of thread '\(threadID)' cannot be read: \(detail)")
    }

    @usableFromInline static func threadBusy(_ threadID: String, status: RunStatus) -> GraphError {
        GraphError(
            .threadBusy, "thread '\(threadID)' has a \(status.rawValue) run",
            suggestion: "resume it, or start the new run on another thread id")
    }

    @usableFromInline static func threadExists(_ threadID: String, graph: String) -> GraphError {
        GraphError(
            .threadExists,
            "thread '\(threadID)' already holds a run of \(graph); a new request needs a thread of its own",
            suggestion: "leave out --thread for a new id, choose another one, or continue that run with "
                + "`nimbus runs resume \(threadID)`")
    }

    public static func invalidThreadID(_ threadID: String, detail: String) -> GraphError {
        GraphError(
            .invalidThreadID, "'\(threadID.debugDescription.dropFirst().dropLast())' is not a thread id: \(detail)",
            suggestion: "use 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit")
    }

    /// Checks a thread id a person chose (`--thread`): 1 to 128 letters, digits, `.`, `_`, `:` and `-`, starting
    /// with a letter or digit, no `..`. (Subgraph threads, which the runtime names itself, also hold `/`.)
    public static func validateThreadID(_ threadID: String) throws(GraphError) {
        guard !threadID.isEmpty else { throw invalidThreadID(threadID, detail: "it is empty") }
        guard threadID.utf8.count <= 128 else {
            throw invalidThreadID(threadID, detail: "it is longer than 128 characters")
        }
        guard let first = threadID.unicodeScalars.first, first.isASCII,
            first.properties.isAlphabetic || ("0"..."9").contains(first)
        else {
            throw invalidThreadID(threadID, detail: "it must start with a letter or digit")
        }
        let allowed = threadID.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._:-".unicodeScalars.contains($0))
        }
        guard allowed else {
            throw invalidThreadID(
                threadID, detail: "it holds a character other than letters, digits, '.', '_', ':' and '-'")
        }
        guard !threadID.contains("..") else { throw invalidThreadID(threadID, detail: "it holds '..'") }
    }

    @usableFromInline static func badInput(node: String, expected: String, detail: String) -> GraphError {
        GraphError(.badInput, "node '\(node)' expected an input of type \(expected): \(detail)", node: node)
    }

    @usableFromInline static func unknownCheckpoint(_ id: String, threadID: String) -> GraphError {
        GraphError(.unknownCheckpoint, "thread '\(threadID)' has no checkpoint '\(id)'")
    }

    @usableFromInline static func refusedAnswer(
        _ answer: JSONValue, to interrupt: Interrupt, accepts: AcceptedAnswers
    ) -> GraphError {
        let given = answer.stringValue ?? answer.jsonText
        let question = interrupt.value["question"]?.stringValue.map { " (\($0))" } ?? ""
        let guess = closestMatch(to: given, in: accepts.choices).map { "did you mean '\($0)'? " } ?? ""
        return GraphError(
            .refusedAnswer,
            "'\(given)' is not an answer to '\(interrupt.questionKey)'\(question): it takes \(accepts)",
            suggestion: guess + "nothing was changed and the question is still pending; answer it again",
            node: interrupt.node)
    }
}

extension GraphError {
    public var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch self.kind {
            case .unknownThread, .unknownCheckpoint, .unknownInterrupt: .notFound
            case .threadBusy, .threadExists, .nothingToResume: .conflict
            case .invalidThreadID, .badInput, .refusedAnswer: .invalidInput
            case .nodeTimedOut: .timeout
            case .nodeFailed: underlying.map { ErrorCode.of($0).kind } ?? .internal
            default: .internal
            }
        return ErrorCode("graph", self.kind.description, kind)
    }
}
