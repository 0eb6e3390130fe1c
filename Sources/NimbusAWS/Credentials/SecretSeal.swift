import Crypto
public import Foundation
public import NimbusCore

/// Keeps secrets out of stored state: a secret a run must still have later (a SecureString waiting for approval)
/// is replaced in the run's state by a sealed token, `{{sealed:v1:…}}`, AES-256-GCM ciphertext under a key kept in
/// the Nimbus home (`state.key`, mode 0600), and opened again just before the call that needs it. Checkpoints,
/// `runs show --state` and a copied database hold the token, never the secret; logs, history and the audit log
/// show ``SecretRedactor/placeholder`` for it.
public struct SecretSeal: Sendable {
    public let keyPath: URL

    public init(home: URL) {
        keyPath = home.appendingPathComponent("state.key")
    }

    static let prefix = "{{sealed:v1:"
    static let suffix = "}}"

    /// The token that stands for `secret` in stored state.
    public func seal(_ secret: String) throws -> String {
        let sealed = try AES.GCM.seal(Array(secret.utf8), using: try key(create: true))
        guard let combined = sealed.combined else { throw SecretSealError.cannotSeal(keyPath.path) }
        return Self.prefix + Self.base64URL(combined) + Self.suffix
    }

    /// Whether `text` holds a sealed token.
    public static func isSealed(_ text: String) -> Bool { text.contains(prefix) }

    /// `text` with every sealed token replaced by the secret it stands for.
    public func open(_ text: String) throws -> String {
        guard Self.isSealed(text) else { return text }
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: Self.prefix) {
            output += rest[..<start.lowerBound]
            guard let end = rest.range(of: Self.suffix, range: start.upperBound..<rest.endIndex) else { break }
            let encoded = String(rest[start.upperBound..<end.lowerBound])
            guard let data = Self.decodeBase64URL(encoded), let box = try? AES.GCM.SealedBox(combined: data),
                let plain = try? AES.GCM.open(box, using: try key(create: false))
            else {
                throw SecretSealError.cannotOpen(keyPath.path)
            }
            output += String(decoding: plain, as: UTF8.self)
            rest = rest[end.upperBound...]
        }
        return output + rest
    }

    /// `value` with every sealed token in its strings opened.
    public func open(_ value: JSONValue) throws -> JSONValue {
        switch value {
        case .string(let text): return .string(try open(text))
        case .array(let elements): return .array(try elements.map { try open($0) })
        case .object(let members): return .object(try members.mapValues { try open($0) })
        default: return value
        }
    }

    private func key(create: Bool) throws -> SymmetricKey {
        if let data = FileManager.default.contents(atPath: keyPath.path),
            let decoded = Data(
                base64Encoded: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
            decoded.count == 32
        {
            return SymmetricKey(data: decoded)
        }
        guard create else { throw SecretSealError.cannotOpen(keyPath.path) }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        try PrivateFiles.directory(keyPath.deletingLastPathComponent())
        guard
            FileManager.default.createFile(
                atPath: keyPath.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw SecretSealError.cannotSeal(keyPath.path)
        }
        return key
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}

/// A secret that could not be sealed or opened.
public struct SecretSealError: NimbusError {
    public enum Code: String, Sendable, Hashable, CaseIterable { case cannotSeal, cannotOpen }
    public let code: Code
    public let message: String
    public let suggestion: String?

    static func cannotSeal(_ path: String) -> SecretSealError {
        SecretSealError(
            code: .cannotSeal, message: "a secret could not be sealed for storage with the key \(path)",
            suggestion: "check that the Nimbus home is writable")
    }

    static func cannotOpen(_ path: String) -> SecretSealError {
        SecretSealError(
            code: .cannotOpen,
            message:
                "a secret stored with this run cannot be opened: the key \(path) is missing or not the one it was sealed with",
            suggestion: "ask again: the secret has to be given anew")
    }
}

extension SecretSealError {
    public var errorCode: ErrorCode {
        ErrorCode("secret_seal", code.rawValue, .internal)
    }
}
