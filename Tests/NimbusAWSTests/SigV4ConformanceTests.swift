import Foundation
import NimbusAWS
import Testing

/// Every case of botocore's aws4 test suite and of aws-c-auth's v4 suite (header and query variants).
@Suite("SigV4 conformance", .enabled(if: Conformance.available, Conformance.missing))
struct SigV4ConformanceTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    struct ParsedRequest {
        var method: String
        var path: String
        var query: String
        var headers: [(name: String, value: String)]
        var body: [UInt8]
    }

    /// Reads a raw request file: request line, headers (with folded continuation lines), blank line, body.
    static func parseRequest(_ text: String) -> ParsedRequest {
        var lines = text.components(separatedBy: "\n")
        let requestLine = lines.removeFirst()
        let method = String(requestLine.prefix { $0 != " " })
        var target = String(requestLine.dropFirst(method.count + 1))
        if let range = target.range(of: " HTTP/", options: .backwards) { target = String(target[..<range.lowerBound]) }
        var path = target
        var query = ""
        if let question = target.firstIndex(of: "?") {
            path = String(target[..<question])
            query = String(target[target.index(after: question)...])
        }
        var headers: [(name: String, value: String)] = []
        var bodyLines: [String] = []
        var inBody = false
        for line in lines {
            if inBody {
                bodyLines.append(line)
                continue
            }
            if line.isEmpty {
                inBody = true
                continue
            }
            if line.first == " " || line.first == "\t", !headers.isEmpty {
                headers[headers.count - 1].value += "\n" + line
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        return ParsedRequest(
            method: method, path: path, query: query, headers: headers,
            body: Array(bodyLines.joined(separator: "\n").utf8))
    }

    static func botocoreCases() -> [String] {
        let root = Conformance.url("sigv4/botocore_aws4_testsuite")
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".req") }.map {
            String($0.dropLast(4))
        }.sorted()
    }

    @Test("botocore aws4_testsuite", arguments: botocoreCases())
    func botocore(_ name: String) throws {
        let base = Conformance.url("sigv4/botocore_aws4_testsuite/\(name)")
        func read(_ suffix: String) throws -> String {
            try String(contentsOf: base.appendingPathExtension(suffix), encoding: .utf8)
        }
        let request = Self.parseRequest(try read("req"))
        // A session token appears in the signed request but not in the request: it came from the credentials.
        let signed = Self.parseRequest(try read("sreq"))
        let token = signed.headers.first { $0.name.lowercased() == "x-amz-security-token" }?.value
        let hasToken = request.headers.contains { $0.name.lowercased() == "x-amz-security-token" }
        let credentials = AWSCredentials(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: Self.secret, sessionToken: hasToken ? nil : token)
        // post-sts-header-after adds the token after signing: the expected canonical request does not sign it.
        let omitToken = !(try read("creq")).contains("x-amz-security-token")
        let signature = SigV4Signer.sign(
            method: request.method, path: request.path, query: request.query, headers: request.headers,
            body: request.body, credentials: credentials, date: Self.date,
            options: SigningOptions(service: "service", region: "us-east-1", omitSessionTokenFromSignature: omitToken))
        #expect(signature.canonicalRequest == (try read("creq")))
        #expect(signature.stringToSign == (try read("sts")))
        let authorization = signature.headers.first { $0.name == "Authorization" }?.value
        #expect(authorization == (try read("authz")))
    }

    static func awsCCases() -> [String] {
        let root = Conformance.url("sigv4/aws-c-auth_aws-signing-test-suite/v4")
        return ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted()
    }

    struct Context: Decodable {
        struct Credentials: Decodable {
            let access_key_id: String
            let secret_access_key: String
            let token: String?
        }
        let credentials: Credentials
        let expiration_in_seconds: Int
        let normalize: Bool
        let region: String
        let service: String
        let sign_body: Bool
        let omit_session_token: Bool?
    }

    enum Variant: String, CaseIterable { case header, query }

    @Test("aws-c-auth v4 suite", arguments: awsCCases(), Variant.allCases)
    func awsC(_ name: String, variant: Variant) throws {
        let base = Conformance.url("sigv4/aws-c-auth_aws-signing-test-suite/v4/\(name)")
        func read(_ file: String) throws -> String {
            try String(contentsOf: base.appendingPathComponent(file), encoding: .utf8)
        }
        let context = try JSONDecoder().decode(Context.self, from: Data(try read("context.json").utf8))
        let request = Self.parseRequest(try read("request.txt"))
        let credentials = AWSCredentials(
            accessKeyID: context.credentials.access_key_id, secretAccessKey: context.credentials.secret_access_key,
            sessionToken: context.credentials.token)
        let options = SigningOptions(
            service: context.service, region: context.region, normalizePath: context.normalize,
            addContentSHA256Header: context.sign_body && variant == .header,
            omitSessionTokenFromSignature: context.omit_session_token ?? false)
        let signature: SigV4Signature
        switch variant {
        case .header:
            signature = SigV4Signer.sign(
                method: request.method, path: request.path, query: request.query, headers: request.headers,
                body: request.body, credentials: credentials, date: Self.date, options: options)
        case .query:
            signature = SigV4Signer.presign(
                method: request.method, path: request.path, query: request.query, headers: request.headers,
                body: request.body, credentials: credentials, date: Self.date,
                expires: context.expiration_in_seconds, options: options)
        }
        let prefix = variant.rawValue
        #expect(signature.canonicalRequest == (try read("\(prefix)-canonical-request.txt")))
        #expect(signature.stringToSign == (try read("\(prefix)-string-to-sign.txt")))
        #expect(signature.signature == (try read("\(prefix)-signature.txt")))
        if variant == .query, let query = signature.query {
            // The signed URL carries every X-Amz parameter the expected one does.
            let expected = Self.parseRequest(try read("query-signed-request.txt")).query
            let actualPairs = Set(query.split(separator: "&").map(String.init))
            let expectedPairs = Set(expected.split(separator: "&").map(String.init))
            #expect(actualPairs == expectedPairs)
        }
    }
}
