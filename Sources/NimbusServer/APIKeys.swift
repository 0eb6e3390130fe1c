import Crypto
import Foundation
import NimbusCore
public import NimbusStore

/// API keys for the server: made here (`nmb_` and 32 random bytes, base64url), kept in the store only as their
/// SHA-256 digest, checked in constant time against that digest.
public struct APIKeys: Sendable {
    public let store: any APIKeyStore

    public init(store: any APIKeyStore) {
        self.store = store
    }

    /// A new key: the secret (shown once) and its stored record.
    public func add(name: String, readOnly: Bool) async throws -> (secret: String, record: APIKeyRecord) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 64,
            trimmed.allSatisfy({ $0.isLetter || $0.isNumber || "-_.@".contains($0) })
        else {
            throw ServerError.badRequest(
                "'\(name)' is not a key name", suggestion: "use up to 64 letters, digits, '-', '_', '.' or '@'")
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        let secret = "nmb_" + Self.base64URL(bytes)
        let record = APIKeyRecord(
            name: trimmed, digest: Self.digest(secret), prefix: String(secret.prefix(8)), readOnly: readOnly)
        try await store.addAPIKey(record)
        return (secret, record)
    }

    /// The live key `secret` is, or nil.
    public func verify(_ secret: String) async throws -> APIKeyRecord? {
        guard secret.hasPrefix("nmb_"), secret.count < 200 else { return nil }
        let digest = Self.digest(secret)
        guard let record = try await store.apiKey(digest: digest), record.revokedAt == nil else { return nil }
        // The lookup is by digest; compare again in constant time so the answer never depends on how much matched.
        guard Self.constantTimeEqual(Array(record.digest.utf8), Array(digest.utf8)) else { return nil }
        return record
    }

    /// Whether any key is live: a server listening beyond loopback needs one.
    public func anyLive() async throws -> Bool {
        try await store.apiKeys().contains { $0.revokedAt == nil }
    }

    static func digest(_ secret: String) -> String {
        Hex.string(SHA256.hash(data: Data(secret.utf8)))
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
