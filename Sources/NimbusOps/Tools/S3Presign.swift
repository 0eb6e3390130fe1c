import Foundation
public import NimbusAgents
public import NimbusCore

/// `s3.presign`: a URL that lets whoever holds it download (or upload) one object until it expires.
///
/// Its result is the secret the person asked for: the URL (its signature, and the session token it carries) is
/// redacted in everything stored, logged or sent to a model, and shown once to the person who asked.
public struct S3Presign: OpsTool {
    public struct Input: ToolInput {
        public var uri: String
        public var expiresSeconds: Int?
        public var method: String?

        enum CodingKeys: String, CodingKey {
            case uri, method
            case expiresSeconds = "expires_seconds"
        }

        public static let schema = ToolSchema.object(
            [
                "uri": ToolSchema.string("The object as s3://bucket/key.", pattern: "^s3://[^/]+/.+"),
                "expires_seconds": ToolSchema.integer(
                    "How long the URL works (default 3600, at most 7 days).", minimum: 1, maximum: 604_800),
                "method": ToolSchema.string("get to download (default) or put to upload.", oneOf: ["get", "put"]),
            ], required: ["uri"])
    }

    public let name = "s3.presign"
    public let summary = "Make a presigned URL to download (or upload) one S3 object"
    public let access = ToolAccess.write
    public let minimumAccess = ToolAccess.read
    public let actions = ["s3:GetObject", "s3:PutObject"]

    public init() {}

    public func access(for input: Input) -> ToolAccess { input.method == "put" ? .write : .read }

    public func actions(for input: Input) -> [String] { input.method == "put" ? ["s3:PutObject"] : ["s3:GetObject"] }

    public func validate(_ input: Input) throws { _ = try S3URI.parse(input.uri, field: "uri", tool: name) }

    public func describe(_ input: Input) -> String {
        let verb = input.method == "put" ? "upload" : "download"
        return "presign a \(verb) URL for \(input.uri), valid \(Self.duration(input.expiresSeconds ?? 3600))"
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let uri = try S3URI.parse(input.uri, field: "uri", tool: name)
        let expires = input.expiresSeconds ?? 3600
        let operation = input.method == "put" ? "PutObject" : "GetObject"
        let url = try await environment.aws(context).presign(
            "s3", operation, ["Bucket": .string(uri.bucket), "Key": .string(uri.key)], expires: expires)
        let expiry = Date().addingTimeInterval(TimeInterval(expires))
        return [
            "url": .string(url.absoluteString), "method": .string(operation == "PutObject" ? "PUT" : "GET"),
            "expires_at": .string(ISO8601DateFormatter().string(from: expiry)),
        ]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let expires = result["expires_at"]?.stringValue ?? "?"
        return "Presigned \(result["method"]?.stringValue ?? "GET") URL for \(input.uri) (expires \(expires)):\n"
            + (result["url"]?.stringValue ?? "")
    }

    static func duration(_ seconds: Int) -> String {
        if seconds % 86400 == 0 { return Report.plural(seconds / 86400, "day") }
        if seconds % 3600 == 0 { return Report.plural(seconds / 3600, "hour") }
        if seconds % 60 == 0 { return Report.plural(seconds / 60, "minute") }
        return Report.plural(seconds, "second")
    }
}
