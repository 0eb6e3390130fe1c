import NimbusAWS
import NimbusCore

/// The secrets a request carries in its own words — a SecureString in `call ssm PutParameter {…}`, a password
/// in `call iam CreateLoginProfile {…}` — sealed before the request is stored anywhere.
///
/// Each JSON object in the request is read; a string member is secret when the service model marks it sensitive
/// (for `call SERVICE Operation {…}`) or when its key names a secret (`SecretString`, `Password`). Its value in
/// the text is replaced by a ``SecretSeal`` token, which the run stores, shows as `[REDACTED]` and opens just
/// before the call; the value itself is registered with the run's redactor scope.
enum RequestSecrets {
    static func seal(_ text: String, seal: SecretSeal, scope: String) throws -> String {
        var output = ""
        var rest = Substring(text)
        while let (range, object) = JSONInText.firstObject(in: rest) {
            let before = String(rest[..<range.lowerBound])
            output += before
            let operation = Self.operation(before: output)
            var secrets = Set(keyedSecrets(in: object))
            if let operation {
                secrets.formUnion(operation.redactingInput(object).secrets)
            }
            if secrets.isEmpty {
                output += rest[range]
            } else {
                for secret in secrets { SecretRedactor.register(secret, scope: scope) }
                output += try sealed(object, secrets: secrets, seal: seal).jsonText
            }
            rest = rest[range.upperBound...]
        }
        return output + rest
    }

    /// The operation a `call SERVICE Operation` (or `aws SERVICE Operation`) just before the JSON names.
    private static func operation(before text: String) -> OperationModel? {
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init).suffix(3)
        guard words.count == 3, ["call", "aws"].contains(words.first!.lowercased()),
            let model = try? ModelCatalog.model(words[words.startIndex + 1].lowercased())
        else { return nil }
        return try? model.operation(words[words.startIndex + 2])
    }

    private static func keyedSecrets(in value: JSONValue) -> [String] {
        switch value {
        case .object(let members):
            return members.flatMap { key, member -> [String] in
                if SecretRedactor.isSensitiveKey(key), let text = member.stringValue, !text.isEmpty { return [text] }
                return keyedSecrets(in: member)
            }
        case .array(let elements): return elements.flatMap(keyedSecrets)
        default: return []
        }
    }

    private static func sealed(_ value: JSONValue, secrets: Set<String>, seal: SecretSeal) throws -> JSONValue {
        switch value {
        case .string(let text) where secrets.contains(text): return .string(try seal.seal(text))
        case .array(let elements): return .array(try elements.map { try sealed($0, secrets: secrets, seal: seal) })
        case .object(let members):
            return .object(try members.mapValues { try sealed($0, secrets: secrets, seal: seal) })
        default: return value
        }
    }
}

/// JSON objects written inside a request's words (`call s3 ListObjectsV2 {"Bucket": "logs"}`).
enum JSONInText {
    /// The first balanced `{…}` in `text` that parses as JSON.
    static func firstObject(in text: Substring) -> (Range<Substring.Index>, JSONValue)? {
        var searchFrom = text.startIndex
        while let start = text[searchFrom...].firstIndex(of: "{") {
            var depth = 0
            var inString = false
            var escaped = false
            var index = start
            while index < text.endIndex {
                let character = text[index]
                if inString {
                    if escaped {
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        inString = false
                    }
                } else if character == "\"" {
                    inString = true
                } else if character == "{" {
                    depth += 1
                } else if character == "}" {
                    depth -= 1
                    if depth == 0 {
                        let range = start..<text.index(after: index)
                        if let value = try? JSONValue(parsing: String(text[range])), case .object = value {
                            return (range, value)
                        }
                        break
                    }
                }
                index = text.index(after: index)
            }
            searchFrom = text.index(after: start)
        }
        return nil
    }
}
