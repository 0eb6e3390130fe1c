import Foundation
public import NimbusAgents
public import NimbusCore

/// `logs.recent_events`: the latest events of a CloudWatch Logs group, optionally filtered.
public struct LogsRecentEvents: OpsTool {
    public struct Input: ToolInput {
        public var group: String
        public var minutes: Int?
        public var limit: Int?
        public var filter: String?

        public static let schema = ToolSchema.object(
            [
                "group": ToolSchema.string("The log group's name.", minLength: 1),
                "minutes": ToolSchema.integer("How far back to look (default 60).", minimum: 1, maximum: 43_200),
                "limit": ToolSchema.integer("At most this many events (default 50).", minimum: 1, maximum: 500),
                "filter": ToolSchema.string("A CloudWatch Logs filter pattern (ERROR, \"timed out\")."),
            ], required: ["group"])
    }

    public let name = "logs.recent_events"
    public let summary = "Show the recent events of a CloudWatch Logs group"
    public let access = ToolAccess.read
    public let actions = ["logs:FilterLogEvents"]

    public init() {}

    public func describe(_ input: Input) -> String {
        "show events of log group \(input.group) from the last \(input.minutes ?? 60) minutes"
            + (input.filter.map { " matching \($0)" } ?? "")
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let limit = input.limit ?? 50
        let start = Int((Date().timeIntervalSince1970 - Double((input.minutes ?? 60) * 60)) * 1000)
        var parameters: [String: JSONValue] = [
            "logGroupName": .string(input.group), "startTime": .int(start), "limit": .int(limit),
        ]
        if let filter = input.filter { parameters["filterPattern"] = .string(filter) }
        let (pages, _) = try await environment.aws(context).pages(
            "logs", "FilterLogEvents", .object(parameters), maxPages: 5)
        var events: [JSONValue] = []
        for event in pages.flatMap({ $0["events"]?.arrayValue ?? [] }) where events.count < limit {
            let milliseconds = event["timestamp"]?.doubleValue ?? 0
            events.append([
                "time": .string(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: milliseconds / 1000))),
                "stream": event["logStreamName"] ?? .null, "message": event["message"] ?? .null,
            ])
        }
        return ["group": .string(input.group), "count": .int(events.count), "events": .array(events)]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let events = result["events"]?.arrayValue ?? []
        return Report.list(
            "\(Report.plural(events.count, "event")) in \(input.group) from the last \(input.minutes ?? 60) minutes:",
            events.map { "\($0["time"]?.stringValue ?? "")  \($0["message"]?.stringValue ?? "")" }, limit: 100)
    }
}
