import Foundation
import GraphScenarios
import NimbusGraph
import NimbusStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Times the benchmark scenarios on NimbusGraph and prints one JSON line per scenario, in the same shape as
/// `Benchmarks/langgraph/bench_langgraph.py`, so `scripts/bench-graph.sh` can put the two side by side.
///
/// Arguments are parsed by hand: a command-line library would add its own start-up memory to the peak RSS this
/// program reports about the runtime.
@main
struct GraphCompare {
    static let usage = """
        USAGE: graph-compare [--scenario <scenario> ...] [--runs <runs>] [--loop-runs <loop-runs>] [--warmup <warmup>]

          --scenario <scenario>   Scenarios to run: \(GraphScenario.allCases.map(\.rawValue).joined(separator: ", "))
                                  (default: all).
          --runs <runs>           Timed runs of the chain and fan-out scenarios. (default: 20000)
          --loop-runs <runs>      Timed runs of the SQLite loop scenario. (default: 500)
          --warmup <warmup>       Untimed runs before timing (a tenth of that for the loop). (default: 500)
          --store-url <url>       Checkpoint the loop in this PostgreSQL database instead of a SQLite file.
        """

    var scenarios: [String] = []
    var runs = 20_000
    var loopRuns = 500
    var warmup = 500
    /// A PostgreSQL database for the loop's checkpoints instead of a SQLite file (`--store-url`).
    var storeURL: String?

    static func main() async {
        do {
            guard let command = try GraphCompare(arguments: Array(CommandLine.arguments.dropFirst())) else {
                print(usage)
                return
            }
            try await command.run()
        } catch {
            FileHandle.standardError.write(Data("graph-compare: \(error)\n".utf8))
            exit(64)
        }
    }

    /// Parses the arguments; `nil` for `--help`.
    init?(arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        func value(_ option: String) throws -> String {
            guard let value = iterator.next() else { throw UsageError("\(option) needs a value") }
            return value
        }
        func number(_ option: String) throws -> Int {
            let text = try value(option)
            guard let number = Int(text), number >= 0 else {
                throw UsageError("\(option) takes a count, not '\(text)'")
            }
            return number
        }
        while let argument = iterator.next() {
            switch argument {
            case "-h", "--help": return nil
            case "--scenario": scenarios.append(try value(argument))
            case "--runs": runs = try number(argument)
            case "--loop-runs": loopRuns = try number(argument)
            case "--warmup": warmup = try number(argument)
            case "--store-url": storeURL = try value(argument)
            default: throw UsageError("unknown argument '\(argument)'\n\(GraphCompare.usage)")
            }
        }
    }

    func run() async throws {
        let selected = try scenarios.isEmpty ? GraphScenario.allCases : scenarios.map(Self.parse)
        for scenario in selected {
            let timings: Timings
            switch scenario {
            case .chain: timings = try await Self.runChain(runs: runs, warmup: warmup)
            case .fanOut: timings = try await Self.runFanOut(runs: runs, warmup: warmup)
            case .loop:
                timings = try await Self.runLoop(runs: loopRuns, warmup: max(1, warmup / 10), storeURL: storeURL)
            }
            print(timings.jsonLine(scenario: scenario))
        }
    }

    static func parse(_ name: String) throws -> GraphScenario {
        guard let scenario = GraphScenario(rawValue: name) else {
            let known = GraphScenario.allCases.map(\.rawValue).joined(separator: ", ")
            throw UsageError("unknown scenario '\(name)'; known: \(known)")
        }
        return scenario
    }

    // MARK: - Scenarios

    static func runChain(runs: Int, warmup: Int) async throws -> Timings {
        let graph = try makeChainGraph()
        return try await measure(runs: runs, warmup: warmup) { _ in
            try checkChain(try await graph.invoke(ChainState()).state)
        }
    }

    static func runFanOut(runs: Int, warmup: Int) async throws -> Timings {
        let graph = try makeFanOutGraph()
        return try await measure(runs: runs, warmup: warmup) { _ in
            try checkFanOut(try await graph.invoke(FanOutState()).state)
        }
    }

    static func runLoop(runs: Int, warmup: Int, storeURL: String?) async throws -> Timings {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("nimbus-graph-bench-\(getpid())-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store: any CheckpointStore =
            if let storeURL {
                try PostgresStore(url: storeURL)
            } else {
                try SQLiteStore(path: directory.appendingPathComponent("checkpoints.sqlite").path)
            }
        let graph = try makeLoopGraph(store: store)
        let timings = try await measure(runs: runs, warmup: warmup) { run in
            let result = try await graph.invoke(LoopState(), configuration: RunConfiguration(threadID: "run-\(run)"))
            try checkLoop(result)
        }
        try await checkLoopPersisted(graph, threadID: "run-\(warmup + runs - 1)")
        return timings
    }

    /// Runs `body` `warmup` times untimed, then `runs` times timed one by one. `body` gets a run number that
    /// is unique across warm-up and timed runs.
    static func measure(
        runs: Int, warmup: Int, _ body: (Int) async throws -> Void
    ) async throws -> Timings {
        for run in 0..<warmup { try await body(run) }
        let clock = ContinuousClock()
        var nanoseconds: [Int64] = []
        nanoseconds.reserveCapacity(runs)
        let started = clock.now
        for run in warmup..<(warmup + runs) {
            let start = clock.now
            try await body(run)
            nanoseconds.append((clock.now - start).nanoseconds)
        }
        let total = (clock.now - started).nanoseconds
        return Timings(nanoseconds: nanoseconds, totalNanoseconds: total)
    }
}

/// The per-run times of one scenario and the process's peak memory.
struct Timings {
    let nanoseconds: [Int64]
    let totalNanoseconds: Int64

    func jsonLine(scenario: GraphScenario) -> String {
        let sorted = nanoseconds.sorted()
        let mean = Double(nanoseconds.reduce(0, +)) / Double(max(1, nanoseconds.count)) / 1000
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))
            return Double(sorted[index]) / 1000
        }
        let fields: [(String, String)] = [
            ("impl", "\"nimbus\""),
            ("scenario", "\"\(scenario.rawValue)\""),
            ("runs", "\(nanoseconds.count)"),
            ("us_per_run", format(mean)),
            ("p50_us", format(percentile(0.5))),
            ("p99_us", format(percentile(0.99))),
            ("wall_s", format(Double(totalNanoseconds) / 1e9)),
            ("peak_rss_kb", "\(peakResidentKilobytes())"),
        ]
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    private func format(_ value: Double) -> String {
        let thousandths = Int((value * 1000).rounded())
        let fraction = String(abs(thousandths) % 1000)
        return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// The process's peak resident set size in kilobytes (Linux reports `ru_maxrss` in kilobytes, macOS in bytes).
func peakResidentKilobytes() -> Int {
    var usage = rusage()
    #if os(macOS)
    guard getrusage(RUSAGE_SELF, &usage) == 0 else { return -1 }
    return Int(usage.ru_maxrss) / 1024
    #else
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return -1 }
    return Int(usage.ru_maxrss)
    #endif
}

/// A bad command line.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
