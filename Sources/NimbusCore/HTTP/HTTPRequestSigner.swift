public import Foundation

/// Signs HTTP requests for services that require it (AWS SigV4 for Amazon Bedrock), so a module that sends such
/// requests need not depend on the module that signs them.
///
/// NimbusAWS's SigV4 signer conforms; NimbusLLM's Bedrock provider takes any signer.
public protocol HTTPRequestSigner: Sendable {
    /// The headers to add to a request so it is signed (`Authorization`, `X-Amz-Date`, …).
    ///
    /// - Parameters:
    ///   - method: the HTTP method, upper case.
    ///   - url: the full URL, with its query.
    ///   - headers: the headers the request will carry, before signing.
    ///   - body: the exact body bytes (empty for none).
    func signatureHeaders(
        method: String, url: URL, headers: [(name: String, value: String)], body: [UInt8]
    )
        async throws -> [(name: String, value: String)]
}
