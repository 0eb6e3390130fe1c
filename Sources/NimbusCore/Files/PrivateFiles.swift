public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Files only their owner may read: the Nimbus home and what it holds (the store, credentials, keys, transfer
/// state). Folders are created 0700 and files 0600; ones that already exist with wider modes are tightened.
public enum PrivateFiles {
    /// Creates `directory` (and missing parents) readable by the owner only, or tightens it when it exists.
    public static func directory(_ directory: URL) throws {
        let path = directory.path
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw CocoaError(.fileWriteFileExists, userInfo: [NSFilePathErrorKey: path])
            }
            if info.st_mode & 0o077 != 0, info.st_uid == getuid() { _ = chmod(path, 0o700) }
            return
        }
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Makes the Nimbus home private: the folder 0700, every file in it 0600 and every folder 0700, for what the
    /// current user owns (links are not followed). Returns the paths that were tightened.
    @discardableResult
    public static func secureHome(_ home: URL) throws -> [String] {
        try directory(home)
        var tightened: [String] = []
        func walk(_ path: String, depth: Int) {
            guard depth < 8, let names = DirectoryListing.names(path) else { return }
            for name in names {
                let child = path + "/" + name
                var info = stat()
                guard lstat(child, &info) == 0, info.st_uid == getuid() else { continue }
                let type = info.st_mode & S_IFMT
                if type == S_IFDIR {
                    if info.st_mode & 0o077 != 0, chmod(child, 0o700) == 0 { tightened.append(child) }
                    walk(child, depth: depth + 1)
                } else if type == S_IFREG, info.st_mode & 0o077 != 0 {
                    if chmod(child, mode_t(info.st_mode & 0o700)) == 0 { tightened.append(child) }
                }
            }
        }
        walk(home.path, depth: 0)
        return tightened
    }

    /// Replaces `file` with `data` atomically: a new file (mode 0600 from the start) is written and synced beside
    /// it, then renamed over it, so a crash leaves either the old file or the new one. With `backup`, the old file
    /// is kept there first.
    public static func replace(_ file: URL, with data: Data, backup: URL? = nil) throws {
        try directory(file.deletingLastPathComponent())
        let temporary = file.deletingLastPathComponent()
            .appendingPathComponent(".\(file.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var written = 0
        let failure: Int32? = data.withUnsafeBytes { bytes -> Int32? in
            while written < bytes.count {
                let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if result <= 0 { return errno }
                written += result
            }
            return fsync(descriptor) == 0 ? nil : errno
        }
        close(descriptor)
        if let failure {
            unlink(temporary.path)
            throw POSIXError(POSIXErrorCode(rawValue: failure) ?? .EIO)
        }
        if let backup, FileManager.default.fileExists(atPath: file.path) {
            do {
                let copy = try Data(contentsOf: file)
                try replace(backup, with: copy)
            } catch {
                unlink(temporary.path)
                throw error
            }
        }
        guard rename(temporary.path, file.path) == 0 else {
            let code = errno
            unlink(temporary.path)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
    }
}
