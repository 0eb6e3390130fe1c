import Foundation
public import NimbusCore

/// Reading configuration files from disk: native syntax (`.tf`, `.hcl`, `.tfvars`) or JSON (`.json`).
public enum SourceFiles {
    /// Parses the file at `path`, choosing the syntax by its name.
    public static func parse(path: String) throws(HCLError) -> (file: ConfigFile, diagnostics: [Diagnostic]) {
        let bytes = try read(path: path)
        if path.hasSuffix(".json") {
            return TerraformJSON.parse(String(decoding: bytes, as: UTF8.self), filename: path)
        }
        return HCLParser.parse(bytes, filename: path)
    }

    /// The bytes of the file at `path`.
    public static func read(path: String) throws(HCLError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            throw HCLError.unreadableFile(
                path,
                reason: !exists ? "no such file" : isDirectory.boolValue ? "it is a directory" : "permission denied")
        }
        return [UInt8](data)
    }

    /// Configuration files in a directory (not its subdirectories unless `recursive`), sorted by path.
    public static func configurationFiles(
        in directory: String, extensions: [String], recursive: Bool = false
    )
        -> [String]
    {
        let url = URL(fileURLWithPath: directory)
        var result: [String] = []
        if recursive {
            let enumerator = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)
            while let next = enumerator?.nextObject() as? URL {
                if next.lastPathComponent.hasPrefix(".") {
                    enumerator?.skipDescendants()
                    continue
                }
                if extensions.contains(where: { next.lastPathComponent.hasSuffix($0) }) { result.append(next.path) }
            }
        } else {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names where !name.hasPrefix(".") && extensions.contains(where: { name.hasSuffix($0) }) {
                result.append(url.appendingPathComponent(name).path)
            }
        }
        return result.sorted()
    }
}

extension SourcePosition {
    /// `{"line": …, "column": …, "byte": …}`
    public var jsonValue: JSONValue { ["line": .int(line), "column": .int(column), "byte": .int(byte)] }
}

extension Diagnostic {
    /// The diagnostic as JSON, for `--output json`.
    public var jsonValue: JSONValue {
        var value: JSONValue = [
            "severity": .string(severity.rawValue), "summary": .string(summary), "detail": .string(detail),
            "filename": .string(filename),
            "range": ["start": range.start.jsonValue, "end": range.end.jsonValue],
        ]
        if let context { value["context"] = ["start": context.start.jsonValue, "end": context.end.jsonValue] }
        return value
    }
}
