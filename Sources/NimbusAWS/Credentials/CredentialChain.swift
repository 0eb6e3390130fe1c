public import Foundation
import NimbusCore

/// Temporary credentials for a role, from STS AssumeRole, signed with another provider's credentials.
public struct AssumeRoleCredentialProvider: CredentialProvider {
    public let roleARN: String
    public let sessionName: String
    public let externalID: String?
    public let durationSeconds: Int?
    public let source: any CredentialProvider
    public let region: String
    public let environment: [String: String]
    /// The guard of the client these credentials are for; the AssumeRole call goes through it.
    public let callGuard: any AWSCallGuard

    public init(
        roleARN: String, sessionName: String? = nil, externalID: String? = nil, durationSeconds: Int? = nil,
        source: any CredentialProvider, region: String,
        environment: [String: String] = ProcessInfo.processInfo.environment, callGuard: any AWSCallGuard
    ) {
        self.callGuard = callGuard
        self.roleARN = roleARN
        self.sessionName = sessionName ?? "nimbus-\(Int(Date().timeIntervalSince1970))"
        self.externalID = externalID
        self.durationSeconds = durationSeconds
        self.source = source
        self.region = region
        self.environment = environment
    }

    public func credentials() async throws -> AWSCredentials {
        let client = try AWSClient(
            configuration: AWSConfiguration(region: region, credentials: source, environment: environment),
            callGuard: CredentialCallGuard(callGuard))
        var input: [String: JSONValue] = ["RoleArn": .string(roleARN), "RoleSessionName": .string(sessionName)]
        if let externalID { input["ExternalId"] = .string(externalID) }
        if let durationSeconds { input["DurationSeconds"] = .int(durationSeconds) }
        let output = try await client.call("sts", "AssumeRole", .object(input))
        guard let credentials = output["Credentials"], let key = credentials["AccessKeyId"]?.stringValue,
            let secret = credentials["SecretAccessKey"]?.stringValue
        else {
            throw AWSCredentialsError.providerFailed("AssumeRole \(roleARN)", detail: "the response has no credentials")
        }
        let expiration = credentials["Expiration"]?.stringValue.flatMap(Timestamps.parse).map {
            Date(timeIntervalSince1970: $0)
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: credentials["SessionToken"]?.stringValue,
            expiration: expiration, source: "AssumeRole \(roleARN)")
    }
}

/// Where a profile is defined, for `nimbus profiles`.
public struct ProfileSummary: Sendable, Equatable {
    public let name: String
    /// `~/.aws/credentials`, `~/.aws/config`, the Nimbus credentials file, the keyring.
    public let sources: [String]
    public let region: String?
    /// How it gets credentials: `keys`, `role_arn via dev`, `credential_process`, `sso (not supported)`.
    public let kind: String
}

/// The standard chain, in order: environment variables; the shared `~/.aws/credentials` and `~/.aws/config`
/// profile (keys, `role_arn` + `source_profile` or `credential_source`, `credential_process`); the Nimbus
/// credentials file; the system keyring; ECS container credentials; the EC2 instance role through IMDSv2.
/// The first source that is configured answers; a configured source that fails is an error, not a fall-through.
public struct DefaultCredentialChain: CredentialProvider {
    /// The profile named with `--profile`, or nil to use `AWS_PROFILE` or `default`.
    public let explicitProfile: String?
    public let environment: [String: String]
    public let files: SharedConfigFiles
    public let nimbusFile: NimbusCredentialsFile?
    /// The region AssumeRole calls use.
    public let region: String
    /// The guard AssumeRole calls go through.
    public let callGuard: any AWSCallGuard

    public init(
        explicitProfile: String?, environment: [String: String], files: SharedConfigFiles,
        nimbusFile: NimbusCredentialsFile?, region: String, callGuard: any AWSCallGuard
    ) {
        self.callGuard = callGuard
        self.explicitProfile = explicitProfile
        self.environment = environment
        self.files = files
        self.nimbusFile = nimbusFile
        self.region = region
    }

    /// The profile in effect: `--profile`, else `AWS_PROFILE`, else `default`.
    public var profileName: String { explicitProfile ?? environment["AWS_PROFILE"] ?? "default" }

    public func credentials() async throws -> AWSCredentials {
        var tried: [String] = []
        // An explicitly chosen profile wins over the environment's keys.
        if explicitProfile == nil {
            let environmentProvider = EnvironmentCredentialProvider(environment: environment)
            if environmentProvider.isConfigured { return try await environmentProvider.credentials() }
            tried.append("environment variables")
        }
        let name = profileName
        if let provider = try profileProvider(name, visited: []) { return try await provider.credentials() }
        tried.append("profile '\(name)' in \(files.credentialsPath) and \(files.configPath)")
        let nimbusProfiles = try nimbusFile?.profiles() ?? [:]
        if let settings = nimbusProfiles[name], let key = settings["aws_access_key_id"],
            let secret = settings["aws_secret_access_key"]
        {
            return AWSCredentials(
                accessKeyID: key, secretAccessKey: secret, sessionToken: settings["aws_session_token"],
                source: "profile \(name) in \(nimbusFile!.path.path)")
        }
        if let nimbusFile { tried.append("profile '\(name)' in \(nimbusFile.path.path)") }
        let keyring = KeyringCredentialProvider(profile: name, environment: environment)
        if keyring.isAvailable {
            if let credentials = try? await keyring.credentials() { return credentials }
            tried.append("keyring (profile \(name))")
        }
        // A profile that was asked for by name and exists nowhere is a typo, not a reason to ask the instance.
        if explicitProfile != nil || environment["AWS_PROFILE"] != nil {
            var known = Set(files.profileNames)
            known.formUnion(nimbusProfiles.keys)
            throw AWSCredentialsError.unknownProfile(name, known: known.sorted())
        }
        let container = ContainerCredentialProvider(environment: environment)
        if container.isConfigured { return try await container.credentials() }
        tried.append("container endpoint")
        let instance = InstanceMetadataCredentialProvider(environment: environment)
        do {
            return try await instance.credentials()
        } catch let error as AWSCredentialsError where error.kind == .notFound {
            tried.append("IMDSv2")
        }
        throw AWSCredentialsError.notFound(tried: tried)
    }

    /// The provider a shared-file profile describes, or nil when the files do not define it.
    func profileProvider(_ name: String, visited: [String]) throws -> (any CredentialProvider)? {
        guard let profile = files.profile(name) else {
            if !visited.isEmpty {
                throw AWSCredentialsError.unknownProfile(name, known: files.profileNames)
            }
            return nil
        }
        let file = profile.files.joined(separator: " and ")
        if let roleARN = profile["role_arn"] {
            guard !visited.contains(name) else {
                throw AWSCredentialsError.incompleteProfile(
                    name, file: file,
                    detail: "has a source_profile loop: \((visited + [name]).joined(separator: " → "))")
            }
            let source: any CredentialProvider
            if let sourceProfile = profile["source_profile"] {
                if sourceProfile == name, profile["aws_access_key_id"] != nil {
                    source = try keysProvider(profile, file: file)
                } else {
                    guard let provider = try profileProvider(sourceProfile, visited: visited + [name]) else {
                        throw AWSCredentialsError.unknownProfile(sourceProfile, known: files.profileNames)
                    }
                    source = provider
                }
            } else if let credentialSource = profile["credential_source"] {
                switch credentialSource {
                case "Environment": source = EnvironmentCredentialProvider(environment: environment)
                case "EcsContainer": source = ContainerCredentialProvider(environment: environment)
                case "Ec2InstanceMetadata": source = InstanceMetadataCredentialProvider(environment: environment)
                default:
                    throw AWSCredentialsError.incompleteProfile(
                        name, file: file,
                        detail:
                            "has credential_source '\(credentialSource)' (known: Environment, EcsContainer, Ec2InstanceMetadata)"
                    )
                }
            } else {
                throw AWSCredentialsError.incompleteProfile(
                    name, file: file, detail: "has role_arn but neither source_profile nor credential_source")
            }
            let provider = AssumeRoleCredentialProvider(
                roleARN: roleARN, sessionName: profile["role_session_name"], externalID: profile["external_id"],
                durationSeconds: profile["duration_seconds"].flatMap { Int($0) }, source: source,
                region: profile["region"] ?? region, environment: environment, callGuard: callGuard)
            return CachedCredentialProvider(provider)
        }
        if let command = profile["credential_process"] {
            return CachedCredentialProvider(ProcessCredentialProvider(profile: name, command: command))
        }
        if profile["aws_access_key_id"] != nil || profile["aws_secret_access_key"] != nil {
            return try keysProvider(profile, file: file)
        }
        if profile["sso_session"] != nil || profile["sso_start_url"] != nil {
            throw AWSCredentialsError.incompleteProfile(
                name, file: file,
                detail: "uses AWS SSO, which Nimbus does not support yet; run `aws configure export-credentials`")
        }
        // A profile with only settings (a region): not a credential source.
        if visited.isEmpty { return nil }
        throw AWSCredentialsError.incompleteProfile(name, file: file, detail: "has no credentials")
    }

    private func keysProvider(_ profile: SharedConfigFiles.Profile, file: String) throws -> any CredentialProvider {
        guard let key = profile["aws_access_key_id"], let secret = profile["aws_secret_access_key"] else {
            throw AWSCredentialsError.incompleteProfile(
                profile.name, file: file, detail: "needs both aws_access_key_id and aws_secret_access_key")
        }
        return StaticCredentialProvider(
            AWSCredentials(
                accessKeyID: key, secretAccessKey: secret, sessionToken: profile["aws_session_token"],
                source: "profile \(profile.name) in \(file)"))
    }

    /// Every profile known to the shared files, the Nimbus file and the environment, for `nimbus profiles`.
    public func summaries() throws -> [ProfileSummary] {
        var result: [ProfileSummary] = []
        let nimbusProfiles = try nimbusFile?.profiles() ?? [:]
        let names = Set(files.profileNames).union(nimbusProfiles.keys)
        for name in names.sorted() {
            var sources: [String] = []
            if files.credentialsProfiles[name] != nil { sources.append(files.credentialsPath) }
            if files.configProfiles[name] != nil { sources.append(files.configPath) }
            if nimbusProfiles[name] != nil, let nimbusFile { sources.append(nimbusFile.path.path + " (encrypted)") }
            let profile = files.profile(name)
            let region = profile?["region"] ?? nimbusProfiles[name]?["region"]
            let kind: String
            if let role = profile?["role_arn"] {
                kind = "assume role \(role)" + (profile?["source_profile"].map { " via \($0)" } ?? "")
            } else if profile?["credential_process"] != nil {
                kind = "credential_process"
            } else if profile?["aws_access_key_id"] != nil || nimbusProfiles[name]?["aws_access_key_id"] != nil {
                kind = "access keys"
            } else if profile?["sso_session"] != nil || profile?["sso_start_url"] != nil {
                kind = "sso (not supported)"
            } else {
                kind = "settings only"
            }
            result.append(ProfileSummary(name: name, sources: sources, region: region, kind: kind))
        }
        if EnvironmentCredentialProvider(environment: environment).isConfigured {
            result.insert(
                ProfileSummary(
                    name: "(environment)", sources: ["AWS_ACCESS_KEY_ID"],
                    region: environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"], kind: "access keys"),
                at: 0)
        }
        return result
    }
}

/// Marks calls made to get credentials as such: they read nothing of the account and change nothing, so they
/// need no approval, but a policy can still deny them and the audit log still shows them.
struct CredentialCallGuard: AWSCallGuard {
    let inner: any AWSCallGuard
    init(_ inner: any AWSCallGuard) { self.inner = inner }

    func willSend(_ call: AWSOperationCall) async throws { try await inner.willSend(marked(call)) }
    func didFinish(_ call: AWSOperationCall, _ result: AWSCallResult) async {
        await inner.didFinish(marked(call), result)
    }

    private func marked(_ call: AWSOperationCall) -> AWSOperationCall {
        call.with(purpose: .credentials, access: .read)
    }
}
