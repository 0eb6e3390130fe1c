import Foundation
public import Hummingbird
import HummingbirdWebSocket
public import Logging
import NimbusCore
public import NimbusHost
import NimbusStore
import ServiceLifecycle

/// `nimbus serve`: the host over HTTP. REST under `/v1` (every body the JSON the command line prints with
/// `--output json`), a run's events as Server-Sent Events, the chat WebSocket, the web page, `/metrics` and
/// `/openapi.json`. The library composes; this only translates (docs/server.md).
public final class NimbusServer: Sendable {
    public static let version = "0.1.0"

    public let host: NimbusHost
    public let settings: ServerSettings
    public let keys: APIKeys
    let limiter: RateLimiter
    let metrics: ServerMetrics
    let runs: RunCoordinator
    let live: LiveEvents
    let logger: Logger
    let page: WebPage
    let tracer: TraceExporter?
    /// How long a request that did not ask for `respond-async` waits for its run before answering 202.
    let patience: Duration

    public init(
        host: NimbusHost, settings: ServerSettings = ServerSettings(), patience: Duration = .seconds(60),
        logger: Logger = Logger(label: "nimbus.server")
    ) {
        self.host = host
        self.settings = settings
        self.patience = patience
        self.logger = logger
        keys = APIKeys(store: host.store)
        limiter = RateLimiter(rate: settings.rateLimit, burst: settings.rateBurst)
        metrics = ServerMetrics()
        live = LiveEvents()
        let tracer = TraceExporter(settings: settings, environment: host.awsEnvironment)
        self.tracer = tracer
        runs = RunCoordinator(
            host: host, workers: settings.workers, maxRunsPerKey: settings.maxRunsPerKey, metrics: metrics, live: live,
            webhook: Webhook(settings: settings), tracer: tracer)
        page = WebPage()
    }

    /// Refuses to listen beyond loopback when no key could authenticate anyone.
    public func checkBind() async throws {
        if !settings.isLoopback, try await !keys.anyLive() { throw ServerError.unsafeBind(settings.host) }
    }

    /// The application: routes, the chat WebSocket, and the run workers as a service.
    public func application(
        onStarted: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: ServerRequestContext.self)
        router.middlewares.add(ServerMiddleware(corsOrigins: settings.corsOrigins))
        for route in routes {
            router.on(RouterPath(route.routerPath), method: route.method) { [self] request, context in
                await serve(route, request, context)
            }
        }
        if settings.page {
            router.get("/") { [page] _, _ in page.response(for: "index.html") }
            router.get("/static/:file") { [page] _, context in
                page.response(for: context.parameters.get("file") ?? "")
            }
        }
        let sockets = Router(context: BasicWebSocketRequestContext.self)
        sockets.ws("/v1/chat") { _, _ in
            .upgrade([:])
        } onUpgrade: { [self] inbound, outbound, _ in
            await ChatSocket(server: self).run(inbound: inbound, outbound: outbound)
        }
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(
                webSocketRouter: sockets,
                configuration: .init(ws: .init(maxFrameSize: 1 << 20, autoPing: .enabled(timePeriod: .seconds(20))))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "nimbus"),
            services: [RunService(runs: runs)] + (tracer.map { [$0] } ?? []),
            onServerRunning: { channel in await onStarted(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT: then stops accepting, lets runs reach a checkpoint, and returns.
    public func run(onStarted: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await checkBind()
        try await runs.releaseAbandonedJobs()
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: application(onStarted: onStarted))],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    // MARK: Every request

    /// Authenticates, limits, runs the route, and answers errors in one shape; counts and logs the request.
    func serve(_ route: Route, _ request: Request, _ context: ServerRequestContext) async -> Response {
        let started = ContinuousClock.now
        let startedAt = Date()
        let requestID = SortableID().rawValue
        let parent = request.headers[.traceparent].flatMap(TraceContext.init(traceparent:))
        // A span only when spans are exported: its ids are random, and nobody would see them otherwise.
        let span = tracer == nil ? nil : TraceContext.child(of: parent)
        var caller = Caller(key: nil, requestID: requestID, trace: span)
        var response: Response
        do {
            caller = try await authenticate(route, request, requestID: requestID)
            caller.trace = span
            response = try await route.handler(request, context, caller)
        } catch {
            response = .error(error)
            if response.status.code >= 500 {
                logger.error(
                    "request failed",
                    metadata: ["request_id": "\(requestID)", "error": "\(SecretRedactor.redact("\(error)"))"])
            }
        }
        response.headers[.requestID] = requestID
        if let tracer, let span {
            response.headers[.traceparent] = span.traceparent
            tracer.record(
                FinishedSpan(
                    context: span, parentSpanID: parent?.spanID, name: "\(route.method.rawValue) \(route.path)",
                    kind: 2,
                    start: startedAt, end: Date(),
                    attributes: [
                        "http.request.method": .string(route.method.rawValue), "http.route": .string(route.path),
                        "http.response.status_code": .int(Int(response.status.code)),
                        "nimbus.request_id": .string(requestID), "nimbus.key": .string(caller.name),
                    ], failed: response.status.code >= 500))
        }
        let elapsed = ContinuousClock.now - started
        metrics.request(
            route: route.path, method: route.method.rawValue, status: response.status.code, duration: elapsed)
        logger.info(
            "request",
            metadata: [
                "request_id": "\(requestID)", "method": "\(route.method.rawValue)", "route": "\(route.path)",
                "status": "\(response.status.code)", "ms": "\(elapsed.components.attoseconds / 1_000_000_000_000_000)",
                "key": "\(caller.name)",
            ])
        return response
    }

    func authenticate(_ route: Route, _ request: Request, requestID: String) async throws -> Caller {
        guard route.access != .open else { return Caller(key: nil, requestID: requestID) }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw ServerError.missingKey
        }
        let secret = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard let key = try await keys.verify(secret) else { throw ServerError.wrongKey }
        if let wait = limiter.take(key.digest) { throw ServerError.rateLimited(retryAfter: wait) }
        if route.access == .writer, key.readOnly {
            throw ServerError.readOnlyKey(route.method == .post ? "start, answer or cancel runs" : "do this")
        }
        return Caller(key: key, requestID: requestID)
    }

    /// The chat socket's authentication: the first message's key.
    func authenticate(secret: String) async throws -> APIKeyRecord {
        guard let key = try await keys.verify(secret) else { throw ServerError.wrongKey }
        if let wait = limiter.take(key.digest) { throw ServerError.rateLimited(retryAfter: wait) }
        return key
    }
}

/// The run workers, as a service of the application: they stop with it.
struct RunService: Service {
    let runs: RunCoordinator
    func run() async throws { await runs.serve() }
}

/// CORS for the configured origins, and JSON errors for paths no route serves.
struct ServerMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext
    let corsOrigins: [String]

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let origin = request.headers[.origin]
        let allowed = origin.flatMap { corsOrigins.contains($0) || corsOrigins.contains("*") ? $0 : nil }
        if request.method == .options, let allowed {
            return Response(
                status: .noContent,
                headers: [
                    .accessControlAllowOrigin: allowed, .accessControlAllowMethods: "GET, POST, OPTIONS",
                    .accessControlAllowHeaders: "Authorization, Content-Type, Prefer, Last-Event-ID",
                    .accessControlMaxAge: "600", .vary: "Origin",
                ])
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            let server =
                switch error.status {
                case .notFound: ServerError.notFound("\(request.method.rawValue) \(request.uri.path)")
                case .methodNotAllowed:
                    ServerError.badRequest("\(request.uri.path) does not take \(request.method.rawValue)")
                case .contentTooLarge: ServerError.bodyTooLarge(limit: context.maxUploadSize)
                default: ServerError.badRequest(error.body ?? "\(error.status)")
                }
            response = .error(server)
            if error.status == .methodNotAllowed { response.status = .methodNotAllowed }
        }
        if let allowed {
            response.headers[.accessControlAllowOrigin] = allowed
            response.headers[.vary] = "Origin"
        }
        return response
    }
}
