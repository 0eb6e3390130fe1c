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
    /// When the source last changed, in seconds since 1970 (for syncs).
    public let modified: Double?
    /// For a download whose path came from an object key: the destination folder it must stay inside.
    let confinedTo: ConfinedDirectory?

    init(
        kind: TransferKind, source: TransferLocation, destination: TransferLocation, size: Int, etag: String?,
        modified: Double? = nil, confinedTo: ConfinedDirectory? = nil
    ) {
        self.kind = kind
        self.source = source
        self.destination = destination
        self.size = size
        self.etag = etag
        self.modified = modified
        self.confinedTo = confinedTo
    }
}

/// Something a transfer left out, and why.
public struct TransferSkip: Sendable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// An object whose key cannot be a path inside the destination (`../x`, `a/./b`).
        case unsafeKey(String)
        /// The path is taken by something else, or passes through a link that leads outside the destination.
        case conflict(String)
        /// A symbolic link inside a directory being uploaded (follow them with `--follow-symlinks`).
        case symlink
        /// A followed link that points at nothing.
        case brokenLink
        /// A followed link back to a folder already walked.
        case linkLoop
        /// A socket, pipe or device.
        case notRegularFile

        public var description: String {
            switch self {
            case .unsafeKey(let detail): "unsafe key: \(detail)"
            case .conflict(let detail): "conflict: \(detail)"
            case .symlink: "a symbolic link (use --follow-symlinks to follow links)"
            case .brokenLink: "a symbolic link to nothing"
            case .linkLoop: "a link to a folder already uploaded"
            case .notRegularFile: "not a regular file"
            }
        }

        /// Whether the skip protects the destination from an object (rather than leaving out a local link): a
        /// transfer with such skips did not do all it was asked, and says so with its exit status.
        public var isRefusal: Bool {
            switch self {
            case .unsafeKey, .conflict: true
            default: false
            }
        }
    }

    public let source: TransferLocation
    public let reason: Reason

    public var description: String { "\(source): \(reason)" }
}

/// Everything a transfer will do, worked out before anything is moved (and all that `--dry-run` does).
public struct TransferPlan: Sendable {
    public let items: [TransferItem]
    /// What is left out, and why.
    public let skipped: [TransferSkip]
    /// Items a sync left out because their destination is already up to date.
    public let unchanged: Int
    public var totalBytes: Int { items.reduce(0) { $0 + $1.size } }

    init(items: [TransferItem], skipped: [TransferSkip] = [], unchanged: Int = 0) {
        self.items = items
        self.skipped = skipped
        self.unchanged = unchanged
    }
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
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case badLocation, missingSource, missingObject, unsupported, checksumMismatch, io
    }
    public let code: Code
    public let message: String
    public let suggestion: String?

    private init(_ code: Code, _ message: String, suggestion: String? = nil) {
        self.code = code
        self.message = message
        self.suggestion = suggestion
    }

    public static func badLocation(_ text: String, detail: String) -> AWSTransferError {
        AWSTransferError(.badLocation, "'\(text)' is not a transfer location: \(detail)")
    }

    public static func missingSource(_ location: TransferLocation) -> AWSTransferError {
        AWSTransferError(.missingSource, "\(location) does not exist")
    }

    public static func missingObject(bucket: String, key: String) -> AWSTransferError {
        AWSTransferError(
            .missingObject, "s3://\(bucket)/\(key) does not exist: no object has that key and none is under \(key)/",
            suggestion: "list what is there with `nimbus ask \"list s3://\(bucket)/\"`")
    }

    public static func unsupported(_ detail: String) -> AWSTransferError {
        AWSTransferError(.unsupported, detail)
    }

    public static func checksumMismatch(
        _ location: TransferLocation, expected: String, actual: String
    )
        -> AWSTransferError
    {
        AWSTransferError(
            .checksumMismatch,
            "\(location): checksum mismatch (expected \(expected), got \(actual)); the copy was discarded")
    }

    public static func io(_ path: String, detail: String) -> AWSTransferError {
        AWSTransferError(.io, "\(path): \(detail)")
    }
}

extension AWSTransferError {
    public var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch code {
            case .missingSource: .notFound
            case .missingObject: .notFound
            case .checksumMismatch: .upstream
            case .io: .internal
            default: .invalidInput
            }
        return ErrorCode("aws_transfer", code.rawValue, kind)
    }
}
