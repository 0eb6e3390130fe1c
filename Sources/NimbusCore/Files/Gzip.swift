import CZlib

/// Gzip and zlib for Nimbus: decompressing the data it bundles gzipped (the AWS service models and the Terraform
/// provider schema), compressing the archives it offers for download, and the CRC-32 that gzip and zip carry.
public enum Gzip {
    /// Decompresses a gzip (or zlib) stream.
    public static func decompress(_ input: [UInt8]) throws(GzipError) -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 32: detect gzip or zlib headers automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw GzipError(message: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        output.reserveCapacity(input.count * 8)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status: Int32 = Z_OK
        var input = input
        input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = UInt32(inputBuffer.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = UInt32(chunkBuffer.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    output.append(contentsOf: chunkBuffer[0..<(chunkBuffer.count - Int(stream.avail_out))])
                }
            } while status == Z_OK
        }
        guard status == Z_STREAM_END else {
            throw GzipError(message: "the compressed data is corrupt (zlib \(status))")
        }
        return output
    }

    /// Compresses `bytes` into a gzip stream (RFC 1952) at `level`, 0 (stored) to 9 (smallest); the header carries
    /// no name and no time, so equal input gives equal output.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        // 15 window bits + 16: a gzip header and trailer around the deflate data.
        deflate(bytes, level: level, windowBits: 15 + 16)
    }

    /// The CRC-32 (IEEE 802.3, the one gzip, zip and S3's `x-amz-checksum-crc32` use) of `bytes`, continuing from
    /// `crc` (the checksum of what came before, 0 at the start).
    public static func crc32(_ bytes: [UInt8], continuing crc: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            var crc = UInt(crc)
            var offset = 0
            // zlib takes at most 4 GiB a call.
            while offset < buffer.count {
                let length = min(buffer.count - offset, Int(UInt32.max))
                crc = CZlib.crc32(crc, buffer.baseAddress! + offset, UInt32(length))
                offset += length
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }

    /// Deflate data of `bytes`: raw (RFC 1951) for windowBits -15, gzip for 15 + 16, zlib for 15.
    static func deflate(_ bytes: [UInt8], level: Int32, windowBits: Int32) -> [UInt8] {
        var stream = z_stream()
        let level = min(max(level, 0), 9)
        let status = deflateInit2_(
            &stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
            Int32(MemoryLayout<z_stream>.size))
        // With a valid level and window, zlib fails to start only when memory runs out, which Swift treats as fatal.
        precondition(status == Z_OK, "zlib could not start compressing (zlib \(status))")
        defer { deflateEnd(&stream) }
        var output = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        bytes.withUnsafeBufferPointer { input in
            var remaining = input.count
            stream.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0) }
            var result: Int32 = Z_OK
            repeat {
                // zlib counts input in 32 bits; it advances next_in itself.
                if stream.avail_in == 0, remaining > 0 {
                    let length = min(remaining, Int(UInt32.max))
                    stream.avail_in = UInt32(length)
                    remaining -= length
                }
                let flush = remaining == 0 ? Z_FINISH : Z_NO_FLUSH
                chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = UInt32(chunkBuffer.count)
                    result = CZlib.deflate(&stream, flush)
                    output.append(contentsOf: chunkBuffer[0..<(chunkBuffer.count - Int(stream.avail_out))])
                }
            } while result == Z_OK
            precondition(result == Z_STREAM_END, "zlib failed while compressing (zlib \(result))")
        }
        return output
    }
}

/// Compressed data that does not decompress.
public struct GzipError: NimbusError {
    public let message: String

    public init(message: String) {
        self.message = message
    }

    public var errorCode: ErrorCode { ErrorCode("gzip", "corrupt", .internal) }
}
