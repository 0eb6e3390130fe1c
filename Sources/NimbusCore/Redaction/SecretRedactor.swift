import Foundation
import Synchronization

/// Removes secrets from text and JSON before it reaches logs, events, stored state or model prompts.
///
/// Three guards: values under sensitive keys (`password`, `secret_access_key`, `api_key`, `authorization`, …),
/// well-known secret shapes in free text (AWS access key ids, `Bearer` tokens, OpenAI/Anthropic keys, JWTs,
/// `key=value` assignments of sensitive names), and exact secret values registered at run time, such as the
/// credentials Nimbus has loaded.
public enum SecretRedactor {
    /// What a redacted secret is replaced with.
    public static let placeholder = "[REDACTED]"

    /// Registered secrets by scope: "" for the process (loaded credentials), else a run's id.
    private static let registered = Mutex<[String: Set<String>]>([:])

    /// Registers a secret value (a loaded key, a token) so any later occurrence is redacted, for as long as the
    /// process lives. Values shorter than 8 characters are ignored: they would redact ordinary words.
    public static func register(_ secret: String) {
        register(secret, scope: "")
    }

    /// Registers a secret that belongs to one run (a parameter of its calls, a value a call returned): redacted
    /// everywhere until ``release(scope:)``, so a long-lived process does not keep every run's secrets for ever.
    public static func register(_ secret: String, scope: String) {
        guard secret.count >= 8 else { return }
        registered.withLock { _ = $0[scope, default: []].insert(secret) }
    }

    /// Forgets the secrets of a run that has ended (or paused: a resume registers them again).
    public static func release(scope: String) {
        guard !scope.isEmpty else { return }
        registered.withLock { _ = $0.removeValue(forKey: scope) }
    }

    /// How many secrets are registered, in all scopes (for tests of release).
    public static var registeredCount: Int { registered.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// Whether a key names something secret (`AWS_SECRET_ACCESS_KEY`, `apiKey`, `x-api-key`, `password`).
    /// Registers, under `scope`, every string value whose key sounds secret (`"SecretString": "…"`), at any depth.
    public static func registerValuesUnderSensitiveKeys(in value: JSONValue, scope: String) {
        switch value {
        case .object(let members):
            for (key, member) in members {
                if isSensitiveKey(key), let text = member.stringValue {
                    register(text, scope: scope)
                } else {
                    registerValuesUnderSensitiveKeys(in: member, scope: scope)
                }
            }
        case .array(let elements):
            for element in elements { registerValuesUnderSensitiveKeys(in: element, scope: scope) }
        default: break
        }
    }

    public static func isSensitiveKey(_ key: String) -> Bool {
        let normalized = key.lowercased().filter { $0.isLetter || $0.isNumber }
        if normalized.isEmpty { return false }
        // Names that merely mention a key id or a token count are not secret.
        let harmless = [
            "accesskeyid", "keyid", "tokens", "tokensin", "tokensout", "tokencount", "maxtokens",
            "secretname", "secretid", "secretarn", "passwordlength", "keyname", "tokenusage",
            "inputtokens", "outputtokens", "totaltokens", "prompttokens", "completiontokens",
        ]
        if harmless.contains(normalized) { return false }
        let markers = [
            "password", "passwd", "secret", "apikey", "token", "authorization", "credential",
            "privatekey", "sessionkey", "signature", "cookie",
        ]
        return markers.contains { normalized.contains($0) }
    }

    /// `text` with every recognisable secret replaced by ``placeholder``.
    public static func redact(_ text: String) -> String {
        var output = text
        // Longest first, so a secret that contains another is masked whole.
        let secrets = registered.withLock { $0.isEmpty ? [] : Set($0.values.joined()).sorted { $0.count > $1.count } }
        for secret in secrets where output.contains(secret) {
            output = output.replacingOccurrences(of: secret, with: placeholder)
        }
        // Every pattern needs a separator (`:`, `=`, white space) or one of a few prefixes; text with none of them
        // (ids, routes, numbers: most log fields) cannot match and skips the regular expressions.
        guard mayMatchPattern(output) else { return output }
        for pattern in patterns {
            let range = NSRange(output.startIndex..., in: output)
            output = pattern.expression.stringByReplacingMatches(
                in: output, range: range, withTemplate: pattern.template)
        }
        return output
    }

    /// The prefixes of the patterns that need no separator.
    private static let markers: [[UInt8]] = ["AKIA", "ASIA", "AIDA", "AROA", "sk-", "eyJ"].map { Array($0.utf8) }

    static func mayMatchPattern(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        for byte in bytes {
            switch byte {
            case 0x3A, 0x3D, 0x20, 0x09...0x0D: return true  // : = and white space
            case 0x80...: return true
            default: continue
            }
        }
        guard bytes.count >= 3 else { return false }
        for start in 0...(bytes.count - 3) {
            for marker in markers where start + marker.count <= bytes.count && bytes[start] == marker[0] {
                if bytes[start..<(start + marker.count)].elementsEqual(marker) { return true }
            }
        }
        return false
    }

    /// `value` with secrets removed: members under sensitive keys are replaced whole, strings are scanned.
    public static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(redact(text))
        case .array(let elements): return .array(elements.map(redact))
        case .object(let members):
            var cleaned: [String: JSONValue] = [:]
            for (key, member) in members {
                if isSensitiveKey(key), !member.isNull {
                    cleaned[key] = .string(placeholder)
                } else {
                    cleaned[key] = redact(member)
                }
            }
            return .object(cleaned)
        default: return value
        }
    }

    private struct Pattern: @unchecked Sendable {
        let expression: NSRegularExpression
        let template: String
    }

    private static let patterns: [Pattern] = {
        let sensitiveNames =
            "(?:password|passwd|secret[_-]?access[_-]?key|secret|api[_-]?key|access[_-]?token"
            + "|session[_-]?token|auth[_-]?token|private[_-]?key|token|passphrase)"
        let sources: [(String, String)] = [
            // name=value / name: value / "name": "value"
            ("(?i)(\"?\(sensitiveNames)\"?\\s*[:=]\\s*\"?)[^\\s\"',;&]+", "$1\(placeholder)"),
            (
                "(?i)(authorization\\s*[:=]\\s*)(?:(?:bearer|basic|aws4-hmac-sha256)\\s+)?[^\\s,]+(?:,\\s*[A-Za-z]+=[^\\s,]+)*",
                "$1\(placeholder)"
            ),
            ("(?i)\\bbearer\\s+[A-Za-z0-9._~+/=-]{8,}", "Bearer \(placeholder)"),
            ("\\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\\b", placeholder),
            ("\\bsk-(?:ant-)?[A-Za-z0-9_-]{16,}", placeholder),
            ("\\beyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}", placeholder),
            ("(?i)(x-amz-security-token[=:]\\s*)[^\\s&]+", "$1\(placeholder)"),
            ("(?i)(x-amz-signature[=:]\\s*)[0-9a-f]+", "$1\(placeholder)"),
            ("(?i)(x-amz-credential[=:]\\s*)[A-Z0-9]{16,}", "$1\(placeholder)"),
            // A secret sealed for stored state is ciphertext, but it is still no one's business in a log.
            ("\\{\\{sealed:v1:[A-Za-z0-9_-]+\\}\\}", placeholder),
        ]
        return sources.map { Pattern(expression: try! NSRegularExpression(pattern: $0.0), template: $0.1) }
    }()
}
