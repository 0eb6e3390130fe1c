public import Foundation
import NimbusAWS
public import NimbusAgents
import NimbusCore

/// What ops tools share while a request runs: AWS through the request's gate (the only way they reach AWS) and
/// the directory relative local paths start from.
public struct OpsToolEnvironment: Sendable {
    /// The request's client, guarded by ``gate``.
    let client: AWSClient
    let gate: AWSGate
    let transferDirectory: URL?
    let transferConcurrency: Int
    /// Where `./data` in a request points: the directory the request was made in.
    /// Nil: the request may not name local files (a server's own disk is never the request's to use).
    public let workingDirectory: URL?

    init(
        client: AWSClient, gate: AWSGate, transferDirectory: URL?, transferConcurrency: Int, workingDirectory: URL?
    ) {
        self.client = client
        self.gate = gate
        self.transferDirectory = transferDirectory
        self.transferConcurrency = transferConcurrency
        self.workingDirectory = workingDirectory
    }

    /// AWS for one tool call: every call it makes passes the gate with the step's own approval and is audited
    /// under the tool's name; a call the approved step does not name is not sent.
    public func aws(_ context: ToolRunContext) -> AuditedAWS {
        AuditedAWS(
            client: client.guarded(by: gate.scoped(tool: context.tool, grant: context.grant)),
            transferDirectory: transferDirectory, transferConcurrency: transferConcurrency)
    }

    /// A local path from a request, made absolute against the working directory (`~` expanded); an error when
    /// the request has no working directory.
    public func localPath(_ path: String, tool: String) throws -> String {
        guard let workingDirectory else {
            throw AgentError.invalidArguments(
                tool: tool,
                problems: ["this request has no working directory, so it cannot name local files ('\(path)')"])
        }
        return OpsToolEnvironment.absolute(path, in: workingDirectory)
    }

    static func absolute(_ path: String, in directory: URL) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL.path }
        let url = directory.appendingPathComponent(expanded).standardizedFileURL
        // Keep a trailing slash: it says "into this directory".
        return url.path + (path.hasSuffix("/") && !url.path.hasSuffix("/") ? "/" : "")
    }
}

/// A tool of the ops agent: one file each under `Ops/Tools`, registered in ``OpsTools``.
public protocol OpsTool: Tool where Environment == OpsToolEnvironment {}

/// `s3://bucket/key` split up, for tool inputs.
struct S3URI: Sendable, Hashable {
    let bucket: String
    let key: String

    init(bucket: String, key: String = "") {
        self.bucket = bucket
        self.key = key
    }

    init?(_ text: String) {
        guard text.hasPrefix("s3://") else { return nil }
        let rest = text.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        guard !bucket.isEmpty else { return nil }
        self.bucket = bucket
        key = String(rest.dropFirst(bucket.count).drop { $0 == "/" })
    }

    var description: String { "s3://\(bucket)/\(key)" }

    /// Checks a field that must be an `s3://` URI, naming the field.
    static func parse(_ text: String, field: String, tool: String) throws -> S3URI {
        guard let uri = S3URI(text) else {
            throw AgentError.invalidArguments(
                tool: tool, problems: ["\(field) must be an s3://bucket/key URI, not '\(text)'"])
        }
        return uri
    }
}

/// Small helpers the tools' reports share.
enum Report {
    static func plural(_ count: Int, _ noun: String, _ plural: String? = nil) -> String {
        counted(count, noun, plural: plural)
    }

    static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// A list of lines under a heading, at most `limit`, saying how many were left out.
    static func list(_ heading: String, _ lines: [String], limit: Int = 50) -> String {
        guard !lines.isEmpty else { return heading }
        var text = heading + "\n" + lines.prefix(limit).map { "  " + $0 }.joined(separator: "\n")
        if lines.count > limit { text += "\n  … and \(lines.count - limit) more" }
        return text
    }

    /// Tags as `key=value, key=value` from AWS's `[{"Key": …, "Value": …}]`.
    static func tags(_ value: JSONValue?) -> String {
        let pairs = (value?.arrayValue ?? []).compactMap { tag -> String? in
            guard let key = tag["Key"]?.stringValue ?? tag["key"]?.stringValue else { return nil }
            return "\(key)=\(tag["Value"]?.stringValue ?? tag["value"]?.stringValue ?? "")"
        }
        return pairs.joined(separator: ", ")
    }

    /// AWS's tag list as a dictionary.
    static func tagMap(_ value: JSONValue?) -> JSONValue {
        var map: [String: JSONValue] = [:]
        for tag in value?.arrayValue ?? [] {
            if let key = tag["Key"]?.stringValue { map[key] = tag["Value"] ?? "" }
        }
        return .object(map)
    }
}
