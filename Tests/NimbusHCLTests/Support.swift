import Foundation
import NimbusHCL

/// Where the shared conformance suites are: `NIMBUS_CONFORMANCE_DIR`, or `../shared/conformance` beside the package.
enum Conformance {
    static let directory: URL = {
        if let path = ProcessInfo.processInfo.environment["NIMBUS_CONFORMANCE_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return package.deletingLastPathComponent().appendingPathComponent("shared/conformance")
    }()

    static var available: Bool { FileManager.default.fileExists(atPath: hcl.path) }
    static let missing = "conformance data missing at \(directory.path) (set NIMBUS_CONFORMANCE_DIR)"
    static var hcl: URL { directory.appendingPathComponent("hcl") }

    /// Files under `hcl/<folder>` whose names end with one of `extensions`, relative to `hcl/`, sorted.
    static func files(under folder: String, extensions: [String]) -> [String] {
        let root = hcl.appendingPathComponent(folder)
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var result: [String] = []
        while let next = enumerator.nextObject() as? String {
            if extensions.contains(where: { next.hasSuffix($0) }) { result.append(folder + "/" + next) }
        }
        return result.sorted()
    }

    static func text(_ relative: String) -> String {
        (try? String(contentsOf: hcl.appendingPathComponent(relative), encoding: .utf8)) ?? ""
    }

    static func bytes(_ relative: String) -> [UInt8] {
        (try? [UInt8](Data(contentsOf: hcl.appendingPathComponent(relative)))) ?? []
    }

    /// The real-world files python-hcl2 accepts, relative to `hcl/real-world`.
    static var realWorldAccepted: [String] {
        text("real-world.python-hcl2-accepts.txt").split(separator: "\n").map(String.init)
    }
}

/// Prints a suite's counts in one line, so CI logs show them.
func report(_ suite: String, passed: Int, total: Int, skipped: [String] = []) {
    let skips = skipped.isEmpty ? "" : "; skipped \(skipped.count): " + skipped.joined(separator: "; ")
    print("conformance \(suite): \(passed)/\(total) passed\(skips)")
}

/// Errors only, as text, for failure messages.
func errors(_ diagnostics: [Diagnostic]) -> String {
    diagnostics.filter { $0.severity == .error }.map(\.description).joined(separator: "\n")
}
