import Foundation
public import Logging
public import NimbusCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options for one run: its thread, limits, metadata, logger and event consumer.
public struct RunConfiguration: Sendable {
    /// The thread to run on; a new time-ordered id when `nil`.
    public var threadID: String?
    /// Overrides the graph's step limit for this run.
    public var stepLimit: Int?
    /// Stored with the thread record (who started it, from where, …).
    public var metadata: [String: JSONValue]
    public var logger: Logger
    /// Refuse to start when the thread already holds a run, finished or not: a new request names a new thread
    /// (a person's `--thread`), and never rewrites another run's history.
    public var requireNewThread: Bool

    /// The logger runs use unless given another.
    public static let defaultLogger = Logger(label: "nimbus.graph")

    public init(
        threadID: String? = nil, stepLimit: Int? = nil, metadata: [String: JSONValue] = [:],
        logger: Logger = RunConfiguration.defaultLogger, requireNewThread: Bool = false
    ) {
        self.requireNewThread = requireNewThread
        self.threadID = threadID
        self.stepLimit = stepLimit
        self.metadata = metadata
        self.logger = logger
    }
}

/// Everything a run (or a subgraph run inside it) shares: the store, the event consumer, the namespace.
@usableFromInline
final class RunEnvironment: Sendable {
    @usableFromInline let store: (any CheckpointStore)?
    @usableFromInline let eventLog: (any GraphEventLog)?
    @usableFromInline let namespace: [String]
    @usableFromInline let threadID: String
    @usableFromInline let modes: EventModes
    /// Precomputed ``wants(_:)`` answers for the hot path.
    @usableFromInline let wantsDebug: Bool
    @usableFromInline let wantsUpdates: Bool
    @usableFromInline let wantsValues: Bool
    /// Whether a store is present: cheaper to test than copying the existential.
    @usableFromInline let hasStore: Bool
    @usableFromInline let sink: (@Sendable (GraphEvent) -> Void)?
    @usableFromInline let logger: Logger
    private let pendingLogEvents = Mutex<[GraphEvent]>([])

    @usableFromInline init(
        store: (any CheckpointStore)?, eventLog: (any GraphEventLog)?, namespace: [String], threadID: String,
        modes: EventModes, sink: (@Sendable (GraphEvent) -> Void)?, logger: Logger
    ) {
        self.store = store
        self.eventLog = eventLog
        self.namespace = namespace
        self.threadID = threadID
        self.modes = sink == nil ? [] : modes
        let effective = sink == nil ? EventModes() : modes
        self.wantsDebug = effective.contains(.debug) || eventLog != nil
        self.wantsUpdates = effective.contains(.updates)
        self.wantsValues = effective.contains(.values)
        self.hasStore = store != nil
        self.sink = sink
        // The thread goes into each message's metadata when one is logged: setting it on the logger here would
        // cost every run a metadata rebuild in some handlers.
        self.logger = logger
    }

    /// The environment of a subgraph run started by `task` in this run.
    func child(threadID: String, task: GraphTask, store: (any CheckpointStore)?) -> RunEnvironment {
        RunEnvironment(
            store: store, eventLog: eventLog, namespace: namespace + [task.id], threadID: threadID, modes: modes,
            sink: sink, logger: logger)
    }

    /// Interrupt ids of subgraphs carry their path so answers find their way down.
    @usableFromInline var interruptPrefix: String {
        namespace.isEmpty ? "" : namespace.joined(separator: "/") + "/"
    }

    @inlinable func wants(_ mode: EventModes) -> Bool {
        modes.contains(mode) || (eventLog != nil && (mode == .debug || mode == .custom))
    }

    @usableFromInline func emit(_ kind: GraphEvent.Kind) {
        let event = GraphEvent(namespace: namespace, threadID: threadID, kind: kind)
        if let sink, modes.contains(kind.mode) { sink(event) }
        if eventLog != nil, kind.mode == .debug || kind.mode == .custom {
            pendingLogEvents.withLock { $0.append(event) }
        }
    }

    /// Hands the events collected since the last flush to the event log.
    @usableFromInline func flushEventLog() async {
        guard let eventLog else { return }
        let events = pendingLogEvents.withLock { events in
            defer { events.removeAll() }
            return events
        }
        guard !events.isEmpty else { return }
        do {
            try await eventLog.append(events)
        } catch {
            logger.info("could not store run events: \(error)", metadata: ["thread": "\(threadID)"])
        }
    }

    /// `host:pid` of this process, so a person can tell a crashed run from a live one.
    @usableFromInline static let owner: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        let host =
            gethostname(&buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        return "\(host):\(getpid())"
    }()
}
