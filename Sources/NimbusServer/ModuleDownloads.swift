import Foundation
import HTTPTypes
import Hummingbird
import NimbusCore
import NimbusModules

/// A generated module's files, read back from the folder the server chose for its run.
extension NimbusServer {
    /// Where the server writes the module of a run: its own folder in the Nimbus home, by thread id.
    func moduleDirectory(_ thread: String) -> URL {
        host.configuration.home.appendingPathComponent("server/modules/\(thread)", isDirectory: true)
    }

    /// The files of the module run `thread` wrote, by path inside the module; only runs this server made.
    func moduleEntries(_ thread: String) async throws -> (name: String, files: [ArchiveEntry]) {
        let result = try await host.outcome(threadID: thread)
        guard result.product == ModulesProduct.name else {
            throw ServerError.notFound("module run '\(thread)' (it is a \(result.product) run)")
        }
        let outcome = try result.decode(ModulesProduct.Outcome.self)
        let folder = moduleDirectory(thread).standardizedFileURL
        // A module written by the command line to a directory of its own is not the server's to read out.
        guard outcome.written != nil, URL(fileURLWithPath: outcome.outputDirectory).standardizedFileURL == folder
        else {
            throw ServerError.noModule(thread)
        }
        var entries: [ArchiveEntry] = []
        let walker = FileManager.default.enumerator(
            at: folder, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        while let file = walker?.nextObject() as? URL {
            guard (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let path = String(file.standardizedFileURL.path.dropFirst(folder.path.count + 1))
            entries.append(ArchiveEntry(path: path, bytes: try [UInt8](Data(contentsOf: file))))
        }
        entries.sort { $0.path < $1.path }
        let name = outcome.requirements?.name ?? "module"
        return (name, entries)
    }

    func moduleFiles(_ context: ServerRequestContext) async throws -> Response {
        let thread = try threadParameter(context)
        let (name, files) = try await moduleEntries(thread)
        return .json([
            "thread_id": .string(thread), "name": .string(name),
            "files": .array(
                files.map {
                    [
                        "path": .string($0.path), "bytes": .int($0.bytes.count),
                        "content": .string(String(decoding: $0.bytes, as: UTF8.self)),
                    ]
                }),
        ])
    }

    func moduleArchive(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let thread = try threadParameter(context)
        let format = request.uri.queryParameters.get("format").map { String($0) } ?? "tar.gz"
        guard format == "tar.gz" || format == "zip" else {
            throw ServerError.badRequest("format is tar.gz or zip, not '\(format)'")
        }
        let (name, files) = try await moduleEntries(thread)
        let bytes = format == "zip" ? try Archive.zip(files, root: name) : try Archive.tarGzip(files, root: name)
        return .bytes(
            bytes, contentType: format == "zip" ? "application/zip" : "application/gzip",
            headers: [.contentDisposition: "attachment; filename=\"\(name).\(format)\""])
    }
}
