import Foundation
import NimbusCore

#if canImport(Glibc)
import Glibc
#endif

/// A local directory that downloads write into, and the proof that every path derived from an object key stays
/// inside it.
///
/// Anyone who can write an object chooses its key, so a key is never trusted as a path: it is split at `/`, a
/// segment that is `.`, `..`, holds a NUL byte or is too long for a file name makes the key unmappable, and
/// empty segments (`a//b`, a leading `/`) are dropped. What remains is joined below the destination and then
/// checked against the disk: a segment that already exists as a symbolic link may be followed only when the
/// link's target is inside the destination too, and a file where a folder is needed (or the reverse) is a
/// conflict. Keys that fail are skipped and reported by the transfer, never written; the partial file of a
/// download lives beside its final path, so it is inside too.
public struct ConfinedDirectory: Sendable {
    /// The destination as given, absolute.
    public let root: String
    /// The destination with links resolved (its deepest existing ancestor resolved, the rest appended).
    let realRoot: String

    public init(_ root: String) {
        let absolute = URL(fileURLWithPath: root).standardizedFileURL.path
        self.root = absolute
        realRoot = ConfinedDirectory.resolve(absolute)
    }

    /// Why a key cannot become a path here.
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// The key has a `.`/`..` segment, a NUL byte, or a segment too long for a file name.
        case unsafeKey(String)
        /// The path exists in a form that cannot take the object, or passes through a link that leads outside.
        case conflict(String)

        public var description: String {
            switch self {
            case .unsafeKey(let detail), .conflict(let detail): detail
            }
        }
    }

    /// The segments a key maps to, or why it cannot map. Pure: looks at the text only.
    public static func segments(of key: String) -> Result<[String], Refusal> {
        var segments: [String] = []
        for segment in key.split(separator: "/", omittingEmptySubsequences: true).map(String.init) {
            if segment == "." || segment == ".." {
                return .failure(.unsafeKey("its key has a '\(segment)' segment, which would leave the destination"))
            }
            if segment.utf8.contains(0) { return .failure(.unsafeKey("its key holds a NUL byte")) }
            if segment.utf8.count > 255 {
                return .failure(.unsafeKey("a segment of its key is longer than a file name can be (255 bytes)"))
            }
            segments.append(segment)
        }
        guard !segments.isEmpty else { return .failure(.unsafeKey("its key names no file")) }
        return .success(segments)
    }

    /// The local path for `relativeKey` (the part of the key below the prefix being downloaded), proven inside
    /// the destination as the disk is now.
    public func path(for relativeKey: String) -> Result<String, Refusal> {
        switch Self.segments(of: relativeKey) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let segments): return check(segments)
        }
    }

    /// Checks each existing prefix of the path: folders (or links to folders inside the destination) on the way,
    /// and nothing but a file (or nothing) at the end.
    func check(_ segments: [String]) -> Result<String, Refusal> {
        let full = segments.reduce(root) { $0 + ($0.hasSuffix("/") ? "" : "/") + $1 }
        var current = root
        for (index, segment) in segments.enumerated() {
            current += (current.hasSuffix("/") ? "" : "/") + segment
            let last = index == segments.count - 1
            var info = stat()
            guard lstat(current, &info) == 0 else { break }  // nothing there yet: the rest is created inside
            let type = info.st_mode & S_IFMT
            if type == S_IFLNK {
                let target = Self.resolve(current)
                guard Self.isInside(target, realRoot) else {
                    return .failure(.conflict("\(current) is a symbolic link to \(target), outside the destination"))
                }
                var followed = stat()
                if stat(current, &followed) == 0, followed.st_mode & S_IFMT == S_IFDIR {
                    if last { return .failure(.conflict("\(current) is a folder")) }
                } else if !last {
                    return .failure(.conflict("\(current) is not a folder"))
                }
                continue
            }
            if last {
                if type == S_IFDIR { return .failure(.conflict("\(current) is a folder")) }
                if type != S_IFREG { return .failure(.conflict("\(current) is not a regular file")) }
            } else if type != S_IFDIR {
                return .failure(.conflict("\(current) is a file, and the key needs it to be a folder"))
            }
        }
        return .success(full)
    }

    /// Creates the folders above `path` one by one and checks, just before the file is written, that its folder
    /// still resolves inside the destination. Returns the folder's resolved path.
    func prepareParent(of path: String) throws(AWSTransferError) -> String {
        let parent = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw AWSTransferError.io(parent, detail: "cannot be created (\(FileErrorText.describe(error)))")
        }
        let resolved = Self.resolve(parent)
        guard Self.isInside(resolved, realRoot) else {
            throw AWSTransferError.io(path, detail: "its folder now resolves to \(resolved), outside the destination")
        }
        return resolved
    }

    static func isInside(_ path: String, _ root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// `path` with every link resolved: `realpath` of its deepest existing ancestor, the missing rest appended.
    static func resolve(_ path: String) -> String {
        var existing = path
        var missing: [String] = []
        while true {
            if let real = realpath(existing, nil) {
                defer { free(real) }
                let base = String(cString: real)
                return missing.reversed().reduce(base) { $0 + ($0.hasSuffix("/") ? "" : "/") + $1 }
            }
            let parent = (existing as NSString).deletingLastPathComponent
            if parent == existing || parent.isEmpty { return path }
            missing.append((existing as NSString).lastPathComponent)
            existing = parent
        }
    }
}
