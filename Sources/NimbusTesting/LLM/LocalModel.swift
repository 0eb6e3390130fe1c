public import Foundation

/// The llama.cpp server `scripts/local-llm.sh start` runs (SmolLM2-135M-Instruct); `scripts/test.d/llm.sh` exports
/// its URL. Without it the tests that need it are skipped, except in CI, where its absence is a failure.
public enum LocalModel {
    /// The server's base URL (`http://127.0.0.1:PORT/v1`), from `NIMBUS_TEST_LLM_URL`.
    public static var url: URL? {
        ProcessInfo.processInfo.environment["NIMBUS_TEST_LLM_URL"].flatMap(URL.init(string:))
    }

    /// Whether tests that need the model run: when it is there, and always in CI (where they fail without it).
    public static var available: Bool {
        if url != nil { return true }
        return ProcessInfo.processInfo.environment["CI"] != nil
    }

    /// The model name for Nimbus configuration: `openai-compatible:URL`.
    public static func modelName() throws -> String {
        "openai-compatible:" + (try requireURL()).absoluteString
    }

    public static func requireURL() throws -> URL {
        guard let url else { throw LocalModelMissing() }
        return url
    }
}

/// `NIMBUS_TEST_LLM_URL` is not set.
public struct LocalModelMissing: Error, CustomStringConvertible {
    public var description: String {
        "NIMBUS_TEST_LLM_URL is not set: scripts/test.sh starts the local model (scripts/local-llm.sh)"
    }
}
