import HTTPTypes
import Hummingbird
import NimbusCore
import NimbusStore

/// Who may call a route.
enum RouteAccess: Sendable {
    /// Anyone: health, readiness, the page, the OpenAPI document.
    case open
    /// Any live key.
    case key
    /// A key that is not read-only.
    case writer
}

/// One route of the API: how it is served and how the OpenAPI document describes it. The router is built from
/// ``ServerRoutes/all`` and so is `/openapi.json`, so the two cannot drift apart.
struct Route: Sendable {
    struct Parameter: Sendable {
        enum Place: String, Sendable { case path, query, header }
        var name: String
        var place: Place
        var schema: JSONValue
        var description: String
        var required: Bool = false
    }

    struct Reply: Sendable {
        var description: String
        /// The JSON schema of the body (`application/json`), or nil for another content type.
        var schema: JSONValue?
        var contentType: String = "application/json"
        /// Further content types the reply may have (a report in another format), each a string.
        var alternatives: [String] = []
    }

    var method: HTTPRequest.Method
    /// In OpenAPI form: `/v1/runs/{id}`.
    var path: String
    var operationID: String
    var summary: String
    var access: RouteAccess
    var tag: String
    var parameters: [Parameter] = []
    /// The JSON schema of the request body, if it takes one.
    var body: JSONValue? = nil
    /// Replies besides the errors every route may give (added by the document).
    var replies: [Int: Reply]
    var handler: @Sendable (Request, ServerRequestContext, Caller) async throws -> Response

    /// The path as Hummingbird's router takes it: `/v1/runs/:id`.
    var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : String(part)
        }.joined(separator: "/")
    }
}

/// Who is calling: the key, when the route needs one.
struct Caller: Sendable {
    var key: APIKeyRecord?
    var requestID: String
    /// The request's span, when traces are sent: runs it starts are its children.
    var trace: TraceContext? = nil
    var name: String { key?.name ?? "anonymous" }
    var readOnly: Bool { key?.readOnly ?? true }
}

/// The request context of the server's routes.
struct ServerRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
    var maxUploadSize: Int { 1 << 20 }
}

extension Response {
    /// A JSON response.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: value.jsonText)))
    }

    /// A response of `bytes` of `contentType`.
    static func bytes(
        _ bytes: [UInt8], contentType: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]
    ) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The error body every route answers with: `{"error": {"code", "kind", "message", "hint"}}`.
    static func error(_ error: any Error) -> Response {
        let report = ErrorReport(error)
        var headers: HTTPFields = [:]
        if let retry = (error as? ServerError)?.retryAfter { headers[.retryAfter] = String(retry) }
        let status: HTTPResponse.Status =
            (error as? ServerError)?.code == .bodyTooLarge ? .contentTooLarge : report.kind.httpStatus
        return .json(.object(["error": report.json]), status: status, headers: headers)
    }
}
