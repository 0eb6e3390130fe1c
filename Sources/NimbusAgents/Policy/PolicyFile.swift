public import Foundation
import NimbusCore
import Yams

extension ApprovalPolicy {
    /// The file name in the Nimbus home: `~/.nimbus/policy.yaml`.
    public static let fileName = "policy.yaml"

    /// Reads `policy.yaml` from the Nimbus home; the standard policy when there is no such file.
    public static func load(home: URL) throws -> ApprovalPolicy {
        let url = home.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return .standard }
        return try load(file: url)
    }

    /// Reads a policy file. Errors name the file and line: an unknown list (with a "did you mean"), an entry
    /// that is not a string, a pattern that is not `service:Operation`.
    ///
    /// ```yaml
    /// allow: [s3:PutObject, s3:CreateBucket]   # run without asking
    /// ask: ["ec2:*"]                           # always ask, even for reads
    /// deny: ["s3:DeleteBucket", "iam:*"]       # never run
    /// ```
    public static func load(file url: URL) throws -> ApprovalPolicy {
        let path = url.path
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw AgentError.badPolicy(
                file: path, line: nil, detail: "cannot be read: \(FileErrorText.describe(error))")
        }
        return try parse(text, file: path)
    }

    /// Parses policy YAML; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws -> ApprovalPolicy {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw AgentError.badPolicy(file: file, line: Self.line(of: error), detail: "is not valid YAML: \(error)")
        } catch {
            throw AgentError.badPolicy(file: file, line: nil, detail: "is not valid YAML: \(error)")
        }
        guard let root else { return ApprovalPolicy(source: file) }
        guard case .mapping(let mapping) = root else {
            throw AgentError.badPolicy(
                file: file, line: root.mark?.line,
                detail: "the top level must be a mapping with allow, ask and deny lists")
        }
        var lists: [String: [String]] = [:]
        let known = ["allow", "ask", "deny"]
        for (key, value) in mapping {
            guard let name = key.string, known.contains(name) else {
                let name = key.string ?? "?"
                throw AgentError.badPolicy(
                    file: file, line: key.mark?.line, detail: "'\(name)' is not a policy list",
                    suggestion: closestMatch(to: name, in: known).map { "did you mean '\($0)'?" }
                        ?? "use allow, ask and deny")
            }
            var patterns: [String] = []
            let entries: [Node]
            switch value {
            case .sequence(let sequence): entries = Array(sequence)
            case .scalar where value.null != nil: entries = []
            case .scalar: entries = [value]
            default:
                throw AgentError.badPolicy(
                    file: file, line: value.mark?.line, detail: "'\(name)' must be a list of service:Operation patterns"
                )
            }
            for entry in entries {
                guard case .scalar(let scalar) = entry else {
                    throw AgentError.badPolicy(
                        file: file, line: entry.mark?.line,
                        detail: "each entry of '\(name)' must be a service:Operation pattern, not a \(Self.kind(entry))"
                    )
                }
                let pattern = scalar.string.trimmingCharacters(in: .whitespaces)
                guard ApprovalPolicy.isValidPattern(pattern) else {
                    throw AgentError.badPolicy(
                        file: file, line: entry.mark?.line,
                        detail: "'\(pattern)' in '\(name)' is not a service:Operation pattern",
                        suggestion: "write it like s3:PutObject, s3:Get*, ec2:*, or * for everything")
                }
                patterns.append(pattern)
            }
            lists[name] = patterns
        }
        return ApprovalPolicy(
            allow: lists["allow"] ?? [], ask: lists["ask"] ?? [], deny: lists["deny"] ?? [], source: file)
    }

    private static func kind(_ node: Node) -> String {
        switch node {
        case .mapping: return "mapping"
        case .sequence: return "list"
        default: return "value"
        }
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }
}
