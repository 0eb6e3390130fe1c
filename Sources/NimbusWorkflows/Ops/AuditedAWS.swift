public import Foundation
public import Logging
import NIOCore
public import NimbusAWS
import NimbusAgents
public import NimbusCore
import NimbusStore
import Synchronization

/// The one way ops tools reach AWS: every call goes through here and is written to the audit log (time, profile,
/// region, service, operation, parameters with secrets redacted, outcome, the service's request id), whether it
/// succeeds or fails.
///
/// Transfers run through the transfer manager and are recorded once per object moved (the multipart parts
/// inside one object are not listed one by one).
public struct AuditedAWS: Sendable {
    public let client: AWSClient
    let store: any Store
    /// The request (graph thread) the calls belong to.
    let requestID: String
    let tool: String?
    let transferDirectory: URL?
    let transferConcurrency: Int

    init(
        client: AWSClient, store: any Store, requestID: String, tool: String? = nil, transferDirectory: URL?,
        transferConcurrency: Int
    ) {
        self.client = client
        self.store = store
        self.requestID = requestID
        self.tool = tool
        self.transferDirectory = transferDirectory
        self.transferConcurrency = transferConcurrency
    }

    /// The same client, recording calls as made by `tool`.
    func recording(as tool: String) -> AuditedAWS {
        AuditedAWS(
            client: client, store: store, requestID: requestID, tool: tool, transferDirectory: transferDirectory,
            transferConcurrency: transferConcurrency)
    }

    public var region: String? { client.region }

    /// Calls an operation with JSON parameters (validated against the service model before sending).
    public func call(
        _ service: String, _ operation: String, _ input: JSONValue = .object([:])
    ) async throws
        -> JSONValue
    {
        let started = ContinuousClock.now
        do {
            let (output, awsRequestID) = try await client.execute(service, operation, OrderedJSON(input)) {
                head, body, parser in
                let bytes = try await body.collect(upTo: 1 << 30)
                let raw = RawResponse(status: head.status, headers: head.headers, body: Array(buffer: bytes))
                return (try parser.parse(raw), Self.requestID(in: raw))
            }
            await record(
                service, operation, input, outcome: .succeeded, awsRequestID: awsRequestID, since: started)
            return output
        } catch let error as AWSError {
            await record(
                service, operation, input, outcome: .failed, error: "\(error.code): \(error.errorMessage)",
                awsRequestID: error.requestID, since: started)
            throw error
        } catch {
            await record(service, operation, input, outcome: .failed, error: "\(error)", since: started)
            throw error
        }
    }

    /// Follows a paginated operation's tokens (from the service's paginator model) for at most `maxPages`
    /// pages, recording each page's call. Returns the pages and whether more remained.
    public func pages(
        _ service: String, _ operation: String, _ input: JSONValue = .object([:]), maxPages: Int = 20
    ) async throws -> (pages: [JSONValue], truncated: Bool) {
        var iterator = AWSPages(service: service, operation: operation, input: OrderedJSON(input)) { input in
            try await call(service, operation, input.jsonValue)
        }.makeAsyncIterator()
        var pages: [JSONValue] = []
        while pages.count < maxPages, let page = try await iterator.next() { pages.append(page) }
        return (pages, iterator.hasMore)
    }

    /// A presigned URL (signed here, no request sent); recorded so the audit shows who shared what.
    public func presign(_ service: String, _ operation: String, _ input: JSONValue, expires: Int) async throws -> URL {
        let started = ContinuousClock.now
        do {
            let url = try await client.presign(service, operation, input, expires: expires)
            await record(
                service, operation, input.merging(["ExpiresIn": .int(expires)]), outcome: .succeeded,
                error: nil, since: started)
            return url
        } catch {
            await record(service, operation, input, outcome: .failed, error: "\(error)", since: started)
            throw error
        }
    }

    /// Moves files or objects with the transfer manager (parallel, multipart, resumable), reporting progress;
    /// each object moved is recorded.
    public func transfer(
        from source: TransferLocation, to destination: TransferLocation, filter: TransferFilter = TransferFilter(),
        logger: Logger, progress: @escaping @Sendable (TransferProgress) -> Void
    ) async throws -> TransferSummary {
        let manager = TransferManager(
            client: client,
            options: TransferOptions(
                concurrency: transferConcurrency, filter: filter, stateDirectory: transferDirectory),
            logger: logger)
        let started = ContinuousClock.now
        let recorder = TransferRecorder()
        do {
            let plan = try await manager.plan(from: source, to: destination)
            let summary = try await manager.run(plan) { update in
                if let item = update.finished { recorder.add(item) }
                progress(update)
            }
            for item in recorder.items { await record(item) }
            return summary
        } catch {
            // What finished before the failure did happen, and is recorded as such.
            for item in recorder.items { await record(item) }
            let operation = source.isS3 ? (destination.isS3 ? "CopyObject" : "GetObject") : "PutObject"
            await record(
                "s3", operation,
                ["source": .string(source.description), "destination": .string(destination.description)],
                outcome: .failed, error: "\(error)", since: started)
            throw error
        }
    }

    // MARK: Recording

    private func record(_ item: TransferItem) async {
        let operation: String
        switch item.kind {
        case .upload: operation = "PutObject"
        case .download: operation = "GetObject"
        case .copy: operation = "CopyObject"
        }
        var parameters: [String: JSONValue] = [
            "source": .string(item.source.description), "destination": .string(item.destination.description),
            "bytes": .int(item.size),
        ]
        if case .s3(let bucket, let key) = item.destination {
            parameters["Bucket"] = .string(bucket)
            parameters["Key"] = .string(key)
        } else if case .s3(let bucket, let key) = item.source {
            parameters["Bucket"] = .string(bucket)
            parameters["Key"] = .string(key)
        }
        await write(
            AuditEntry(
                requestID: requestID, tool: tool, profile: client.profileName, region: client.region, service: "s3",
                operation: operation, parameters: .object(parameters), outcome: .succeeded))
    }

    private func record(
        _ service: String, _ operation: String, _ input: JSONValue, outcome: AuditEntry.Outcome, error: String? = nil,
        awsRequestID: String? = nil, since started: ContinuousClock.Instant
    ) async {
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        await write(
            AuditEntry(
                requestID: requestID, tool: tool, profile: client.profileName, region: client.region,
                service: service, operation: operation, parameters: Self.redacted(input), outcome: outcome,
                error: error, awsRequestID: awsRequestID, durationMilliseconds: milliseconds))
    }

    private func write(_ entry: AuditEntry) async {
        do {
            try await store.recordAudit(entry)
        } catch {
            // The call already happened; losing its record must not turn its success into a failure.
            client.logger.warning(
                "could not write the audit log", metadata: ["action": "\(entry.action)", "error": "\(error)"])
        }
    }

    /// Parameters as the audit keeps them: secrets redacted, and large blobs (object bodies, payloads) replaced
    /// by their size.
    static func redacted(_ input: JSONValue) -> JSONValue {
        func shrink(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let text) where text.count > 2048: return .string("(\(text.count) characters)")
            case .array(let elements): return .array(elements.map(shrink))
            case .object(let members): return .object(members.mapValues(shrink))
            default: return value
            }
        }
        return shrink(SecretRedactor.redact(input))
    }

    /// The service's request id: from the usual headers, else from an XML body (query and EC2 protocols).
    static func requestID(in response: RawResponse) -> String? {
        for name in ["x-amzn-requestid", "x-amz-request-id", "x-amzn-request-id"] {
            if let value = response.header(name), !value.isEmpty { return value }
        }
        let text = String(decoding: response.body.prefix(4096), as: UTF8.self)
        for tag in ["RequestId", "RequestID", "requestId"] {
            if let open = text.range(of: "<\(tag)>"),
                let close = text.range(of: "</\(tag)>", range: open.upperBound..<text.endIndex)
            {
                return String(text[open.upperBound..<close.lowerBound])
            }
        }
        return nil
    }
}

/// Objects a transfer finished, collected from its progress callback.
private final class TransferRecorder: Sendable {
    private let finished = Mutex<[TransferItem]>([])
    func add(_ item: TransferItem) { finished.withLock { $0.append(item) } }
    var items: [TransferItem] { finished.withLock { $0 } }
}
