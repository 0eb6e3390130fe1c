#if canImport(Glibc)
import Glibc
#endif

/// The names in a folder, read with `readdir` (no `.`, `..`, nothing followed), for walks that must see links
/// as links.
public enum DirectoryListing {
    /// The entries' names, sorted; nil when the folder cannot be opened (`errno` says why).
    public static func names(_ path: String) -> [String]? {
        guard let handle = opendir(path) else { return nil }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
