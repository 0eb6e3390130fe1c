import Crypto
public import Foundation

/// Signs a streamed S3 payload chunk by chunk (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`), each signature chained to
/// the one before, starting from the request's seed signature.
///
/// Sign the request with ``PayloadHash/streaming`` and the headers from ``streamingHeaders(decodedLength:chunkSize:)``,
/// then send `chunk(_:)` for each piece of the body and `finalChunk()` last.
public struct SigV4ChunkSigner: Sendable {
    private var previousSignature: String
    private let dateTime: String
    private let scope: String
    private let key: SymmetricKey
    private static let emptyHash = SigV4Signer.hexSHA256([UInt8]())

    /// - Parameters:
    ///   - seedSignature: the signature of the request's headers.
    ///   - date: the same date the request was signed with.
    public init(seedSignature: String, credentials: AWSCredentials, date: Date, options: SigningOptions) {
        let stamp = AmzDate(date)
        previousSignature = seedSignature
        dateTime = stamp.dateTime
        scope = "\(stamp.date)/\(options.region)/\(options.service)/aws4_request"
        key = SigV4Signer.signingKey(
            secret: credentials.secretAccessKey, date: stamp.date, region: options.region, service: options.service)
    }

    /// The framed chunk: `size;chunk-signature=…\r\n<bytes>\r\n`.
    public mutating func chunk(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let signature = sign(bytes)
        var framed = Array((String(bytes.count, radix: 16) + ";chunk-signature=" + signature + "\r\n").utf8)
        framed.reserveCapacity(framed.count + bytes.count + 2)
        framed.append(contentsOf: bytes)
        framed.append(contentsOf: [0x0D, 0x0A])
        return framed
    }

    /// The zero-length chunk that ends the body.
    public mutating func finalChunk() -> [UInt8] { chunk([UInt8]()) }

    /// The signature of the next chunk (exposed for tests against AWS's published example).
    public mutating func sign(_ bytes: some Collection<UInt8>) -> String {
        let stringToSign =
            "AWS4-HMAC-SHA256-PAYLOAD\n\(dateTime)\n\(scope)\n\(previousSignature)\n\(SigV4ChunkSigner.emptyHash)\n"
            + SigV4Signer.hexSHA256(bytes)
        previousSignature = SigV4Signer.hexHMAC(key: key, Array(stringToSign.utf8))
        return previousSignature
    }

    /// The headers a streamed upload of `decodedLength` bytes in chunks of `chunkSize` carries.
    public static func streamingHeaders(decodedLength: Int, chunkSize: Int) -> [(name: String, value: String)] {
        [
            ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", String(decodedLength)),
            ("x-amz-content-sha256", PayloadHash.streaming.literal!),
            ("Content-Length", String(encodedLength(decodedLength: decodedLength, chunkSize: chunkSize))),
        ]
    }

    /// The length of the chunk-encoded body.
    public static func encodedLength(decodedLength: Int, chunkSize: Int) -> Int {
        func framed(_ size: Int) -> Int {
            String(size, radix: 16).utf8.count + ";chunk-signature=".utf8.count + 64 + 2 + size + 2
        }
        let full = decodedLength / chunkSize
        let rest = decodedLength % chunkSize
        return full * framed(chunkSize) + (rest > 0 ? framed(rest) : 0) + framed(0)
    }
}
