// swift-tools-version: 6.1
import PackageDescription

// Benchmarks of the NimbusGraph runtime, kept out of the main package so its users never build
// ordo-one/benchmark. `swift package --package-path Benchmarks benchmark` runs the ordo-one suite;
// `scripts/bench-graph.sh` runs `graph-compare` against LangGraph; `scripts/bench-hcl.sh` runs `hcl-compare`
// against python-hcl2.
let package = Package(
    name: "NimbusBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Nimbus", path: ".."),
        // MallocInterposer only: the default RuntimeInterposer trait needs a package this machine lacks.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "GraphScenarios",
            dependencies: [
                .product(name: "NimbusGraph", package: "Nimbus"),
                .product(name: "NimbusStore", package: "Nimbus"),
            ]
        ),
        .executableTarget(
            name: "hcl-compare",
            dependencies: [.product(name: "NimbusHCL", package: "Nimbus")]
        ),
        .executableTarget(
            name: "graph-compare",
            dependencies: ["GraphScenarios"]
        ),
        .executableTarget(
            name: "GraphBenchmarks",
            dependencies: [
                "GraphScenarios",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "GraphBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
    ]
)
