import Foundation
public import NimbusCore

#if canImport(Glibc)
import Glibc
#endif

/// One end of a transfer: a local path or an S3 location.
public enum TransferLocation: Sendable, Equatable, CustomStringConvertible {
    case local(String)
    case s3(bucket: String, key: String)

    /// Reads `s3://bucket/key` or a local path.
    public static func parse(_ text: String) throws(AWSTransferError) -> TransferLocation {
        if text.hasPrefix("s3://") {
            let rest = text.dropFirst(5)
            let bucket = String(rest.prefix { $0 != "/" })
            guard !bucket.isEmpty else { throw .badLocation(text, detail: "it names no bucket") }
            let key = rest.dropFirst(bucket.count).drop { $0 == "/" }
            return .s3(bucket: bucket, key: String(key))
        }
        guard !text.isEmpty else { throw .badLocation(text, detail: "it is empty") }
        if text.contains("://") { throw .badLocation(text, detail: "only local paths and s3:// URLs are supported") }
        return .local(text)
    }

    public var description: String {
        switch self {
        case .local(let path): path
        case .s3(let bucket, let key): "s3://\(bucket)/\(key)"
        }
    }

    public var isS3: Bool {
        if case .s3 = self { return true }
        return false
    }
}

/// What kind of copy an item is.
public enum TransferKind: String, Sendable {
    case upload, download, copy
}

/// One object or file to move.
public struct TransferItem: Sendable {
    public let kind: TransferKind
    public let source: TransferLocation
    public let destination: TransferLocation
    public let size: Int
    /// The source's ETag (S3 sources), to verify downloads and copies.
    public let etag: String?
}

/// Everything a transfer will do, worked out before anything is moved (and all that `--dry-run` does).
public struct TransferPlan: Sendable {
    public let items: [TransferItem]
    public var totalBytes: Int { items.reduce(0) { $0 + $1.size } }
}

/// Include and exclude globs over relative paths, as `aws s3 cp` has them: everything is included unless an
/// exclude pattern matches, and an include pattern brings back what an exclude removed. With only includes,
/// only what they match is transferred. `*` matches across `/`.
public struct TransferFilter: Sendable {
    public var include: [String]
    public var exclude: [String]

    public init(include: [String] = [], exclude: [String] = []) {
        self.include = include
        self.exclude = exclude
    }

    public func accepts(_ relativePath: String) -> Bool {
        let included = include.contains { TransferFilter.matches($0, relativePath) }
        if exclude.isEmpty { return include.isEmpty || included }
        let excluded = exclude.contains { TransferFilter.matches($0, relativePath) }
        return !excluded || included
    }

    static func matches(_ pattern: String, _ path: String) -> Bool {
        fnmatch(pattern, path, 0) == 0
    }
}

/// A problem with a transfer: a bad location, a missing source, a checksum that did not match.
public struct AWSTransferError: NimbusError {
    public let message: String

    public static func badLocation(_ text: String, detail: String) -> AWSTransferError {
        AWSTransferError(message: "'\(text)' is not a transfer location: \(detail)")
    }

    public static func missingSource(_ location: TransferLocation) -> AWSTransferError {
        AWSTransferError(message: "\(location) does not exist")
    }

    public static func unsupported(_ detail: String) -> AWSTransferError {
        AWSTransferError(message: detail)
    }

    public static func checksumMismatch(
        _ location: TransferLocation, expected: String, actual: String
    )
        -> AWSTransferError
    {
        AWSTransferError(
            message: "\(location): checksum mismatch (expected \(expected), got \(actual)); the copy was discarded")
    }

    public static func io(_ path: String, detail: String) -> AWSTransferError {
        AWSTransferError(message: "\(path): \(detail)")
    }
}
