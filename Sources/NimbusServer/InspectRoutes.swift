import Foundation
import HTTPTypes
import Hummingbird
import NimbusCore
import NimbusInspect
import NimbusProducts

/// The inspection's routes: a question in, queued; where it stands; its report in any of the formats. Scripts run
/// in bubblewrap only (a request cannot ask for a plain process), and a script of the caller's own arrives as
/// text, never as a path on the server.
extension NimbusServer {
    var inspectRoutes: [Route] {
        [
            Route(
                method: .post, path: "/v1/inspect", operationID: "inspect",
                summary: "A question about the account, answered by sandboxed boto3 scripts with evidence (queued)",
                access: .key, tag: "inspect", parameters: [Parameters.prefer], body: InspectSchemas.request,
                replies: Replies.run.merging([
                    404: .init(description: "no AWS profile of that name", schema: Schemas.error)
                ]) { first, _ in first }
            ) { [self] request, _, caller in try await inspect(request, caller) },
            Route(
                method: .get, path: "/v1/inspect/{id}", operationID: "inspectStatus",
                summary: "Where an inspection stands: its state, iteration, findings so far, and its event stream",
                access: .key, tag: "inspect", parameters: [Parameters.id],
                replies: [200: .init(description: "the inspection", schema: InspectSchemas.status)]
            ) { [self] _, context, _ in try await inspectStatus(context) },
            Route(
                method: .get, path: "/v1/inspect/{id}/results", operationID: "inspectResults",
                summary: "An inspection's report: json (the default), md, html, csv or asff", access: .key,
                tag: "inspect", parameters: [Parameters.id, InspectSchemas.format],
                replies: [
                    200: .init(
                        description: "the report", schema: ["type": "object"], contentType: "application/json",
                        alternatives: ["text/markdown", "text/html", "text/csv"]),
                    409: .init(description: "the inspection is still running", schema: Schemas.error),
                ]
            ) { [self] request, context, _ in try await inspectResults(request, context) },
        ]
    }

    func inspect(_ request: Request, _ caller: Caller) async throws -> Response {
        // The body is the product's own request; what only the command line may choose is refused or cleared.
        var inspect = try await decode(InspectProduct.Request.self, request)
        guard !inspect.question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ServerError.badRequest(
                "the question is empty", suggestion: "ask about the account: \"which S3 buckets are public?\"")
        }
        guard inspect.sandbox == nil || inspect.sandbox == "bubblewrap" else {
            throw ServerError.badRequest(
                "the server runs scripts in bubblewrap only, not '\(inspect.sandbox ?? "")'",
                suggestion:
                    "leave out sandbox; a plain process is for `nimbus inspect --sandbox process` on your own machine")
        }
        inspect.sandbox = "bubblewrap"
        // The server's configured model writes scripts, never one a request names.
        inspect.model = nil
        let thread = SortableID().rawValue
        let job = RunJob(
            action: .start, product: InspectProduct.name, threadID: thread, request: try JSONValue(encoding: inspect),
            key: caller.name)
        return try await submit(job, request, conversation: nil, onBusy: .enqueue, caller: caller)
    }

    /// The inspection run `thread`, or 404 when it is some other product's run.
    func inspection(_ thread: String) async throws -> InspectProduct.Outcome {
        let result = try await host.outcome(threadID: thread)
        guard result.product == InspectProduct.name else {
            throw ServerError.notFound("inspection '\(thread)' (it is a \(result.product) run)")
        }
        return try result.decode(InspectProduct.Outcome.self)
    }

    func inspectStatus(_ context: ServerRequestContext) async throws -> Response {
        let thread = try threadParameter(context)
        let record = try await host.thread(thread)
        let outcome = try await inspection(thread)
        let running = runs.isActive(thread) || record.status == .running
        let location = "/v1/inspect/\(thread)"
        return .json([
            "thread_id": .string(thread),
            "state": .string(running ? "running" : outcome.state.rawValue),
            "question": .string(outcome.question),
            "iteration": .int(outcome.iterations.count),
            "findings": .int(outcome.findings.count),
            "answer": running || outcome.answer.isEmpty ? .null : .string(outcome.answer),
            "questions": try JSONValue(encoding: outcome.questions),
            "links": [
                "events": .string("/v1/runs/\(thread)/events"), "results": .string(location + "/results"),
            ],
        ])
    }

    func inspectResults(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let thread = try threadParameter(context)
        let name = request.uri.queryParameters.get("format").map { String($0) } ?? "json"
        guard let format = InspectionReportFormat(rawValue: name) else {
            throw ServerError.badRequest(
                "format is one of \(InspectionReportFormat.allCases.map(\.rawValue).joined(separator: ", ")), not '\(name)'"
            )
        }
        if runs.isActive(thread) {
            throw ServerError(
                code: .busy, message: "inspection \(thread) is still running",
                suggestion: "GET /v1/inspect/\(thread) shows where it stands")
        }
        let outcome = try await inspection(thread)
        let types: [InspectionReportFormat: String] = [
            .json: "application/json", .markdown: "text/markdown; charset=utf-8", .html: "text/html; charset=utf-8",
            .csv: "text/csv; charset=utf-8", .asff: "application/json",
        ]
        return .bytes(
            Array(outcome.report(format).utf8), contentType: types[format] ?? "text/plain",
            headers: [.contentDisposition: "inline; filename=\"inspection-\(thread).\(format.rawValue)\""])
    }
}

enum InspectSchemas {
    static let request = Schemas.object(
        [
            "question": ["type": "string", "minLength": 1, "description": "\"which S3 buckets are public?\""],
            "profile": Schemas.string, "region": Schemas.string, "offline": Schemas.boolean,
            "max_iterations": ["type": "integer", "minimum": 1, "maximum": 10, "default": 3],
            "max_retries": ["type": "integer", "minimum": 0, "maximum": 5, "default": 2],
            "script": ["type": "string", "description": "a Python script of your own, as text (needs policy)"],
            "policy": ["type": "object", "description": "the IAM policy document for script"],
            "script_name": Schemas.string,
            "sandbox": ["type": "string", "enum": ["bubblewrap"]],
        ], required: ["question"])
    static let status = Schemas.object(
        [
            "thread_id": Schemas.string, "state": Schemas.string, "question": Schemas.string,
            "iteration": ["type": "integer"], "findings": ["type": "integer"], "answer": ["type": ["string", "null"]],
            "questions": Schemas.array(["type": "object"]),
            "links": Schemas.object(["events": Schemas.string, "results": Schemas.string]),
        ], required: ["thread_id", "state"])
    static let format = Route.Parameter(
        name: "format", place: .query,
        schema: [
            "type": "string", "enum": .array(InspectionReportFormat.allCases.map { .string($0.rawValue) }),
            "default": "json",
        ],
        description: "the report's format")
}
