public import Foundation
public import Logging
public import NimbusAWS
public import NimbusCore

/// The AWS access a tool call gets: a client guarded by the call's ``AWSGate`` (so every call it makes — each
/// page, each part of a transfer — is checked against the policy and the call's approval, and written to the
/// audit log), with paging and the transfer manager on top.
public struct AuditedAWS: Sendable {
    /// The guarded client; there is no unguarded one to reach.
    public let client: AWSClient
    let transferDirectory: URL?
    let transferConcurrency: Int

    public init(client: AWSClient, transferDirectory: URL?, transferConcurrency: Int) {
        self.client = client
        self.transferDirectory = transferDirectory
        self.transferConcurrency = transferConcurrency
    }

    public var region: String? { client.region }

    /// Calls an operation with JSON parameters (validated against the service model before sending).
    public func call(
        _ service: String, _ operation: String, _ input: JSONValue = .object([:])
    ) async throws
        -> JSONValue
    {
        try await client.call(service, operation, input)
    }

    /// Follows a paginated operation's tokens (from the service's paginator model) for at most `maxPages`
    /// pages. Returns the pages and whether more remained.
    public func pages(
        _ service: String, _ operation: String, _ input: JSONValue = .object([:]), maxPages: Int = 20
    ) async throws -> (pages: [JSONValue], truncated: Bool) {
        var iterator = client.paginate(service, operation, input).makeAsyncIterator()
        var pages: [JSONValue] = []
        while pages.count < maxPages, let page = try await iterator.next() { pages.append(page) }
        return (pages, iterator.hasMore)
    }

    /// A presigned URL (signed here, no request sent); the audit log shows who shared what, for how long.
    public func presign(_ service: String, _ operation: String, _ input: JSONValue, expires: Int) async throws -> URL {
        try await client.presign(service, operation, input, expires: expires)
    }

    /// Moves files or objects with the transfer manager (parallel, multipart, resumable), reporting progress.
    public func transfer(
        from source: TransferLocation, to destination: TransferLocation, filter: TransferFilter = TransferFilter(),
        sync: Bool = false, followSymlinks: Bool = false, logger: Logger,
        progress: @escaping @Sendable (TransferProgress) -> Void
    ) async throws -> TransferSummary {
        let manager = TransferManager(
            client: client,
            options: TransferOptions(
                concurrency: transferConcurrency, filter: filter, stateDirectory: transferDirectory, sync: sync,
                followSymlinks: followSymlinks),
            logger: logger)
        return try await manager.run(try await manager.plan(from: source, to: destination), progress: progress)
    }
}
