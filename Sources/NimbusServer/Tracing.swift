import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NimbusCore
import NimbusHost
import ServiceLifecycle
import Synchronization

/// A W3C trace context: the trace a span belongs to and the span itself (`traceparent: 00-<trace>-<span>-01`).
struct TraceContext: Sendable, Hashable {
    var traceID: String
    var spanID: String

    static func random(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.string((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// A new span in `parent`'s trace, or in a new trace.
    static func child(of parent: TraceContext?) -> TraceContext {
        TraceContext(traceID: parent?.traceID ?? random(bytes: 16), spanID: random(bytes: 8))
    }

    /// Reads a `traceparent` header; nil when it is not one.
    init?(traceparent: String) {
        let parts = traceparent.split(separator: "-")
        guard parts.count == 4, parts[0] == "00", parts[1].count == 32, parts[2].count == 16,
            parts[1].allSatisfy(\.isHexDigit), parts[2].allSatisfy(\.isHexDigit),
            parts[1] != String(repeating: "0", count: 32)
        else { return nil }
        traceID = parts[1].lowercased()
        spanID = parts[2].lowercased()
    }

    init(traceID: String, spanID: String) {
        self.traceID = traceID
        self.spanID = spanID
    }

    var traceparent: String { "00-\(traceID)-\(spanID)-01" }
}

/// One finished span, as OTLP/JSON writes it.
struct FinishedSpan: Sendable {
    var context: TraceContext
    var parentSpanID: String?
    var name: String
    /// 1 internal, 2 server, 3 client.
    var kind: Int
    var start: Date
    var end: Date
    var attributes: [String: JSONValue]
    var failed: Bool

    var otlp: JSONValue {
        func nanos(_ date: Date) -> JSONValue { .string(String(UInt64(date.timeIntervalSince1970 * 1_000_000_000))) }
        var span: [String: JSONValue] = [
            "traceId": .string(context.traceID), "spanId": .string(context.spanID), "name": .string(name),
            "kind": .int(kind), "startTimeUnixNano": nanos(start), "endTimeUnixNano": nanos(end),
            "attributes": .array(
                attributes.sorted { $0.key < $1.key }.map { key, value in
                    let typed: JSONValue =
                        switch value {
                        case .int(let number): ["intValue": .string(String(number))]
                        case .bool(let flag): ["boolValue": .bool(flag)]
                        case .double(let number): ["doubleValue": .double(number)]
                        default: ["stringValue": .string(value.stringValue ?? value.jsonText)]
                        }
                    return ["key": .string(key), "value": typed]
                }),
            "status": ["code": .int(failed ? 2 : 1)],
        ]
        if let parentSpanID { span["parentSpanId"] = .string(parentSpanID) }
        return .object(span)
    }
}

/// Sends the server's spans — one per request, one per run — to an OpenTelemetry collector over OTLP/HTTP with
/// JSON bodies (`POST <endpoint>/v1/traces`), in batches, and what is left at shutdown. Configured by
/// `server.otlp_endpoint` or the standard `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT`;
/// off otherwise. Spans never carry request bodies or keys, only routes, statuses, ids and durations.
final class TraceExporter: Service, Sendable {
    let url: String
    let serviceName: String
    private let pending = Mutex<[FinishedSpan]>([])
    private let logger = Logger(label: "nimbus.server.tracing")
    private let bell = WakeSignal()
    private let stopping = Mutex(false)

    init?(settings: ServerSettings, environment: [String: String]) {
        let traces = environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
        let base = settings.otlpEndpoint ?? environment["OTEL_EXPORTER_OTLP_ENDPOINT"]
        if let traces, !traces.isEmpty {
            url = traces
        } else if let base, !base.isEmpty {
            url = base.hasSuffix("/") ? base + "v1/traces" : base + "/v1/traces"
        } else {
            return nil
        }
        serviceName = environment["OTEL_SERVICE_NAME"] ?? "nimbus"
    }

    /// The children of `tree` that began at or after `since` (one attempt of a run), under `parent`, recursively;
    /// progress messages (spans without a duration) are left out.
    func record(children tree: TraceSpan, of parent: TraceContext, since: Date) {
        for child in tree.children where child.start >= since.addingTimeInterval(-0.001) {
            guard let duration = child.durationMilliseconds else { continue }
            let context = TraceContext.child(of: parent)
            var attributes: [String: JSONValue] = ["nimbus.kind": .string(child.kind)]
            for (key, value) in child.attributes { attributes["nimbus.\(key)"] = value }
            record(
                FinishedSpan(
                    context: context, parentSpanID: parent.spanID, name: "\(child.kind) \(child.name)",
                    kind: child.kind == "aws" || child.kind == "llm" ? 3 : 1, start: child.start,
                    end: child.start.addingTimeInterval(duration / 1000), attributes: attributes,
                    failed: child.attributes["outcome"].map { $0 != "succeeded" && child.kind == "aws" } ?? false))
            record(children: child, of: context, since: since)
        }
    }

    func record(_ span: FinishedSpan) {
        let count = pending.withLock { spans -> Int in
            spans.append(span)
            return spans.count
        }
        if count >= 256 { bell.ring() }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled, !stopping.withLock({ $0 }) {
                let heard = bell.count
                await flush()
                await bell.wait(after: heard, timeout: .seconds(1))
            }
        } onGracefulShutdown: {
            self.stopping.withLock { $0 = true }
            self.bell.ring()
        }
        // What the last requests left, before the server goes.
        await flush()
    }

    /// Sends what is pending; spans a collector refuses are dropped (and said so), never retried forever.
    func flush() async {
        let spans = pending.withLock { spans -> [FinishedSpan] in
            defer { spans = [] }
            return spans
        }
        guard !spans.isEmpty else { return }
        let body: JSONValue = [
            "resourceSpans": [
                [
                    "resource": [
                        "attributes": [
                            ["key": "service.name", "value": ["stringValue": .string(serviceName)]],
                            ["key": "service.version", "value": ["stringValue": .string(NimbusServer.version)]],
                        ]
                    ],
                    "scopeSpans": [
                        [
                            "scope": ["name": "nimbus.server", "version": .string(NimbusServer.version)],
                            "spans": .array(spans.map(\.otlp)),
                        ]
                    ],
                ]
            ]
        ]
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body.jsonText))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            if !(200..<300).contains(response.status.code) {
                logger.warning("the collector refused \(spans.count) spans: HTTP \(response.status.code)")
            }
        } catch {
            logger.warning("could not send \(spans.count) spans to \(url): \(error)")
        }
    }
}
