import Foundation
import NimbusAWS
import NimbusCore
import Synchronization
import Testing

@Suite("Retries, clock skew and streaming signatures")
struct RetryAndSigningTests {
    func client(_ server: ScriptedHTTPServer, retry: RetryConfiguration) throws -> AWSClient {
        try AWSClient(
            configuration: AWSConfiguration(
                region: "us-east-1",
                credentials: StaticCredentialProvider(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "retry-secret-123"),
                environment: ["AWS_ENDPOINT_URL_DYNAMODB": server.url], retry: retry), callGuard: UncheckedAWSCalls())
    }

    @Test("Throttling is retried with back-off until it passes")
    func throttling() async throws {
        let attempts = Mutex(0)
        let server = try await ScriptedHTTPServer { _ in
            let attempt = attempts.withLock { value -> Int in
                value += 1
                return value
            }
            if attempt < 3 {
                return .init(
                    status: 400, headers: [("x-amzn-RequestId", "req-\(attempt)")],
                    body: #"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"slow down"}"#)
            }
            return .init(body: #"{"TableNames":["a","b"]}"#)
        }
        defer { Task { await server.stop() } }
        let aws = try client(server, retry: RetryConfiguration(maxAttempts: 3, baseDelay: .milliseconds(10)))
        let output = try await aws.call("dynamodb", "ListTables")
        #expect(output["TableNames"] == ["a", "b"])
        #expect(attempts.withLock { $0 } == 3)
        // Two retries cost 5 each; success after a retry refunds one retry's cost.
        #expect(aws.retryStrategy.availableQuota == 495)
    }

    @Test("Attempts run out: the typed error has code, status and request id")
    func exhausted() async throws {
        let server = try await ScriptedHTTPServer { _ in
            .init(
                status: 503, headers: [("x-amzn-RequestId", "req-503")],
                body: #"{"__type":"ServiceUnavailable","message":"try later"}"#)
        }
        defer { Task { await server.stop() } }
        let aws = try client(server, retry: RetryConfiguration(maxAttempts: 2, baseDelay: .milliseconds(5)))
        do {
            _ = try await aws.call("dynamodb", "ListTables")
            Issue.record("expected an error")
        } catch let error as AWSError {
            #expect(error.code == "ServiceUnavailable")
            #expect(error.statusCode == 503)
            #expect(error.requestID == "req-503")
            #expect(error.message.contains("dynamodb ListTables failed with ServiceUnavailable (HTTP 503): try later"))
        }
        #expect(server.recorded.count == 2)
        #expect(aws.retryStrategy.availableQuota == 495)
    }

    @Test("A skewed clock is corrected from the service's Date header")
    func clockSkew() async throws {
        let serverTime = Date().addingTimeInterval(3 * 3600)
        let server = try await ScriptedHTTPServer { request in
            let amzDate = request.headers.first { $0.0.lowercased() == "x-amz-date" }?.1 ?? ""
            let expected = String(Timestamps_iso(serverTime).prefix(11))
            if !amzDate.hasPrefix(expected) {
                return .init(
                    status: 400, headers: [("Date", httpDate(serverTime))],
                    body: #"{"__type":"InvalidSignatureException","message":"Signature expired"}"#)
            }
            return .init(body: #"{"TableNames":[]}"#)
        }
        defer { Task { await server.stop() } }
        let aws = try client(server, retry: RetryConfiguration(maxAttempts: 3, baseDelay: .milliseconds(5)))
        _ = try await aws.call("dynamodb", "ListTables")
        #expect(server.recorded.count == 2)
    }

    @Test("Chunked payload signatures match AWS's published S3 example")
    func chunkSignatures() {
        // The example in the S3 documentation "Signature Calculations for the Authorization Header: Transferring
        // Payload in Multiple Chunks": 65 KiB of 'a' in 64 KiB chunks.
        let credentials = AWSCredentials(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        let date = Date(timeIntervalSince1970: 1_369_353_600)  // 20130524T000000Z
        let options = SigningOptions.s3(region: "us-east-1", payloadHash: .streaming)
        let headers: [(name: String, value: String)] = [
            ("Host", "s3.amazonaws.com"), ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("Content-Encoding", "aws-chunked"), ("x-amz-decoded-content-length", "66560"), ("Content-Length", "66824"),
        ]
        let seed = SigV4Signer.sign(
            method: "PUT", path: "/examplebucket/chunkObject.txt", query: "", headers: headers,
            credentials: credentials,
            date: date, options: options)
        #expect(seed.signature == "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
        var chunks = SigV4ChunkSigner(
            seedSignature: seed.signature, credentials: credentials, date: date, options: options)
        #expect(
            chunks.sign([UInt8](repeating: 0x61, count: 65536))
                == "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648")
        #expect(
            chunks.sign([UInt8](repeating: 0x61, count: 1024))
                == "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497")
        #expect(chunks.sign([UInt8]()) == "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9")
        #expect(SigV4ChunkSigner.encodedLength(decodedLength: 66560, chunkSize: 65536) == 66824)
    }

    @Test("The signer serves other modules through HTTPRequestSigner")
    func requestSignerSeam() async throws {
        let signer: any HTTPRequestSigner = SigV4Signer(
            credentials: StaticCredentialProvider(
                accessKeyID: "AKIDEXAMPLE", secretAccessKey: "seam-secret-1234", sessionToken: "seam-token-123"),
            options: SigningOptions(service: "bedrock", region: "us-west-2"))
        let headers = try await signer.signatureHeaders(
            method: "POST", url: URL(string: "https://bedrock-runtime.us-west-2.amazonaws.com/model/m/converse")!,
            headers: [("Content-Type", "application/json")], body: Array("{}".utf8))
        let authorization = headers.first { $0.name == "Authorization" }?.value ?? ""
        #expect(authorization.contains("/us-west-2/bedrock/aws4_request"))
        #expect(authorization.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token"))
        #expect(headers.contains { $0.name == "X-Amz-Security-Token" && $0.value == "seam-token-123" })
    }
}

private func Timestamps_iso(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
    return formatter.string(from: date)
}

private func httpDate(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return formatter.string(from: date)
}
