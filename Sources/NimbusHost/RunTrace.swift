public import Foundation
public import NimbusCore
import NimbusStore

/// A run as a timed tree, from what the store already keeps: each node's span (its stored start and finish events),
/// and inside it the model calls (the execution log) and AWS calls (the audit log, under the run's id) that
/// happened while it ran, with the progress the node reported. Local: nothing leaves the machine.
public struct TraceSpan: Codable, Sendable, Hashable {
    /// `run`, `node`, `llm`, `aws`, `event`.
    public var kind: String
    public var name: String
    public var start: Date
    public var durationMilliseconds: Double?
    public var attributes: [String: JSONValue]
    public var children: [TraceSpan]

    enum CodingKeys: String, CodingKey {
        case kind, name, start, attributes, children
        case durationMilliseconds = "duration_ms"
    }
}

extension NimbusHost {
    /// The timed tree of run `threadID`.
    public func trace(threadID: String) async throws -> TraceSpan {
        let record = try await thread(threadID)
        let events = try await store.events(threadID: threadID, limit: nil)
        let executions = try await store.executions(threadID: threadID, agent: nil, limit: 10_000)
        let audit = try await store.auditEntries(since: nil, requestID: threadID, limit: 100_000)
        var nodes: [TraceSpan] = []
        var open: [String: Int] = [:]
        var first: Date?
        var last: Date?
        for event in events where event.namespace.isEmpty {
            first = first ?? event.time
            last = event.time
            let task = event.payload["task"]?["id"]?.stringValue ?? event.node ?? ""
            switch event.name {
            case "node_started":
                open[task] = nodes.count
                nodes.append(
                    TraceSpan(
                        kind: "node", name: event.node ?? task, start: event.time, durationMilliseconds: nil,
                        attributes: ["task": .string(task)], children: []))
            case "node_finished", "node_failed", "node_interrupted":
                guard let index = open.removeValue(forKey: task) else { continue }
                nodes[index].durationMilliseconds =
                    event.payload["duration_ms"]?.doubleValue ?? event.time.timeIntervalSince(nodes[index].start) * 1000
                if event.name != "node_finished" {
                    nodes[index].attributes["outcome"] = .string(String(event.name.dropFirst("node_".count)))
                }
            case "custom":
                guard let index = open[task], let message = event.payload["payload"]?["message"]?.stringValue else {
                    continue
                }
                nodes[index].children.append(
                    TraceSpan(
                        kind: "event", name: message, start: event.time, durationMilliseconds: nil, attributes: [:],
                        children: []))
            default: continue
            }
        }
        var calls: [TraceSpan] = executions.map { execution in
            var attributes: [String: JSONValue] = [
                "agent": .string(execution.agent), "tokens_in": .int(execution.tokensIn),
                "tokens_out": .int(execution.tokensOut), "status": .string(execution.status.rawValue),
            ]
            if let cost = execution.cost { attributes["cost_usd"] = .double(cost) }
            return TraceSpan(
                kind: "llm", name: execution.model ?? execution.agent, start: execution.startedAt,
                durationMilliseconds: execution.finishedAt.map { $0.timeIntervalSince(execution.startedAt) * 1000 },
                attributes: attributes, children: [])
        }
        calls += audit.map { entry in
            var attributes: [String: JSONValue] = ["outcome": .string(entry.outcome.rawValue)]
            if let tool = entry.tool { attributes["tool"] = .string(tool) }
            if let id = entry.awsRequestID { attributes["request_id"] = .string(id) }
            // The audit log keeps when a call ended; its span starts its duration earlier.
            let duration = entry.durationMilliseconds
            return TraceSpan(
                kind: "aws", name: "\(entry.service):\(entry.operation)",
                start: entry.time.addingTimeInterval(-(duration ?? 0) / 1000), durationMilliseconds: duration,
                attributes: attributes, children: [])
        }
        var loose: [TraceSpan] = []
        for call in calls.sorted(by: { $0.start < $1.start }) {
            // A call belongs to the node whose span holds it; the last node started before it, else the run.
            let index = nodes.lastIndex { span in
                span.start <= call.start.addingTimeInterval(0.001)
                    && call.start <= span.start.addingTimeInterval((span.durationMilliseconds ?? .infinity) / 1000)
            }
            if let index {
                nodes[index].children.append(call)
            } else {
                loose.append(call)
            }
        }
        for index in nodes.indices { nodes[index].children.sort { $0.start < $1.start } }
        let start = first ?? record.createdAt
        return TraceSpan(
            kind: "run", name: "\(record.graph) \(threadID)", start: start,
            durationMilliseconds: last.map { $0.timeIntervalSince(start) * 1000 },
            attributes: [
                "status": .string(record.status.rawValue), "llm_calls": .int(executions.count),
                "aws_calls": .int(audit.count),
                "tokens": .int(executions.reduce(0) { $0 + $1.tokensIn + $1.tokensOut }),
            ],
            children: (nodes + loose).sorted { $0.start < $1.start })
    }
}
