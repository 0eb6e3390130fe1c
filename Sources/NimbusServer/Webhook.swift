import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NimbusCore

/// The server's webhook: a POST to one configured URL when a run ends or pauses, so a program that queued work
/// with `Prefer: respond-async` need not poll. The body is signed: `X-Nimbus-Signature: sha256=<hex>` is the
/// HMAC-SHA256 of `<X-Nimbus-Timestamp>.<body>` with the configured secret. The URL is the server's setting, never
/// a request's: a request cannot make the server call an address of its choosing.
struct Webhook: Sendable {
    let url: String
    let secret: String?
    let logger = Logger(label: "nimbus.server.webhook")

    init?(settings: ServerSettings) {
        guard let url = settings.webhookURL, !url.isEmpty else { return nil }
        self.url = url
        secret = settings.webhookSecret
        if let secret { SecretRedactor.register(secret) }
    }

    /// `sha256=<hex>` over `timestamp.body`.
    static func signature(body: String, timestamp: String, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Posts `event`; tries twice, then logs that it could not.
    func send(_ event: JSONValue) async {
        let body = event.jsonText
        let timestamp = String(Int(Date().timeIntervalSince1970))
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "nimbus/\(NimbusServer.version)")
        request.headers.add(name: "X-Nimbus-Timestamp", value: timestamp)
        if let secret {
            request.headers.add(
                name: "X-Nimbus-Signature", value: Self.signature(body: body, timestamp: timestamp, secret: secret))
        }
        request.body = .bytes(ByteBuffer(string: body))
        for attempt in 1...2 {
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                if (200..<300).contains(response.status.code) { return }
                logger.warning("the webhook answered \(response.status.code)", metadata: ["attempt": "\(attempt)"])
            } catch {
                logger.warning("the webhook could not be reached: \(error)", metadata: ["attempt": "\(attempt)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
