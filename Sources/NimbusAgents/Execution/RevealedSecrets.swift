import NimbusCore
import Synchronization

/// Secrets a run's calls returned (a presigned URL, a new secret access key, a decrypted parameter), kept in
/// memory for the person who asked and shown to them once: the results the run keeps, logs and sends to a model
/// have them redacted, so without this they would be lost.
///
/// One collector per call into a product (an `ask`, a `resume`); nothing here is ever written down.
public final class RevealedSecrets: Sendable {
    /// One secret and where it was in a step's result.
    public struct Secret: Sendable, Hashable, Codable {
        public var step: Int
        /// A dotted path into the step's result: `url`, `AccessKey.SecretAccessKey`.
        public var path: String
        public var value: String
    }

    private let secrets = Mutex<[Secret]>([])

    public init() {}

    /// Every secret collected so far, in order.
    public var all: [Secret] { secrets.withLock { $0 } }

    func add(_ found: [(path: String, value: String)], step: Int) {
        guard !found.isEmpty else { return }
        secrets.withLock { list in
            list += found.map { Secret(step: step, path: $0.path, value: $0.value) }
        }
    }

    /// Where `redacted` differs from `raw`: the raw values that redaction hid, by path.
    static func differences(
        _ raw: JSONValue, _ redacted: JSONValue, path: String = ""
    ) -> [(path: String, value: String)] {
        switch (raw, redacted) {
        case (.object(let before), .object(let after)):
            return before.keys.sorted().flatMap { key -> [(path: String, value: String)] in
                guard let old = before[key], let new = after[key] else { return [] }
                return differences(old, new, path: path.isEmpty ? key : path + "." + key)
            }
        case (.array(let before), .array(let after)) where before.count == after.count:
            return zip(before, after).enumerated().flatMap { index, pair in
                differences(pair.0, pair.1, path: path.isEmpty ? "\(index)" : "\(path).\(index)")
            }
        default:
            guard raw != redacted else { return [] }
            return [(path, raw.stringValue ?? raw.jsonText)]
        }
    }
}
