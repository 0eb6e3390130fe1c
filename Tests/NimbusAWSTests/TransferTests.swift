import Crypto
import Foundation
import NimbusAWS
import NimbusCore
import NimbusTesting
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The transfer manager against moto: directories, a 200 MiB file, S3 → S3, resume after SIGKILL, filters, dry run.
@Suite("S3 transfer manager", .serialized)
struct TransferTests {
    func makeBucket(_ aws: AWSClient, _ prefix: String) async throws -> String {
        let bucket = uniqueName(prefix)
        _ = try await aws.call("s3", "CreateBucket", ["Bucket": .string(bucket)])
        return bucket
    }

    @Test("A directory of 1,000 small files up, back down, and S3 to S3")
    func directory() async throws {
        let moto = try await MotoServer.shared()
        let aws = try motoClient(moto)
        let bucket = try await makeBucket(aws, "nimbus-dir")
        let temporary = try TemporaryDirectory()
        let source = temporary.path("source")
        for index in 0..<1000 {
            let directory = "\(source)/d\(index % 10)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data("file \(index) ".utf8 + Data(repeating: UInt8(index % 251), count: index)).write(
                to: URL(fileURLWithPath: "\(directory)/f\(index).txt"))
        }
        let manager = TransferManager(client: aws, options: TransferOptions(concurrency: 16))
        let progressCalls = ProgressCounter()
        let up = try await manager.transfer(from: .local(source), to: .s3(bucket: bucket, key: "data/")) { progress in
            progressCalls.record(progress)
        }
        #expect(up.plan.items.count == 1000)
        #expect(progressCalls.finishedItems == 1000)
        let keys = try await aws.paginate("s3", "ListObjectsV2", ["Bucket": .string(bucket), "Prefix": "data/"]).items()
        #expect(keys.count == 1000)
        #expect(keys.contains { $0["Key"]?.stringValue == "data/d7/f417.txt" })

        let copy = try await manager.transfer(
            from: .s3(bucket: bucket, key: "data/"), to: .s3(bucket: bucket, key: "copy/"))
        #expect(copy.plan.items.count == 1000)

        let target = temporary.path("back")
        _ = try await manager.transfer(from: .s3(bucket: bucket, key: "copy/"), to: .local(target))
        for index in [0, 1, 417, 999] {
            let original = try Data(contentsOf: URL(fileURLWithPath: "\(source)/d\(index % 10)/f\(index).txt"))
            let back = try Data(contentsOf: URL(fileURLWithPath: "\(target)/d\(index % 10)/f\(index).txt"))
            #expect(original == back)
        }
        let downloaded = FileManager.default.enumerator(atPath: target)?.allObjects.compactMap { $0 as? String }.filter
        { $0.hasSuffix(".txt") }
        #expect(downloaded?.count == 1000)
    }

    @Test("Include and exclude globs, and a dry run that moves nothing")
    func filtersAndDryRun() async throws {
        let aws = try motoClient(try await MotoServer.shared())
        let bucket = try await makeBucket(aws, "nimbus-filter")
        let temporary = try TemporaryDirectory()
        for name in ["a.csv", "b.csv", "c.log", "sub/d.csv", "sub/e.tmp"] {
            let path = temporary.path("src/\(name)")
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(name.utf8).write(to: URL(fileURLWithPath: path))
        }
        let dry = TransferManager(
            client: aws, options: TransferOptions(filter: TransferFilter(exclude: ["*.tmp", "*.log"]), dryRun: true))
        let plan = try await dry.transfer(from: .local(temporary.path("src")), to: .s3(bucket: bucket, key: "f"))
        #expect(
            plan.plan.items.map { $0.destination.description }.sorted() == [
                "s3://\(bucket)/f/a.csv", "s3://\(bucket)/f/b.csv", "s3://\(bucket)/f/sub/d.csv",
            ])
        let afterDryRun = try await aws.call("s3", "ListObjectsV2", ["Bucket": .string(bucket)])
        #expect(afterDryRun["KeyCount"]?.intValue == 0)

        let only = TransferManager(client: aws, options: TransferOptions(filter: TransferFilter(include: ["sub/*"])))
        let done = try await only.transfer(from: .local(temporary.path("src")), to: .s3(bucket: bucket, key: ""))
        #expect(done.plan.items.count == 2)
    }

    @Test("A 200 MiB file in parallel parts, with bounded memory, and back")
    func largeFile() async throws {
        let aws = try motoClient(try await MotoServer.shared())
        let bucket = try await makeBucket(aws, "nimbus-large")
        let temporary = try TemporaryDirectory()
        let path = temporary.path("large.bin")
        let size = 200 << 20
        let sourceDigest = try writeRandomFile(path, size: size)
        let rssBefore = peakRSS()
        let manager = TransferManager(client: aws, options: TransferOptions(concurrency: 8, partSize: 8 << 20))
        let summary = try await manager.transfer(from: .local(path), to: .s3(bucket: bucket, key: "big/large.bin"))
        #expect(summary.bytes == size)
        let head = try await aws.call("s3", "HeadObject", ["Bucket": .string(bucket), "Key": "big/large.bin"])
        #expect(head["ContentLength"]?.intValue == size)
        #expect(head["ETag"]?.stringValue?.hasSuffix("-25\"") == true)
        // The parts went with CRC32 checksums: the store reports the composite one, which the manager has already
        // checked against its own (a mismatch throws).
        let checked = try await aws.call(
            "s3", "HeadObject", ["Bucket": .string(bucket), "Key": "big/large.bin", "ChecksumMode": "ENABLED"])
        // (S3 writes it as `<base64>-25`; moto leaves the part count out.)
        #expect(checked["ChecksumCRC32"]?.stringValue?.isEmpty == false)

        let back = temporary.path("back.bin")
        _ = try await manager.transfer(from: .s3(bucket: bucket, key: "big/large.bin"), to: .local(back))
        #expect(try digest(of: back) == sourceDigest)
        // Parts are read and written one at a time: peak memory grows by far less than the file.
        let growth = peakRSS() - rssBefore
        #expect(growth < 150 << 20, "peak RSS grew by \(growth >> 20) MiB for a 200 MiB transfer")

        let copy = try await manager.transfer(
            from: .s3(bucket: bucket, key: "big/large.bin"), to: .s3(bucket: bucket, key: "copied.bin"))
        #expect(copy.bytes == size)
        let copiedHead = try await aws.call("s3", "HeadObject", ["Bucket": .string(bucket), "Key": "copied.bin"])
        #expect(copiedHead["ContentLength"]?.intValue == size)
    }
}

final class ProgressCounter: Sendable {
    private let finished = Mutex(0)
    func record(_ progress: TransferProgress) {
        if progress.finished != nil { finished.withLock { $0 += 1 } }
    }
    var finishedItems: Int { finished.withLock { $0 } }
}

/// Writes `size` pseudo-random bytes a megabyte at a time; returns their SHA-256.
func writeRandomFile(_ path: String, size: Int) throws -> String {
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    var hasher = SHA256()
    var generator = SystemRandomNumberGenerator()
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    var written = 0
    while written < size {
        let count = min(chunk.count, size - written)
        for index in stride(from: 0, to: count, by: 8) {
            let value = generator.next() as UInt64
            withUnsafeBytes(of: value) { bytes in
                for offset in 0..<min(8, count - index) { chunk[index + offset] = bytes[offset] }
            }
        }
        hasher.update(data: chunk[0..<count])
        try handle.write(contentsOf: chunk[0..<count])
        written += count
    }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
}

func digest(of path: String) throws -> String {
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    var hasher = SHA256()
    while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty { hasher.update(data: data) }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
}

/// This process's peak resident set size (VmHWM), in bytes.
func peakRSS() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }
    return 0
}
