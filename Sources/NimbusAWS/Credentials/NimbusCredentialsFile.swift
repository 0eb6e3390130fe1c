import Crypto
public import Foundation
import NimbusCore

/// Nimbus's own credentials file, `$NIMBUS_HOME/credentials.yaml`, whose secrets are encrypted at rest with
/// AES-256-GCM under a key kept beside it in `credentials.key` (mode 0600):
///
/// ```yaml
/// profiles:
///   dev:
///     aws_access_key_id: AKIA...
///     aws_secret_access_key: enc:v1:…      # written by `nimbus profiles add`
///     region: eu-west-1
/// ```
///
/// Each ciphertext is bound to its profile and field, so a value copied to another place does not decrypt.
public struct NimbusCredentialsFile: Sendable {
    public let path: URL
    public let keyPath: URL

    static let secretFields = ["aws_secret_access_key", "aws_session_token"]
    static let prefix = "enc:v1:"

    public init(home: URL) {
        path = home.appendingPathComponent("credentials.yaml")
        keyPath = home.appendingPathComponent("credentials.key")
    }

    public var exists: Bool { FileManager.default.fileExists(atPath: path.path) }

    /// The profiles with their settings, secrets decrypted.
    public func profiles() throws(AWSCredentialsError) -> [String: [String: String]] {
        guard let data = FileManager.default.contents(atPath: path.path) else { return [:] }
        let text = String(decoding: data, as: UTF8.self)
        let tree: JSONValue
        do {
            tree = try NimbusConfiguration.parseYAML(text, path: path.path)
        } catch let error as ConfigurationError {
            // parseYAML names the line and column.
            throw AWSCredentialsError.malformedFile(
                path.path, line: NimbusCredentialsFile.line(in: error.message), detail: error.message)
        } catch {
            throw AWSCredentialsError.malformedFile(path.path, line: 1, detail: "\(error)")
        }
        guard let profiles = tree["profiles"]?.objectValue else {
            if tree.objectValue?.isEmpty ?? true { return [:] }
            throw AWSCredentialsError.malformedFile(
                path.path, line: 1, detail: "the file must have a top-level 'profiles:' mapping")
        }
        var result: [String: [String: String]] = [:]
        for (name, value) in profiles {
            guard let settings = value.objectValue else {
                throw AWSCredentialsError.malformedFile(
                    path.path, line: lineNumber(of: "\(name):", in: text), detail: "profile '\(name)' must be a mapping"
                )
            }
            var decoded: [String: String] = [:]
            for (key, setting) in settings {
                let raw = setting.stringValue ?? setting.jsonText
                if NimbusCredentialsFile.secretFields.contains(key) {
                    guard raw.hasPrefix(NimbusCredentialsFile.prefix) else {
                        throw AWSCredentialsError.malformedFile(
                            path.path, line: lineNumber(of: key, in: text),
                            detail:
                                "\(key) of profile '\(name)' is not encrypted; store it with `nimbus profiles add \(name)`"
                        )
                    }
                    decoded[key] = try decrypt(raw, profile: name, field: key)
                } else {
                    decoded[key] = raw
                }
            }
            result[name] = decoded
        }
        return result
    }

    /// Adds or replaces a profile, encrypting its secrets; creates the key on first use.
    ///
    /// The file is never rewritten from a version it could not read: a file that does not parse (or whose
    /// secrets do not decrypt) is an error, and nothing is written. Names and values are checked first (a name
    /// with a newline would break the file). The new file replaces the old one atomically, and the old one is kept
    /// as `credentials.yaml.bak`; both are readable by the owner only.
    public func store(profile: String, settings: [String: String]) throws(AWSCredentialsError) {
        try Self.checkName(profile)
        for (key, value) in settings {
            guard key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }), !key.isEmpty else {
                throw AWSCredentialsError.invalidSetting(profile: profile, key: key, detail: "is not a setting name")
            }
            guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw AWSCredentialsError.invalidSetting(
                    profile: profile, key: key, detail: "holds a line break or another control character")
            }
        }
        var all = try profiles()
        all[profile] = settings
        var text =
            "# Written by nimbus: secrets are encrypted with the key in credentials.key beside this file.\nprofiles:\n"
        for name in all.keys.sorted() {
            text += "  \(yamlQuote(name)):\n"
            for key in all[name]!.keys.sorted() {
                var value = all[name]![key]!
                if NimbusCredentialsFile.secretFields.contains(key) {
                    value = try encrypt(value, profile: name, field: key)
                }
                text += "    \(key): \(yamlQuote(value))\n"
            }
        }
        do {
            try PrivateFiles.replace(path, with: Data(text.utf8), backup: exists ? backupPath : nil)
        } catch {
            throw AWSCredentialsError.providerFailed(
                "Nimbus credentials file", detail: "cannot write \(path.path): \(FileErrorText.describe(error))")
        }
    }

    /// Where the file before the last change is kept.
    public var backupPath: URL { path.appendingPathExtension("bak") }

    /// Profile names: letters, digits and `._@+-`, starting with a letter or digit, at most 64 characters.
    static func checkName(_ name: String) throws(AWSCredentialsError) {
        let allowed = name.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil))
                || "._@+-".unicodeScalars.contains($0)
        }
        guard !name.isEmpty, name.count <= 64, allowed, let first = name.unicodeScalars.first,
            first.isASCII, first.properties.isAlphabetic || first.properties.numericType != nil
        else {
            throw AWSCredentialsError.invalidProfileName(name)
        }
    }

    private func yamlQuote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private func lineNumber(of needle: String, in text: String) -> Int {
        for (index, line) in text.components(separatedBy: "\n").enumerated() where line.contains(needle) {
            return index + 1
        }
        return 1
    }

    static func line(in message: String) -> Int {
        guard let range = message.range(of: "line ") else { return 1 }
        return Int(message[range.upperBound...].prefix { $0.isNumber }) ?? 1
    }

    // MARK: Encryption

    private func key(create: Bool) throws(AWSCredentialsError) -> SymmetricKey {
        if let data = FileManager.default.contents(atPath: keyPath.path),
            let decoded = Data(
                base64Encoded: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
            decoded.count == 32
        {
            return SymmetricKey(data: decoded)
        }
        guard create else {
            throw AWSCredentialsError.encryption(
                path.path, detail: "the key file \(keyPath.path) is missing or damaged")
        }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        do {
            try PrivateFiles.directory(keyPath.deletingLastPathComponent())
            // Create with 0600 from the start, so the key is never readable by others.
            guard
                FileManager.default.createFile(
                    atPath: keyPath.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
            else {
                throw AWSCredentialsError.encryption(path.path, detail: "cannot create \(keyPath.path)")
            }
        } catch let error as AWSCredentialsError {
            throw error
        } catch {
            throw AWSCredentialsError.encryption(path.path, detail: "cannot create \(keyPath.path): \(error)")
        }
        return key
    }

    func encrypt(_ secret: String, profile: String, field: String) throws(AWSCredentialsError) -> String {
        let key = try key(create: true)
        do {
            let sealed = try AES.GCM.seal(
                Array(secret.utf8), using: key, authenticating: Array("\(profile)/\(field)".utf8))
            guard let combined = sealed.combined else {
                throw AWSCredentialsError.encryption(path.path, detail: "sealing failed")
            }
            return NimbusCredentialsFile.prefix + combined.base64EncodedString()
        } catch let error as AWSCredentialsError {
            throw error
        } catch {
            throw AWSCredentialsError.encryption(path.path, detail: "\(error)")
        }
    }

    func decrypt(_ value: String, profile: String, field: String) throws(AWSCredentialsError) -> String {
        let key = try key(create: false)
        guard let data = Data(base64Encoded: String(value.dropFirst(NimbusCredentialsFile.prefix.count))) else {
            throw AWSCredentialsError.encryption(
                path.path, detail: "\(field) of profile '\(profile)' is not valid base64")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            let plain = try AES.GCM.open(box, using: key, authenticating: Array("\(profile)/\(field)".utf8))
            let secret = String(decoding: plain, as: UTF8.self)
            SecretRedactor.register(secret)
            return secret
        } catch {
            throw AWSCredentialsError.encryption(path.path, detail: "\(field) of profile '\(profile)' does not decrypt")
        }
    }
}

/// Credentials kept in the system keyring (Secret Service, through `secret-tool`), stored under the attributes
/// `service=nimbus profile=<name>` as JSON with `aws_access_key_id` and `aws_secret_access_key`.
public struct KeyringCredentialProvider: CredentialProvider {
    public let profile: String
    public let tool: String?

    public init(profile: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.profile = profile
        let path = environment["PATH"] ?? "/usr/bin:/bin"
        tool = path.split(separator: ":").map { "\($0)/secret-tool" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Whether `secret-tool` is installed.
    public var isAvailable: Bool { tool != nil }

    public func credentials() async throws -> AWSCredentials {
        guard let tool else { throw AWSCredentialsError.notFound(tried: ["keyring (secret-tool not installed)"]) }
        let result: ChildProcess.Result
        do {
            result = try await ChildProcess.run(
                URL(fileURLWithPath: tool), ["lookup", "service", "nimbus", "profile", profile])
        } catch {
            throw AWSCredentialsError.notFound(tried: ["keyring (secret-tool failed to start)"])
        }
        let data = result.output
        guard result.status == 0, !data.isEmpty else {
            throw AWSCredentialsError.notFound(tried: ["keyring (no entry for profile \(profile))"])
        }
        guard let json = try? OrderedJSON(parsing: [UInt8](data)), let key = json["aws_access_key_id"]?.stringValue,
            let secret = json["aws_secret_access_key"]?.stringValue
        else {
            throw AWSCredentialsError.providerFailed(
                "keyring",
                detail: "the entry for profile \(profile) is not JSON with aws_access_key_id and aws_secret_access_key")
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: json["aws_session_token"]?.stringValue,
            source: "keyring (profile \(profile))")
    }
}
