public import AsyncHTTPClient
public import Foundation
public import Logging
public import NIOCore
import NIOHTTP1
public import NimbusCore

/// What an ``AWSClient`` uses: profile, region, credentials, environment, retries, S3 addressing. Everything
/// defaults to what the AWS CLI would use.
public struct AWSConfiguration: Sendable {
    /// The profile named with `--profile`; nil uses `AWS_PROFILE` or `default`.
    public var profile: String?
    /// The region named with `--region`; nil uses `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile's region.
    public var region: String?
    /// Credentials to use instead of the default chain.
    public var credentials: (any CredentialProvider)?
    /// The environment to read `AWS_*` variables from.
    public var environment: [String: String]
    /// The user's home, for `~/.aws`.
    public var homeDirectory: String
    /// The Nimbus home, for the Nimbus credentials file; nil skips that source.
    public var nimbusHome: URL?
    /// Retry settings; nil uses `AWS_MAX_ATTEMPTS` / the profile's `max_attempts`, else 3 attempts.
    public var retry: RetryConfiguration?
    /// S3 addressing; nil uses the profile's `s3.addressing_style`, else ``S3AddressingStyle/auto``.
    public var s3AddressingStyle: S3AddressingStyle?
    /// How long one HTTP request may take.
    public var timeout: TimeAmount

    public init(
        profile: String? = nil, region: String? = nil, credentials: (any CredentialProvider)? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        homeDirectory: String = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory(),
        nimbusHome: URL? = nil, retry: RetryConfiguration? = nil, s3AddressingStyle: S3AddressingStyle? = nil,
        timeout: TimeAmount = .seconds(300)
    ) {
        self.profile = profile
        self.region = region
        self.credentials = credentials
        self.environment = environment
        self.homeDirectory = homeDirectory
        self.nimbusHome = nimbusHome
        self.retry = retry
        self.s3AddressingStyle = s3AddressingStyle
        self.timeout = timeout
    }
}

/// The head of a response: status and headers, for operations whose body is streamed.
public struct AWSResponseHead: Sendable {
    public let status: Int
    public let headers: [(name: String, value: String)]

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }
}

/// Calls any operation of any bundled service by name with JSON parameters, through the service's own wire
/// protocol: validates the parameters against the model, resolves the endpoint, signs with SigV4, retries in
/// the standard mode and parses the response (or the error) back into JSON.
///
/// ```swift
/// let aws = try AWSClient(configuration: AWSConfiguration(region: "eu-west-1"))
/// let identity = try await aws.call("sts", "GetCallerIdentity")
/// for try await page in aws.paginate("s3", "ListObjectsV2", ["Bucket": "logs"]) { … }
/// ```
public final class AWSClient: Sendable {
    /// The region requests go to, if one is configured.
    public let region: String?
    /// Where the region came from (`--region`, `AWS_REGION`, `profile dev`).
    public let regionSource: String
    /// The profile in effect.
    public let profileName: String
    public let credentialProvider: any CredentialProvider
    public let endpoints: EndpointResolver
    public let retryStrategy: StandardRetryStrategy
    public let addressingStyle: S3AddressingStyle
    public let httpClient: HTTPClient
    public let logger: Logger
    /// Sees every call before it is sent (policy, approval, audit).
    public let callGuard: any AWSCallGuard
    let timeout: TimeAmount
    let clock: ClockSkew

    /// - Parameters:
    ///   - callGuard: decides about every call before it is sent and hears how it ended. Products pass the
    ///     gate of NimbusAgents; tests and benchmarks pass ``UncheckedAWSCalls``.
    ///   - httpClient: the HTTP client to send with; the shared one by default. A caller that passes its own
    ///     keeps ownership (and shuts it down).
    public init(
        configuration: AWSConfiguration = AWSConfiguration(), callGuard: any AWSCallGuard,
        httpClient: HTTPClient = .shared, logger: Logger = Logger(label: "nimbus.aws")
    ) throws {
        self.callGuard = callGuard
        clock = ClockSkew()
        let environment = configuration.environment
        let needsFiles = configuration.credentials == nil || configuration.region == nil
        let files =
            needsFiles
            ? try SharedConfigFiles.load(environment: environment, homeDirectory: configuration.homeDirectory)
            : SharedConfigFiles(credentialsPath: "", configPath: "", credentialsProfiles: [:], configProfiles: [:])
        let profileName = configuration.profile ?? environment["AWS_PROFILE"] ?? "default"
        if let explicit = configuration.profile, configuration.credentials == nil {
            // Fail early and helpfully on a typo, before any request.
            let nimbusNames = try configuration.nimbusHome.map { try NimbusCredentialsFile(home: $0).profiles().keys }
            if files.profile(explicit) == nil, !(nimbusNames?.contains(explicit) ?? false) {
                throw AWSCredentialsError.unknownProfile(
                    explicit, known: Set(files.profileNames).union(nimbusNames ?? [:].keys).sorted())
            }
        }
        let profile = files.profile(profileName)
        let nimbusProfile = try? configuration.nimbusHome.flatMap {
            try NimbusCredentialsFile(home: $0).profiles()[profileName]
        }

        var region: String?
        var regionSource = "none"
        if let explicit = configuration.region {
            (region, regionSource) = (explicit, "--region")
        } else if let value = environment["AWS_REGION"], !value.isEmpty {
            (region, regionSource) = (value, "AWS_REGION")
        } else if let value = environment["AWS_DEFAULT_REGION"], !value.isEmpty {
            (region, regionSource) = (value, "AWS_DEFAULT_REGION")
        } else if let value = profile?["region"] {
            (region, regionSource) = (value, "profile \(profileName)")
        } else if let value = nimbusProfile?["region"] {
            (region, regionSource) = (value, "profile \(profileName) in the Nimbus credentials file")
        }
        self.region = region
        self.regionSource = regionSource
        self.profileName = profileName
        endpoints = EndpointResolver(environment: environment, profileEndpoint: profile?["endpoint_url"])

        var retry = configuration.retry ?? RetryConfiguration()
        if configuration.retry == nil,
            let attempts = (environment["AWS_MAX_ATTEMPTS"] ?? profile?["max_attempts"]).flatMap({ Int($0) })
        {
            retry.maxAttempts = max(1, attempts)
        }
        retryStrategy = StandardRetryStrategy(configuration: retry)
        addressingStyle =
            configuration.s3AddressingStyle ?? profile?["s3.addressing_style"].flatMap(S3AddressingStyle.init) ?? .auto

        if let credentials = configuration.credentials {
            credentialProvider = credentials
        } else {
            credentialProvider = CachedCredentialProvider(
                DefaultCredentialChain(
                    explicitProfile: configuration.profile, environment: environment, files: files,
                    nimbusFile: configuration.nimbusHome.map(NimbusCredentialsFile.init(home:)),
                    region: region ?? "us-east-1", callGuard: callGuard))
        }
        self.httpClient = httpClient
        self.logger = logger
        self.timeout = configuration.timeout
    }

    private init(copying other: AWSClient, callGuard: any AWSCallGuard) {
        region = other.region
        regionSource = other.regionSource
        profileName = other.profileName
        credentialProvider = other.credentialProvider
        endpoints = other.endpoints
        retryStrategy = other.retryStrategy
        addressingStyle = other.addressingStyle
        httpClient = other.httpClient
        logger = other.logger
        timeout = other.timeout
        clock = other.clock
        self.callGuard = callGuard
    }

    /// The same client (credentials, endpoints, retry quota, connections) with another guard: what a product
    /// hands each tool call, so the call's own approval and audit name apply.
    public func guarded(by callGuard: any AWSCallGuard) -> AWSClient {
        AWSClient(copying: self, callGuard: callGuard)
    }

    // MARK: Calling operations

    /// Calls `operation` of `service` with JSON parameters and returns the parsed output.
    ///
    /// Timestamps in the output are ISO 8601 text and blobs are base64 text.
    public func call(
        _ service: String, _ operation: String, _ input: JSONValue = .object([:])
    ) async throws
        -> JSONValue
    {
        try await call(service, operation, OrderedJSON(input))
    }

    /// Calls an operation with parameters whose order matters (maps serialise in the order given).
    ///
    /// S3 listings are asked for with `EncodingType=url` and their keys decoded, as boto3 does, so keys with
    /// control characters (which XML 1.0 cannot carry) list like any other.
    public func call(_ service: String, _ operation: String, _ input: OrderedJSON) async throws -> JSONValue {
        let model = try ModelCatalog.model(service)
        let encoding = S3KeyEncoding(model: model, operation: try model.operation(operation), input: input)
        let prepared = try prepare(service, operation, encoding?.input ?? input, payload: nil, extraHeaders: [])
        let call = describe(prepared, input: input, purpose: .send)
        return try await guarded(call, model: prepared.operation) {
            try await self.send(prepared) { head, body, parser in
                let bytes = try await body.collect(upTo: 1 << 30)
                let raw = RawResponse(status: head.status, headers: head.headers, body: Array(buffer: bytes))
                var output = try parser.parse(raw)
                if let encoding { output = encoding.decode(output) }
                return (output, AWSClient.requestID(in: raw), output)
            }
        }
    }

    /// Sends an operation and hands the response body to `handle` as it arrives (S3 GetObject to a file).
    ///
    /// - Parameters:
    ///   - payload: the body for an operation whose payload is a blob (S3 PutObject, UploadPart), instead of a
    ///     parameter.
    ///   - extraHeaders: headers to add (checksums, `Range`).
    ///   - handle: called with a successful response; errors are parsed and thrown before it is called.
    public func execute<Result: Sendable>(
        _ service: String, _ operation: String, _ input: OrderedJSON, payload: ByteBuffer? = nil,
        extraHeaders: [(name: String, value: String)] = [],
        handle: (AWSResponseHead, HTTPClientResponse.Body, ResponseParser) async throws -> Result
    ) async throws -> Result {
        let prepared = try prepare(service, operation, input, payload: payload, extraHeaders: extraHeaders)
        let call = describe(prepared, input: input, purpose: .send)
        return try await guarded(call, model: prepared.operation) {
            try await self.send(prepared) { head, body, parser in
                (try await handle(head, body, parser), AWSClient.requestID(in: head), nil)
            }
        }
    }

    /// What the guard is told about a prepared call.
    func describe(
        _ prepared: PreparedRequest, input: OrderedJSON, purpose: AWSOperationCall.Purpose
    ) -> AWSOperationCall {
        let (redacted, secrets) = prepared.operation.redactingInput(input.jsonValue)
        return AWSOperationCall(
            service: prepared.model.name, operation: prepared.operation.name, purpose: purpose,
            access: prepared.operation.access, action: prepared.operation.action(service: prepared.model),
            iamActions: prepared.operation.iamActions(service: prepared.model), redactedInput: redacted,
            sensitiveValues: secrets, profile: profileName, region: region)
    }

    /// Asks the guard, runs `body`, and tells the guard how it ended. `body` returns the result, the service's
    /// request id and, when there is one, the parsed answer (whose sensitive values the guard hears about).
    func guarded<Result: Sendable>(
        _ call: AWSOperationCall, model operation: OperationModel,
        _ body: () async throws -> (Result, String?, JSONValue?)
    ) async throws -> Result {
        try await callGuard.willSend(call)
        let started = ContinuousClock.now
        do {
            let (result, requestID, output) = try await body()
            let secrets = output.map { operation.redactingOutput($0).secrets } ?? []
            await callGuard.didFinish(
                call,
                .succeeded(requestID: requestID, sensitiveValues: secrets, duration: ContinuousClock.now - started))
            return result
        } catch {
            await callGuard.didFinish(
                call,
                .failed(
                    error: error, requestID: (error as? AWSError)?.requestID, duration: ContinuousClock.now - started))
            throw error
        }
    }

    /// Sends a prepared request with retries and hands a successful response to `handle`.
    func send<Result: Sendable>(
        _ prepared: PreparedRequest,
        handle: (AWSResponseHead, HTTPClientResponse.Body, ResponseParser) async throws -> Result
    ) async throws -> Result {
        let service = prepared.model.name
        let parser = ResponseParser(model: prepared.model, operation: prepared.operation)
        var attempt = 0
        var retried = false
        while true {
            attempt += 1
            do {
                let credentials = try await credentials(for: prepared.endpoint)
                let request = sign(prepared, credentials: credentials, date: clock.now)
                logger.debug(
                    "aws request",
                    metadata: [
                        "service": "\(service)", "operation": "\(prepared.operation.name)", "attempt": "\(attempt)",
                    ])
                let response: HTTPClientResponse
                do {
                    response = try await httpClient.execute(request, timeout: timeout, logger: logger)
                } catch {
                    throw AWSClientError.transport(
                        service: service, operation: prepared.operation.name, url: prepared.displayURL,
                        detail: String(describing: error))
                }
                let head = AWSResponseHead(
                    status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) })
                if head.status >= 300 && !(head.status == 304) {
                    let body = try await response.body.collect(upTo: 1 << 24)
                    let error = parser.parseError(
                        RawResponse(status: head.status, headers: head.headers, body: Array(buffer: body)))
                    if AWSError.clockSkewCodes.contains(error.code), let dateText = head.header("Date"),
                        let serverTime = Timestamps.parse(dateText),
                        clock.adjust(serverDate: Date(timeIntervalSince1970: serverTime)),
                        attempt < retryStrategy.configuration.maxAttempts
                    {
                        logger.info("correcting for clock skew", metadata: ["offset_seconds": "\(Int(clock.current))"])
                        continue
                    }
                    throw error
                }
                let result = try await handle(head, response.body, parser)
                retryStrategy.recordSuccess(retried: retried)
                return result
            } catch {
                guard let delay = retryStrategy.delay(afterAttempt: attempt, error: error) else { throw error }
                retried = true
                logger.info(
                    "retrying aws request",
                    metadata: [
                        "operation": "\(prepared.operation.name)", "attempt": "\(attempt)",
                        "error": "\(SecretRedactor.redact("\(error)"))",
                    ])
                try await Task.sleep(for: delay)
            }
        }
    }

    /// Pages of a paginated operation, driven by the service's paginator model.
    public func paginate(_ service: String, _ operation: String, _ input: JSONValue = .object([:])) -> AWSPages {
        AWSPages(client: self, service: service, operation: operation, input: OrderedJSON(input))
    }

    /// A presigned URL for an operation (S3 GetObject, PutObject), valid for `expires` seconds.
    public func presign(
        _ service: String, _ operation: String, _ input: JSONValue, expires: Int = 3600
    ) async throws
        -> URL
    {
        let prepared = try prepare(service, operation, OrderedJSON(input), payload: nil, extraHeaders: [])
        let call = describe(prepared, input: OrderedJSON(input), purpose: .presign(expires: expires))
        return try await guarded(call, model: prepared.operation) {
            (try await self.presignedURL(prepared, expires: expires), nil, nil)
        }
    }

    func presignedURL(_ prepared: PreparedRequest, expires: Int) async throws -> URL {
        let credentials = try await credentials(for: prepared.endpoint)
        let isS3 = prepared.model.name == "s3"
        var options = signingOptions(prepared)
        if isS3 { options.payloadHash = .unsigned }
        options.addContentSHA256Header = false
        let signature = SigV4Signer.presign(
            method: prepared.serialized.method, path: prepared.path, query: prepared.serialized.encodedQuery,
            headers: [("host", prepared.hostHeader)], body: prepared.serialized.body, credentials: credentials,
            date: clock.now, expires: expires, options: options)
        return URL(string: "\(prepared.scheme)://\(prepared.hostHeader)\(prepared.path)?\(signature.query ?? "")")!
    }

    // MARK: Preparing requests

    struct PreparedRequest {
        let model: ServiceModel
        let operation: OperationModel
        var serialized: SerializedRequest
        let endpoint: AWSEndpoint
        let scheme: String
        let hostHeader: String
        let path: String
        let payloadIsLarge: Bool
        let payload: ByteBuffer?

        var displayURL: String { "\(scheme)://\(hostHeader)\(path)" }
    }

    func prepare(
        _ service: String, _ operationName: String, _ input: OrderedJSON, payload: ByteBuffer?,
        extraHeaders: [(name: String, value: String)]
    ) throws -> PreparedRequest {
        let model = try ModelCatalog.model(service)
        let operation = try model.operation(operationName)
        var input = input
        if case .object(let members) = input, let payloadName = operation.input?.shape.payload, payload != nil {
            // The payload travels separately; drop a placeholder member so validation does not trip on it.
            input = .object(members.filter { $0.0 != payloadName })
        }
        try ParameterValidator(operation: operation).validate(input)
        var serialized = try RequestSerializer(model: model, operation: operation).serialize(input)
        let endpoint = try endpoints.endpoint(for: model, region: try resolvedRegion(for: model))
        guard let scheme = endpoint.url.scheme, var host = endpoint.url.host else {
            throw AWSClientError.invalidEndpoint(endpoint.url.absoluteString, source: endpoint.source)
        }
        var path = serialized.path
        if model.name == "s3", let bucket = input["Bucket"]?.stringValue {
            let virtual: Bool
            switch addressingStyle {
            case .path: virtual = false
            case .virtual: virtual = true
            case .auto:
                virtual =
                    !endpoint.isCustom && EndpointResolver.isVirtualHostable(bucket: bucket, https: scheme == "https")
            }
            let bucketPath = "/" + uriEncode(bucket)
            if virtual, path.hasPrefix(bucketPath) {
                host = bucket + "." + host
                path = String(path.dropFirst(bucketPath.count))
                if path.isEmpty { path = "/" }
            }
        }
        if let prefix = serialized.hostPrefix, !endpoint.isCustom { host = prefix + host }
        var basePath = endpoint.url.path
        while basePath.hasSuffix("/") { basePath.removeLast() }
        path = basePath + path
        var hostHeader = host
        if let port = endpoint.url.port, !((scheme == "https" && port == 443) || (scheme == "http" && port == 80)) {
            hostHeader += ":\(port)"
        }
        if payload != nil {
            if serialized.header("Content-Type") == nil {
                serialized.headers.append(("Content-Type", "application/octet-stream"))
            }
        }
        serialized.headers.append(contentsOf: extraHeaders)
        return PreparedRequest(
            model: model, operation: operation, serialized: serialized, endpoint: endpoint, scheme: scheme,
            hostHeader: hostHeader, path: path, payloadIsLarge: (payload?.readableBytes ?? 0) > 1 << 20,
            payload: payload)
    }

    func resolvedRegion(for model: ServiceModel) throws -> String {
        if let region { return region }
        // Global services and emulators work without one; AWS proper needs to know.
        if ["iam", "route53", "sts"].contains(model.name) { return "us-east-1" }
        let specific = EndpointResolver.variableName(serviceID: model.serviceID)
        if endpoints.environment[specific] != nil || endpoints.environment["AWS_ENDPOINT_URL"] != nil
            || endpoints.profileEndpoint != nil
        {
            return "us-east-1"
        }
        throw AWSClientError.missingRegion(service: model.name)
    }

    /// The configured credentials; for an emulator on this machine with none configured, placeholders (emulators
    /// accept any key, and a new user should not need fake keys to try Nimbus against moto).
    func credentials(for endpoint: AWSEndpoint) async throws -> AWSCredentials {
        do {
            return try await credentialProvider.credentials()
        } catch let error as AWSCredentialsError
            where error.kind == .notFound && endpoint.isCustom && endpoint.isLoopback
        {
            logger.debug("no AWS credentials configured; using placeholders for the local endpoint \(endpoint.url)")
            return AWSCredentials(
                accessKeyID: "testing", secretAccessKey: "testing", source: "placeholders for a local emulator")
        }
    }

    func signingOptions(_ prepared: PreparedRequest) -> SigningOptions {
        if prepared.model.name == "s3" {
            return .s3(
                region: prepared.endpoint.signingRegion, payloadHash: prepared.payloadIsLarge ? .unsigned : .body,
                service: prepared.model.signingName)
        }
        return SigningOptions(service: prepared.model.signingName, region: prepared.endpoint.signingRegion)
    }

    func sign(_ prepared: PreparedRequest, credentials: AWSCredentials, date: Date) -> HTTPClientRequest {
        let serialized = prepared.serialized
        let query = serialized.encodedQuery
        var headers: [(name: String, value: String)] = [("Host", prepared.hostHeader)]
        headers.append(contentsOf: serialized.headers)
        var request = HTTPClientRequest(
            url: "\(prepared.scheme)://\(prepared.hostHeader)\(prepared.path)\(query.isEmpty ? "" : "?" + query)")
        request.method = HTTPMethod(rawValue: serialized.method)
        if prepared.operation.authType != "none" {
            var options = signingOptions(prepared)
            if let payload = prepared.payload, options.payloadHash == .body {
                options.payloadHash = .precomputed(SigV4Signer.hexSHA256(payload.readableBytesView))
            }
            let signature = SigV4Signer.sign(
                method: serialized.method, path: prepared.path, query: query, headers: headers, body: serialized.body,
                credentials: credentials, date: date, options: options)
            headers.append(contentsOf: signature.headers)
        }
        headers.append(("User-Agent", "nimbus/\(AWSClient.version) (swift; \(prepared.model.name))"))
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        if let payload = prepared.payload {
            request.body = .bytes(payload)
        } else if !serialized.body.isEmpty || ["PUT", "POST", "PATCH"].contains(serialized.method) {
            request.body = .bytes(ByteBuffer(bytes: serialized.body))
        }
        return request
    }

    static let version = "0.1.0"

    /// The service's request id from the usual headers.
    static func requestID(in head: AWSResponseHead) -> String? {
        for name in ["x-amzn-requestid", "x-amz-request-id", "x-amzn-request-id"] {
            if let value = head.header(name), !value.isEmpty { return value }
        }
        return nil
    }

    /// The service's request id: from the usual headers, else from an XML body (query and EC2 protocols).
    static func requestID(in response: RawResponse) -> String? {
        if let id = requestID(in: AWSResponseHead(status: response.status, headers: response.headers)) { return id }
        let text = String(decoding: response.body.prefix(4096), as: UTF8.self)
        for tag in ["RequestId", "RequestID", "requestId"] {
            if let open = text.range(of: "<\(tag)>"),
                let close = text.range(of: "</\(tag)>", range: open.upperBound..<text.endIndex)
            {
                return String(text[open.upperBound..<close.lowerBound])
            }
        }
        return nil
    }
}

extension Array where Element == UInt8 {
    init(buffer: ByteBuffer) {
        self = buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes) ?? []
    }
}
