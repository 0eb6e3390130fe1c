import Benchmark
import Foundation
import GraphScenarios
import NimbusGraph
import NimbusStore
import Synchronization

/// The graph scenarios under ordo-one/benchmark: wall clock, allocations, peak memory and throughput per run.
/// `swift package --package-path Benchmarks benchmark` runs them; `scripts/bench-graph.sh` compares the same
/// graphs with LangGraph.
let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .mallocCountTotal, .peakMemoryResident, .throughput]
    Benchmark.defaultConfiguration = .init(
        metrics: metrics, timeUnits: .microseconds, warmupIterations: 100, maxDuration: .seconds(3),
        maxIterations: 100_000)

    Benchmark("chain3: \(GraphScenario.chain.summary)") { benchmark in
        let graph = try makeChainGraph()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let result = try await graph.invoke(ChainState())
            blackHole(result.state)
        }
        benchmark.stopMeasurement()
        try checkChain(try await graph.invoke(ChainState()).state)
    }

    Benchmark("fanout5_join: \(GraphScenario.fanOut.summary)") { benchmark in
        let graph = try makeFanOutGraph()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let result = try await graph.invoke(FanOutState())
            blackHole(result.state)
        }
        benchmark.stopMeasurement()
        try checkFanOut(try await graph.invoke(FanOutState()).state)
    }

    // The directory is named here so teardown can remove it: the fixture outlives the benchmark.
    let loopDirectory = FileManager.default.temporaryDirectory
        .appendingPathComponent("nimbus-graph-benchmark-\(UUID().uuidString)")
    Benchmark(
        "loop10_sqlite: \(GraphScenario.loop.summary)",
        configuration: .init(warmupIterations: 10, maxDuration: .seconds(5), maxIterations: 2_000)
    ) { benchmark, fixture in
        let threadID = fixture.nextThreadID()
        benchmark.startMeasurement()
        let result = try await fixture.graph.invoke(LoopState(), configuration: RunConfiguration(threadID: threadID))
        benchmark.stopMeasurement()
        try checkLoop(result)
    } setup: {
        try LoopFixture(directory: loopDirectory)
    } teardown: {
        try? FileManager.default.removeItem(at: loopDirectory)
    }
}

/// One SQLite file and compiled graph for all runs of the loop benchmark (as LangGraph reuses its saver);
/// each run gets a new thread.
final class LoopFixture: Sendable {
    let graph: CompiledGraph<LoopState>
    private let runs = Mutex(0)

    init(directory: URL) throws {
        let store = try SQLiteStore(path: directory.appendingPathComponent("checkpoints.sqlite").path)
        graph = try makeLoopGraph(store: store)
    }

    func nextThreadID() -> String {
        "run-\(runs.withLock { $0 += 1; return $0 })"
    }
}
