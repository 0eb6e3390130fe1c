/// Something that supplies AWS credentials: the environment, a profile, a container or instance role, a chain of
/// those. Providers that reach the network cache their result (see ``CachedCredentialProvider``).
public protocol CredentialProvider: Sendable {
    /// Current credentials, or an error that says why there are none.
    func credentials() async throws -> AWSCredentials
}

/// Fixed credentials, for tests and for callers that manage keys themselves.
public struct StaticCredentialProvider: CredentialProvider {
    public let value: AWSCredentials

    public init(_ value: AWSCredentials) { self.value = value }

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        value = AWSCredentials(
            accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken, source: "static")
    }

    public func credentials() async throws -> AWSCredentials { value }
}
