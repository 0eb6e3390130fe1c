import NimbusCore

/// The OpenAPI 3.1 document, made from the route table: a route cannot be served without being described.
extension NimbusServer {
    var openAPI: JSONValue {
        var paths: [String: JSONValue] = [:]
        for route in routes {
            var operation: [String: JSONValue] = [
                "operationId": .string(route.operationID), "summary": .string(route.summary),
                "tags": [.string(route.tag)],
            ]
            if !route.parameters.isEmpty {
                operation["parameters"] = .array(
                    route.parameters.map { parameter in
                        [
                            "name": .string(parameter.name), "in": .string(parameter.place.rawValue),
                            "required": .bool(parameter.place == .path || parameter.required),
                            "description": .string(parameter.description), "schema": parameter.schema,
                        ]
                    })
            }
            if let body = route.body {
                operation["requestBody"] = [
                    "required": true, "content": ["application/json": ["schema": body]],
                ]
            }
            var responses: [String: JSONValue] = [:]
            for (code, reply) in route.replies {
                var content: JSONValue = .object([:])
                if let schema = reply.schema {
                    content = [.init(stringLiteral: reply.contentType): ["schema": schema]]
                } else {
                    content = [.init(stringLiteral: reply.contentType): ["schema": ["type": "string"]]]
                }
                for alternative in reply.alternatives {
                    content[alternative] = ["schema": ["type": "string"]]
                }
                responses[String(code)] = ["description": .string(reply.description), "content": content]
            }
            for (code, description) in Self.errorReplies(route) where responses[String(code)] == nil {
                responses[String(code)] = [
                    "description": .string(description),
                    "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]],
                ]
            }
            operation["responses"] = .object(responses)
            if route.access != .open { operation["security"] = [["bearer": []]] }
            var item = paths[route.path]?.objectValue ?? [:]
            item[route.method.rawValue.lowercased()] = .object(operation)
            paths[route.path] = .object(item)
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Nimbus", "version": .string(Self.version),
                "description":
                    "Nimbus over HTTP: AWS operations in plain words, Terraform modules, runs and their events. See docs/server.md.",
            ],
            "paths": .object(paths),
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]],
                "schemas": ["Error": Schemas.error],
            ],
        ]
    }

    /// The errors a route may answer, besides its own replies.
    static func errorReplies(_ route: Route) -> [(Int, String)] {
        var replies: [(Int, String)] = [(500, "the server failed")]
        if route.access != .open {
            replies += [(401, "no key, or a wrong or revoked one"), (429, "rate limited (Retry-After)")]
        }
        if route.access == .writer { replies.append((403, "a read-only key")) }
        if route.body != nil || !route.parameters.filter({ $0.place == .query || $0.place == .header }).isEmpty {
            replies.append((400, "the request is malformed"))
        }
        if route.body != nil { replies += [(413, "the body is too large"), (409, "the conversation is busy")] }
        if route.parameters.contains(where: { $0.place == .path }) { replies.append((404, "no such run or module")) }
        if route.body != nil || route.path.contains("{id}") {
            replies += [(403, "refused by a policy"), (502, "AWS or a model failed"), (503, "unavailable")]
        }
        return replies
    }
}

/// The query, path and header parameters the routes share.
enum Parameters {
    static let id = Route.Parameter(
        name: "id", place: .path, schema: ["type": "string"], description: "the run's thread id")
    static let limit = Route.Parameter(
        name: "limit", place: .query, schema: ["type": "integer", "minimum": 1, "maximum": 500, "default": 50],
        description: "at most this many")
    static let status = Route.Parameter(
        name: "status", place: .query,
        schema: ["type": "string", "enum": ["running", "interrupted", "paused", "completed", "failed", "cancelled"]],
        description: "only runs in this state")
    static let since = Route.Parameter(
        name: "since", place: .query, schema: ["type": "string"],
        description: "a duration back from now (30m, 2h, 7d) or an ISO 8601 date")
    static let format = Route.Parameter(
        name: "format", place: .query, schema: ["type": "string", "enum": ["tar.gz", "zip"], "default": "tar.gz"],
        description: "the archive's format")
    static let after = Route.Parameter(
        name: "after", place: .query, schema: ["type": "integer", "minimum": 0],
        description: "only events after this one (as Last-Event-ID)")
    static let lastEventID = Route.Parameter(
        name: "Last-Event-ID", place: .header, schema: ["type": "string", "pattern": "^[0-9]+$"],
        description: "resume after this event")
    static let prefer = Route.Parameter(
        name: "Prefer", place: .header, schema: ["type": "string"],
        description: "`respond-async`: answer 202 with the run's id at once")
}

/// What a run route answers: the outcome (200) or its id while it is queued or running (202).
enum Replies {
    static let run: [Int: Route.Reply] = [
        200: .init(description: "the run ended or waits for an answer", schema: Schemas.runResult),
        202: .init(description: "the run is queued or running", schema: Schemas.accepted),
    ]
}

/// JSON schemas of the bodies, kept loose where a product's outcome is its own (docs/outcomes.md).
enum Schemas {
    static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        ["type": "object", "properties": .object(properties), "required": .array(required.map(JSONValue.string))]
    }
    static let string: JSONValue = ["type": "string"]
    static let nullableString: JSONValue = ["type": ["string", "null"]]
    static let boolean: JSONValue = ["type": "boolean"]
    static let integer: JSONValue = ["type": "integer"]
    static func array(_ items: JSONValue) -> JSONValue { ["type": "array", "items": items] }

    static let error = object(
        [
            "error": object(
                ["code": string, "kind": string, "message": string, "hint": string], required: ["code", "message"])
        ], required: ["error"])
    static let health = object(["status": string, "version": string], required: ["status"])
    static let me = object(["name": string, "read_only": boolean, "prefix": string], required: ["name", "read_only"])
    static let ask = object(
        [
            "text": ["type": "string", "minLength": 1, "description": "\"list all S3 buckets\""],
            "profile": string, "region": string, "read_only": boolean, "plan_only": boolean, "offline": boolean,
            "conversation": ["type": "string", "description": "runs of one conversation go one at a time"],
            "on_busy": ["type": "string", "enum": ["enqueue", "reject", "interrupt"]],
        ], required: ["text"])
    static let moduleRequest = object(
        [
            "request": ["type": "string", "minLength": 1, "description": "\"an S3 bucket with versioning\""],
            "answers": ["type": "object", "additionalProperties": string],
            "backend": ["type": "string", "enum": ["s3", "local"]],
        ], required: ["request"])
    static let answers = object(
        ["answers": ["type": "object", "description": "by interrupt id or question key; approvals take true/false"]],
        required: ["answers"])
    static let runResult = object(
        [
            "product": string, "thread_id": string,
            "state": ["type": "string", "enum": ["done", "waiting", "refused", "failed", "running", "cancelled"]],
            "questions": array(["type": "object"]), "outcome": ["type": ["object", "null"]],
        ], required: ["thread_id", "state"])
    static let accepted = object(
        [
            "thread_id": string, "state": ["type": "string", "enum": ["queued", "running"]],
            "links": object(["run": string, "events": string]),
        ], required: ["thread_id", "state"])
    static let cancelled = object(["thread_id": string, "cancelled": boolean], required: ["thread_id", "cancelled"])
    static let runList = object(
        [
            "runs": array(
                object(
                    [
                        "thread_id": string, "product": string, "status": string, "step": integer, "questions": integer,
                        "error": nullableString, "created_at": string, "updated_at": string, "problem": string,
                    ], required: ["thread_id"]))
        ], required: ["runs"])
    static let history = object(["requests": array(["type": "object"])], required: ["requests"])
    static let audit = object(["entries": array(["type": "object"])], required: ["entries"])
    static let profiles = object(
        [
            "profiles": array(
                object(
                    ["name": string, "region": nullableString, "credentials": string, "active": boolean],
                    required: ["name"])),
            "default": nullableString,
        ], required: ["profiles"])
    static let products = object(
        ["products": array(object(["name": string, "graph": string, "summary": string], required: ["name"]))],
        required: ["products"])
    static let moduleFiles = object(
        [
            "thread_id": string, "name": string,
            "files": array(
                object(["path": string, "bytes": integer, "content": string], required: ["path", "content"])),
        ], required: ["thread_id", "files"])
}
