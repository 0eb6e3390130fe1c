import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NimbusAWS
import NimbusCore
import NimbusGraph
import NimbusHost
import NimbusModules
import NimbusOps
import NimbusProducts
import NimbusStore

/// The routes of the API, each a ``Route`` that both the router and `/openapi.json` are built from.
extension NimbusServer {
    var routes: [Route] {
        [
            Route(
                method: .get, path: "/v1/health", operationID: "health", summary: "The server is up", access: .open,
                tag: "server", replies: [200: .init(description: "up", schema: Schemas.health)]
            ) { _, _, _ in .json(["status": "ok", "version": .string(NimbusServer.version)]) },
            Route(
                method: .get, path: "/v1/ready", operationID: "ready",
                summary: "The server can serve (its store answers)",
                access: .open, tag: "server",
                replies: [
                    200: .init(description: "ready", schema: Schemas.health),
                    503: .init(description: "not ready", schema: Schemas.error),
                ]
            ) { [self] _, _, _ in try await ready() },
            Route(
                method: .get, path: "/v1/me", operationID: "me", summary: "The calling key", access: .key,
                tag: "server",
                replies: [200: .init(description: "the key", schema: Schemas.me)]
            ) { _, _, caller in
                .json([
                    "name": .string(caller.name), "read_only": .bool(caller.readOnly),
                    "prefix": .string(caller.key?.prefix ?? ""),
                ])
            },
            Route(
                method: .post, path: "/v1/ask", operationID: "ask",
                summary: "An AWS operations request in plain words (read-only keys run it read-only)", access: .key,
                tag: "runs", parameters: [Parameters.prefer], body: Schemas.ask, replies: Replies.run
            ) { [self] request, _, caller in try await ask(request, caller) },
            Route(
                method: .post, path: "/v1/modules", operationID: "generateModule",
                summary: "Generate a Terraform module; fetch it with /files or /archive", access: .writer,
                tag: "modules",
                parameters: [Parameters.prefer], body: Schemas.moduleRequest, replies: Replies.run
            ) { [self] request, _, caller in try await generateModule(request, caller) },
            Route(
                method: .get, path: "/v1/modules/{id}/files", operationID: "moduleFiles",
                summary: "The files of a generated module", access: .key, tag: "modules", parameters: [Parameters.id],
                replies: [200: .init(description: "the files", schema: Schemas.moduleFiles)]
            ) { [self] _, context, _ in try await moduleFiles(context) },
            Route(
                method: .get, path: "/v1/modules/{id}/archive", operationID: "moduleArchive",
                summary: "A generated module as a .tar.gz or .zip download", access: .key, tag: "modules",
                parameters: [Parameters.id, Parameters.format],
                replies: [
                    200: .init(description: "the archive", schema: nil, contentType: "application/octet-stream")
                ]
            ) { [self] request, context, _ in try await moduleArchive(request, context) },
            Route(
                method: .get, path: "/v1/runs", operationID: "listRuns", summary: "Runs, newest first", access: .key,
                tag: "runs", parameters: [Parameters.limit, Parameters.status],
                replies: [200: .init(description: "runs", schema: Schemas.runList)]
            ) { [self] request, _, _ in try await listRuns(request) },
            Route(
                method: .get, path: "/v1/runs/{id}", operationID: "showRun",
                summary: "A run: where it stands, its questions, its outcome", access: .key, tag: "runs",
                parameters: [Parameters.id], replies: [200: .init(description: "the run", schema: Schemas.runResult)]
            ) { [self] _, context, _ in try await showRun(context) },
            Route(
                method: .post, path: "/v1/runs/{id}/answers", operationID: "answerRun",
                summary: "Answer a run's questions or approvals (`true` approves, `false` declines)", access: .writer,
                tag: "runs", parameters: [Parameters.id, Parameters.prefer], body: Schemas.answers, replies: Replies.run
            ) { [self] request, context, caller in try await answer(request, context, caller) },
            Route(
                method: .post, path: "/v1/runs/{id}/cancel", operationID: "cancelRun",
                summary: "Cancel a queued or running run (it stops at its next checkpoint)", access: .writer,
                tag: "runs", parameters: [Parameters.id],
                replies: [200: .init(description: "cancelled or not", schema: Schemas.cancelled)]
            ) { [self] _, context, _ in try await cancel(context) },
            Route(
                method: .get, path: "/v1/runs/{id}/events", operationID: "runEvents",
                summary: "A run's events as Server-Sent Events; `Last-Event-ID` resumes after that event",
                access: .key, tag: "runs", parameters: [Parameters.id, Parameters.after, Parameters.lastEventID],
                replies: [200: .init(description: "the event stream", schema: nil, contentType: "text/event-stream")]
            ) { [self] request, context, _ in try await events(request, context) },
            Route(
                method: .get, path: "/v1/history", operationID: "history",
                summary: "Requests in words and how they ended, newest first", access: .key, tag: "history",
                parameters: [Parameters.limit],
                replies: [200: .init(description: "requests", schema: Schemas.history)]
            ) { [self] request, _, _ in
                let requests = try await host.store.requests(limit: try limit(request))
                return .json(["requests": .array(requests.map(\.json))])
            },
            Route(
                method: .get, path: "/v1/audit", operationID: "audit",
                summary: "Every AWS call made on someone's behalf, newest first", access: .key, tag: "history",
                parameters: [Parameters.limit, Parameters.since],
                replies: [200: .init(description: "audit entries", schema: Schemas.audit)]
            ) { [self] request, _, _ in try await audit(request) },
            Route(
                method: .get, path: "/v1/profiles", operationID: "profiles",
                summary: "AWS profiles this server can use (never their secrets)", access: .key, tag: "server",
                replies: [200: .init(description: "profiles", schema: Schemas.profiles)]
            ) { [self] _, _, _ in try profiles() },
            Route(
                method: .get, path: "/v1/products", operationID: "products", summary: "The products this server runs",
                access: .key, tag: "server", replies: [200: .init(description: "products", schema: Schemas.products)]
            ) { [self] _, _, _ in
                .json([
                    "products": .array(
                        host.catalog.all.map {
                            ["name": .string($0.name), "graph": .string($0.graph), "summary": .string($0.summary)]
                        })
                ])
            },
            Route(
                method: .get, path: "/metrics", operationID: "metrics", summary: "Prometheus metrics", access: .key,
                tag: "server",
                replies: [200: .init(description: "metrics", schema: nil, contentType: "text/plain; version=0.0.4")]
            ) { [self] _, _, _ in
                .bytes(Array(metrics.text().utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
            },
            Route(
                method: .get, path: "/openapi.json", operationID: "openapi", summary: "This document", access: .open,
                tag: "server", replies: [200: .init(description: "the OpenAPI document", schema: ["type": "object"])]
            ) { [self] _, _, _ in .json(openAPI) },
            Route(
                method: .get, path: "/v1/chat", operationID: "chat",
                summary: "The chat WebSocket (upgrade; the first message authenticates, see docs/server.md)",
                access: .open, tag: "chat",
                replies: [426: .init(description: "not a WebSocket upgrade", schema: Schemas.error)]
            ) { _, _, _ in
                let report = ErrorReport(
                    code: ServerError.notWebSocket.errorCode, message: ServerError.notWebSocket.message,
                    hint: ServerError.notWebSocket.suggestion)
                return .json(["error": report.json], status: HTTPResponse.Status(code: 426))
            },
        ] + inspectRoutes
    }

    // MARK: Handlers

    func ready() async throws -> Response {
        do {
            _ = try await host.store.threads(status: .running, limit: 1)
            return .json(["status": "ready", "version": .string(NimbusServer.version)])
        } catch {
            return .error(
                ServerError(code: .unavailable, message: "the store does not answer: \(error)", suggestion: nil))
        }
    }

    struct AskBody: Decodable {
        var text: String
        var profile: String?
        var region: String?
        var readOnly: Bool?
        var planOnly: Bool?
        var offline: Bool?
        var conversation: String?
        var onBusy: BusyPolicy?

        enum CodingKeys: String, CodingKey {
            case text, profile, region, offline, conversation
            case readOnly = "read_only"
            case planOnly = "plan_only"
            case onBusy = "on_busy"
        }
    }

    func ask(_ request: Request, _ caller: Caller) async throws -> Response {
        let body = try await decode(AskBody.self, request)
        guard !body.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ServerError.badRequest(
                "the request's text is empty", suggestion: "say what to do: \"list all S3 buckets\"")
        }
        let ops = OpsRequest(
            body.text, profile: body.profile, region: body.region,
            readOnly: caller.readOnly || (body.readOnly ?? false), planOnly: body.planOnly ?? false,
            approveAll: false, offline: body.offline ?? false, workingDirectory: nil)
        let thread = SortableID().rawValue
        let job = RunJob(
            action: .start, product: OpsProduct.name, threadID: thread, request: try JSONValue(encoding: ops),
            key: caller.name)
        return try await submit(
            job, request, conversation: body.conversation, onBusy: body.onBusy ?? .enqueue, caller: caller)
    }

    struct ModuleBody: Decodable {
        var request: String
        var answers: [String: String]?
        var backend: BackendChoice?
    }

    func generateModule(_ request: Request, _ caller: Caller) async throws -> Response {
        let body = try await decode(ModuleBody.self, request)
        guard !body.request.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ServerError.badRequest(
                "the module request is empty", suggestion: "say what to build: \"an S3 bucket\"")
        }
        let thread = SortableID().rawValue
        // The server chooses where a module is written — its own folder under the Nimbus home, by thread — never a
        // path from the request.
        let modules = ModulesProduct.Request(
            body.request, outputDirectory: moduleDirectory(thread).path,
            options: ModuleWorkflow.Options(backend: body.backend ?? .s3, answers: body.answers ?? [:]))
        let job = RunJob(
            action: .start, product: ModulesProduct.name, threadID: thread, request: try JSONValue(encoding: modules),
            key: caller.name)
        return try await submit(job, request, conversation: nil, onBusy: .enqueue, caller: caller)
    }

    struct AnswersBody: Decodable {
        var answers: [String: JSONValue]
    }

    func answer(_ request: Request, _ context: ServerRequestContext, _ caller: Caller) async throws -> Response {
        let thread = try threadParameter(context)
        let body = try await decode(AnswersBody.self, request)
        let record = try await host.thread(thread)
        let product = try host.catalog.product(graph: record.graph, thread: thread)
        guard record.status == .interrupted || record.status == .paused || record.status == .failed else {
            throw ServerError(
                code: .busy, message: "run \(thread) is \(record.status.rawValue) and waits for no answer",
                suggestion: "GET /v1/runs/\(thread) shows where it stands")
        }
        let job = RunJob(
            action: .resume, product: product.name, threadID: thread, answers: body.answers, key: caller.name)
        return try await submit(job, request, conversation: nil, onBusy: .enqueue, caller: caller)
    }

    /// Queues a run; answers 200 with its outcome when it ends or pauses in time, 202 with its id otherwise.
    func submit(
        _ job: RunJob, _ request: Request, conversation: String?, onBusy: BusyPolicy, caller: Caller? = nil
    ) async throws -> Response {
        var job = job
        job.traceparent = caller?.trace?.traceparent
        let respondAsync = request.headers[.prefer]?.lowercased().contains("respond-async") ?? false
        let record = try await runs.submit(
            job, conversation: conversation, onBusy: onBusy, wait: respondAsync ? .zero : patience)
        return try reply(record, thread: job.threadID)
    }

    func reply(_ record: JobRecord, thread: String) throws -> Response {
        if record.status == .cancelled {
            // Cancelled while queued, or stopped at a checkpoint by a cancel or an `interrupt`.
            return .json([
                "thread_id": .string(thread), "state": "cancelled", "product": record.payload["product"] ?? .null,
                "questions": .array([]), "outcome": .null,
            ])
        }
        guard record.status == .succeeded || record.status == .failed, let result = record.result else {
            let location = "/v1/runs/\(thread)"
            return .json(
                [
                    "thread_id": .string(thread), "state": .string(record.status == .queued ? "queued" : "running"),
                    "links": ["run": .string(location), "events": .string(location + "/events")],
                ], status: .accepted, headers: [.location: location])
        }
        if let error = result["error"] {
            let kind = error["kind"]?.stringValue.flatMap(ErrorKind.init(rawValue:)) ?? .internal
            return .json(["error": error, "thread_id": .string(thread)], status: kind.httpStatus)
        }
        return .json(result)
    }

    func showRun(_ context: ServerRequestContext) async throws -> Response {
        let thread = try threadParameter(context)
        let record = try await host.thread(thread)
        if runs.isActive(thread) || record.status == .running {
            if let result = try? await host.outcome(threadID: thread), record.status != .running {
                return .json(result.json(home: host.configuration.home))
            }
            return .json([
                "thread_id": .string(thread), "state": "running", "product": .string(productName(record.graph)),
                "questions": .array([]), "outcome": .null,
            ])
        }
        return .json(try await host.outcome(threadID: thread).json(home: host.configuration.home))
    }

    func listRuns(_ request: Request) async throws -> Response {
        let status: RunStatus? = try request.uri.queryParameters.get("status").map { text in
            guard let status = RunStatus(rawValue: String(text)) else {
                throw ServerError.badRequest(
                    "'\(text)' is not a run status",
                    suggestion: "use one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return status
        }
        let listings = try await host.store.threads(status: status, limit: try limit(request) * 2)
        let products = Dictionary(host.catalog.all.map { ($0.graph, $0.name) }) { first, _ in first }
        let runs: [JSONValue] = listings.compactMap { listing in
            guard let record = listing.record else {
                return ["thread_id": .string(listing.threadID), "problem": .string(listing.problem ?? "unreadable")]
            }
            // Subgraph threads belong to their parent run.
            guard record.parentThreadID == nil || record.status == .paused else { return nil }
            return [
                "thread_id": .string(record.threadID), "product": .string(products[record.graph] ?? record.graph),
                "status": .string(record.status.rawValue), "step": .int(record.step),
                "questions": .int(record.interrupts.count), "error": record.error.map(JSONValue.string) ?? .null,
                "created_at": .string(Self.time(record.createdAt)), "updated_at": .string(Self.time(record.updatedAt)),
            ]
        }
        return .json(["runs": .array(Array(runs.prefix(try limit(request))))])
    }

    func cancel(_ context: ServerRequestContext) async throws -> Response {
        let thread = try threadParameter(context)
        let cancelled = try await runs.cancel(threadID: thread)
        // A queued run has no thread yet; anything else that was never queued is not a run.
        if !cancelled { _ = try await host.thread(thread) }
        return .json(["thread_id": .string(thread), "cancelled": .bool(cancelled)])
    }

    func audit(_ request: Request) async throws -> Response {
        let since: Date? = try request.uri.queryParameters.get("since").map { text in
            guard let date = RelativeDate.since(String(text)) else {
                throw ServerError.badRequest(
                    "since takes a duration (30m, 2h, 7d) or an ISO 8601 date, not '\(text)'")
            }
            return date
        }
        let entries = try await host.store.auditEntries(since: since, requestID: nil, limit: try limit(request))
        return .json(["entries": .array(entries.map(\.json))])
    }

    func profiles() throws -> Response {
        let environment = host.awsEnvironment
        let chain = DefaultCredentialChain(
            explicitProfile: nil, environment: environment, files: try SharedConfigFiles.load(environment: environment),
            nimbusFile: nil, region: "us-east-1", callGuard: NoAWSCallsAllowed())
        let active = chain.profileName
        return .json([
            "profiles": .array(
                // "(environment)" and the like are where credentials come from, not profiles to switch to.
                try chain.summaries().filter { !$0.name.hasPrefix("(") }.map {
                    [
                        "name": .string($0.name), "region": $0.region.map(JSONValue.string) ?? .null,
                        "credentials": .string($0.kind), "active": .bool($0.name == active),
                    ]
                }),
            "default": .string(active),
        ])
    }

    // MARK: Reading requests

    func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: settings.maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw ServerError.bodyTooLarge(limit: settings.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw ServerError.bodyTooLarge(limit: settings.maxBodyBytes)
        }
        guard buffer.readableBytes > 0 else { throw ServerError.badRequest("the request has no JSON body") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw ServerError.badRequest("the JSON body cannot be read: \(JSONValueError.describe(error))")
        }
    }

    func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return 50 }
        guard let value = Int(text), (1...500).contains(value) else {
            throw ServerError.badRequest("limit must be a whole number from 1 to 500, not '\(text)'")
        }
        return value
    }

    func threadParameter(_ context: ServerRequestContext) throws -> String {
        guard let thread = context.parameters.get("id") else { throw ServerError.badRequest("no run id in the path") }
        do {
            try GraphError.validateThreadID(thread)
        } catch {
            throw ServerError.notFound("run '\(thread)'")
        }
        return thread
    }

    func productName(_ graph: String) -> String {
        host.catalog.all.first { $0.graph == graph }?.name ?? graph
    }

    static func time(_ date: Date) -> String {
        UTCTimestamp.string(date)
    }
}

extension HTTPField.Name {
    static let prefer = HTTPField.Name("Prefer")!
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    static let requestID = HTTPField.Name("X-Request-ID")!
}
