import Foundation
import NimbusAWS
public import NimbusAgents
public import NimbusCore

/// `s3.download`: an object or a whole prefix to the local disk. It writes local files, so it counts as a write
/// and asks first: text an agent read in the cloud must not be able to overwrite files on this machine.
public struct S3Download: OpsTool {
    public struct Input: ToolInput {
        public var source: String
        public var destination: String?
        /// Make the destination match the source rather than copy everything (`sync s3://b/p/ to ./here`).
        public var sync: Bool?

        public static let schema = ToolSchema.object(
            [
                "source": ToolSchema.string("The object s3://bucket/key, or a prefix ending in /.", pattern: "^s3://"),
                "destination": ToolSchema.string("A local file or directory (default: the current directory)."),
                "sync": ToolSchema.boolean("Sync: make the destination match the source (default false)."),
            ], required: ["source"])
    }

    public let name = "s3.download"
    public let summary = "Download an S3 object or prefix to a local file or directory"
    public let access = ToolAccess.write
    public let actions = ["s3:GetObject"]

    public init() {}

    public func validate(_ input: Input) throws { _ = try S3URI.parse(input.source, field: "source", tool: name) }

    public func describe(_ input: Input) -> String {
        "\(input.sync == true ? "sync" : "download") \(input.source) to \(input.destination ?? "./")"
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let path = try environment.localPath(input.destination ?? "./", tool: name)
        let summary = try await Transfers.run(
            from: try TransferLocation.parse(input.source), to: .local(path), sync: input.sync == true,
            environment: environment, context: context)
        return Transfers.result(summary, from: input.source, to: path)
    }

    public func report(_ result: JSONValue, input: Input) -> String { Transfers.report(result, verb: "Downloaded") }
}
