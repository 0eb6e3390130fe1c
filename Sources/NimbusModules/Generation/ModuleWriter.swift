import CNimbusSystem
public import Foundation
public import NimbusCore
import NimbusHCL

#if canImport(Glibc)
import Glibc
#endif

/// One thing the writer did to the file system.
public struct FileOperation: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case created, replaced
        /// A file of the previous module that the new one does not have (it is in the backup).
        case removed
        /// Something in the directory that is not part of a module (a `.git`, notes), carried over untouched.
        case kept
        case backedUp = "backed_up", createdDirectory = "created_directory"
    }

    public var kind: Kind
    public var path: String

    public init(_ kind: Kind, _ path: String) {
        self.kind = kind
        self.path = path
    }
}

/// What the writer did: every operation, and where the previous files went.
public struct WriteResult: Sendable, Hashable, Codable {
    /// The directory written: the one asked for, or the directory a symbolic link asked for points to.
    public var directory: String
    public var operations: [FileOperation]
    /// `.nimbus-backup/<timestamp>` inside the directory, when files were there before.
    public var backup: String?
    /// The path asked for, when it is a symbolic link: the module went into the link's target and the link stays.
    public var link: String?
}

/// A problem writing a module.
public struct ModuleWriteError: NimbusError {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case invalidSyntax, notADirectory, notAModule, linkLoop, io
    }
    public let code: Code
    public let message: String
    public let suggestion: String?

    public static func invalidSyntax(_ file: String, detail: String) -> ModuleWriteError {
        ModuleWriteError(
            code: .invalidSyntax, message: "\(file) is not valid HCL, so nothing was written: \(detail)",
            suggestion: nil)
    }

    public static func notADirectory(_ path: String) -> ModuleWriteError {
        ModuleWriteError(code: .notADirectory, message: "\(path) is not a directory", suggestion: nil)
    }

    public static func notAModule(_ path: String) -> ModuleWriteError {
        ModuleWriteError(code: .notAModule, message: "\(path) has no .tf files", suggestion: nil)
    }

    public static func linkLoop(_ path: String) -> ModuleWriteError {
        ModuleWriteError(
            code: .linkLoop, message: "\(path) is a symbolic link that does not lead to a directory (too many links)",
            suggestion: "point --out at a directory, or fix the link")
    }

    public static func io(_ path: String, detail: String) -> ModuleWriteError {
        ModuleWriteError(
            code: .io, message: "could not write \(path): \(detail)",
            suggestion: "nothing was changed in the target directory")
    }
}

/// Writes a module directory whole or not at all.
///
/// Every Terraform file is parsed before anything touches the disk. The new module is written to a temporary
/// directory beside the target; the previous module's files (`.tf`, `examples/`, the README) are copied to
/// `.nimbus-backup/<timestamp>/` inside the new directory, anything else there (a `.git`, notes, earlier backups) is
/// carried over untouched; then the temporary directory is swapped with the target in
/// one `renameat2(RENAME_EXCHANGE)`, or moved in when the target does not exist. A failure at any point leaves
/// the target as it was.
///
/// The directory keeps its permissions (a `0700` module stays `0700`), and a file the new module replaces keeps the
/// previous file's. When the directory asked for is a symbolic link, the module is written into the directory the
/// link points to and the link stays as it is (``WriteResult/link`` says so).
public struct ModuleWriter: Sendable {
    /// Called before each file is written; tests use it to fail midway.
    let beforeEachFile: (@Sendable (String) throws -> Void)?

    public init() {
        self.beforeEachFile = nil
    }

    init(beforeEachFile: @escaping @Sendable (String) throws -> Void) {
        self.beforeEachFile = beforeEachFile
    }

    public func write(_ files: [ModuleFile], to directory: String, now: Date = Date()) throws -> WriteResult {
        for file in files where file.path.hasSuffix(".tf") {
            let (_, diagnostics) = HCLParser.parse(file.contents, filename: file.path)
            if let error = diagnostics.first(where: { $0.severity == .error }) {
                throw ModuleWriteError.invalidSyntax(file.path, detail: error.description)
            }
        }
        let fileManager = FileManager.default
        let asked = URL(fileURLWithPath: directory).standardizedFileURL
        // Renaming over a link would replace the link, not the directory it names: write where it points.
        let target = try ModuleWriter.followingLinks(asked)
        let parent = target.deletingLastPathComponent()
        do {
            try fileManager.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw ModuleWriteError.io(parent.path, detail: FileErrorText.describe(error))
        }
        let staging = parent.appendingPathComponent(".\(target.lastPathComponent).nimbus-\(SortableID().rawValue)")
        var operations: [FileOperation] = []
        var backup: String?
        do {
            var isDirectory: ObjCBool = false
            let existing = fileManager.fileExists(atPath: target.path, isDirectory: &isDirectory)
            if existing && !isDirectory.boolValue { throw ModuleWriteError.notADirectory(target.path) }
            try fileManager.createDirectory(at: staging, withIntermediateDirectories: false)
            // The swap must not widen who can read the module: the staging directory takes the target's mode first.
            if existing, let mode = ModuleWriter.permissions(of: target) {
                try fileManager.setAttributes([.posixPermissions: mode], ofItemAtPath: staging.path)
            }
            var previous: Set<String> = []
            if existing {
                let entries = try fileManager.contentsOfDirectory(atPath: target.path)
                if entries.contains(".nimbus-backup") {
                    try fileManager.copyItem(
                        at: target.appendingPathComponent(".nimbus-backup"),
                        to: staging.appendingPathComponent(".nimbus-backup"))
                }
                let generated = Set(files.map { String($0.path.split(separator: "/").first ?? "") })
                let module = entries.filter {
                    $0 != ".nimbus-backup" && (generated.contains($0) || ModuleWriter.isModuleContent($0))
                }
                // Everything else in the directory (a .git, state files, notes) stays where it is.
                for entry in entries where entry != ".nimbus-backup" && !module.contains(entry) {
                    try fileManager.copyItem(
                        at: target.appendingPathComponent(entry), to: staging.appendingPathComponent(entry))
                    operations.append(FileOperation(.kept, entry))
                }
                if !module.isEmpty {
                    var stamp = ModuleWriter.stamp(now)
                    // Two writes in one second get their own backups.
                    var suffix = 1
                    while fileManager.fileExists(atPath: staging.appendingPathComponent(".nimbus-backup/\(stamp)").path)
                    {
                        suffix += 1
                        stamp = ModuleWriter.stamp(now) + "-\(suffix)"
                    }
                    let backupDirectory = staging.appendingPathComponent(".nimbus-backup/\(stamp)")
                    try fileManager.createDirectory(at: backupDirectory, withIntermediateDirectories: true)
                    for entry in module {
                        try fileManager.copyItem(
                            at: target.appendingPathComponent(entry), to: backupDirectory.appendingPathComponent(entry))
                    }
                    backup = ".nimbus-backup/\(stamp)"
                    operations.append(FileOperation(.backedUp, ".nimbus-backup/\(stamp)"))
                    previous = ModuleWriter.files(under: target).filter { path in
                        module.contains(String(path.split(separator: "/").first ?? ""))
                    }
                    let written = Set(files.map(\.path))
                    for path in previous.subtracting(written).sorted() {
                        operations.append(FileOperation(.removed, path))
                    }
                }
            }
            for file in files.sorted(by: { $0.path < $1.path }) {
                try beforeEachFile?(file.path)
                let url = staging.appendingPathComponent(file.path)
                let folder = url.deletingLastPathComponent()
                if !fileManager.fileExists(atPath: folder.path) {
                    try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
                    let relative = String(folder.path.dropFirst(staging.path.count + 1))
                    operations.append(FileOperation(.createdDirectory, relative))
                    let parts = relative.split(separator: "/")
                    try ModuleWriter.keepPermissions(
                        of: parts.indices.map { parts[...$0].joined(separator: "/") }, from: target, in: staging,
                        existing: existing)
                }
                try Data(file.contents.utf8).write(to: url)
                try ModuleWriter.keepPermissions(of: [file.path], from: target, in: staging, existing: existing)
                operations.append(FileOperation(previous.contains(file.path) ? .replaced : .created, file.path))
            }
            if existing {
                if nimbus_rename_exchange(staging.path, target.path) != 0 {
                    // No exchange on this file system: two renames, the target absent only between them.
                    let aside = parent.appendingPathComponent(
                        ".\(target.lastPathComponent).nimbus-old-\(SortableID().rawValue)")
                    try fileManager.moveItem(at: target, to: aside)
                    try fileManager.moveItem(at: staging, to: target)
                    try? fileManager.removeItem(at: aside)
                } else {
                    try? fileManager.removeItem(at: staging)
                }
            } else {
                try fileManager.moveItem(at: staging, to: target)
            }
        } catch {
            try? fileManager.removeItem(at: staging)
            if let error = error as? ModuleWriteError { throw error }
            throw ModuleWriteError.io(directory, detail: FileErrorText.describe(error))
        }
        return WriteResult(
            directory: target.path, operations: operations, backup: backup,
            link: target.path == asked.path ? nil : asked.path)
    }

    /// The directory `url` names once symbolic links at its end are followed (a link's target may itself be a link,
    /// or not exist yet).
    static func followingLinks(_ url: URL) throws -> URL {
        var current = url
        for _ in 0..<32 {
            guard let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: current.path) else {
                return current
            }
            current =
                destination.hasPrefix("/")
                ? URL(fileURLWithPath: destination)
                : current.deletingLastPathComponent().appendingPathComponent(destination)
            current = current.standardizedFileURL
        }
        throw ModuleWriteError.linkLoop(url.path)
    }

    /// The permission bits of a file or directory, if it exists.
    static func permissions(of url: URL) -> NSNumber? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.posixPermissions] as? NSNumber
    }

    /// Gives each of `paths` in `staging` the permissions the same path had in `target`, where it existed.
    static func keepPermissions(of paths: [String], from target: URL, in staging: URL, existing: Bool) throws {
        guard existing else { return }
        for path in paths {
            guard let mode = permissions(of: target.appendingPathComponent(path)) else { continue }
            try FileManager.default.setAttributes(
                [.posixPermissions: mode], ofItemAtPath: staging.appendingPathComponent(path).path)
        }
    }

    /// Whether a top-level entry of a module directory belongs to the module (and is replaced by a new one).
    static func isModuleContent(_ entry: String) -> Bool {
        entry.hasSuffix(".tf") || entry.hasSuffix(".tf.json") || entry == "examples" || entry == "README.md"
            || entry == "VALIDATION.md"
    }

    /// Relative paths of the regular files under a directory, outside backups.
    static func files(under directory: URL) -> Set<String> {
        var result: Set<String> = []
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            let relative = String(url.path.dropFirst(directory.path.count + 1))
            if relative.hasPrefix(".nimbus-backup") { continue }
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { result.insert(relative) }
        }
        return result
    }

    static func stamp(_ date: Date) -> String {
        let components = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ", components.year ?? 0, components.month ?? 0, components.day ?? 0,
            components.hour ?? 0, components.minute ?? 0, components.second ?? 0)
    }
}

extension ModuleWriteError {
    public var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch code {
            case .io: .internal
            default: .invalidInput
            }
        return ErrorCode("module_write", code.rawValue, kind)
    }
}
