import Foundation
import NimbusAWS
public import NimbusAgents
public import NimbusCore

/// `s3.upload`: a local file or a whole directory to S3, through the transfer manager (parallel, multipart,
/// resumable), with progress.
public struct S3Upload: OpsTool {
    public struct Input: ToolInput {
        public var source: String
        public var destination: String
        /// Make the destination match the source rather than copy everything (`sync ./site to s3://b/`).
        public var sync: Bool?

        public static let schema = ToolSchema.object(
            [
                "source": ToolSchema.string("A local file or directory (directories go recursively).", minLength: 1),
                "destination": ToolSchema.string(
                    "Where to: s3://bucket/prefix/ (ends with / for a folder) or s3://bucket/key.", pattern: "^s3://"),
                "sync": ToolSchema.boolean("Sync: make the destination match the source (default false)."),
            ], required: ["source", "destination"])
    }

    public let name = "s3.upload"
    public let summary = "Upload a local file or directory to S3"
    public let access = ToolAccess.write
    public let actions = ["s3:PutObject"]

    public init() {}

    public func validate(_ input: Input) throws {
        _ = try S3URI.parse(input.destination, field: "destination", tool: name)
    }

    public func describe(_ input: Input) -> String {
        "\(input.sync == true ? "sync" : "upload") \(input.source) to \(input.destination)"
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let path = try environment.localPath(input.source, tool: name)
        guard FileManager.default.fileExists(atPath: path) else {
            throw AgentError.invalidArguments(tool: name, problems: ["there is no file or directory at \(path)"])
        }
        let summary = try await Transfers.run(
            from: .local(path), to: try TransferLocation.parse(input.destination), sync: input.sync == true,
            environment: environment, context: context)
        return Transfers.result(summary, from: path, to: input.destination)
    }

    public func report(_ result: JSONValue, input: Input) -> String { Transfers.report(result, verb: "Uploaded") }
}

/// What the three transfer tools share: running with progress, and their results.
enum Transfers {
    static func run(
        from source: TransferLocation, to destination: TransferLocation, sync: Bool = false,
        environment: OpsToolEnvironment, context: ToolRunContext
    ) async throws -> TransferSummary {
        try await environment.aws(context).transfer(
            from: source, to: destination, sync: sync, logger: context.logger
        ) { update in
            guard let item = update.finished else { return }
            let fraction = update.bytesTotal > 0 ? Double(update.bytesDone) / Double(update.bytesTotal) : 1
            context.progress(
                "\(item.kind.rawValue) \(update.filesDone)/\(update.filesTotal): \(item.source) → \(item.destination)",
                fraction)
        }
    }

    static func result(_ summary: TransferSummary, from source: String, to destination: String) -> JSONValue {
        let items = summary.plan.items
        return [
            "source": .string(source), "destination": .string(destination), "files": .int(items.count),
            "bytes": .int(summary.bytes), "seconds": .double((summary.seconds * 1000).rounded() / 1000),
            "items": .array(items.prefix(100).map { .string($0.destination.description) }),
            "resumed_parts": .int(summary.resumedParts), "unchanged": .int(summary.plan.unchanged),
            "skipped": .array(
                summary.plan.skipped.prefix(100).map {
                    ["from": .string($0.source.description), "reason": .string($0.reason.description)]
                }),
        ]
    }

    static func report(_ result: JSONValue, verb: String) -> String {
        let files = result["files"]?.intValue ?? 0
        var text = "\(verb) \(Report.plural(files, "file")) (\(Report.bytes(result["bytes"]?.intValue ?? 0)))"
        text += " from \(result["source"]?.stringValue ?? "?") to \(result["destination"]?.stringValue ?? "?")."
        let items = result["items"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if files > 1 { text = Report.list(text, items, limit: 20) }
        if let unchanged = result["unchanged"]?.intValue, unchanged > 0 {
            text += "\n\(Report.plural(unchanged, "file")) already up to date."
        }
        let skipped = (result["skipped"]?.arrayValue ?? []).map {
            "\($0["from"]?.stringValue ?? "?"): \($0["reason"]?.stringValue ?? "?")"
        }
        if !skipped.isEmpty {
            // Never silently: an object whose key would land outside the destination was not written.
            text +=
                "\n" + Report.list("Skipped \(Report.plural(skipped.count, "item")), not written:", skipped, limit: 20)
        }
        return text
    }
}
