import NimbusAWS
public import NimbusAgents
public import NimbusCore

/// `s3.copy`: objects from one S3 location to another, copied inside S3 (nothing passes through this machine).
public struct S3Copy: OpsTool {
    public struct Input: ToolInput {
        public var source: String
        public var destination: String

        public static let schema = ToolSchema.object(
            [
                "source": ToolSchema.string("s3://bucket/key, or a prefix ending in /.", pattern: "^s3://"),
                "destination": ToolSchema.string("s3://bucket/key, or a prefix ending in /.", pattern: "^s3://"),
            ], required: ["source", "destination"])
    }

    public let name = "s3.copy"
    public let summary = "Copy S3 objects or prefixes to another S3 location"
    public let access = ToolAccess.write
    public let actions = ["s3:CopyObject"]

    public init() {}

    public func validate(_ input: Input) throws {
        _ = try S3URI.parse(input.source, field: "source", tool: name)
        _ = try S3URI.parse(input.destination, field: "destination", tool: name)
    }

    public func describe(_ input: Input) -> String { "copy \(input.source) to \(input.destination)" }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let summary = try await Transfers.run(
            from: try TransferLocation.parse(input.source), to: try TransferLocation.parse(input.destination),
            environment: environment, context: context)
        return Transfers.result(summary, from: input.source, to: input.destination)
    }

    public func report(_ result: JSONValue, input: Input) -> String { Transfers.report(result, verb: "Copied") }
}
