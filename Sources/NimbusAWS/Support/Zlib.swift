import CZlib
import NimbusCore

/// The bits of zlib Nimbus needs: gunzip for the bundled models and CRC-32 for S3 checksums.
enum Zlib {
    /// Decompresses a gzip (or zlib) stream.
    static func gunzip(_ input: [UInt8]) throws(AWSModelError) -> [UInt8] {
        do {
            return try Gzip.decompress(input)
        } catch {
            throw .invalidModel(error.message.replacingOccurrences(of: "data", with: "model"))
        }
    }

    /// CRC-32 (as S3's `x-amz-checksum-crc32`) of `bytes`, continuing from `crc`.
    static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        return UInt32(CZlib.crc32(UInt(crc), base.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count)))
    }
}
