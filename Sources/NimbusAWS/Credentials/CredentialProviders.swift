import AsyncHTTPClient
public import Foundation
import NIOCore
import NIOHTTP1
import NimbusCore

/// Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
public struct EnvironmentCredentialProvider: CredentialProvider {
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Whether the variables are set at all.
    public var isConfigured: Bool { !(environment["AWS_ACCESS_KEY_ID"] ?? "").isEmpty }

    public func credentials() async throws -> AWSCredentials {
        guard let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty else {
            throw AWSCredentialsError.notFound(tried: ["environment"])
        }
        guard let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
            throw AWSCredentialsError.providerFailed(
                "environment", detail: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
        }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let expiration = environment["AWS_CREDENTIAL_EXPIRATION"].flatMap(Timestamps.parse).map {
            Date(timeIntervalSince1970: $0)
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: token, expiration: expiration,
            source: "environment")
    }
}

/// Runs a profile's `credential_process` and reads the JSON it prints (`Version`, `AccessKeyId`,
/// `SecretAccessKey`, `SessionToken`, `Expiration`).
public struct ProcessCredentialProvider: CredentialProvider {
    public let profile: String
    public let command: String

    public init(profile: String, command: String) {
        self.profile = profile
        self.command = command
    }

    public func credentials() async throws -> AWSCredentials {
        let result: ChildProcess.Result
        do {
            result = try await ChildProcess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", command])
        } catch {
            throw AWSCredentialsError.processFailed(profile, detail: "it could not start: \(error)")
        }
        guard result.status == 0 else {
            throw AWSCredentialsError.processFailed(
                profile, detail: "exit status \(result.status): \(result.errorText.prefix(300))")
        }
        let data = result.output
        guard let json = try? OrderedJSON(parsing: [UInt8](data)) else {
            throw AWSCredentialsError.processFailed(profile, detail: "its output is not JSON")
        }
        if let version = json["Version"]?.intValue, version != 1 {
            throw AWSCredentialsError.processFailed(profile, detail: "Version \(version) is not supported (only 1)")
        }
        guard let key = json["AccessKeyId"]?.stringValue, let secret = json["SecretAccessKey"]?.stringValue else {
            throw AWSCredentialsError.processFailed(profile, detail: "AccessKeyId or SecretAccessKey is missing")
        }
        let expiration = json["Expiration"]?.stringValue.flatMap(Timestamps.parse).map {
            Date(timeIntervalSince1970: $0)
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: json["SessionToken"]?.stringValue,
            expiration: expiration, source: "credential_process of profile \(profile)")
    }
}

/// Small HTTP calls to the credential endpoints of containers and instances.
enum MetadataHTTP {
    static func request(
        _ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], timeout: TimeAmount
    ) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    static func credentials(from text: String, source: String) throws -> AWSCredentials {
        guard let json = try? OrderedJSON(parsing: text),
            let key = json["AccessKeyId"]?.stringValue, let secret = json["SecretAccessKey"]?.stringValue
        else {
            throw AWSCredentialsError.providerFailed(source, detail: "the response has no AccessKeyId/SecretAccessKey")
        }
        if let code = json["Code"]?.stringValue, code != "Success" {
            throw AWSCredentialsError.providerFailed(source, detail: "the endpoint answered \(code)")
        }
        let expiration = json["Expiration"]?.stringValue.flatMap(Timestamps.parse).map {
            Date(timeIntervalSince1970: $0)
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: json["Token"]?.stringValue,
            expiration: expiration, source: source)
    }
}

/// ECS (and EKS Pod Identity) container credentials: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` on 169.254.170.2, or
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI` with `AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)`.
public struct ContainerCredentialProvider: CredentialProvider {
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public var isConfigured: Bool {
        environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] != nil
            || environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] != nil
    }

    public func credentials() async throws -> AWSCredentials {
        let url: String
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] {
            url = "http://169.254.170.2" + relative
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"] {
            // Credentials only travel over TLS or to the machine itself / the container agent.
            guard let parsed = URL(string: full), let host = parsed.host,
                parsed.scheme == "https" || host == "localhost" || host.hasPrefix("127.") || host == "169.254.170.2"
                    || host == "169.254.170.23"
            else {
                throw AWSCredentialsError.providerFailed(
                    "container", detail: "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a loopback address")
            }
            url = full
        } else {
            throw AWSCredentialsError.notFound(tried: ["container"])
        }
        var headers: [(String, String)] = []
        if let tokenFile = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] {
            guard let token = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw AWSCredentialsError.providerFailed("container", detail: "cannot read \(tokenFile)")
            }
            headers.append(("Authorization", token.trimmingCharacters(in: .whitespacesAndNewlines)))
        } else if let token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"] {
            headers.append(("Authorization", token))
        }
        let response: (status: Int, body: String)
        do {
            response = try await MetadataHTTP.request(url, headers: headers, timeout: .seconds(2))
        } catch {
            throw AWSCredentialsError.providerFailed("container", detail: "\(url) did not answer: \(error)")
        }
        guard response.status == 200 else {
            throw AWSCredentialsError.providerFailed("container", detail: "\(url) answered HTTP \(response.status)")
        }
        return try MetadataHTTP.credentials(from: response.body, source: "container endpoint")
    }
}

/// The EC2 instance role through IMDSv2: a session token from `PUT /latest/api/token`, then the role's
/// credentials. `AWS_EC2_METADATA_SERVICE_ENDPOINT` moves it; `AWS_EC2_METADATA_DISABLED=true` turns it off.
public struct InstanceMetadataCredentialProvider: CredentialProvider {
    public let endpoint: String
    let timeout: TimeAmount
    public let disabled: Bool

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        var endpoint = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? "http://169.254.169.254"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        let seconds = Double(environment["AWS_METADATA_SERVICE_TIMEOUT"] ?? "") ?? 1
        timeout = .milliseconds(Int64(seconds * 1000))
        disabled = environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true"
    }

    public func credentials() async throws -> AWSCredentials {
        guard !disabled else { throw AWSCredentialsError.notFound(tried: ["IMDSv2 (disabled)"]) }
        let token: (status: Int, body: String)
        do {
            token = try await MetadataHTTP.request(
                endpoint + "/latest/api/token", method: .PUT,
                headers: [("X-aws-ec2-metadata-token-ttl-seconds", "21600")], timeout: timeout)
        } catch {
            throw AWSCredentialsError.notFound(tried: ["IMDSv2 (no instance metadata service at \(endpoint))"])
        }
        guard token.status == 200 else {
            throw AWSCredentialsError.providerFailed(
                "IMDSv2", detail: "the token request answered HTTP \(token.status)")
        }
        let headers = [("X-aws-ec2-metadata-token", token.body)]
        let base = endpoint + "/latest/meta-data/iam/security-credentials/"
        let roles = try await MetadataHTTP.request(base, headers: headers, timeout: timeout)
        guard roles.status == 200, let role = roles.body.split(separator: "\n").first.map(String.init) else {
            throw AWSCredentialsError.providerFailed("IMDSv2", detail: "the instance has no IAM role")
        }
        let response = try await MetadataHTTP.request(base + role, headers: headers, timeout: timeout)
        guard response.status == 200 else {
            throw AWSCredentialsError.providerFailed("IMDSv2", detail: "role \(role) answered HTTP \(response.status)")
        }
        return try MetadataHTTP.credentials(from: response.body, source: "IMDSv2 role \(role)")
    }
}

/// Keeps credentials until shortly before they expire, then fetches new ones; callers waiting meanwhile share
/// one refresh.
public actor CachedCredentialProvider: CredentialProvider {
    private let base: any CredentialProvider
    private let refreshMargin: TimeInterval
    private var cached: AWSCredentials?
    private var refreshing: Task<AWSCredentials, any Error>?

    /// - Parameter refreshMargin: how long before expiry to fetch new credentials.
    public init(_ base: any CredentialProvider, refreshMargin: TimeInterval = 300) {
        self.base = base
        self.refreshMargin = refreshMargin
    }

    public func credentials() async throws -> AWSCredentials {
        if let cached, !cached.expires(within: refreshMargin) { return cached }
        if let refreshing { return try await refreshing.value }
        let task = Task { try await base.credentials() }
        refreshing = task
        defer { refreshing = nil }
        do {
            let fresh = try await task.value
            if let expiration = fresh.expiration, expiration <= Date() {
                throw AWSCredentialsError.expired(
                    source: fresh.source, at: Timestamps.iso8601(expiration.timeIntervalSince1970))
            }
            cached = fresh
            return fresh
        } catch {
            // Credentials still valid for a while are better than none while the source is down.
            if let cached, let expiration = cached.expiration, expiration > Date().addingTimeInterval(30) {
                return cached
            }
            if let cached, let expiration = cached.expiration, expiration <= Date() {
                throw AWSCredentialsError.expired(
                    source: cached.source, at: Timestamps.iso8601(expiration.timeIntervalSince1970))
            }
            throw error
        }
    }
}
