import AsyncHTTPClient
import Crypto
public import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
public import NimbusAWS
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The sandbox's only way out: an HTTP server on a Unix socket that takes a sandboxed script's AWS requests,
/// checks that each was signed with the run's dummy credentials (and was not sent before), names its operation
/// from the botocore model, refuses — with AWS's own AccessDenied error shape — anything the approved policy does
/// not allow (and, for a read-only run, anything that is not a read), re-signs the rest with the real credentials
/// and forwards it to AWS or `AWS_ENDPOINT_URL`. Every request is reported to `onCall`, refused or not, for the
/// audit log.
public final class SigningProxy: Sendable {
    /// One request the proxy handled.
    public struct Call: Sendable, Hashable, Codable {
        public var service: String
        public var operation: String
        /// The IAM actions the operation needs.
        public var actions: [String]
        public var region: String
        /// Whether it was forwarded.
        public var allowed: Bool
        /// Why it was refused.
        public var refusal: String?
        /// The HTTP status the script received.
        public var status: Int
        public var requestID: String?
        public var durationMilliseconds: Double
        public var time: Date
        /// The request's URL path, without its query (`/bucket` for S3): what ties a call to the resource it read.
        public var path: String? = nil
    }

    /// What the proxy enforces and where it sends requests.
    public struct Settings: Sendable {
        public var policy: SandboxPolicy
        /// The real credentials, used only here.
        public var credentials: any CredentialProvider
        public var endpoints: EndpointResolver
        /// Refuse every operation that is not a read, whatever the policy says.
        public var readOnly: Bool
        /// The user that may connect to the socket (the sandbox's, when Nimbus runs as root); `nil` keeps this one.
        public var socketOwner: UInt32?
        /// The largest request body accepted.
        public var maximumRequestBytes: Int

        public init(
            policy: SandboxPolicy, credentials: any CredentialProvider,
            endpoints: EndpointResolver = EndpointResolver(),
            readOnly: Bool = true, socketOwner: UInt32? = nil, maximumRequestBytes: Int = 16 << 20
        ) {
            self.policy = policy
            self.credentials = credentials
            self.endpoints = endpoints
            self.readOnly = readOnly
            self.socketOwner = socketOwner
            self.maximumRequestBytes = maximumRequestBytes
        }
    }

    public let socketPath: String
    /// The dummy credentials a sandboxed script signs with: they mean nothing anywhere but here.
    public let access: SandboxAWSAccess
    let channel: any Channel
    let core: ProxyCore

    /// Every request handled so far.
    public var calls: [Call] { core.calls.withLock { $0 } }

    /// Starts a proxy on a new socket at `socketPath` (its directory must exist; a file there is replaced).
    public static func start(
        socketPath: String, region: String, settings: Settings,
        onCall: @escaping @Sendable (Call) async -> Void = { _ in }
    ) async throws -> SigningProxy {
        let access = SandboxAWSAccess(
            socketPath: socketPath, accessKeyID: "ASIANIMBUSSANDBOX" + randomToken(3).uppercased(),
            secretAccessKey: randomToken(20), region: region)
        let core = ProxyCore(settings: settings, access: access, onCall: onCall)
        unlink(socketPath)
        let limit = settings.maximumRequestBytes
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(ProxyHandler(core: core, limit: limit))
                }
            }
            .bind(unixDomainSocketPath: socketPath).get()
        chmod(socketPath, 0o600)
        if let owner = settings.socketOwner { chown(socketPath, owner, owner) }
        return SigningProxy(socketPath: socketPath, access: access, channel: channel, core: core)
    }

    init(socketPath: String, access: SandboxAWSAccess, channel: any Channel, core: ProxyCore) {
        self.socketPath = socketPath
        self.access = access
        self.channel = channel
        self.core = core
    }

    public func stop() async {
        try? await channel.close()
        unlink(socketPath)
    }

    static func randomToken(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

/// A request as it came in and the answer to send back.
struct ProxyRequest: Sendable {
    var method: String
    var uri: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]
}

struct ProxyAnswer: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]
}

/// The proxy's decisions, apart from the socket.
final class ProxyCore: Sendable {
    let settings: SigningProxy.Settings
    let access: SandboxAWSAccess
    let onCall: @Sendable (SigningProxy.Call) async -> Void
    let calls = Mutex<[SigningProxy.Call]>([])
    private let seenSignatures = Mutex<Set<String>>([])
    private let routers = Mutex<[String: OperationRouter]>([:])

    init(
        settings: SigningProxy.Settings, access: SandboxAWSAccess,
        onCall: @escaping @Sendable (SigningProxy.Call) async -> Void
    ) {
        self.settings = settings
        self.access = access
        self.onCall = onCall
    }

    /// The signature's parts, from `Authorization`.
    struct Authorization {
        var accessKeyID: String
        var date: String
        var region: String
        var service: String
        var signedHeaders: [String]
        var signature: String

        init?(_ header: String) {
            guard header.hasPrefix("AWS4-HMAC-SHA256 ") else { return nil }
            var fields: [String: String] = [:]
            for part in header.dropFirst("AWS4-HMAC-SHA256 ".count).split(separator: ",") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
            }
            guard let credential = fields["Credential"], let signed = fields["SignedHeaders"],
                let signature = fields["Signature"]
            else { return nil }
            let scope = credential.split(separator: "/").map(String.init)
            guard scope.count == 5, scope[4] == "aws4_request" else { return nil }
            accessKeyID = scope[0]
            date = scope[1]
            region = scope[2]
            service = scope[3]
            signedHeaders = signed.split(separator: ";").map(String.init)
            self.signature = signature
        }
    }

    func handle(_ request: ProxyRequest) async -> ProxyAnswer {
        let started = ContinuousClock.now
        let header = request.headers.first { $0.name.lowercased() == "authorization" }?.value ?? ""
        guard let authorization = Authorization(header) else {
            return await refuse(
                request, service: "unknown", operation: "unknown", actions: [], region: access.region,
                protocol: .restXML, code: "MissingAuthenticationToken",
                message: "the request is not signed with AWS Signature Version 4", started: started)
        }
        guard let model = Self.model(signingName: authorization.service) else {
            return await refuse(
                request, service: authorization.service, operation: "unknown", actions: [],
                region: authorization.region, protocol: .restXML, code: "AccessDenied",
                message: "the service '\(authorization.service)' is not reachable from the sandbox", started: started)
        }
        let parts = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init).flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        let query = parts.count > 1 ? String(parts[1]) : ""
        let router = routers.withLock { routers in
            if let router = routers[model.name] { return router }
            let router = OperationRouter(model: model)
            routers[model.name] = router
            return router
        }
        let operation = router.operation(
            method: request.method, path: path, query: query, headers: request.headers, body: request.body)
        let operationName = operation?.name ?? "unknown"
        let actions = operation?.iamActions(service: model) ?? []
        func deny(_ code: String, _ message: String) async -> ProxyAnswer {
            await refuse(
                request, service: model.name, operation: operationName, actions: actions, region: authorization.region,
                protocol: model.wireProtocol, code: code, message: message, started: started)
        }
        // Who signed it: the run's dummy key, and a signature that verifies with the run's dummy secret.
        guard authorization.accessKeyID == access.accessKeyID else {
            return await deny(
                model.wireProtocol == .restXML ? "InvalidAccessKeyId" : "InvalidClientTokenId",
                "the request is not signed with this sandbox's credentials")
        }
        switch verify(request, authorization: authorization, model: model, path: path, query: query) {
        case .failure(let problem): return await deny(problem.code, problem.message)
        case .success: break
        }
        let fresh = seenSignatures.withLock { $0.insert(authorization.signature).inserted }
        guard fresh else {
            return await deny("AccessDenied", "a request with this signature was already sent (replay)")
        }
        guard let operation else {
            return await deny(
                "AccessDenied", "\(request.method) \(path) is not an operation of \(model.name) Nimbus knows")
        }
        if settings.readOnly, operation.access != .read {
            return await deny(
                model.wireProtocol == .ec2 ? "UnauthorizedOperation" : "AccessDenied",
                "\(actions.joined(separator: ", ")) is not a read, and the sandbox only reads")
        }
        guard settings.policy.allows(actions) else {
            return await deny(
                model.wireProtocol == .ec2 ? "UnauthorizedOperation" : "AccessDenied",
                "the approved policy does not allow \(actions.joined(separator: ", "))")
        }
        return await forward(
            request, model: model, operation: operation, actions: actions, region: authorization.region, path: path,
            query: query, started: started)
    }

    struct Problem: Error {
        let code: String
        let message: String
    }

    private func verify(
        _ request: ProxyRequest, authorization: Authorization, model: ServiceModel, path: String, query: String
    ) -> Result<Void, Problem> {
        let headers = request.headers
        func value(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
        guard let amzDate = value("x-amz-date"), let date = Self.parseAmzDate(amzDate),
            amzDate.hasPrefix(authorization.date)
        else { return .failure(Problem(code: "IncompleteSignature", message: "the request has no valid X-Amz-Date")) }
        if abs(date.timeIntervalSinceNow) > 300 {
            return .failure(Problem(code: "RequestExpired", message: "the request was signed more than 5 minutes ago"))
        }
        let signedNames = Set(authorization.signedHeaders)
        guard signedNames.contains("host") else {
            return .failure(Problem(code: "IncompleteSignature", message: "the Host header is not signed"))
        }
        let signed = headers.filter { signedNames.contains($0.name.lowercased()) }
        let bodyHash = SHA256.hash(data: request.body).map { String(format: "%02x", $0) }.joined()
        var options: SigningOptions
        if model.name == "s3" {
            let declared = value("x-amz-content-sha256") ?? bodyHash
            if declared != "UNSIGNED-PAYLOAD", declared != bodyHash {
                return .failure(
                    Problem(code: "XAmzContentSHA256Mismatch", message: "the body does not match its signed hash"))
            }
            options = .s3(
                region: authorization.region, payloadHash: .precomputed(declared), service: authorization.service)
        } else {
            options = SigningOptions(service: authorization.service, region: authorization.region)
        }
        options.addContentSHA256Header = model.name == "s3" && signedNames.contains("x-amz-content-sha256")
        let expected = SigV4Signer.sign(
            method: request.method, path: path, query: query, headers: signed, body: request.body,
            credentials: AWSCredentials(accessKeyID: access.accessKeyID, secretAccessKey: access.secretAccessKey),
            date: date, options: options)
        guard Self.constantTimeEquals(expected.signature, authorization.signature) else {
            return .failure(
                Problem(
                    code: "SignatureDoesNotMatch",
                    message: "the request signature does not match this sandbox's credentials"))
        }
        return .success(())
    }

    private func forward(
        _ request: ProxyRequest, model: ServiceModel, operation: OperationModel, actions: [String], region: String,
        path: String, query: String, started: ContinuousClock.Instant
    ) async -> ProxyAnswer {
        let endpoint: AWSEndpoint
        do {
            endpoint = try settings.endpoints.endpoint(for: model, region: region)
        } catch {
            return await refuse(
                request, service: model.name, operation: operation.name, actions: actions, region: region,
                protocol: model.wireProtocol, code: "InternalFailure", message: "no endpoint: \(error)",
                started: started, status: 502)
        }
        let base =
            endpoint.url.absoluteString.hasSuffix("/")
            ? String(endpoint.url.absoluteString.dropLast()) : endpoint.url.absoluteString
        let basePath = endpoint.url.path == "/" ? "" : endpoint.url.path
        let url = base + path + (query.isEmpty ? "" : "?" + query)
        let dropped: Set<String> = [
            "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256", "host", "content-length",
            "connection", "expect", "transfer-encoding", "keep-alive",
        ]
        var headers = request.headers.filter { !dropped.contains($0.name.lowercased()) }
        headers.append(("Host", SigV4Signer.hostHeader(for: endpoint.url)))
        let credentials: AWSCredentials
        do {
            credentials = try await settings.credentials.credentials()
        } catch {
            return await refuse(
                request, service: model.name, operation: operation.name, actions: actions, region: region,
                protocol: model.wireProtocol, code: "InvalidClientTokenId",
                message: "Nimbus has no AWS credentials to sign with", started: started, status: 403)
        }
        let options: SigningOptions =
            model.name == "s3"
            ? .s3(region: endpoint.signingRegion, service: model.signingName)
            : SigningOptions(service: model.signingName, region: endpoint.signingRegion)
        let signature = SigV4Signer.sign(
            method: request.method, path: basePath + path, query: query, headers: headers, body: request.body,
            credentials: credentials, date: Date(), options: options)
        var outgoing = HTTPClientRequest(url: url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in headers + signature.headers { outgoing.headers.add(name: name, value: value) }
        outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        do {
            let response = try await HTTPClient.shared.execute(outgoing, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 256 << 20)
            var answerHeaders: [(name: String, value: String)] = []
            for (name, value) in response.headers
            where !["transfer-encoding", "connection", "content-length"].contains(name.lowercased()) {
                answerHeaders.append((name, value))
            }
            let bytes = Array(body.readableBytesView)
            let requestID = Self.requestID(headers: response.headers, body: bytes)
            await record(
                SigningProxy.Call(
                    service: model.name, operation: operation.name, actions: actions, region: region, allowed: true,
                    refusal: nil, status: Int(response.status.code), requestID: requestID,
                    durationMilliseconds: Self.milliseconds(since: started), time: Date(), path: Self.path(request)))
            return ProxyAnswer(status: Int(response.status.code), headers: answerHeaders, body: bytes)
        } catch {
            return await refuse(
                request, service: model.name, operation: operation.name, actions: actions, region: region,
                protocol: model.wireProtocol, code: "ServiceUnavailable",
                message: "the proxy could not reach \(endpoint.url.host ?? "the service")", started: started,
                status: 503)
        }
    }

    private func refuse(
        _ request: ProxyRequest, service: String, operation: String, actions: [String], region: String,
        protocol wire: AWSProtocol, code: String, message: String, started: ContinuousClock.Instant,
        status: Int = 403
    ) async -> ProxyAnswer {
        let requestID = UUID().uuidString.lowercased()
        await record(
            SigningProxy.Call(
                service: service, operation: operation, actions: actions, region: region, allowed: false,
                refusal: "\(code): \(message)", status: status, requestID: requestID,
                durationMilliseconds: Self.milliseconds(since: started), time: Date(), path: Self.path(request)))
        return Self.errorAnswer(protocol: wire, status: status, code: code, message: message, requestID: requestID)
    }

    private static func path(_ request: ProxyRequest) -> String {
        String(request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            .removingPercentEncoding ?? ""
    }

    private func record(_ call: SigningProxy.Call) async {
        calls.withLock { $0.append(call) }
        await onCall(call)
    }

    /// An error in the shape the protocol's clients parse: botocore reads the code and message from it.
    static func errorAnswer(
        protocol wire: AWSProtocol, status: Int, code: String, message: String, requestID: String
    )
        -> ProxyAnswer
    {
        let escaped = message.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        switch wire {
        case .json, .restJSON:
            let body = (try? JSONSerialization.data(withJSONObject: ["__type": code, "message": message])) ?? Data()
            return ProxyAnswer(
                status: status,
                headers: [
                    ("Content-Type", wire == .json ? "application/x-amz-json-1.1" : "application/json"),
                    ("x-amzn-ErrorType", code), ("x-amzn-RequestId", requestID),
                ], body: Array(body))
        case .query:
            let body =
                "<ErrorResponse><Error><Type>Sender</Type><Code>\(code)</Code><Message>\(escaped)</Message></Error>"
                + "<RequestId>\(requestID)</RequestId></ErrorResponse>"
            return ProxyAnswer(
                status: status, headers: [("Content-Type", "text/xml"), ("x-amzn-RequestId", requestID)],
                body: Array(body.utf8))
        case .ec2:
            let body =
                "<Response><Errors><Error><Code>\(code)</Code><Message>\(escaped)</Message></Error></Errors>"
                + "<RequestID>\(requestID)</RequestID></Response>"
            return ProxyAnswer(status: status, headers: [("Content-Type", "text/xml")], body: Array(body.utf8))
        case .restXML:
            let body =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>\(escaped)</Message>"
                + "<RequestId>\(requestID)</RequestId></Error>"
            return ProxyAnswer(
                status: status, headers: [("Content-Type", "application/xml"), ("x-amz-request-id", requestID)],
                body: Array(body.utf8))
        }
    }

    /// Signing names that differ from the bundled model's name.
    static let signingAliases = ["elasticloadbalancing": "elbv2", "monitoring": "cloudwatch"]

    static func model(signingName: String) -> ServiceModel? {
        let direct = signingAliases[signingName] ?? signingName
        if ModelCatalog.services.contains(direct), let model = try? ModelCatalog.model(direct),
            model.signingName == signingName || model.name == signingName
        {
            return model
        }
        for name in ModelCatalog.services {
            guard let model = try? ModelCatalog.model(name) else { continue }
            if model.signingName == signingName || model.name == signingName { return model }
        }
        return nil
    }

    static func requestID(headers: HTTPHeaders, body: [UInt8]) -> String? {
        for name in ["x-amzn-RequestId", "x-amz-request-id", "x-amzn-requestid"] {
            if let value = headers.first(name: name) { return value }
        }
        let text = String(decoding: body.prefix(4096), as: UTF8.self)
        for tag in ["RequestId", "requestId", "RequestID"] {
            if let start = text.range(of: "<\(tag)>"),
                let end = text.range(of: "</\(tag)>", range: start.upperBound..<text.endIndex)
            {
                return String(text[start.upperBound..<end.lowerBound])
            }
        }
        return nil
    }

    static func parseAmzDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.date(from: text)
    }

    static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }
}

/// Gathers a request and hands it to the core; answers in order on keep-alive connections.
final class ProxyHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: the handler's fields are touched only on its channel's event loop.
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let core: ProxyCore
    let limit: Int
    var head: HTTPRequestHead?
    var body = ByteBuffer()
    var tooLarge = false

    init(core: ProxyCore, limit: Int) {
        self.core = core
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let value):
            head = value
            body.clear()
            tooLarge = false
        case .body(var buffer):
            if body.readableBytes + buffer.readableBytes > limit {
                tooLarge = true
            } else {
                body.writeBuffer(&buffer)
            }
        case .end:
            guard let head else { return }
            let keepAlive = head.isKeepAlive
            let loop = context.eventLoop
            let bound = NIOLoopBound(context, eventLoop: loop)
            let handler = NIOLoopBound(self, eventLoop: loop)
            if tooLarge {
                let answer = ProxyCore.errorAnswer(
                    protocol: .restXML, status: 413, code: "EntityTooLarge",
                    message: "the request body is larger than the sandbox allows", requestID: UUID().uuidString)
                respond(context, answer, keepAlive: false)
                return
            }
            let request = ProxyRequest(
                method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                body: Array(body.readableBytesView))
            let core = core
            loop.makeFutureWithTask { await core.handle(request) }.whenSuccess { answer in
                handler.value.respond(bound.value, answer, keepAlive: keepAlive)
            }
        }
    }

    func respond(_ context: ChannelHandlerContext, _ answer: ProxyAnswer, keepAlive: Bool) {
        var headers = HTTPHeaders(answer.headers)
        headers.replaceOrAdd(name: "Content-Length", value: String(answer.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        context.write(
            wrapOutboundOut(
                .head(
                    HTTPResponseHead(
                        version: .http1_1, status: HTTPResponseStatus(statusCode: answer.status), headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: answer.body)))), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { bound.value.close(promise: nil) }
        }
    }
}
