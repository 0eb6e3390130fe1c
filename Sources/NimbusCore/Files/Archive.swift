public import Foundation

/// One file of an archive: where it goes inside the archive (folders separated by `/`), its bytes, its Unix
/// permissions and its modification time.
public struct ArchiveEntry: Sendable, Hashable {
    /// A relative path such as `examples/complete/main.tf`; never absolute, never with `..`.
    public var path: String
    public var bytes: [UInt8]
    /// Unix permission bits, e.g. `0o644` or `0o755` for a script; only the `0o777` bits are written.
    public var mode: UInt16
    public var modified: Date

    public init(path: String, bytes: [UInt8], mode: UInt16 = 0o644, modified: Date = Date()) {
        self.path = path
        self.bytes = bytes
        self.mode = mode
        self.modified = modified
    }

    /// A text file, in UTF-8.
    public init(path: String, text: String, mode: UInt16 = 0o644, modified: Date = Date()) {
        self.init(path: path, bytes: Array(text.utf8), mode: mode, modified: modified)
    }
}

/// Archives built in memory, for offering a set of files (a generated module) as one download: `.tar.gz` (POSIX
/// ustar, gzipped) or `.zip` (deflate).
///
/// Every path is checked first: an archive never carries a path that is empty, absolute, holds `..`, `.`, an empty
/// folder name, a NUL, a backslash or a drive letter, or that names a file twice, so unpacking it cannot write
/// outside the folder it is unpacked into. Folders are written as entries of their own, before what they hold.
public enum Archive {
    /// A gzipped POSIX ustar archive of `entries`, each under the folder `root` (e.g. `s3-bucket`) when one is given.
    ///
    /// - Throws: `ArchiveError` for a bad or duplicate path, a path too long for ustar (over 100 bytes with no `/`
    ///   that splits it into at most 155 and 100), or a file of 8 GiB or more.
    public static func tarGzip(_ entries: [ArchiveEntry], root: String? = nil) throws(ArchiveError) -> [UInt8] {
        Gzip.compress(try tar(entries, root: root))
    }

    /// The uncompressed ustar archive of `entries` (see `tarGzip`): 512-byte blocks, ending in two zero blocks.
    public static func tar(_ entries: [ArchiveEntry], root: String? = nil) throws(ArchiveError) -> [UInt8] {
        let items = try layout(entries, root: root)
        var output = [UInt8]()
        output.reserveCapacity(items.reduce(1024) { $0 + 512 + ($1.bytes.count + 511) / 512 * 512 })
        for item in items {
            output += try TarHeader.block(for: item)
            output += item.bytes
            output += [UInt8](repeating: 0, count: (512 - item.bytes.count % 512) % 512)
        }
        output += [UInt8](repeating: 0, count: 1024)
        return output
    }

    /// A zip archive of `entries`, each under the folder `root` when one is given: files deflated (or stored when
    /// deflate would not make them smaller), names in UTF-8, Unix permissions, and the exact time besides the
    /// two-second DOS one.
    ///
    /// - Throws: `ArchiveError` for a bad or duplicate path, or an archive too large for zip without Zip64
    ///   (4 GiB, 65,535 entries).
    public static func zip(_ entries: [ArchiveEntry], root: String? = nil) throws(ArchiveError) -> [UInt8] {
        let items = try layout(entries, root: root)
        guard items.count <= Int(UInt16.max) else {
            throw .tooLarge("\(items.count) entries are more than a zip without Zip64 holds (65,535)")
        }
        var output = [UInt8]()
        var directory = [UInt8]()
        for item in items {
            let offset = output.count
            // A folder is a name that ends in '/'.
            let name = Array(item.path.utf8) + (item.isDirectory ? [UInt8(ascii: "/")] : [])
            let deflated = item.isDirectory ? nil : Gzip.deflate(item.bytes, level: 6, windowBits: -15)
            let stored = deflated.map { $0.count >= item.bytes.count } ?? true
            let data = stored ? item.bytes : deflated!
            guard name.count <= Int(UInt16.max), item.bytes.count < Int(UInt32.max), offset < Int(UInt32.max) else {
                throw .tooLarge("'\(item.path)' does not fit in a zip without Zip64 (4 GiB)")
            }
            let time = ZipTime(item.modified)
            let crc = Gzip.crc32(item.bytes)
            // Flag bit 11: the name is UTF-8.
            let flags: UInt16 = 1 << 11
            let method: UInt16 = stored ? 0 : 8
            // The "UT" extra field: the modification time in Unix seconds, which unzip restores exactly.
            var extra = [UInt8]()
            extra.appendLittleEndian(UInt16(0x5455))
            extra.appendLittleEndian(UInt16(5))
            extra.append(1)
            extra.appendLittleEndian(time.unixSeconds)

            output.appendLittleEndian(UInt32(0x0403_4b50))
            output.appendLittleEndian(UInt16(20))
            output.appendLittleEndian(flags)
            output.appendLittleEndian(method)
            output.appendLittleEndian(time.dosTime)
            output.appendLittleEndian(time.dosDate)
            output.appendLittleEndian(crc)
            output.appendLittleEndian(UInt32(data.count))
            output.appendLittleEndian(UInt32(item.bytes.count))
            output.appendLittleEndian(UInt16(name.count))
            output.appendLittleEndian(UInt16(extra.count))
            output += name
            output += extra
            output += data

            // Made by Unix (3), zip 2.0; the external attributes carry the Unix file type and mode in their top half,
            // and the MS-DOS folder bit for folders.
            let unixMode = UInt32(item.isDirectory ? 0o040000 : 0o100000) | UInt32(item.mode)
            directory.appendLittleEndian(UInt32(0x0201_4b50))
            directory.appendLittleEndian(UInt16(3 << 8 | 20))
            directory.appendLittleEndian(UInt16(20))
            directory.appendLittleEndian(flags)
            directory.appendLittleEndian(method)
            directory.appendLittleEndian(time.dosTime)
            directory.appendLittleEndian(time.dosDate)
            directory.appendLittleEndian(crc)
            directory.appendLittleEndian(UInt32(data.count))
            directory.appendLittleEndian(UInt32(item.bytes.count))
            directory.appendLittleEndian(UInt16(name.count))
            directory.appendLittleEndian(UInt16(extra.count))
            directory.appendLittleEndian(UInt16(0))  // comment length
            directory.appendLittleEndian(UInt16(0))  // disk number
            directory.appendLittleEndian(UInt16(0))  // internal attributes
            directory.appendLittleEndian(unixMode << 16 | (item.isDirectory ? 0x10 : 0))
            directory.appendLittleEndian(UInt32(offset))
            directory += name
            directory += extra
        }
        guard output.count < Int(UInt32.max), directory.count < Int(UInt32.max) else {
            throw .tooLarge("the archive is larger than a zip without Zip64 holds (4 GiB)")
        }
        let directoryOffset = output.count
        output += directory
        output.appendLittleEndian(UInt32(0x0605_4b50))
        output.appendLittleEndian(UInt16(0))  // this disk
        output.appendLittleEndian(UInt16(0))  // the disk the central directory starts on
        output.appendLittleEndian(UInt16(items.count))
        output.appendLittleEndian(UInt16(items.count))
        output.appendLittleEndian(UInt32(directory.count))
        output.appendLittleEndian(UInt32(directoryOffset))
        output.appendLittleEndian(UInt16(0))  // comment length
        return output
    }

    /// What an archive holds, in order: each folder (its path without the trailing `/`) before the first thing in
    /// it, then the files as given; every path checked, joined under `root`, and unique.
    static func layout(_ entries: [ArchiveEntry], root: String?) throws(ArchiveError) -> [Item] {
        var rootComponents: [String] = []
        if let root {
            // One trailing slash is how people write a folder.
            rootComponents = try components(of: root.hasSuffix("/") ? String(root.dropLast()) : root, root: true)
        }
        let newest = entries.map(\.modified).max() ?? Date(timeIntervalSince1970: 0)
        var items: [Item] = []
        var files = Set<String>()
        var folders = Set<String>()
        for entry in entries {
            let path = rootComponents + (try components(of: entry.path, root: false))
            for depth in 1..<path.count {
                let folder = path[0..<depth].joined(separator: "/")
                if files.contains(folder) {
                    throw .duplicatePath(entry.path, reason: "puts a file inside '\(folder)', which is a file")
                }
                if folders.insert(folder).inserted {
                    items.append(Item(path: folder, isDirectory: true, bytes: [], mode: 0o755, modified: newest))
                }
            }
            let joined = path.joined(separator: "/")
            // Swift compares strings by canonical equivalence, so "é" composed and decomposed count as one name,
            // as they do on macOS.
            if folders.contains(joined) {
                throw .duplicatePath(entry.path, reason: "is also a folder of other files")
            }
            guard files.insert(joined).inserted else {
                throw .duplicatePath(entry.path, reason: "is given more than once")
            }
            items.append(
                Item(
                    path: joined, isDirectory: false, bytes: entry.bytes, mode: entry.mode & 0o777,
                    modified: entry.modified))
        }
        return items
    }

    /// The folder names of `path`, refusing any path that could point outside the folder the archive is unpacked
    /// into, or that tools would read differently.
    static func components(of path: String, root: Bool) throws(ArchiveError) -> [String] {
        func refuse(_ reason: String) -> ArchiveError { .badPath(path, root: root, reason: reason) }
        guard !path.isEmpty else { throw refuse("is empty") }
        guard !path.utf8.contains(0) else { throw refuse("contains a NUL character") }
        guard !path.hasPrefix("/") else { throw refuse("is absolute") }
        guard !path.utf8.contains(UInt8(ascii: "\\")) else {
            throw refuse("contains a backslash, which Windows reads as a folder separator")
        }
        // Split on the byte '/', as unpacking tools do: splitting by Character would miss a '/' that a combining
        // mark joins into one grapheme, and with it a `..` before that '/'.
        let parts = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for part in parts {
            if part.isEmpty { throw refuse("has an empty folder name (a '//' or a '/' at the end)") }
            if part.elementsEqual("..".utf8) {
                throw refuse("has a '..', which would reach outside the folder it is unpacked into")
            }
            if part.elementsEqual(".".utf8) { throw refuse("has a '.' folder name") }
        }
        // `C:` means a drive to Windows tools.
        let first = Array(parts[0])
        if first.count >= 2, first[1] == UInt8(ascii: ":"),
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first[0] | 0x20)
        {
            throw refuse("starts with a drive letter")
        }
        return parts.map { String(decoding: $0, as: UTF8.self) }
    }

    /// A file or folder as the archive writes it, its path joined under the root.
    struct Item {
        let path: String
        let isDirectory: Bool
        let bytes: [UInt8]
        let mode: UInt16
        let modified: Date
    }
}

/// The 512-byte POSIX ustar header of a file or folder.
private enum TarHeader {
    static func block(for item: Archive.Item) throws(ArchiveError) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 512)
        let (prefix, name) = try split(Array(item.path.utf8) + (item.isDirectory ? [UInt8(ascii: "/")] : []), item)
        guard item.bytes.count < 0o77777777777 else {
            throw .tooLarge("'\(item.path)' is 8 GiB or more, more than a ustar archive holds")
        }
        let seconds = min(max(item.modified.timeIntervalSince1970, 0), Double(0o77777777777))
        put(name, at: 0, in: &header)
        put(octal(Int(item.mode), width: 8), at: 100, in: &header)
        put(octal(0, width: 8), at: 108, in: &header)  // uid
        put(octal(0, width: 8), at: 116, in: &header)  // gid
        put(octal(item.bytes.count, width: 12), at: 124, in: &header)
        put(octal(Int(seconds), width: 12), at: 136, in: &header)
        header[156] = UInt8(ascii: item.isDirectory ? "5" : "0")
        put(Array("ustar".utf8) + [0], at: 257, in: &header)
        put(Array("00".utf8), at: 263, in: &header)
        put(octal(0, width: 8), at: 329, in: &header)  // device major
        put(octal(0, width: 8), at: 337, in: &header)  // device minor
        put(prefix, at: 345, in: &header)
        // The checksum is the sum of the header's bytes with its own field read as eight spaces, written as six
        // octal digits, a NUL and a space.
        put([UInt8](repeating: UInt8(ascii: " "), count: 8), at: 148, in: &header)
        let checksum = header.reduce(0) { $0 + Int($1) }
        put(octal(checksum, width: 7), at: 148, in: &header)
        return header
    }

    /// The path as ustar's prefix (up to 155 bytes) and name (up to 100), split at a '/' when it is longer than 100.
    private static func split(_ path: [UInt8], _ item: Archive.Item) throws(ArchiveError) -> ([UInt8], [UInt8]) {
        if path.count <= 100 { return ([], path) }
        // A folder's own trailing '/' cannot be where it splits: the name would be empty.
        for index in path.indices.dropLast() where path[index] == UInt8(ascii: "/") {
            let prefix = Array(path[..<index])
            let name = Array(path[(index + 1)...])
            if prefix.count <= 155, name.count <= 100 { return (prefix, name) }
        }
        throw .pathTooLong(item.path)
    }

    /// `value` in octal, zero-padded to `width - 1` digits and ended by a NUL.
    private static func octal(_ value: Int, width: Int) -> [UInt8] {
        let digits = String(value, radix: 8)
        return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
    }

    private static func put(_ bytes: [UInt8], at offset: Int, in header: inout [UInt8]) {
        header.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
    }
}

/// A time as zip writes it: DOS time and date (local time, two-second steps, 1980 to 2107) and Unix seconds.
private struct ZipTime {
    let dosTime: UInt16
    let dosDate: UInt16
    let unixSeconds: UInt32

    init(_ date: Date) {
        let seconds = date.timeIntervalSince1970
        unixSeconds = UInt32(min(max(seconds, 0), Double(Int32.max)))
        let parts = Calendar(identifier: .gregorian).dateComponents(
            in: TimeZone.current, from: Date(timeIntervalSince1970: seconds.rounded(.down)))
        let year = parts.year ?? 1980
        if year < 1980 {
            (dosTime, dosDate) = (0, 1 << 5 | 1)
        } else if year > 2107 {
            (dosTime, dosDate) = (23 << 11 | 59 << 5 | 29, 127 << 9 | 12 << 5 | 31)
        } else {
            dosTime = UInt16((parts.hour ?? 0) << 11 | (parts.minute ?? 0) << 5 | (parts.second ?? 0) / 2)
            dosDate = UInt16((year - 1980) << 9 | (parts.month ?? 1) << 5 | (parts.day ?? 1))
        }
    }
}

extension [UInt8] {
    fileprivate mutating func appendLittleEndian<Value: FixedWidthInteger>(_ value: Value) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

/// An archive that cannot be written: a path that could escape the folder it is unpacked into, a path given twice,
/// or one the format cannot hold.
public struct ArchiveError: NimbusError, Equatable {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case badPath = "bad_path"
        case duplicatePath = "duplicate_path"
        case pathTooLong = "path_too_long"
        case tooLarge = "too_large"
    }

    public let code: Code
    public let message: String
    public let suggestion: String?

    static func badPath(_ path: String, root: Bool, reason: String) -> ArchiveError {
        let shown = path.replacingOccurrences(of: "\0", with: "\\0")
        return ArchiveError(
            code: .badPath, message: "the archive \(root ? "root folder" : "path") '\(shown)' \(reason)",
            suggestion: "use a relative path of folder names separated by '/', such as 'examples/complete/main.tf'")
    }

    static func duplicatePath(_ path: String, reason: String) -> ArchiveError {
        ArchiveError(code: .duplicatePath, message: "the archive path '\(path)' \(reason)", suggestion: nil)
    }

    static func pathTooLong(_ path: String) -> ArchiveError {
        ArchiveError(
            code: .pathTooLong,
            message: "the archive path '\(path)' is too long for a tar archive: it must split at a '/' into at most "
                + "155 and 100 bytes",
            suggestion: "shorten its folder or file names, or offer the download as a zip")
    }

    static func tooLarge(_ detail: String) -> ArchiveError {
        ArchiveError(code: .tooLarge, message: "the archive cannot be written: \(detail)", suggestion: nil)
    }

    public static func == (lhs: ArchiveError, rhs: ArchiveError) -> Bool { lhs.code == rhs.code }
}

extension ArchiveError {
    public var errorCode: ErrorCode { ErrorCode("archive", code.rawValue, .invalidInput) }
}
