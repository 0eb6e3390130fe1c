// A child process for the crash test: runs a checkpointed graph whose nodes perform side effects (appending
// lines to a log), and at a named point announces "CRASH-POINT <name>" and waits to be killed with SIGKILL.
//
//   GraphCrashHarness --db PATH|postgres://… --log PATH --thread ID [--crash-at POINT]
//
// Without --crash-at it runs (or resumes) the thread to the end and prints "FINAL <state as JSON>".
import Foundation
import NimbusCore
import NimbusGraph
@_spi(Testing) import NimbusStore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

struct Ledger: GraphState {
    var entries: [String] = []
    var totals: [String: Int] = [:]
    var round = 0
    var summary = ""
    static let schema = StateSchema<Ledger>(
        .field("entries", \.entries, .append),
        .field("totals", \.totals, .merge),
        .field("round", \.round),
        .field("summary", \.summary)
    )
}

struct Options {
    var database = ""
    var log = ""
    var thread = "crash"
    var crashAt: String?

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--db": database = iterator.next() ?? ""
            case "--log": log = iterator.next() ?? ""
            case "--thread": thread = iterator.next() ?? "crash"
            case "--crash-at": crashAt = iterator.next()
            default: fatalError("unknown argument \(argument)")
            }
        }
    }
}

let options = Options(CommandLine.arguments)

/// Announces the point and blocks until the test kills the process.
func crashPoint(_ name: String) {
    guard name == options.crashAt else { return }
    FileHandle.standardOutput.write(Data("CRASH-POINT \(name)\n".utf8))
    while true { sleep(60) }
}

/// Counts calls so points like `save#3.mid` can be named.
final class CallCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    func next(_ name: String) -> Int {
        counts.withLock { counts in
            counts[name, default: 0] += 1
            return counts[name]!
        }
    }
}

let calls = CallCounter()

/// Forwards to the store with crash points before and after each call.
struct CrashingStore: CheckpointStore {
    let inner: any CheckpointStore

    func save(_ checkpoint: Checkpoint, thread: ThreadRecord) async throws {
        let number = calls.next("save")
        crashPoint("save#\(number).before")
        try await inner.save(checkpoint, thread: thread)
        crashPoint("save#\(number).after")
    }

    func saveWrites(_ writes: [PendingWrite], threadID: String, checkpointID: String) async throws {
        let number = calls.next("saveWrites")
        crashPoint("saveWrites#\(number).before")
        try await inner.saveWrites(writes, threadID: threadID, checkpointID: checkpointID)
        crashPoint("saveWrites#\(number).after")
    }

    func saveThread(_ thread: ThreadRecord) async throws { try await inner.saveThread(thread) }
    func thread(_ threadID: String) async throws -> ThreadRecord? { try await inner.thread(threadID) }
    func threads(status: RunStatus?, limit: Int) async throws -> [ThreadListing] {
        try await inner.threads(status: status, limit: limit)
    }
    func latestCheckpoint(threadID: String) async throws -> Checkpoint? {
        try await inner.latestCheckpoint(threadID: threadID)
    }
    func checkpoint(threadID: String, id: String) async throws -> Checkpoint? {
        try await inner.checkpoint(threadID: threadID, id: id)
    }
    func checkpoints(threadID: String, limit: Int?) async throws -> [Checkpoint] {
        try await inner.checkpoints(threadID: threadID, limit: limit)
    }
    func writes(threadID: String, checkpointID: String) async throws -> [PendingWrite] {
        try await inner.writes(threadID: threadID, checkpointID: checkpointID)
    }
    func prune(threadID: String, policy: RetentionPolicy) async throws -> Int {
        try await inner.prune(threadID: threadID, policy: policy)
    }
    func deleteThread(_ threadID: String) async throws { try await inner.deleteThread(threadID) }
}

/// The side effect: one line per effect, flushed to disk. A re-run after a crash in the window between the effect
/// and its record checks the log for its idempotency key, as a real system would check the resource it changes.
func appendEffect(_ step: RecordedStep) throws -> Int {
    let url = URL(fileURLWithPath: options.log)
    if step.mayHaveRunBefore, let existing = try? String(contentsOf: url, encoding: .utf8),
        existing.split(separator: "\n").contains(Substring(step.idempotencyKey))
    {
        return existing.split(separator: "\n").count
    }
    let descriptor = open(options.log, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
    defer { close(descriptor) }
    let line = Array((step.idempotencyKey + "\n").utf8)
    _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    fsync(descriptor)
    return line.count
}

func makeGraph(store: any CheckpointStore) throws -> CompiledGraph<Ledger> {
    var graph = StateGraph<Ledger>()
    graph.addNode("plan") { _, context in
        crashPoint("plan.start")
        _ = try await context.step("effect") { try appendEffect($0) }
        crashPoint("plan.after-effect")
        return Update(\.entries, ["plan"])
    }
    graph.addNode("work") { _, context in
        let n = try context.input(Int.self)
        crashPoint("work\(n).before-effect")
        _ = try await context.step("effect") { try appendEffect($0) }
        crashPoint("work\(n).after-effect")
        try await Task.sleep(for: .milliseconds(5 * n))
        return Update {
            $0.write(\.totals, ["w\(n)": n * n])
            $0.append(\.entries, "work\(n)")
        }
    }
    graph.addNode("merge") { state, context in
        crashPoint("merge.start")
        _ = try await context.step("effect") { try appendEffect($0) }
        crashPoint("merge.after-effect")
        return Update {
            $0.write(\.round, 1)
            $0.append(\.entries, "merge:\(state.totals.values.reduce(0, +))")
        }
    }
    graph.addNode("refine") { state, context in
        crashPoint("refine\(state.round).before-effect")
        _ = try await context.step("effect") { try appendEffect($0) }
        crashPoint("refine\(state.round).after-effect")
        return Update {
            $0.write(\.round, state.round + 1)
            $0.append(\.entries, "refine\(state.round)")
        }
    }
    graph.addNode("finish") { state, context in
        crashPoint("finish.start")
        _ = try await context.step("effect") { try appendEffect($0) }
        return Update(\.summary, "\(state.entries.count) entries, total \(state.totals.values.reduce(0, +))")
    }
    graph.addEdge(from: START, to: "plan")
    graph.addConditionalEdges(from: "plan", to: ["work"]) { _ in try (1...3).map { try Route.send("work", $0) } }
    graph.addEdge(from: "work", to: "merge")
    graph.addEdge(from: "merge", to: "refine")
    graph.addConditionalEdge(from: "refine", to: ["refine", "finish"]) { $0.round < 4 ? "refine" : "finish" }
    graph.addEdge(from: "finish", to: END)
    return try graph.compile(name: "crash-ledger", checkpointer: store)
}

do {
    let hook: @Sendable (String) -> Void = { operation in
        crashPoint("\(operation)#\(calls.next("hook-" + operation)).mid")
    }
    let store: any CheckpointStore =
        options.database.hasPrefix("postgres://")
        ? try PostgresStore(location: PostgresLocation(url: options.database), transactionHook: hook)
        : try SQLiteStore(path: options.database, transactionHook: hook)
    let graph = try makeGraph(store: CrashingStore(inner: store))
    let state: Ledger
    if let existing = try await store.thread(options.thread) {
        if existing.status == .completed {
            state = try await graph.state(threadID: options.thread).state
        } else {
            state = try await graph.resume(threadID: options.thread).state
        }
    } else {
        state = try await graph.invoke(Ledger(), configuration: RunConfiguration(threadID: options.thread)).state
    }
    let json = try JSONValue(encoding: state)
    print("FINAL \(json.jsonText)")
} catch {
    FileHandle.standardError.write(Data("harness error: \(error)\n".utf8))
    exit(2)
}
