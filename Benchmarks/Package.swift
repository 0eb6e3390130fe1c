// swift-tools-version: 6.1
import PackageDescription

// Benchmarks of the NimbusGraph runtime, kept out of the main package so its users never build
// ordo-one/benchmark. `swift package --package-path Benchmarks benchmark` runs the ordo-one suite;
// `scripts/bench-graph.sh` runs `graph-compare` against LangGraph; `scripts/bench-hcl.sh` runs `hcl-compare`
// against python-hcl2; `scripts/bench-llm.sh` runs `llm-bench` (NimbusLLM streaming overhead against raw HTTP,
// SSE parsing throughput); `scripts/bench-aws.sh` runs `aws-sign` against botocore.
let package = Package(
    name: "NimbusBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Nimbus", path: ".."),
        // MallocInterposer only: the default RuntimeInterposer trait needs a package this machine lacks.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
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
        // SigV4 signatures per second, compared with botocore's signer by scripts/bench-aws.sh.
        .executableTarget(
            name: "aws-sign",
            dependencies: [.product(name: "NimbusAWS", package: "Nimbus")]
        ),
        .executableTarget(
            name: "llm-bench",
            dependencies: [
                .product(name: "NimbusLLM", package: "Nimbus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
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
