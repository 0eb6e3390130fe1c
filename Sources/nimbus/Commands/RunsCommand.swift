import ArgumentParser
import Foundation
import NimbusCore
import NimbusGraph
import NimbusHost
import NimbusLLM
import NimbusModules
import NimbusOps
import NimbusProducts
import NimbusSample
import NimbusStore

#if canImport(Glibc)
import Glibc
#endif

struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List, inspect and resume stored graph runs.",
        subcommands: [List.self, Show.self, History.self, Trace.self, Resume.self, Delete.self, Prune.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, most recently updated first.")

        @OptionGroup var global: GlobalOptions

        @Option(help: "Only runs with this status: \(RunStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
        var status: String?

        @Option(help: "At most this many runs.")
        var limit = 50

        @Flag(help: "Include the threads of subgraphs.")
        var all = false

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            let host = try global.host()
            let store = host.store
            var filter: RunStatus?
            if let status {
                guard let parsed = RunStatus(rawValue: status) else {
                    throw ValidationError(
                        "'\(status)' is not a run status; use one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                filter = parsed
            }
            let listings = try await store.threads(status: filter, limit: all ? limit : limit * 4)
                .filter { all || $0.record?.parentThreadID == nil || $0.record?.status == .paused }
                .prefix(limit)
            switch output {
            case .json:
                let rows: [JSONValue] = try listings.map { listing in
                    if let record = listing.record { return try JSONValue(encoding: record) }
                    return ["thread_id": .string(listing.threadID), "problem": .string(listing.problem ?? "")]
                }
                Console.out(JSONValue.array(rows).prettyJSONText)
            case .text:
                guard !listings.isEmpty else {
                    Console.out("No runs yet. Try `nimbus demo`.")
                    return
                }
                let rows = listings.map { listing -> [String] in
                    guard let record = listing.record else {
                        return [listing.threadID, "?", "unreadable", "", "", listing.problem ?? ""]
                    }
                    let waiting =
                        record.interrupts.isEmpty
                        ? (record.error.map { String($0.prefix(60)) } ?? "")
                        : "\(record.interrupts.count) interrupt\(record.interrupts.count == 1 ? "" : "s")"
                    return [
                        record.threadID, record.graph, record.status.rawValue, String(record.step),
                        Console.time(record.updatedAt), waiting,
                    ]
                }
                Console.table(["THREAD", "GRAPH", "STATUS", "STEPS", "UPDATED", "WAITING / ERROR"], rows)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one run: status, steps, last checkpoint, next tasks and pending interrupts.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run's thread id.")
        var thread: String

        @Flag(help: "Also print the state at the last checkpoint.")
        var state = false

        @Flag(help: "Also print the run's stored events.")
        var events = false

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            let host = try global.host()
            let store = host.store
            let record = try await host.thread(thread)
            let checkpoint = try await store.latestCheckpoint(threadID: thread)
            let stored = events ? try await store.events(threadID: thread, limit: nil) : []
            switch output {
            case .json:
                var object = try JSONValue(encoding: record).objectValue ?? [:]
                if let checkpoint {
                    object["last_checkpoint"] = [
                        "id": .string(checkpoint.id), "step": .int(checkpoint.step),
                        "created_at": .string(checkpoint.createdAt.formatted(.iso8601)),
                        "next": try JSONValue(encoding: checkpoint.tasks),
                    ]
                    if state { object["state"] = checkpoint.stateJSON }
                }
                if events { object["events"] = .array(stored.map(\.payload)) }
                // The run as its product reports it: the same typed outcome `ask`, `module` and `demo` print.
                if let result = try? await host.outcome(threadID: thread) {
                    object["product"] = .string(result.product)
                    object["outcome"] = result.outcome
                }
                Console.json(JSONValue.object(object))
            case .text:
                Console.out("thread     \(record.threadID)")
                Console.out("graph      \(record.graph)")
                Console.out("status     \(record.status.rawValue)")
                Console.out("steps      \(record.step)")
                Console.out("created    \(Console.time(record.createdAt))")
                Console.out("updated    \(Console.time(record.updatedAt))")
                if let owner = record.owner { Console.out("owner      \(owner)") }
                if let parent = record.parentThreadID { Console.out("parent     \(parent)") }
                if let checkpoint {
                    Console.out(
                        "checkpoint \(checkpoint.id) (step \(checkpoint.step), \(Console.time(checkpoint.createdAt)))")
                    let next = checkpoint.tasks.map { task in
                        task.input.map { "\(task.node)[\($0.stringValue ?? $0.jsonText)]" } ?? task.node
                    }
                    Console.out(
                        "next       \(next.isEmpty ? "(nothing: the run is over)" : next.joined(separator: ", "))")
                }
                if let error = record.error { Console.out("error      \(error)") }
                if !record.interrupts.isEmpty {
                    Console.out("waiting for:")
                    for interrupt in record.interrupts {
                        Console.out(
                            "  \(interrupt.id) (\(interrupt.kind.rawValue) \(interrupt.node)): \(interrupt.value.jsonText)"
                        )
                    }
                }
                if state, let checkpoint { Console.out("state:\n" + checkpoint.stateJSON.prettyJSONText) }
                if events {
                    Console.out("events:")
                    for event in stored {
                        let namespace = event.namespace.isEmpty ? "" : event.namespace.joined(separator: "/") + " "
                        Console.out(
                            "  \(Console.time(event.time)) \(namespace)\(event.name)\(event.node.map { " " + $0 } ?? "")"
                        )
                    }
                }
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a run's checkpoints, newest first.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run's thread id.")
        var thread: String

        @Option(help: "At most this many checkpoints.")
        var limit: Int?

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            let host = try global.host()
            let store = host.store
            _ = try await host.thread(thread)
            let checkpoints = try await store.checkpoints(threadID: thread, limit: limit)
            switch output {
            case .json:
                let rows: [JSONValue] = try checkpoints.map { checkpoint in
                    [
                        "id": .string(checkpoint.id), "parent_id": checkpoint.parentID.map(JSONValue.string) ?? .null,
                        "step": .int(checkpoint.step), "source": .string(checkpoint.source.rawValue),
                        "nodes": try JSONValue(encoding: checkpoint.nodes),
                        "next": try JSONValue(encoding: checkpoint.tasks.map(\.node)),
                        "created_at": .string(checkpoint.createdAt.formatted(.iso8601)), "state": checkpoint.stateJSON,
                    ]
                }
                Console.out(JSONValue.array(rows).prettyJSONText)
            case .text:
                let rows = checkpoints.map { checkpoint in
                    [
                        String(checkpoint.step), checkpoint.id, checkpoint.source.rawValue,
                        checkpoint.nodes.joined(separator: ","), checkpoint.tasks.map(\.node).joined(separator: ","),
                        Console.time(checkpoint.createdAt),
                    ]
                }
                Console.table(["STEP", "CHECKPOINT", "SOURCE", "RAN", "NEXT", "TIME"], rows)
            }
        }
    }

    struct Trace: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a run as a timed tree: its nodes, and the model and AWS calls made in each.",
            discussion:
                "Built from the store alone (events, the execution log, the audit log); nothing is sent anywhere.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run's thread id.")
        var thread: String

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            let host = try global.host()
            let trace = try await host.trace(threadID: thread)
            switch output {
            case .json: Console.json((try? JSONValue(encoding: trace)) ?? .null)
            case .text:
                Console.out("  OFFSET      DURATION  SPAN")
                for line in Self.lines(trace) { Console.out(line) }
            }
        }

        /// The tree as indented lines: offset from the run's start, duration, name and the span's attributes.
        static func lines(_ span: TraceSpan, origin: Date? = nil, depth: Int = 0) -> [String] {
            let origin = origin ?? span.start
            let offset = String(format: "%8.1f ms", span.start.timeIntervalSince(origin) * 1000)
            let duration =
                span.durationMilliseconds.map { String(format: "%9.1f ms", $0) } ?? String(repeating: " ", count: 12)
            let details = span.attributes.sorted { $0.key < $1.key }.map {
                "\($0.key)=\($0.value.stringValue ?? $0.value.jsonText)"
            }
            let text =
                "\(offset) \(duration)  \(String(repeating: "  ", count: depth))\(span.name)"
                + (details.isEmpty ? "" : "  " + details.joined(separator: " "))
            return [text] + span.children.flatMap { lines($0, origin: origin, depth: depth + 1) }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Continue a paused, failed, cancelled or crashed run from its last checkpoint.",
            discussion: "Pending questions are asked on the terminal, or answered with --answer id=value or --yes.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var answers: AnswerOptions

        @Argument(help: "The run's thread id.")
        var thread: String

        @Flag(help: "Resume even if the process that last ran it still seems alive.")
        var force = false

        @Option(help: "Print the result as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            let host = try global.host()
            let record = try await host.thread(thread)
            _ = try host.catalog.product(graph: record.graph, thread: thread)
            if record.status == .running, !force, let owner = record.owner, NimbusHost.ownerIsAlive(owner) {
                throw ValidationError(
                    "thread \(thread) is being run by process \(owner); wait for it, or pass --force if it is stuck")
            }
            let printer = ProductEventPrinter(starts: record.graph == ModulesProduct.graph)
            let environment = printingEnvironment(host, quiet: output == .json, printer: printer)
            let interactive = Console.standardInputIsTerminal && output == .text
            var given = try answers.parsed()
            if record.status == .interrupted {
                guard
                    let collected = try answers.answers(
                        for: record.interrupts, threadID: thread, interactive: interactive)
                else {
                    printResumeHint(threadID: thread, interrupts: record.interrupts)
                    throw ExitCode(ErrorKind.approvalRequired.exitCode)
                }
                given = collected
            }
            let result: ProductResult
            do {
                result = try await answerUntilDone(
                    try await host.resume(threadID: thread, answers: given, environment: environment), host: host,
                    environment: environment, answers: answers, output: output)
            } catch {
                // What a person should read is the node's own error, without the graph's wrapping.
                throw GraphError.rootCause(of: error)
            }
            try printResult(result, output: output)
            if result.state == .waiting { throw ExitCode(ErrorKind.approvalRequired.exitCode) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a run with its checkpoints and events.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run's thread id.")
        var thread: String

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            let host = try global.host()
            let store = host.store
            if try await store.thread(thread) == nil {
                // A corrupt record is still deletable; only a thread with no rows at all is unknown.
                guard try await store.threads(status: nil, limit: 100_000).contains(where: { $0.threadID == thread })
                else { _ = try await host.thread(thread); return }
            }
            try await store.deleteThread(thread)
            switch output {
            case .json: Console.json(["deleted": .string(thread)])
            case .text: Console.out("Deleted \(thread).")
            }
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete old checkpoints of every run, keeping the newest of each.")

        @OptionGroup var global: GlobalOptions

        @Option(help: "Keep this many checkpoints per run.")
        var keep: Int?

        @Option(help: "Delete checkpoints older than this many days.")
        var olderThanDays: Double?

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            guard keep != nil || olderThanDays != nil else {
                throw ValidationError("say what to prune: --keep N and/or --older-than-days D")
            }
            if let keep, keep < 1 { throw ValidationError("--keep must be at least 1") }
            let host = try global.host()
            let store = host.store
            let policy = RetentionPolicy(keepLast: keep, maxAge: olderThanDays.map { $0 * 86_400 })
            var removed = 0
            for listing in try await store.threads(status: nil, limit: 1_000_000) {
                removed += try await store.prune(threadID: listing.threadID, policy: policy)
            }
            switch output {
            case .json: Console.json(["removed_checkpoints": .int(removed)])
            case .text: Console.out("Removed \(removed) checkpoints.")
            }
        }
    }
}
