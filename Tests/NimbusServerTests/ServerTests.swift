import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NimbusAWS
import NimbusCore
import NimbusHost
import NimbusServer
import NimbusStore
import NimbusTesting
import Synchronization
import Testing

/// A server on a private Nimbus home whose AWS is the shared moto server, with a full key and a read-only one.
struct TestServer {
    let home: URL
    let host: NimbusHost
    let server: NimbusServer
    let key: String
    let readOnlyKey: String
    let aws: AWSClient

    init(settings: ServerSettings = ServerSettings(workers: 2), patience: Duration = .seconds(60)) async throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-server-\(SortableID().rawValue)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let moto = try await MotoServer.shared()
        host = try NimbusHost(configuration: NimbusConfiguration(home: home), awsEnvironment: moto.isolatedEnvironment)
        server = NimbusServer(host: host, settings: settings, patience: patience)
        key = try await server.keys.add(name: "tester", readOnly: false).secret
        readOnlyKey = try await server.keys.add(name: "viewer", readOnly: true).secret
        aws = try moto.client()
    }

    func bucket(_ prefix: String) async throws -> String {
        let name = "\(prefix)-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        _ = try await aws.call("s3", "CreateBucket", ["Bucket": .string(name)])
        return name
    }

    func bucketExists(_ name: String) async throws -> Bool {
        let listed = try await aws.call("s3", "ListBuckets", [:])
        return (listed["Buckets"]?.arrayValue ?? []).contains { $0["Name"]?.stringValue == name }
    }
}

extension TestClientProtocol {
    /// A request with a key (or none) and a JSON body; the answer's status and body as JSON (null when not JSON).
    func call(
        _ method: HTTPRequest.Method, _ uri: String, key: String?, body: JSONValue? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> (status: Int, json: JSONValue, response: TestResponse) {
        var headers = extra
        if let key { headers[.authorization] = "Bearer \(key)" }
        if body != nil { headers[.contentType] = "application/json" }
        let response = try await execute(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0.jsonText) })
        let json = (try? JSONValue(parsing: Data(response.body.readableBytesView))) ?? .null
        return (Int(response.status.code), json, response)
    }
}

@Suite("nimbus serve: REST", .serialized)
struct ServerTests {
    /// The bucket names a "list all S3 buckets" outcome holds (its text shows the first 50 of a busy emulator).
    static func listed(_ result: JSONValue) -> [String] {
        (result["outcome"]?["steps"]?.arrayValue ?? []).flatMap { $0["result"]?["buckets"]?.arrayValue ?? [] }
            .compactMap { $0["name"]?.stringValue }
    }

    @Test("health and ready need no key; every other route needs a live one, and a revoked key stops working")
    func auth() async throws {
        let test = try await TestServer()
        try await test.server.application().test(.router) { client in
            #expect(try await client.call(.get, "/v1/health", key: nil).status == 200)
            #expect(try await client.call(.get, "/v1/ready", key: nil).status == 200)
            let none = try await client.call(.get, "/v1/runs", key: nil)
            #expect(none.status == 401)
            #expect(none.json["error"]?["code"]?.stringValue == "server.unauthorized")
            #expect(try await client.call(.get, "/v1/runs", key: "nmb_wrong").status == 401)
            #expect(try await client.call(.get, "/v1/runs", key: test.key).status == 200)
            let me = try await client.call(.get, "/v1/me", key: test.readOnlyKey)
            #expect(me.json["read_only"] == true)
            #expect(try await test.host.store.revokeAPIKey(name: "tester", at: Date()))
            #expect(try await client.call(.get, "/v1/runs", key: test.key).status == 401)
            let unknown = try await client.call(.get, "/v1/nothing-here", key: nil)
            #expect(unknown.status == 404)
            #expect(unknown.json["error"]?["code"]?.stringValue == "server.not_found")
        }
        // Keys are kept only as digests.
        let stored = try await test.host.store.apiKeys()
        #expect(stored.count == 2)
        #expect(stored.allSatisfy { $0.digest.count == 64 && !test.key.contains($0.digest) })
    }

    @Test("the OpenAPI document describes every route the router serves")
    func openAPICoversRoutes() async throws {
        let test = try await TestServer()
        try await test.server.application().test(.router) { client in
            let document = try await client.call(.get, "/openapi.json", key: nil).json
            #expect(document["openapi"] == "3.1.0")
            let paths = document["paths"]?.objectValue ?? [:]
            for (path, method) in [
                ("/v1/ask", "post"), ("/v1/modules", "post"), ("/v1/runs", "get"), ("/v1/runs/{id}", "get"),
                ("/v1/runs/{id}/answers", "post"), ("/v1/runs/{id}/cancel", "post"), ("/v1/runs/{id}/events", "get"),
                ("/v1/history", "get"), ("/v1/audit", "get"), ("/v1/profiles", "get"), ("/v1/health", "get"),
                ("/v1/ready", "get"), ("/metrics", "get"), ("/v1/modules/{id}/archive", "get"), ("/v1/chat", "get"),
            ] {
                #expect(paths[path]?[method] != nil, "\(method) \(path) is not in /openapi.json")
            }
            // Each documented operation is served: none answers 404 "no such route" or 405.
            for (path, item) in paths {
                for (method, _) in item.objectValue ?? [:] {
                    let uri = path.replacingOccurrences(of: "{id}", with: "01M000000000000000000000AA")
                    let answer = try await client.call(
                        HTTPRequest.Method(method.uppercased())!, uri, key: test.key, body: method == "post" ? [:] : nil
                    )
                    #expect(answer.status != 405, "\(method) \(path)")
                    #expect(
                        answer.json["error"]?["message"]?.stringValue?.hasPrefix("\(method.uppercased()) ") != true,
                        "\(method) \(path) is documented but not routed: \(answer.json)")
                }
            }
        }
    }

    @Test(
        "list buckets, then a deletion that waits for approval; a read-only key cannot approve; declined, the bucket stays"
    )
    func approvalOverREST() async throws {
        let test = try await TestServer()
        let bucket = try await test.bucket("rest-approve")
        try await test.server.application().test(.router) { client in
            let list = try await client.call(.post, "/v1/ask", key: test.key, body: ["text": "list all S3 buckets"])
            #expect(list.status == 200, "\(list.json)")
            #expect(list.json["state"] == "done")
            #expect(Self.listed(list.json).contains(bucket), "\(list.json.jsonText.prefix(300))")

            let delete = try await client.call(
                .post, "/v1/ask", key: test.key, body: ["text": .string("delete the S3 bucket \(bucket)")])
            #expect(delete.json["state"] == "waiting", "\(delete.json)")
            let thread = try #require(delete.json["thread_id"]?.stringValue)
            let interrupt = try #require(delete.json["outcome"]?["approval"]?["interrupt_id"]?.stringValue)
            #expect(try await test.bucketExists(bucket), "nothing runs before the answer")

            let viewer = try await client.call(
                .post, "/v1/runs/\(thread)/answers", key: test.readOnlyKey, body: ["answers": [interrupt: true]])
            #expect(viewer.status == 403)
            #expect(viewer.json["error"]?["code"]?.stringValue == "server.read_only_key")
            #expect(try await test.bucketExists(bucket))

            let declined = try await client.call(
                .post, "/v1/runs/\(thread)/answers", key: test.key, body: ["answers": [interrupt: false]])
            #expect(declined.status == 200, "\(declined.json)")
            #expect(declined.json["outcome"]?["status"] == "declined")
            #expect(try await test.bucketExists(bucket), "declined: the bucket is still there")

            let again = try await client.call(
                .post, "/v1/runs/\(thread)/answers", key: test.key, body: ["answers": [interrupt: true]])
            #expect(again.status == 409, "a finished run takes no answer: \(again.json)")

            let shown = try await client.call(.get, "/v1/runs/\(thread)", key: test.readOnlyKey)
            #expect(shown.json["outcome"]?["status"] == "declined")
            let history = try await client.call(.get, "/v1/history?limit=5", key: test.key)
            #expect((history.json["requests"]?.arrayValue ?? []).contains { $0["id"]?.stringValue == thread })
            let audit = try await client.call(.get, "/v1/audit?since=1h", key: test.key)
            #expect(
                (audit.json["entries"]?.arrayValue ?? []).contains {
                    $0["operation"]?.stringValue == "ListBuckets" || $0["action"]?.stringValue == "s3:ListBuckets"
                }, "\(audit.json)")
        }
    }

    @Test("a read-only key's requests run read-only: a deletion is refused, not asked")
    func readOnlyKeyAsks() async throws {
        let test = try await TestServer()
        let bucket = try await test.bucket("rest-ro")
        try await test.server.application().test(.router) { client in
            let delete = try await client.call(
                .post, "/v1/ask", key: test.readOnlyKey, body: ["text": .string("delete the S3 bucket \(bucket)")])
            #expect(delete.json["state"] == "refused" || delete.json["state"] == "done", "\(delete.json)")
            #expect(delete.json["outcome"]?["approval"] == nil || delete.json["outcome"]?["approval"] == .null)
            #expect(try await test.bucketExists(bucket))
            let module = try await client.call(
                .post, "/v1/modules", key: test.readOnlyKey, body: ["request": "an SQS queue"])
            #expect(module.status == 403)
        }
    }

    @Test(
        "Prefer: respond-async answers 202 at once; the run is polled to its end; its events resume from Last-Event-ID")
    func asyncAndEvents() async throws {
        let test = try await TestServer()
        try await test.server.application().test(.router) { client in
            let accepted = try await client.call(
                .post, "/v1/ask", key: test.key, body: ["text": "list all S3 buckets"],
                headers: [HTTPField.Name("Prefer")!: "respond-async"])
            #expect(accepted.status == 202, "\(accepted.json)")
            let thread = try #require(accepted.json["thread_id"]?.stringValue)
            var state = ""
            for _ in 0..<100 where state != "done" {
                let run = try await client.call(.get, "/v1/runs/\(thread)", key: test.key)
                state = run.json["state"]?.stringValue ?? ""
                if state != "done" { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(state == "done")

            let stream = try await client.call(.get, "/v1/runs/\(thread)/events", key: test.key)
            let text = String(buffer: stream.response.body)
            #expect(stream.response.headers[.contentType] == "text/event-stream")
            let ids = text.split(separator: "\n").filter { $0.hasPrefix("id: ") }.compactMap { Int($0.dropFirst(4)) }
            #expect(ids.count > 3 && ids == ids.sorted())
            #expect(text.contains("event: run_finished") && text.contains("event: end"))
            let middle = ids[ids.count / 2]
            let resumed = try await client.call(
                .get, "/v1/runs/\(thread)/events", key: test.key,
                headers: [HTTPField.Name("Last-Event-ID")!: String(middle)])
            let later = String(buffer: resumed.response.body).split(separator: "\n").filter { $0.hasPrefix("id: ") }
                .compactMap { Int($0.dropFirst(4)) }
            #expect(later == ids.filter { $0 > middle }, "a reconnecting client misses nothing and sees nothing twice")
            let bad = try await client.call(
                .get, "/v1/runs/\(thread)/events", key: test.key, headers: [HTTPField.Name("Last-Event-ID")!: "x"])
            #expect(bad.status == 400)
        }
    }

    @Test("a module comes back as files, a .tar.gz and a .zip, and the server's own paths never show")
    func moduleDownloads() async throws {
        let test = try await TestServer()
        try await test.server.application().test(.router) { client in
            let made = try await client.call(
                .post, "/v1/modules", key: test.key, body: ["request": "an S3 bucket with versioning"])
            #expect(made.status == 200, "\(made.json)")
            #expect(made.json["state"] == "done")
            #expect(!made.json.jsonText.contains(test.home.path), "the server's home never shows")
            let thread = try #require(made.json["thread_id"]?.stringValue)
            let files = try await client.call(.get, "/v1/modules/\(thread)/files", key: test.readOnlyKey)
            let paths = (files.json["files"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue }
            #expect(paths.contains("main.tf") && paths.contains("variables.tf") && paths.contains("README.md"))
            for format in ["tar.gz", "zip"] {
                let archive = try await client.call(
                    .get, "/v1/modules/\(thread)/archive?format=\(format)", key: test.key)
                #expect(archive.status == 200)
                let bytes = [UInt8](archive.response.body.readableBytesView)
                #expect(bytes.prefix(2) == (format == "zip" ? [0x50, 0x4B] : [0x1F, 0x8B]))
                #expect(archive.response.headers[.contentDisposition]?.contains(".\(format)") == true)
            }
            let wrong = try await client.call(.get, "/v1/modules/\(thread)/archive?format=rar", key: test.key)
            #expect(wrong.status == 400)
            // A run that is not a module has no files.
            let ops = try await client.call(.post, "/v1/ask", key: test.key, body: ["text": "list all S3 buckets"])
            let opsThread = try #require(ops.json["thread_id"]?.stringValue)
            #expect(try await client.call(.get, "/v1/modules/\(opsThread)/files", key: test.key).status == 404)
        }
    }

    @Test("bad input gets a clear error: no body, bad JSON, an empty request, a huge body, a bad limit")
    func badInput() async throws {
        let test = try await TestServer(settings: ServerSettings(workers: 1, maxBodyBytes: 4096))
        try await test.server.application().test(.router) { client in
            let empty = try await client.call(.post, "/v1/ask", key: test.key)
            #expect(empty.status == 400)
            let notJSON = try await client.execute(
                uri: "/v1/ask", method: .post, headers: [.authorization: "Bearer \(test.key)"],
                body: ByteBuffer(string: "{text: oops"))
            #expect(notJSON.status == .badRequest)
            #expect(String(buffer: notJSON.body).contains("cannot be read"))
            #expect(try await client.call(.post, "/v1/ask", key: test.key, body: ["text": " "]).status == 400)
            let huge = try await client.call(
                .post, "/v1/ask", key: test.key, body: ["text": .string(String(repeating: "a", count: 10_000))])
            #expect(huge.status == 413, "\(huge.json)")
            #expect(try await client.call(.get, "/v1/runs?limit=0", key: test.key).status == 400)
            #expect(try await client.call(.get, "/v1/runs?status=sideways", key: test.key).status == 400)
            #expect(try await client.call(.get, "/v1/audit?since=yesterdayish", key: test.key).status == 400)
            #expect(try await client.call(.get, "/v1/runs/not-a-thread!", key: test.key).status == 404)
            #expect(try await client.call(.get, "/v1/runs/01M000000000000000000000AA", key: test.key).status == 404)
        }
    }

    @Test("rate limits answer 429 with Retry-After; metrics count requests by route and status")
    func rateLimitAndMetrics() async throws {
        let test = try await TestServer(settings: ServerSettings(workers: 1, rateLimit: 0.5, rateBurst: 3))
        try await test.server.application().test(.router) { client in
            var statuses: [Int] = []
            for _ in 0..<5 { statuses.append(try await client.call(.get, "/v1/me", key: test.key).status) }
            #expect(statuses.prefix(3).allSatisfy { $0 == 200 })
            #expect(statuses.last == 429)
            let limited = try await client.call(.get, "/v1/me", key: test.key)
            #expect(Int(limited.response.headers[.retryAfter] ?? "") ?? 0 >= 1)
            // Another key has its own bucket.
            let metrics = try await client.execute(
                uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(test.readOnlyKey)"])
            let text = String(buffer: metrics.body)
            #expect(text.contains("nimbus_http_requests_total{route=\"/v1/me\",method=\"GET\",status=\"429\"}"))
            #expect(text.contains("nimbus_http_request_duration_seconds_bucket"))
        }
    }

    @Test("a conversation's second message waits, is refused, or interrupts, as asked")
    func busyConversation() async throws {
        let test = try await TestServer()
        try await test.server.application().test(.router) { client in
            let first = try await client.call(
                .post, "/v1/ask", key: test.key,
                body: ["text": "list all S3 buckets", "conversation": "c1"],
                headers: [HTTPField.Name("Prefer")!: "respond-async"])
            #expect(first.status == 202)
            let second = try await client.call(
                .post, "/v1/ask", key: test.key,
                body: ["text": "list all S3 buckets", "conversation": "c1", "on_busy": "enqueue"])
            #expect(second.status == 200, "enqueued: it runs after the first: \(second.json)")
            let rejected = try await client.call(
                .post, "/v1/ask", key: test.key, body: ["text": "list all S3 buckets", "on_busy": "sometimes"])
            #expect(rejected.status == 400, "an unknown policy is refused")
        }
    }

    @Test("a finished run calls the configured webhook, signed with HMAC-SHA256 over timestamp and body")
    func webhook() async throws {
        let received = Mutex<[(body: String, signature: String, timestamp: String)]>([])
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 16))
            let signature = request.headers[HTTPField.Name("X-Nimbus-Signature")!] ?? ""
            let timestamp = request.headers[HTTPField.Name("X-Nimbus-Timestamp")!] ?? ""
            received.withLock { $0.append((body, signature, timestamp)) }
            return .noContent
        }
        try await Application(router: router).test(.live) { receiver in
            let port = try #require(receiver.port)
            let test = try await TestServer(
                settings: ServerSettings(
                    workers: 1, webhookURL: "http://127.0.0.1:\(port)/hook", webhookSecret: "hook-secret-42"))
            try await test.server.application().test(.router) { client in
                let asked = try await client.call(
                    .post, "/v1/ask", key: test.key, body: ["text": "list all S3 buckets"])
                let thread = try #require(asked.json["thread_id"]?.stringValue)
                for _ in 0..<50 where received.withLock({ $0.isEmpty }) {
                    try await Task.sleep(for: .milliseconds(100))
                }
                let call = try #require(received.withLock { $0.first })
                let event = try JSONValue(parsing: call.body)
                #expect(event["thread_id"]?.stringValue == thread)
                #expect(event["state"] == "done" && event["product"] == "ops")
                let mac = HMAC<SHA256>.authenticationCode(
                    for: Data("\(call.timestamp).\(call.body)".utf8),
                    using: SymmetricKey(data: Data("hook-secret-42".utf8)))
                #expect(call.signature == "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
            }
        }
    }

    @Test("CORS is off by default and answers only the configured origins")
    func cors() async throws {
        let closed = try await TestServer()
        try await closed.server.application().test(.router) { client in
            let answer = try await client.call(
                .get, "/v1/health", key: nil, headers: [.origin: "https://dashboard.example"])
            #expect(answer.response.headers[.accessControlAllowOrigin] == nil)
        }
        let open = try await TestServer(
            settings: ServerSettings(workers: 1, corsOrigins: ["https://dashboard.example"]))
        try await open.server.application().test(.router) { client in
            let preflight = try await client.call(
                .options, "/v1/runs", key: nil,
                headers: [.origin: "https://dashboard.example", .accessControlRequestMethod: "GET"])
            #expect(preflight.status == 204)
            #expect(preflight.response.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            let other = try await client.call(.get, "/v1/health", key: nil, headers: [.origin: "https://evil.example"])
            #expect(other.response.headers[.accessControlAllowOrigin] == nil)
            let allowed = try await client.call(
                .get, "/v1/health", key: nil, headers: [.origin: "https://dashboard.example"])
            #expect(allowed.response.headers[.accessControlAllowOrigin] == "https://dashboard.example")
        }
    }

    @Test("with an OTLP endpoint, each request and each run is a span (OTLP/HTTP JSON), joined to the caller's trace")
    func traces() async throws {
        let bodies = Mutex<[JSONValue]>([])
        let router = Router()
        router.post("/v1/traces") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            bodies.withLock { $0.append((try? JSONValue(parsing: Data(body.readableBytesView))) ?? .null) }
            return .ok
        }
        try await Application(router: router).test(.live) { collector in
            let port = try #require(collector.port)
            let test = try await TestServer(
                settings: ServerSettings(workers: 1, otlpEndpoint: "http://127.0.0.1:\(port)"))
            let caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            try await test.server.application().test(.router) { client in
                let asked = try await client.call(
                    .post, "/v1/ask", key: test.key, body: ["text": "list all S3 buckets"],
                    headers: [.traceparent: caller])
                #expect(asked.response.headers[.traceparent]?.hasPrefix("00-4bf92f3577b34da6a3ce929d0e0e4736-") == true)
                var spans: [JSONValue] = []
                for _ in 0..<50 {
                    try await Task.sleep(for: .milliseconds(100))
                    spans = Self.spans(bodies.withLock { $0 })
                    // Spans leave in batches, the request's and the run's in either order: wait for both.
                    if Self.named("run ops", in: spans) != nil, Self.named("POST /v1/ask", in: spans) != nil { break }
                }
                let request = try #require(Self.named("POST /v1/ask", in: spans))
                let run = try #require(Self.named("run ops", in: spans))
                #expect(request["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736")
                #expect(request["parentSpanId"] == "00f067aa0ba902b7")
                #expect(run["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736")
                #expect(run["parentSpanId"] == request["spanId"], "the run is the request's child")
                // The run's nodes are its children, and the AWS call is inside the node that made it.
                let (nodes, calls) = Self.children(of: run, in: spans, call: "aws s3:ListBuckets")
                #expect(!nodes.isEmpty, "the run's nodes are spans of its own")
                #expect(calls == 1, "the ListBuckets call is a span inside a node")
                #expect(!bodies.withLock { $0 }.map(\.jsonText).joined().contains(test.key), "no key in a span")
            }
        }
    }

    static func spans(_ bodies: [JSONValue]) -> [JSONValue] {
        var spans: [JSONValue] = []
        for body in bodies {
            for resource in body["resourceSpans"]?.arrayValue ?? [] {
                for scope in resource["scopeSpans"]?.arrayValue ?? [] { spans += scope["spans"]?.arrayValue ?? [] }
            }
        }
        return spans
    }

    static func named(_ name: String, in spans: [JSONValue]) -> JSONValue? {
        spans.first { $0["name"]?.stringValue == name }
    }

    /// The node spans under `run`, and how many spans named `call` sit under one of them.
    static func children(of run: JSONValue, in spans: [JSONValue], call: String) -> (nodes: [String], calls: Int) {
        let nodes = spans.filter {
            $0["parentSpanId"] == run["spanId"] && $0["name"]?.stringValue?.hasPrefix("node ") == true
        }
        let ids = Set(nodes.compactMap { $0["spanId"]?.stringValue })
        let calls = spans.filter {
            $0["name"]?.stringValue == call && ids.contains($0["parentSpanId"]?.stringValue ?? "")
        }
        return (nodes.compactMap { $0["name"]?.stringValue }, calls.count)
    }

    @Test("server settings given as text (flags, environment variables) are read as numbers and switches")
    func settingsFromFlags() throws {
        let configuration = try NimbusConfiguration.load(
            environment: ["NIMBUS_HOME": FileManager.default.temporaryDirectory.path, "NIMBUS_SERVER__WORKERS": "3"],
            flags: [
                ("server.rate_limit", "500"), ("server.rate_burst", "1000"), ("server.port", "9090"),
                ("server.page", "false"), ("server.cors_origins", "https://a.example, https://b.example"),
            ])
        let settings = ServerSettings(configuration: configuration)
        #expect(settings.rateLimit == 500 && settings.rateBurst == 1000 && settings.port == 9090)
        #expect(settings.workers == 3 && settings.page == false)
        #expect(settings.corsOrigins == ["https://a.example", "https://b.example"])
    }

    @Test("a queued run is cancelled before it starts; a read-only key cannot cancel; an unknown run is 404")
    func cancelQueued() async throws {
        let test = try await TestServer(settings: ServerSettings(workers: 0))
        try await test.server.application().test(.router) { client in
            let accepted = try await client.call(
                .post, "/v1/ask", key: test.key, body: ["text": "list all S3 buckets"],
                headers: [HTTPField.Name("Prefer")!: "respond-async"])
            #expect(accepted.status == 202)
            let thread = try #require(accepted.json["thread_id"]?.stringValue)
            #expect(try await client.call(.post, "/v1/runs/\(thread)/cancel", key: test.readOnlyKey).status == 403)
            let cancelled = try await client.call(.post, "/v1/runs/\(thread)/cancel", key: test.key)
            #expect(cancelled.json["cancelled"] == true, "\(cancelled.json)")
            let jobs = try await test.host.store.jobs(status: .cancelled, limit: 10)
            #expect(jobs.contains { $0.threadID == thread })
            let unknown = try await client.call(.post, "/v1/runs/01M000000000000000000000AA/cancel", key: test.key)
            #expect(unknown.status == 404)
        }
    }
}
