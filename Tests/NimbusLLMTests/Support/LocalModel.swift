import Foundation
import Testing

/// The llama.cpp server `scripts/local-llm.sh start` runs (SmolLM2-135M-Instruct); `scripts/test.d/llm.sh` exports
/// its URL. Without it the tests that need it are skipped, except in CI, where its absence is a failure.
enum LocalModel {
    static var url: URL? {
        ProcessInfo.processInfo.environment["NIMBUS_TEST_LLM_URL"].flatMap(URL.init(string:))
    }

    static var available: Bool {
        if url != nil { return true }
        return ProcessInfo.processInfo.environment["CI"] != nil
    }

    static func requireURL() throws -> URL {
        try #require(
            url, "NIMBUS_TEST_LLM_URL is not set: scripts/test.sh starts the local model (scripts/local-llm.sh)")
    }
}
