// swift-tools-version: 6.2
// The libFuzzer target for NimbusHCL, kept out of the main package so its sanitizer flags never reach the main
// build. Build and run it with scripts/fuzz-hcl.sh.
import PackageDescription

let package = Package(
    name: "NimbusHCLFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Nimbus", path: "..")],
    targets: [
        .executableTarget(
            name: "hcl-fuzz",
            dependencies: [.product(name: "NimbusHCL", package: "Nimbus")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    ]
)
