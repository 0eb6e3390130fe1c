public import Foundation
public import NimbusCore

/// Where graph runs persist: checkpoints after each superstep, writes after each finished node,
/// recorded side-effect results and answers to interrupts, and one record per thread.
///
/// Implementations must make each call atomic: a process killed during a call leaves either all of it
/// or none of it. `InMemoryCheckpointStore` is for tests and short-lived runs; NimbusStore's `SQLiteStore`
/// is durable.
public protocol CheckpointStore: Sendable {
    /// Saves a checkpoint and the thread's record together, atomically.
    func save(_ checkpoint: Checkpoint, thread: ThreadRecord) async throws
    /// Adds writes made by the tasks planned at `checkpointID` (replacing any with the same task, kind and key).
    func saveWrites(_ writes: [PendingWrite], threadID: String, checkpointID: String) async throws
    /// Saves a thread's record alone (status changes).
    func saveThread(_ thread: ThreadRecord) async throws
    /// The thread's record, or `nil` if there is no such thread.
    func thread(_ threadID: String) async throws -> ThreadRecord?
    /// Threads, most recently updated first. A thread whose record cannot be read is listed with its problem.
    func threads(status: RunStatus?, limit: Int) async throws -> [ThreadListing]
    /// The newest checkpoint of a thread.
    func latestCheckpoint(threadID: String) async throws -> Checkpoint?
    /// One checkpoint of a thread.
    func checkpoint(threadID: String, id: String) async throws -> Checkpoint?
    /// A thread's checkpoints, newest first.
    func checkpoints(threadID: String, limit: Int?) async throws -> [Checkpoint]
    /// The writes made by tasks planned at a checkpoint, in the order they were saved.
    func writes(threadID: String, checkpointID: String) async throws -> [PendingWrite]
    /// Deletes old checkpoints (never the newest) and their writes; returns how many checkpoints were removed.
    func prune(threadID: String, policy: RetentionPolicy) async throws -> Int
    /// Deletes a thread with all its checkpoints and writes.
    func deleteThread(_ threadID: String) async throws
}

/// A snapshot of a run between two supersteps: the state, and the tasks the next superstep will run.
public struct Checkpoint: Sendable, Codable, Hashable {
    /// How a checkpoint came to be.
    public enum Source: String, Sendable, Codable, Hashable {
        /// The run's input, before the first step.
        case input
        /// The end of a superstep.
        case step
        /// A fork of another checkpoint with an edited state.
        case fork
    }

    /// A time-ordered id (``SortableID``).
    public var id: String
    public var threadID: String
    /// The checkpoint this one follows, possibly in another thread (forks).
    public var parentID: String?
    /// The number of supersteps run so far.
    public var step: Int
    public var source: Source
    /// The state, as JSON.
    public var state: Data
    /// What the next superstep runs; empty when the run is over.
    public var tasks: [GraphTask]
    /// For each waiting join, the sources that have finished so far.
    public var barriers: [String: [String]]
    /// The nodes whose writes produced this checkpoint.
    public var nodes: [String]
    public var createdAt: Date
    public var metadata: [String: JSONValue]

    public init(
        id: String = SortableID().rawValue, threadID: String, parentID: String?, step: Int, source: Source,
        state: Data, tasks: [GraphTask], barriers: [String: [String]] = [:], nodes: [String] = [],
        createdAt: Date = Date(), metadata: [String: JSONValue] = [:]
    ) {
        self.id = id
        self.threadID = threadID
        self.parentID = parentID
        self.step = step
        self.source = source
        self.state = state
        self.tasks = tasks
        self.barriers = barriers
        self.nodes = nodes
        self.createdAt = createdAt
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case id, threadID = "thread_id", parentID = "parent_id", step, source, state, tasks, barriers, nodes
        case createdAt = "created_at", metadata
    }

    /// The state as JSON, for tools that do not know the state's Swift type.
    public var stateJSON: JSONValue { (try? JSONValue(parsing: state)) ?? .null }
}

/// One run of one node in a superstep.
public struct GraphTask: Sendable, Codable, Hashable {
    /// Unique within the thread and stable across resumes: `"<step>.<node>"`, or `"<step>.<node>.<k>"` for sends.
    public var id: String
    public var node: String
    /// The send's input, if any.
    public var input: JSONValue?

    public init(id: String, node: String, input: JSONValue? = nil) {
        self.id = id
        self.node = node
        self.input = input
    }
}

/// Something a task stored while its step was under way: its writes, routes, recorded side-effect results,
/// interrupts, answers to interrupts, and a marker that it finished.
public struct PendingWrite: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, Hashable {
        /// A write to a state field (`key` is `"<sequence>:<field>"`).
        case state
        /// Routes chosen by the node (`goto`).
        case route
        /// The result of a recorded step (`key` is `"<name>#<occurrence>"`).
        case step
        /// An interrupt raised by the task (`key` is the interrupt id).
        case interrupt
        /// The answer to an interrupt (`key` is the interrupt id).
        case resume
        /// The task finished; its writes are complete.
        case done
    }

    public var taskID: String
    public var kind: Kind
    public var key: String
    /// JSON.
    public var value: Data

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id", kind, key, value
    }

    public init(taskID: String, kind: Kind, key: String, value: Data) {
        self.taskID = taskID
        self.kind = kind
        self.key = key
        self.value = value
    }
}

/// The status of a run on a thread.
public enum RunStatus: String, Sendable, Codable, Hashable, CaseIterable {
    /// Running now, or killed while running (resume it).
    case running
    /// Waiting for answers to interrupts.
    case interrupted
    /// Ready to resume (a fork).
    case paused
    case completed
    case failed
    case cancelled
}

/// A pause in a run that waits for a person (or a policy) to answer.
public struct Interrupt: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, Hashable {
        /// Raised by `context.interrupt(_:)` inside a node.
        case node
        /// A static gate before a node runs.
        case before
        /// A static gate after a node ran.
        case after
    }

    /// Stable across resumes; answer with `resume(threadID:answers: [id: value])`.
    public var id: String
    public var kind: Kind
    public var node: String
    public var taskID: String
    /// The subgraph path, empty for the top-level graph.
    public var namespace: [String]
    /// What the node asked (a question, a plan to approve, …).
    public var value: JSONValue
    /// The answers it takes; `nil` takes any answer. Resuming with another answer is refused and nothing is stored.
    public var accepts: AcceptedAnswers?

    enum CodingKeys: String, CodingKey {
        case id, kind, node, taskID = "task_id", namespace, value, accepts
    }

    public init(
        id: String, kind: Kind, node: String, taskID: String, namespace: [String], value: JSONValue,
        accepts: AcceptedAnswers? = nil
    ) {
        self.id = id
        self.kind = kind
        self.node = node
        self.taskID = taskID
        self.namespace = namespace
        self.value = value
        self.accepts = accepts
    }
}

/// What a store knows about one thread: its graph, status, progress and pending interrupts.
public struct ThreadRecord: Sendable, Codable, Hashable {
    public var threadID: String
    /// The name of the graph that runs on the thread.
    public var graph: String
    public var status: RunStatus
    /// Supersteps run so far.
    public var step: Int
    /// The newest checkpoint.
    public var checkpointID: String?
    /// The thread this one was forked from, or the parent run of a subgraph thread.
    public var parentThreadID: String?
    /// `host:pid` of the process that last ran the thread.
    public var owner: String?
    public var error: String?
    public var interrupts: [Interrupt]
    public var createdAt: Date
    public var updatedAt: Date
    public var metadata: [String: JSONValue]

    enum CodingKeys: String, CodingKey {
        case threadID = "thread_id", graph, status, step, checkpointID = "checkpoint_id"
        case parentThreadID = "parent_thread_id", owner, error, interrupts, createdAt = "created_at"
        case updatedAt = "updated_at", metadata
    }

    public init(
        threadID: String, graph: String, status: RunStatus, step: Int = 0, checkpointID: String? = nil,
        parentThreadID: String? = nil, owner: String? = nil, error: String? = nil, interrupts: [Interrupt] = [],
        createdAt: Date = Date(), updatedAt: Date = Date(), metadata: [String: JSONValue] = [:]
    ) {
        self.threadID = threadID
        self.graph = graph
        self.status = status
        self.step = step
        self.checkpointID = checkpointID
        self.parentThreadID = parentThreadID
        self.owner = owner
        self.error = error
        self.interrupts = interrupts
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.metadata = metadata
    }
}

/// A row of ``CheckpointStore/threads(status:limit:)``: the record, or why it cannot be read.
public struct ThreadListing: Sendable {
    public let threadID: String
    public let record: ThreadRecord?
    /// Set when the thread's stored record is corrupt; other threads are unaffected.
    public let problem: String?

    public init(threadID: String, record: ThreadRecord?, problem: String?) {
        self.threadID = threadID
        self.record = record
        self.problem = problem
    }
}

/// How many checkpoints a thread keeps: the last N, those younger than an age, or both (a checkpoint
/// must pass both tests to stay). The newest checkpoint is always kept.
public struct RetentionPolicy: Sendable, Hashable, Codable {
    public var keepLast: Int?
    public var maxAge: TimeInterval?

    enum CodingKeys: String, CodingKey {
        case keepLast = "keep_last", maxAge = "max_age"
    }

    public init(keepLast: Int? = nil, maxAge: TimeInterval? = nil) {
        self.keepLast = keepLast
        self.maxAge = maxAge
    }

    /// Keep the newest `count` checkpoints of each thread.
    public static func keepLast(_ count: Int) -> RetentionPolicy { RetentionPolicy(keepLast: max(1, count)) }
    /// Keep checkpoints younger than `age` seconds.
    public static func maxAge(_ age: TimeInterval) -> RetentionPolicy { RetentionPolicy(maxAge: age) }

    /// Which of `checkpoints` (newest first) to delete under this policy.
    public func expired(_ checkpoints: [Checkpoint], now: Date = Date()) -> [Checkpoint] {
        var doomed: [Checkpoint] = []
        for (index, checkpoint) in checkpoints.enumerated() where index > 0 {
            if let keepLast, index >= keepLast {
                doomed.append(checkpoint)
            } else if let maxAge, now.timeIntervalSince(checkpoint.createdAt) > maxAge {
                doomed.append(checkpoint)
            }
        }
        return doomed
    }
}
