// swift-tools-version: 6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "Nimbus",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "nimbus", targets: ["nimbus"]),
        .library(name: "NimbusCore", targets: ["NimbusCore"]),
        .library(name: "NimbusGraph", targets: ["NimbusGraph"]),
        .library(name: "NimbusStore", targets: ["NimbusStore"]),
        .library(name: "NimbusProducts", targets: ["NimbusProducts"]),
        .library(name: "NimbusModules", targets: ["NimbusModules"]),
        .library(name: "NimbusOps", targets: ["NimbusOps"]),
        .library(name: "NimbusSample", targets: ["NimbusSample"]),
        .library(name: "NimbusHost", targets: ["NimbusHost"]),
        .library(name: "NimbusAWS", targets: ["NimbusAWS"]),
        .library(name: "NimbusLLM", targets: ["NimbusLLM"]),
        .library(name: "NimbusTesting", targets: ["NimbusTesting"]),
        .library(name: "NimbusHCL", targets: ["NimbusHCL"]),
        .library(name: "NimbusAgents", targets: ["NimbusAgents"]),
        .library(name: "NimbusServer", targets: ["NimbusServer"]),
        .library(name: "NimbusMCP", targets: ["NimbusMCP"]),
        .library(name: "NimbusSandbox", targets: ["NimbusSandbox"]),
        .library(name: "NimbusInspect", targets: ["NimbusInspect"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .target(
            name: "NimbusCore",
            dependencies: [
                "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "NimbusGraph",
            dependencies: [
                "NimbusCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "NimbusStore",
            dependencies: [
                "NimbusCore",
                "NimbusGraph",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // What Swift cannot reach: renameat2 with RENAME_EXCHANGE (swapping a module directory atomically), and fork with
        // resource limits and a supervised wait (the sandbox).
        .target(name: "CNimbusSystem", path: "Sources/CNimbusSystem"),
        .target(
            name: "NimbusAgents",
            dependencies: [
                "NimbusCore",
                "NimbusGraph",
                "NimbusLLM",
                "NimbusAWS",
                "NimbusStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // What every product shares: the product interface and catalog, the environment a run gets, outcomes.
        .target(
            name: "NimbusProducts",
            dependencies: [
                "NimbusCore", "NimbusGraph", "NimbusStore", "NimbusAgents", "NimbusLLM", "NimbusAWS",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The products, one target each, over NimbusAgents and NimbusProducts.
        .target(
            name: "NimbusModules",
            dependencies: [
                "NimbusCore", "NimbusGraph", "NimbusStore", "NimbusHCL", "NimbusAgents", "NimbusLLM", "NimbusProducts",
                "CNimbusSystem", .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/ProviderSchemas")],
            swiftSettings: strict
        ),
        .target(
            name: "NimbusOps",
            dependencies: [
                "NimbusCore", "NimbusGraph", "NimbusStore", "NimbusAgents", "NimbusAWS", "NimbusLLM", "NimbusProducts",
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "NimbusSample",
            dependencies: ["NimbusCore", "NimbusGraph", "NimbusStore", "NimbusProducts"],
            swiftSettings: strict
        ),
        // The composition root: from a configuration, the store, models, AWS access and the product catalog, once,
        // for the command line, the server, MCP and workers alike.
        .target(
            name: "NimbusHost",
            dependencies: [
                "NimbusCore", "NimbusGraph", "NimbusStore", "NimbusAgents", "NimbusAWS", "NimbusLLM", "NimbusProducts",
                "NimbusModules", "NimbusOps", "NimbusSample", "NimbusInspect",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        // The HTTP face of the host: REST under /v1, server-sent events, the chat WebSocket, the web page, metrics.
        .target(
            name: "NimbusServer",
            dependencies: [
                "NimbusCore", "NimbusGraph", "NimbusStore", "NimbusAgents", "NimbusAWS", "NimbusProducts",
                "NimbusModules", "NimbusOps", "NimbusHost", "NimbusInspect",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/Web")],
            swiftSettings: strict
        ),
        // The host's tools over the Model Context Protocol (stdio).
        .target(
            name: "NimbusMCP",
            dependencies: [
                "NimbusCore", "NimbusGraph", "NimbusStore", "NimbusAgents", "NimbusAWS", "NimbusProducts",
                "NimbusModules", "NimbusOps", "NimbusHost", "NimbusInspect",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MCP", package: "swift-sdk"),
            ],
            swiftSettings: strict
        ),
        // Runs generated code: bubblewrap namespaces and limits, and the signing proxy that is its only way out.
        .target(
            name: "NimbusSandbox",
            dependencies: [
                "NimbusCore", "NimbusAWS", "CNimbusSystem",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Inspection: the grounded boto3 scripts (Scripts/*.py) and, next, the iterative inspection graph.
        .target(
            name: "NimbusInspect",
            dependencies: [
                "NimbusCore", "NimbusGraph", "NimbusStore", "NimbusAgents", "NimbusAWS", "NimbusLLM", "NimbusProducts",
                "NimbusSandbox",
            ],
            resources: [.copy("Scripts")],
            swiftSettings: strict
        ),
        .target(
            name: "NimbusHCL",
            dependencies: [
                "NimbusCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // zlib from the system (Debian zlib1g-dev): gunzip for the bundled service models, CRC-32 for S3 checksums.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "NimbusAWS",
            dependencies: [
                "NimbusCore",
                "CZlib",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/Models")],
            swiftSettings: strict
        ),
        .target(
            name: "NimbusLLM",
            dependencies: [
                "NimbusCore",
                "NimbusGraph",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "NimbusTesting",
            dependencies: [
                "NimbusCore", "NimbusAWS", "NimbusLLM",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "nimbus",
            dependencies: [
                "NimbusCore",
                "NimbusGraph",
                "NimbusStore",
                "NimbusProducts",
                "NimbusModules",
                "NimbusOps",
                "NimbusSample",
                "NimbusHost",
                "NimbusAWS",
                "NimbusLLM",
                "NimbusHCL",
                "NimbusAgents",
                "NimbusServer",
                "NimbusMCP",
                "NimbusSandbox",
                "NimbusInspect",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "NimbusCoreTests", dependencies: ["NimbusCore"], swiftSettings: strict),
        .testTarget(name: "NimbusGraphTests", dependencies: ["NimbusGraph", "NimbusCore"], swiftSettings: strict),
        .testTarget(
            name: "NimbusAWSTests",
            dependencies: [
                "NimbusAWS", "NimbusTesting", "NimbusCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "NimbusHCLTests", dependencies: ["NimbusHCL", "NimbusCore"], swiftSettings: strict),
        .testTarget(
            name: "NimbusModulesTests",
            dependencies: [
                "NimbusModules", "NimbusProducts", "NimbusHCL", "NimbusCore", "NimbusAgents", "NimbusLLM",
                "NimbusGraph",
                "NimbusStore", "NimbusTesting",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NimbusOpsTests",
            dependencies: [
                "NimbusOps", "NimbusProducts", "NimbusCore", "NimbusAgents", "NimbusAWS", "NimbusLLM", "NimbusGraph",
                "NimbusStore", "NimbusTesting",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NimbusAgentsTests",
            dependencies: [
                "NimbusAgents", "NimbusTesting", "NimbusLLM", "NimbusGraph", "NimbusCore", "NimbusAWS", "NimbusStore",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NimbusCLITests",
            dependencies: ["nimbus", "NimbusCore", "NimbusAWS", "NimbusStore", "NimbusTesting"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "GraphCrashHarness",
            dependencies: ["NimbusStore", "NimbusGraph", "NimbusCore"],
            path: "Tests/GraphCrashHarness",
            swiftSettings: strict
        ),
        .testTarget(
            name: "NimbusLLMTests",
            dependencies: [
                "NimbusLLM", "NimbusTesting", "NimbusStore", "NimbusGraph", "NimbusCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["Transcripts"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NimbusServerTests",
            dependencies: [
                "NimbusServer", "NimbusHost", "NimbusProducts", "NimbusOps", "NimbusStore", "NimbusCore",
                "NimbusTesting", "NimbusAWS",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NimbusSandboxTests",
            dependencies: ["NimbusSandbox", "NimbusAWS", "NimbusCore", "NimbusTesting"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NimbusInspectTests",
            dependencies: [
                "NimbusInspect", "NimbusSandbox", "NimbusAWS", "NimbusCore", "NimbusTesting", "NimbusStore",
                "NimbusLLM",
                "NimbusProducts", "NimbusGraph",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NimbusStoreTests",
            dependencies: [
                "NimbusStore", "NimbusGraph", "NimbusCore", "NimbusTesting", "GraphCrashHarness",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
    ]
)
