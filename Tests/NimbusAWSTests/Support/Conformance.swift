import Foundation
import Testing

/// Where the shared conformance suites are: `NIMBUS_CONFORMANCE_DIR`, else `../shared/conformance` beside the
/// package. Tests that need them skip, with this message, when they are absent (CI fails before that).
enum Conformance {
    static let directory: URL = {
        if let explicit = ProcessInfo.processInfo.environment["NIMBUS_CONFORMANCE_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/conformance")
    }()

    static var available: Bool { FileManager.default.fileExists(atPath: directory.path) }

    static let missing: Comment =
        "conformance data missing: set NIMBUS_CONFORMANCE_DIR or provide ../shared/conformance"

    static func url(_ path: String) -> URL { directory.appendingPathComponent(path) }
}
