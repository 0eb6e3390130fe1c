import Foundation
import NimbusCore

#if canImport(Glibc)
import Glibc
#endif

/// The regular files under a local directory, for uploads, and what was left out.
///
/// A symbolic link inside the tree is skipped and reported unless links are followed (`--follow-symlinks`);
/// followed links are read for what they point at — its size, its contents — and a folder reached twice (a link
/// back up the tree) is walked once. Sockets, pipes and devices are never uploaded.
struct LocalTree {
    struct File: Sendable {
        let path: String
        /// The path below the walked directory, with `/` between segments: the object key's tail.
        let relative: String
        let size: Int
        /// Seconds since 1970.
        let modified: Double
    }

    struct Skipped: Sendable {
        let path: String
        let relative: String
        let reason: TransferSkip.Reason
    }

    var files: [File] = []
    var skipped: [Skipped] = []

    static func walk(_ root: String, followLinks: Bool) throws(AWSTransferError) -> LocalTree {
        var tree = LocalTree()
        var visited = Set<FileIdentity>()
        var info = stat()
        guard stat(root, &info) == 0 else { throw AWSTransferError.missingSource(.local(root)) }
        visited.insert(FileIdentity(info))
        try tree.walk(directory: root, relative: "", followLinks: followLinks, visited: &visited)
        tree.files.sort { $0.relative < $1.relative }
        return tree
    }

    private mutating func walk(
        directory: String, relative: String, followLinks: Bool, visited: inout Set<FileIdentity>
    ) throws(AWSTransferError) {
        guard let names = DirectoryListing.names(directory) else {
            throw AWSTransferError.io(directory, detail: "cannot be read (\(FileErrorText.posix(errno)))")
        }
        for name in names {
            let path = directory + (directory.hasSuffix("/") ? "" : "/") + name
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }  // removed while walking
            var type = info.st_mode & S_IFMT
            if type == S_IFLNK {
                guard followLinks else {
                    skipped.append(Skipped(path: path, relative: childRelative, reason: .symlink))
                    continue
                }
                guard stat(path, &info) == 0 else {
                    skipped.append(Skipped(path: path, relative: childRelative, reason: .brokenLink))
                    continue
                }
                type = info.st_mode & S_IFMT
            }
            switch type {
            case S_IFREG:
                files.append(
                    File(path: path, relative: childRelative, size: Int(info.st_size), modified: Self.modified(info)))
            case S_IFDIR:
                // A folder reached a second time (through a link) would repeat its files, or loop forever.
                guard visited.insert(FileIdentity(info)).inserted else {
                    skipped.append(Skipped(path: path, relative: childRelative, reason: .linkLoop))
                    continue
                }
                try walk(directory: path, relative: childRelative, followLinks: followLinks, visited: &visited)
            default:
                skipped.append(Skipped(path: path, relative: childRelative, reason: .notRegularFile))
            }
        }
    }

    static func modified(_ info: stat) -> Double {
        Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    }
}

/// A file's device and inode: the same folder reached by two paths has one.
private struct FileIdentity: Hashable {
    let device: UInt64
    let inode: UInt64

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
