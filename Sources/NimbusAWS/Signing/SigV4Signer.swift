import Crypto
public import Foundation
public import NimbusCore
import Synchronization

/// What the payload hash of a signature is: the body's SHA-256, or one of the special values S3 accepts.
public enum PayloadHash: Sendable, Equatable {
    /// The SHA-256 of the body, computed by the signer.
    case body
    /// A hash computed elsewhere (lower-case hex).
    case precomputed(String)
    /// `UNSIGNED-PAYLOAD`: S3 takes the body unsigned (presigned URLs, streamed uploads with a checksum).
    case unsigned
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: the body is sent in signed chunks (see ``SigV4ChunkSigner``).
    case streaming

    var literal: String? {
        switch self {
        case .unsigned: "UNSIGNED-PAYLOAD"
        case .streaming: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
        case .precomputed(let hash): hash
        case .body: nil
        }
    }
}

/// How to sign: the scope (service, region) and the rules that differ between services.
public struct SigningOptions: Sendable {
    /// The signing name of the service (`s3`, `execute-api`, `bedrock`).
    public var service: String
    public var region: String
    /// Remove `.`/`..` segments and repeated slashes from the path (every service but S3).
    public var normalizePath: Bool
    /// Percent-encode the already-encoded path again (every service but S3).
    public var doubleEncodePath: Bool
    /// Add and sign `x-amz-content-sha256` (S3 requires it).
    public var addContentSHA256Header: Bool
    /// What the payload hash is.
    public var payloadHash: PayloadHash
    /// Add the session token after signing instead of signing it (a few services want that).
    public var omitSessionTokenFromSignature: Bool

    public init(
        service: String, region: String, normalizePath: Bool = true, doubleEncodePath: Bool = true,
        addContentSHA256Header: Bool = false, payloadHash: PayloadHash = .body,
        omitSessionTokenFromSignature: Bool = false
    ) {
        self.service = service
        self.region = region
        self.normalizePath = normalizePath
        self.doubleEncodePath = doubleEncodePath
        self.addContentSHA256Header = addContentSHA256Header
        self.payloadHash = payloadHash
        self.omitSessionTokenFromSignature = omitSessionTokenFromSignature
    }

    /// S3's rules: no path normalisation or double encoding, and a signed `x-amz-content-sha256`.
    public static func s3(region: String, payloadHash: PayloadHash = .body, service: String = "s3") -> SigningOptions {
        SigningOptions(
            service: service, region: region, normalizePath: false, doubleEncodePath: false,
            addContentSHA256Header: true, payloadHash: payloadHash)
    }
}

/// The parts of a signature, for tests and for debugging a `SignatureDoesNotMatch`.
public struct SigV4Signature: Sendable {
    /// Kept as bytes and made text only when asked for: signing a request never needs them as `String`s.
    private let canonicalRequestBytes: [UInt8]
    private let stringToSignBytes: [UInt8]
    public var canonicalRequest: String { String(decoding: canonicalRequestBytes, as: UTF8.self) }
    public var stringToSign: String { String(decoding: stringToSignBytes, as: UTF8.self) }
    public let signature: String
    /// Headers to add to the request (`X-Amz-Date`, `Authorization`, …), or for a presigned URL, empty.
    public let headers: [(name: String, value: String)]
    /// For a presigned URL, the complete query string (already encoded) to use instead of the original.
    public let query: String?

    init(
        canonicalRequest: [UInt8], stringToSign: [UInt8], signature: String, headers: [(name: String, value: String)],
        query: String?
    ) {
        canonicalRequestBytes = canonicalRequest
        stringToSignBytes = stringToSign
        self.signature = signature
        self.headers = headers
        self.query = query
    }
}

/// AWS Signature Version 4: signs requests with headers or presigns URLs, with S3's rules, session tokens and
/// chunk signatures for streamed payloads.
///
/// Signing is fast: the signing key is cached per day, region and service, dates are formatted without
/// Foundation, and the canonical request is built in one pass over bytes.
public struct SigV4Signer: HTTPRequestSigner {
    public let credentials: any CredentialProvider
    public let options: SigningOptions

    /// A signer that takes credentials from `credentials` at each request.
    public init(credentials: any CredentialProvider, options: SigningOptions) {
        self.credentials = credentials
        self.options = options
    }

    // MARK: HTTPRequestSigner

    public func signatureHeaders(
        method: String, url: URL, headers: [(name: String, value: String)], body: [UInt8]
    ) async throws -> [(name: String, value: String)] {
        let credentials = try await credentials.credentials()
        var headers = headers
        if !headers.contains(where: { $0.name.lowercased() == "host" }) {
            headers.append(("host", SigV4Signer.hostHeader(for: url)))
        }
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let path = components?.percentEncodedPath ?? "/"
        let signature = SigV4Signer.sign(
            method: method, path: path.isEmpty ? "/" : path, query: components?.percentEncodedQuery ?? "",
            headers: headers, body: body, credentials: credentials, date: Date(), options: options)
        return signature.headers
    }

    /// The `Host` header value for `url` (with the port when it is not the scheme's default).
    public static func hostHeader(for url: URL) -> String {
        let host = url.host ?? ""
        guard let port = url.port else { return host }
        if (url.scheme == "https" && port == 443) || (url.scheme == "http" && port == 80) { return host }
        return "\(host):\(port)"
    }

    // MARK: Header signing

    /// Signs a request with an `Authorization` header.
    ///
    /// - Parameters:
    ///   - path: the path as sent (percent-encoded).
    ///   - query: the query as sent, without `?` (percent-encoded).
    ///   - headers: the headers as sent, including `Host`.
    ///   - body: the body, hashed unless `options.payloadHash` says otherwise.
    public static func sign(
        method: String, path: String, query: String, headers: [(name: String, value: String)],
        body: some Collection<UInt8> = [UInt8](), credentials: AWSCredentials, date: Date,
        options: SigningOptions
    ) -> SigV4Signature {
        let stamp = AmzDate(date)
        let payloadHash = options.payloadHash.literal ?? hexSHA256(body)
        var added: [(name: String, value: String)] = []
        if !headers.contains(where: { $0.name.caseInsensitiveEquals("x-amz-date") }) {
            added.append(("X-Amz-Date", stamp.dateTime))
        }
        if options.addContentSHA256Header,
            !headers.contains(where: { $0.name.caseInsensitiveEquals("x-amz-content-sha256") })
        {
            added.append(("x-amz-content-sha256", payloadHash))
        }
        var lateHeaders: [(name: String, value: String)] = []
        if let token = credentials.sessionToken,
            !headers.contains(where: { $0.name.caseInsensitiveEquals("x-amz-security-token") })
        {
            if options.omitSessionTokenFromSignature {
                lateHeaders.append(("X-Amz-Security-Token", token))
            } else {
                added.append(("X-Amz-Security-Token", token))
            }
        }
        // The canonical request, the string to sign and the header, built as bytes in one buffer each.
        let canonical = canonicalHeaderBytes(headers, adding: added)
        var request = [UInt8]()
        request.reserveCapacity(256 + canonical.text.count + canonical.names.count)
        request.append(contentsOf: method.utf8)
        request.append(0x0A)
        appendCanonicalPath(path, options: options, to: &request)
        request.append(0x0A)
        request.append(contentsOf: canonicalQuery(query).utf8)
        request.append(0x0A)
        request.append(contentsOf: canonical.text)
        request.append(0x0A)
        request.append(contentsOf: canonical.names)
        request.append(0x0A)
        request.append(contentsOf: payloadHash.utf8)

        var scope = [UInt8]()
        scope.reserveCapacity(64)
        scope.append(contentsOf: stamp.date.utf8)
        scope.append(0x2F)
        scope.append(contentsOf: options.region.utf8)
        scope.append(0x2F)
        scope.append(contentsOf: options.service.utf8)
        scope.append(contentsOf: "/aws4_request".utf8)

        var toSign = [UInt8]()
        toSign.reserveCapacity(160 + scope.count)
        toSign.append(contentsOf: "AWS4-HMAC-SHA256\n".utf8)
        toSign.append(contentsOf: stamp.dateTime.utf8)
        toSign.append(0x0A)
        toSign.append(contentsOf: scope)
        toSign.append(0x0A)
        request.withUnsafeBytes { appendHex(SHA256.hash(data: $0), to: &toSign) }

        var mac = signingMAC(
            secret: credentials.secretAccessKey, date: stamp.date, region: options.region, service: options.service)
        toSign.withUnsafeBytes { mac.update(data: $0) }
        var signatureBytes = [UInt8]()
        signatureBytes.reserveCapacity(64)
        appendHex(mac.finalize(), to: &signatureBytes)

        var authorization = [UInt8]()
        authorization.reserveCapacity(128 + scope.count + canonical.names.count)
        authorization.append(contentsOf: "AWS4-HMAC-SHA256 Credential=".utf8)
        authorization.append(contentsOf: credentials.accessKeyID.utf8)
        authorization.append(0x2F)
        authorization.append(contentsOf: scope)
        authorization.append(contentsOf: ", SignedHeaders=".utf8)
        authorization.append(contentsOf: canonical.names)
        authorization.append(contentsOf: ", Signature=".utf8)
        authorization.append(contentsOf: signatureBytes)
        return SigV4Signature(
            canonicalRequest: request, stringToSign: toSign,
            signature: String(decoding: signatureBytes, as: UTF8.self),
            headers: added + lateHeaders + [("Authorization", String(decoding: authorization, as: UTF8.self))],
            query: nil)
    }

    // MARK: Presigning

    /// Presigns a request: the returned signature's `query` replaces the request's query.
    ///
    /// - Parameter expires: how long the URL works, at most 7 days.
    public static func presign(
        method: String, path: String, query: String, headers: [(name: String, value: String)],
        body: some Collection<UInt8> = [UInt8](), credentials: AWSCredentials, date: Date, expires: Int,
        options: SigningOptions
    ) -> SigV4Signature {
        let stamp = AmzDate(date)
        let scope = "\(stamp.date)/\(options.region)/\(options.service)/aws4_request"
        let canonical = canonicalHeaders(headers)
        var parameters: [(String, String)] = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope)"),
            ("X-Amz-Date", stamp.dateTime),
            ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", canonical.signedNames),
        ]
        var lateToken: String?
        if let token = credentials.sessionToken {
            if options.omitSessionTokenFromSignature {
                lateToken = token
            } else {
                parameters.append(("X-Amz-Security-Token", token))
            }
        }
        var fullQuery = query
        for (name, value) in parameters {
            if !fullQuery.isEmpty { fullQuery += "&" }
            fullQuery += uriEncode(name) + "=" + uriEncode(value)
        }
        let payloadHash = options.payloadHash.literal ?? hexSHA256(body)
        let canonicalRequest =
            method + "\n" + canonicalPath(path, options: options) + "\n" + canonicalQuery(fullQuery) + "\n"
            + canonical.text + "\n" + canonical.signedNames + "\n" + payloadHash
        let stringToSign = "AWS4-HMAC-SHA256\n\(stamp.dateTime)\n\(scope)\n\(hexSHA256(Array(canonicalRequest.utf8)))"
        let key = signingKey(
            secret: credentials.secretAccessKey, date: stamp.date, region: options.region, service: options.service)
        let signature = hexHMAC(key: key, Array(stringToSign.utf8))
        if let lateToken { fullQuery += "&X-Amz-Security-Token=" + uriEncode(lateToken) }
        fullQuery += "&X-Amz-Signature=" + signature
        return SigV4Signature(
            canonicalRequest: Array(canonicalRequest.utf8), stringToSign: Array(stringToSign.utf8),
            signature: signature,
            headers: [], query: fullQuery)
    }

    // MARK: Canonical forms

    /// Headers that are never signed: proxies and clients change them.
    static let unsignedHeaders: Set<String> = [
        "authorization", "user-agent", "x-amzn-trace-id", "expect", "transfer-encoding", "connection",
    ]

    /// Lower-case names, trimmed values with inner runs of spaces collapsed, duplicates joined with commas.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (text: String, signedNames: String) {
        let canonical = canonicalHeaderBytes(headers)
        return (String(decoding: canonical.text, as: UTF8.self), String(decoding: canonical.names, as: UTF8.self))
    }

    /// ``canonicalHeaders(_:)`` as bytes: `name:value\n` lines, and the signed names joined with `;`.
    static func canonicalHeaderBytes(
        _ given: [(name: String, value: String)], adding extra: [(name: String, value: String)] = []
    ) -> (text: [UInt8], names: [UInt8]) {
        let count = given.count + extra.count
        func header(_ index: Int) -> (name: String, value: String) {
            index < given.count ? given[index] : extra[index - given.count]
        }
        // Every lower-cased name in one buffer; entries point into it (no array per header).
        var nameBytes = [UInt8]()
        nameBytes.reserveCapacity(
            given.reduce(0) { $0 + $1.name.utf8.count } + extra.reduce(0) { $0 + $1.name.utf8.count })
        var entries: [(start: Int, end: Int, header: Int)] = []
        entries.reserveCapacity(count)
        for index in 0..<count {
            let start = nameBytes.count
            nameBytes.append(contentsOf: header(index).name.utf8)
            nameBytes.withUnsafeMutableBufferPointer { buffer in
                for position in start..<buffer.count where buffer[position] >= 0x41 && buffer[position] <= 0x5A {
                    buffer[position] |= 0x20
                }
            }
            if isUnsigned(nameBytes[start...]) {
                nameBytes.removeSubrange(start...)
                continue
            }
            entries.append((start, nameBytes.count, index))
        }
        func name(_ entry: (start: Int, end: Int, header: Int)) -> ArraySlice<UInt8> {
            nameBytes[entry.start..<entry.end]
        }
        // A stable insertion sort (requests have a handful of headers): duplicates keep the order they were given.
        if entries.count > 1 {
            for position in 1..<entries.count {
                let current = entries[position]
                var slot = position
                while slot > 0, name(current).lexicographicallyPrecedes(name(entries[slot - 1])) {
                    entries[slot] = entries[slot - 1]
                    slot -= 1
                }
                entries[slot] = current
            }
        }
        var text = [UInt8]()
        text.reserveCapacity(
            nameBytes.count + given.reduce(0) { $0 + $1.value.utf8.count }
                + extra.reduce(0) { $0 + $1.value.utf8.count }
                + 2 * entries.count)
        var names = [UInt8]()
        names.reserveCapacity(nameBytes.count + entries.count)
        var position = 0
        while position < entries.count {
            let first = name(entries[position])
            text.append(contentsOf: first)
            text.append(UInt8(ascii: ":"))
            appendTrimmedAndCollapsed(header(entries[position].header).value, to: &text)
            position += 1
            while position < entries.count, name(entries[position]) == first {
                text.append(UInt8(ascii: ","))
                appendTrimmedAndCollapsed(header(entries[position].header).value, to: &text)
                position += 1
            }
            text.append(0x0A)
            if !names.isEmpty { names.append(UInt8(ascii: ";")) }
            names.append(contentsOf: first)
        }
        return (text, names)
    }

    private static let unsignedHeaderBytes = unsignedHeaders.map { Array($0.utf8) }

    static func isUnsigned(_ lowercasedName: ArraySlice<UInt8>) -> Bool {
        unsignedHeaderBytes.contains { $0.count == lowercasedName.count && $0.elementsEqual(lowercasedName) }
    }

    /// Appends the value trimmed, with inner runs of white space collapsed to one space.
    static func appendTrimmedAndCollapsed(_ value: String, to output: inout [UInt8]) {
        // Most values need nothing: no white space at either end, no tab or line break, no double space.
        var clean = true
        var previousSpace = true  // a space first is not clean
        for byte in value.utf8 {
            if byte == 0x09 || byte == 0x0A || byte == 0x0D || (byte == 0x20 && previousSpace) {
                clean = false
                break
            }
            previousSpace = byte == 0x20
        }
        if (clean && !previousSpace) || value.isEmpty {
            output.append(contentsOf: value.utf8)
            return
        }
        var pendingSpace = false
        var wrote = false
        for byte in value.utf8 {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                pendingSpace = wrote
                continue
            }
            if pendingSpace {
                output.append(0x20)
                pendingSpace = false
            }
            output.append(byte)
            wrote = true
        }
    }

    /// Appends the canonical path; a path of unreserved characters with nothing to normalise is itself.
    static func appendCanonicalPath(_ path: String, options: SigningOptions, to output: inout [UInt8]) {
        var plain = !path.isEmpty
        var previous: UInt8 = 0
        var segmentLength = 0
        var segmentDots = 0
        for byte in path.utf8 {
            if byte == UInt8(ascii: "/") {
                // "//", "/./" and "/../" are what normalisation would change.
                if previous == UInt8(ascii: "/")
                    || (segmentLength > 0 && segmentLength == segmentDots && segmentLength <= 2)
                {
                    plain = false
                    break
                }
                segmentLength = 0
                segmentDots = 0
            } else if unreservedTable[Int(byte)] {
                segmentLength += 1
                if byte == UInt8(ascii: ".") { segmentDots += 1 }
            } else {
                plain = false
                break
            }
            previous = byte
        }
        if plain, segmentLength > 0, segmentLength == segmentDots, segmentLength <= 2 { plain = false }
        if plain, path.utf8.first == UInt8(ascii: "/") {
            output.append(contentsOf: path.utf8)
        } else {
            output.append(contentsOf: canonicalPath(path, options: options).utf8)
        }
    }

    static func canonicalPath(_ path: String, options: SigningOptions) -> String {
        var path = path.isEmpty ? "/" : path
        if options.normalizePath { path = normalize(path) }
        return uriEncode(path, keepSlash: true, keepPercent: !options.doubleEncodePath)
    }

    /// Removes `.` and `..` segments and empty segments, keeping a trailing slash.
    static func normalize(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                if !segments.isEmpty { segments.removeLast() }
                continue
            }
            segments.append(segment)
        }
        var result = "/" + segments.joined(separator: "/")
        if path.hasSuffix("/"), !segments.isEmpty { result += "/" }
        return result
    }

    /// Decodes each key and value, encodes them strictly, sorts by key then value.
    static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        var pairs: [(String, String)] = []
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let (key, value): (Substring, Substring)
            if let equals = pair.firstIndex(of: "=") {
                key = pair[..<equals]
                value = pair[pair.index(after: equals)...]
            } else {
                key = pair
                value = ""
            }
            pairs.append((uriEncode(percentDecode(key)), uriEncode(percentDecode(value))))
        }
        pairs.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        var result = ""
        for (index, pair) in pairs.enumerated() {
            if index > 0 { result += "&" }
            result += pair.0 + "=" + pair.1
        }
        return result
    }

    // MARK: Keys and hashes

    private static let keyCache = Mutex<
        (date: String, region: String, service: String, secret: String, key: SymmetricKey, mac: HMAC<SHA256>)?
    >(nil)

    /// The derived signing key, cached for the last scope used (a day, a region, a service) and secret.
    static func signingKey(secret: String, date: String, region: String, service: String) -> SymmetricKey {
        cachedKey(secret: secret, date: date, region: region, service: service).key
    }

    /// An HMAC keyed with the signing key, ready for the string to sign (a copy of the cached one: keying costs
    /// two hash blocks that every signature of the day would otherwise repeat).
    static func signingMAC(secret: String, date: String, region: String, service: String) -> HMAC<SHA256> {
        cachedKey(secret: secret, date: date, region: region, service: service).mac
    }

    private static func cachedKey(
        secret: String, date: String, region: String, service: String
    ) -> (key: SymmetricKey, mac: HMAC<SHA256>) {
        let hit = keyCache.withLock { cached -> (SymmetricKey, HMAC<SHA256>)? in
            guard let cached, cached.date == date, cached.region == region, cached.service == service,
                cached.secret == secret
            else { return nil }
            return (cached.key, cached.mac)
        }
        if let hit { return hit }
        var key = SymmetricKey(data: Array(("AWS4" + secret).utf8))
        for part in [date, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        let mac = HMAC<SHA256>(key: key)
        keyCache.withLock { $0 = (date, region, service, secret, key, mac) }
        return (key, mac)
    }

    static func hexSHA256(_ bytes: some Collection<UInt8>) -> String {
        if let digest = bytes.withContiguousStorageIfAvailable({ SHA256.hash(data: UnsafeRawBufferPointer($0)) }) {
            return hex(digest)
        }
        return hex(SHA256.hash(data: Array(bytes)))
    }

    static func hexHMAC(key: SymmetricKey, _ bytes: [UInt8]) -> String {
        hex(HMAC<SHA256>.authenticationCode(for: bytes, using: key))
    }

    static func appendHex(_ bytes: some ContiguousBytes, to output: inout [UInt8]) {
        Hex.append(bytes, to: &output)
    }

    static func hex(_ bytes: some ContiguousBytes) -> String {
        Hex.string(bytes)
    }

}

// MARK: - Encoding

private let unreservedTable: [Bool] = {
    var table = [Bool](repeating: false, count: 256)
    for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(byte)] = true }
    for byte in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(byte)] = true }
    for byte in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(byte)] = true }
    for byte in "-._~".utf8 { table[Int(byte)] = true }
    return table
}()

private let upperHex = Array("0123456789ABCDEF".utf8)

/// RFC 3986 percent-encoding as SigV4 wants it: everything but unreserved characters, optionally keeping `/`
/// (paths) and `%` (paths that are already encoded).
public func uriEncode(_ text: some StringProtocol, keepSlash: Bool = false, keepPercent: Bool = false) -> String {
    var needsWork = false
    for byte in text.utf8 where !unreservedTable[Int(byte)] {
        if (keepSlash && byte == UInt8(ascii: "/")) || (keepPercent && byte == UInt8(ascii: "%")) { continue }
        needsWork = true
        break
    }
    if !needsWork { return String(text) }
    var output = [UInt8]()
    output.reserveCapacity(text.utf8.count * 3)
    for byte in text.utf8 {
        if unreservedTable[Int(byte)] || (keepSlash && byte == UInt8(ascii: "/"))
            || (keepPercent && byte == UInt8(ascii: "%"))
        {
            output.append(byte)
        } else {
            output.append(UInt8(ascii: "%"))
            output.append(upperHex[Int(byte >> 4)])
            output.append(upperHex[Int(byte & 0x0F)])
        }
    }
    return String(decoding: output, as: UTF8.self)
}

/// Decodes `%XX` escapes (a `+` stays a `+`, as AWS reads query strings).
func percentDecode(_ text: some StringProtocol) -> String {
    guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
    var output = [UInt8]()
    var iterator = Array(text.utf8)[...]
    while let byte = iterator.popFirst() {
        if byte == UInt8(ascii: "%"), iterator.count >= 2,
            let high = hexValue(iterator[iterator.startIndex]),
            let low = hexValue(iterator[iterator.startIndex + 1])
        {
            output.append(high << 4 | low)
            iterator = iterator.dropFirst(2)
        } else {
            output.append(byte)
        }
    }
    return String(decoding: output, as: UTF8.self)
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

extension String {
    /// ASCII case-insensitive equality (header names), without allocating.
    func caseInsensitiveEquals(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return zip(utf8, other.utf8).allSatisfy { lhs, rhs in
            lhs == rhs || (lhs | 0x20 == rhs | 0x20 && (lhs | 0x20) >= 0x61 && (lhs | 0x20) <= 0x7A)
        }
    }
}

/// `20150830T123600Z` and `20150830` for a date, computed without Foundation's formatters.
struct AmzDate {
    let dateTime: String
    let date: String

    init(_ value: Date) {
        let seconds = Int(value.timeIntervalSince1970.rounded(.down))
        let civil = CivilTime(epochSeconds: seconds)
        guard (0...9999).contains(civil.year) else {
            func two(_ number: Int) -> String { number < 10 ? "0\(number)" : String(number) }
            date = String(civil.year) + two(civil.month) + two(civil.day)
            dateTime = date + "T" + two(civil.hour) + two(civil.minute) + two(civil.second) + "Z"
            return
        }
        // Digits written into one buffer (four-digit years, as every real signing date has).
        var bytes = [UInt8](repeating: 0, count: 16)
        func put(_ number: Int, digits: Int, at offset: Int) {
            var number = number
            for position in stride(from: offset + digits - 1, through: offset, by: -1) {
                bytes[position] = UInt8(ascii: "0") + UInt8(number % 10)
                number /= 10
            }
        }
        put(civil.year, digits: 4, at: 0)
        put(civil.month, digits: 2, at: 4)
        put(civil.day, digits: 2, at: 6)
        bytes[8] = UInt8(ascii: "T")
        put(civil.hour, digits: 2, at: 9)
        put(civil.minute, digits: 2, at: 11)
        put(civil.second, digits: 2, at: 13)
        bytes[15] = UInt8(ascii: "Z")
        date = String(decoding: bytes[0..<8], as: UTF8.self)
        dateTime = String(decoding: bytes, as: UTF8.self)
    }
}

/// Calendar fields of a UTC instant (Howard Hinnant's days-from-civil algorithm).
struct CivilTime {
    let year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

    init(epochSeconds: Int) {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let secondsOfDay = epochSeconds - days * 86_400
        hour = secondsOfDay / 3600
        minute = secondsOfDay % 3600 / 60
        second = secondsOfDay % 60
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Seconds since 1970 for calendar fields (the inverse of `init(epochSeconds:)`).
    static func epochSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + hour * 3600 + minute * 60 + second
    }
}
