import Crypto
import Foundation

/// A multipart upload in progress: its id and the parts S3 has acknowledged.
struct UploadState: Codable, Sendable {
    var uploadID: String
    /// ETags by part number.
    var parts: [Int: String]
    /// The checksum algorithm the upload was created with: `CRC32`, or nil for uploads started before Nimbus used
    /// checksums (their parts carry a Content-MD5 instead).
    var checksumAlgorithm: String? = nil
    /// Each part's `x-amz-checksum-crc32` (base64), by part number.
    var checksums: [Int: String]? = nil
}

/// Keeps an upload's state in `<state directory>/<hash>.json`, the hash naming the file, its size and time, the
/// destination and the part size — so only the very same upload is resumed.
struct UploadStateStore: Sendable {
    let file: URL

    init(directory: URL, path: String, bucket: String, key: String, size: Int, modified: Double, partSize: Int) {
        let identity =
            "\(URL(fileURLWithPath: path).standardizedFileURL.path)\n\(bucket)\n\(key)\n\(size)\n\(modified)\n\(partSize)"
        let name = SigV4Signer.hex(SHA256.hash(data: Array(identity.utf8))).prefix(32)
        file = directory.appendingPathComponent("\(name).json")
    }

    func load() throws -> UploadState? {
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        return try? JSONDecoder().decode(UploadState.self, from: data)
    }

    func save(_ state: UploadState) throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Written whole and renamed into place, so a kill never leaves half a file.
        try JSONEncoder().encode(state).write(to: file, options: .atomic)
    }

    func remove() throws {
        try? FileManager.default.removeItem(at: file)
    }
}

/// Records finished parts as they arrive, saving after each one.
actor UploadRecorder {
    let store: UploadStateStore?
    private var state: UploadState

    init(store: UploadStateStore?, state: UploadState) {
        self.store = store
        self.state = state
    }

    var parts: [Int: String] { state.parts }
    var checksums: [Int: String] { state.checksums ?? [:] }

    func record(_ number: Int, etag: String, checksum: String?) throws {
        state.parts[number] = etag
        if let checksum { state.checksums = (state.checksums ?? [:]).merging([number: checksum]) { $1 } }
        try store?.save(state)
    }

    func save() throws {
        try store?.save(state)
    }
}
