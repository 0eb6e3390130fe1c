import Foundation
import NimbusAWS
import NimbusCore
import NimbusTesting
import Synchronization
import Testing

/// The credential chain with files and environments made by the tests, and IMDSv2 / ECS through small local
/// servers that speak those protocols.
@Suite("Credentials")
struct CredentialTests {
    func chain(
        _ temporary: TemporaryDirectory, profile: String? = nil, environment: [String: String] = [:],
        nimbus: Bool = false
    ) throws -> DefaultCredentialChain {
        var environment = environment
        environment["AWS_CONFIG_FILE"] = environment["AWS_CONFIG_FILE"] ?? temporary.path("config")
        environment["AWS_SHARED_CREDENTIALS_FILE"] =
            environment["AWS_SHARED_CREDENTIALS_FILE"] ?? temporary.path("credentials")
        environment["AWS_EC2_METADATA_DISABLED"] = environment["AWS_EC2_METADATA_DISABLED"] ?? "true"
        return DefaultCredentialChain(
            explicitProfile: profile, environment: environment,
            files: try SharedConfigFiles.load(environment: environment, homeDirectory: temporary.url.path),
            nimbusFile: nimbus ? NimbusCredentialsFile(home: temporary.url) : nil, region: "us-east-1",
            callGuard: UncheckedAWSCalls())
    }

    func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test("Environment variables come first")
    func environment() async throws {
        let temporary = try TemporaryDirectory()
        try write(
            "[default]\naws_access_key_id = AKIAFROMFILE0000000\naws_secret_access_key = filesecret-123456\n",
            to: temporary.path("credentials"))
        let credentials = try await chain(
            temporary,
            environment: [
                "AWS_ACCESS_KEY_ID": "AKIAFROMENV00000000", "AWS_SECRET_ACCESS_KEY": "envsecret-1234567",
                "AWS_SESSION_TOKEN": "token-abcdefgh",
            ]
        ).credentials()
        #expect(credentials.accessKeyID == "AKIAFROMENV00000000")
        #expect(credentials.sessionToken == "token-abcdefgh")
        #expect(credentials.source == "environment")
        // Loaded secrets are registered for redaction.
        #expect(!SecretRedactor.redact("secret is envsecret-1234567").contains("envsecret-1234567"))
    }

    @Test("Shared files: profiles, AWS_PROFILE, per-profile region")
    func sharedFiles() async throws {
        let temporary = try TemporaryDirectory()
        try write(
            "[default]\naws_access_key_id = AKIADEFAULT00000000\naws_secret_access_key = default-secret-1\n\n[dev]\naws_access_key_id = AKIADEV000000000000\naws_secret_access_key = dev-secret-12345\n",
            to: temporary.path("credentials"))
        try write("[profile dev]\nregion = eu-west-3\ns3 =\n  addressing_style = path\n", to: temporary.path("config"))
        #expect(try await chain(temporary).credentials().accessKeyID == "AKIADEFAULT00000000")
        let dev = try await chain(temporary, environment: ["AWS_PROFILE": "dev"]).credentials()
        #expect(dev.accessKeyID == "AKIADEV000000000000")
        #expect(dev.source.contains("profile dev"))
        let files = try SharedConfigFiles.load(
            environment: [
                "AWS_CONFIG_FILE": temporary.path("config"),
                "AWS_SHARED_CREDENTIALS_FILE": temporary.path("credentials"),
            ])
        #expect(files.profile("dev")?["region"] == "eu-west-3")
        #expect(files.profile("dev")?["s3.addressing_style"] == "path")
        let client = try AWSClient(
            configuration: AWSConfiguration(
                profile: "dev",
                environment: [
                    "AWS_CONFIG_FILE": temporary.path("config"),
                    "AWS_SHARED_CREDENTIALS_FILE": temporary.path("credentials"),
                ]), callGuard: UncheckedAWSCalls())
        #expect(client.region == "eu-west-3")
        #expect(client.addressingStyle == .path)
    }

    @Test("A malformed file names the file and the line")
    func malformed() throws {
        let temporary = try TemporaryDirectory()
        try write("[default]\naws_access_key_id = AKIA\nthis line is wrong\n", to: temporary.path("credentials"))
        do {
            _ = try chain(temporary)
            Issue.record("expected an error")
        } catch let error as AWSCredentialsError {
            #expect(error.kind == .malformedFile)
            #expect(error.message.contains(temporary.path("credentials") + ", line 3"))
        }
    }

    @Test("An unknown profile lists the known ones")
    func unknownProfile() async throws {
        let temporary = try TemporaryDirectory()
        try write(
            "[default]\naws_access_key_id = AKIADEFAULT00000000\naws_secret_access_key = default-secret-1\n[staging]\naws_access_key_id = AKIASTAGING00000000\naws_secret_access_key = staging-secret\n",
            to: temporary.path("credentials"))
        do {
            _ = try await chain(temporary, profile: "stagin").credentials()
            Issue.record("expected an error")
        } catch let error as AWSCredentialsError {
            #expect(error.kind == .unknownProfile)
            #expect(error.suggestion?.contains("did you mean 'staging'?") == true)
            #expect(error.suggestion?.contains("known profiles: default, staging") == true)
        }
    }

    @Test("credential_process, and expired credentials say so")
    func credentialProcess() async throws {
        let temporary = try TemporaryDirectory()
        let script = temporary.path("creds.sh")
        try write(
            "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROCESS00000000\", \"SecretAccessKey\": \"process-secret-1\", \"SessionToken\": \"process-token-1\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n",
            to: script)
        let expired = temporary.path("expired.sh")
        try write(
            "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAEXPIRED00000000\", \"SecretAccessKey\": \"expired-secret-1\", \"Expiration\": \"2001-01-01T00:00:00Z\"}'\n",
            to: expired)
        try write(
            "[profile proc]\ncredential_process = sh \(script)\n[profile old]\ncredential_process = sh \(expired)\n",
            to: temporary.path("config"))
        let credentials = try await chain(temporary, profile: "proc").credentials()
        #expect(credentials.accessKeyID == "AKIAPROCESS00000000")
        #expect(credentials.sessionToken == "process-token-1")
        do {
            _ = try await chain(temporary, profile: "old").credentials()
            Issue.record("expected an error")
        } catch let error as AWSCredentialsError {
            #expect(error.kind == .expired)
            #expect(error.message.contains("expired at 2001-01-01T00:00:00Z"))
        }
    }

    @Test("role_arn with source_profile assumes the role through STS")
    func assumeRole() async throws {
        let moto = try await MotoServer.shared()
        let temporary = try TemporaryDirectory()
        try write(
            "[base]\naws_access_key_id = AKIABASE00000000000\naws_secret_access_key = base-secret-123\n",
            to: temporary.path("credentials"))
        try write(
            "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\nsource_profile = base\nrole_session_name = nimbus-chain\nregion = us-east-1\n",
            to: temporary.path("config"))
        let credentials = try await chain(
            temporary, profile: "deploy", environment: ["AWS_ENDPOINT_URL": moto.url.absoluteString]
        ).credentials()
        #expect(credentials.source == "AssumeRole arn:aws:iam::123456789012:role/deploy")
        #expect(credentials.sessionToken?.isEmpty == false)
        #expect(credentials.expiration.map { $0 > Date() } == true)
        // The assumed role signs real calls.
        let client = try AWSClient(
            configuration: AWSConfiguration(
                profile: "deploy",
                environment: [
                    "AWS_ENDPOINT_URL": moto.url.absoluteString, "AWS_CONFIG_FILE": temporary.path("config"),
                    "AWS_SHARED_CREDENTIALS_FILE": temporary.path("credentials"),
                ]), callGuard: UncheckedAWSCalls())
        let identity = try await client.call("sts", "GetCallerIdentity")
        #expect(identity["Arn"]?.stringValue?.contains("assumed-role/deploy/nimbus-chain") == true)
    }

    @Test("The Nimbus credentials file keeps secrets encrypted at rest")
    func nimbusFile() async throws {
        let temporary = try TemporaryDirectory()
        let file = NimbusCredentialsFile(home: temporary.url)
        try file.store(
            profile: "vault",
            settings: [
                "aws_access_key_id": "AKIAVAULT0000000000", "aws_secret_access_key": "vault-secret-do-not-leak",
                "region": "ap-south-1",
            ])
        let text = try String(contentsOf: file.path, encoding: .utf8)
        #expect(!text.contains("vault-secret-do-not-leak"))
        #expect(text.contains("enc:v1:"))
        let keyMode = try FileManager.default.attributesOfItem(atPath: file.keyPath.path)[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        let credentials = try await chain(temporary, profile: "vault", nimbus: true).credentials()
        #expect(credentials.secretAccessKey == "vault-secret-do-not-leak")
        // A secret written in plain text is refused, naming the file and line.
        try write(
            "profiles:\n  plain:\n    aws_access_key_id: AKIAPLAIN0000000000\n    aws_secret_access_key: not-encrypted\n",
            to: file.path.path)
        do {
            _ = try file.profiles()
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("credentials.yaml, line 4"))
        }
    }

    @Test("ECS container credentials from the container endpoint")
    func container() async throws {
        let server = try await ScriptedHTTPServer { request in
            guard request.uri == "/v2/credentials/abc",
                request.headers.contains(where: { $0.0.lowercased() == "authorization" && $0.1 == "Bearer ecs-token" })
            else {
                return .init(status: 403)
            }
            return .init(
                body:
                    #"{"AccessKeyId":"AKIAECS000000000000","SecretAccessKey":"ecs-secret-12345","Token":"ecs-session-token","Expiration":"2099-01-01T00:00:00Z"}"#
            )
        }
        defer { Task { await server.stop() } }
        let temporary = try TemporaryDirectory()
        let credentials = try await chain(
            temporary,
            environment: [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.url + "/v2/credentials/abc",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer ecs-token",
            ]
        ).credentials()
        #expect(credentials.accessKeyID == "AKIAECS000000000000")
        #expect(credentials.sessionToken == "ecs-session-token")
    }

    @Test("EC2 instance role through IMDSv2 (token first, then the role)")
    func imds() async throws {
        let server = try await ScriptedHTTPServer { request in
            switch (request.method, request.uri) {
            case ("PUT", "/latest/api/token"):
                return .init(body: "imds-session-token")
            case (_, let uri) where uri.hasPrefix("/latest/meta-data/"):
                guard
                    request.headers.contains(where: {
                        $0.0.lowercased() == "x-aws-ec2-metadata-token" && $0.1 == "imds-session-token"
                    })
                else {
                    return .init(status: 401)
                }
                if uri == "/latest/meta-data/iam/security-credentials/" { return .init(body: "web-role") }
                return .init(
                    body:
                        #"{"Code":"Success","AccessKeyId":"AKIAIMDS00000000000","SecretAccessKey":"imds-secret-1234","Token":"imds-token","Expiration":"2099-01-01T00:00:00Z"}"#
                )
            default:
                return .init(status: 404)
            }
        }
        defer { Task { await server.stop() } }
        let temporary = try TemporaryDirectory()
        let credentials = try await chain(
            temporary,
            environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.url, "AWS_EC2_METADATA_DISABLED": "false"]
        ).credentials()
        #expect(credentials.accessKeyID == "AKIAIMDS00000000000")
        #expect(credentials.source == "IMDSv2 role web-role")
        #expect(server.recorded.first?.method == "PUT")
    }

    @Test("Cached credentials refresh before they expire")
    func cache() async throws {
        let counter = CallCounter()
        let provider = CachedCredentialProvider(counter, refreshMargin: 60)
        _ = try await provider.credentials()
        _ = try await provider.credentials()
        #expect(counter.calls == 2)  // each expires within the margin, so each call refreshes
        let stable = CallCounter(lifetime: 3600)
        let cached = CachedCredentialProvider(stable, refreshMargin: 60)
        _ = try await cached.credentials()
        _ = try await cached.credentials()
        #expect(stable.calls == 1)
    }
}

final class CallCounter: CredentialProvider {
    let lifetime: TimeInterval
    private let count = Mutex(0)
    init(lifetime: TimeInterval = 30) { self.lifetime = lifetime }
    var calls: Int { count.withLock { $0 } }
    func credentials() async throws -> AWSCredentials {
        count.withLock { $0 += 1 }
        return AWSCredentials(
            accessKeyID: "AKIACOUNTER00000000", secretAccessKey: "counter-secret-1",
            expiration: Date().addingTimeInterval(lifetime))
    }
}
