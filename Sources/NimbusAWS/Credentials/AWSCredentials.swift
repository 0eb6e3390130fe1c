public import Foundation
import NimbusCore

/// An access key pair, with the session token of temporary credentials. `description` never shows the secret.
public struct AWSCredentials: Sendable, CustomStringConvertible {
    public let accessKeyID: String
    public let secretAccessKey: String
    public let sessionToken: String?
    /// When temporary credentials stop working; nil for long-term keys.
    public let expiration: Date?
    /// Where they came from, for people (`environment`, `profile dev in ~/.aws/credentials`, `IMDSv2`).
    public let source: String

    public init(
        accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil,
        source: String = "static"
    ) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.source = source
        // Loaded secrets never reach logs, errors or prompts.
        SecretRedactor.register(secretAccessKey)
        if let sessionToken { SecretRedactor.register(sessionToken) }
    }

    public var description: String {
        "AWSCredentials(\(accessKeyID), from \(source)\(expiration.map { ", expires \($0)" } ?? ""))"
    }

    /// Whether the credentials will have expired `margin` from now.
    public func expires(within margin: TimeInterval, now: Date = Date()) -> Bool {
        guard let expiration else { return false }
        return expiration.timeIntervalSince(now) <= margin
    }
}
