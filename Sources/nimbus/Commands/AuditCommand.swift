import ArgumentParser
import Foundation
import NimbusCore
import NimbusStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Every AWS call Nimbus made for your requests, newest first, secrets redacted.",
        discussion: """
            Each entry: time, profile, region, service:Operation, parameters, outcome (succeeded, failed, or
            refused/declined for steps that were never sent) and the service's request id.
            --since takes a duration (30m, 2h, 7d) or a date (2026-01-31, 2026-01-31T12:00:00Z).
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only calls since then: 30m, 2h, 7d, or an ISO 8601 date.")
    var since: String?

    @Option(help: "Only the calls of this request (see `nimbus history`).")
    var request: String?

    @Option(help: "At most this many entries.")
    var limit = 200

    @Option(help: "Print as text or JSON.")
    var output: OutputFormat = .text

    func run() async throws {
        let store = try global.host().store
        let start = try since.map(Self.parseSince)
        let entries = try await store.auditEntries(since: start, requestID: request, limit: limit)
        switch output {
        case .json:
            Console.json(JSONValue.array(entries.map(Self.json)))
        case .text:
            guard !entries.isEmpty else {
                Console.out(since == nil ? "No AWS calls recorded yet." : "No AWS calls since \(since!).")
                return
            }
            Console.table(
                ["TIME", "OUTCOME", "ACTION", "PROFILE", "REGION", "REQUEST", "PARAMETERS"],
                entries.map { entry in
                    [
                        Console.time(entry.time), entry.outcome.rawValue, entry.action, entry.profile ?? "-",
                        entry.region ?? "-", entry.requestID ?? "-", String(entry.parameters.jsonText.prefix(80)),
                    ]
                })
        }
    }

    /// `30m`, `2h`, `7d`, `90s`, or an ISO 8601 date or date-time.
    static func parseSince(_ text: String) throws -> Date {
        guard let date = RelativeDate.since(text) else {
            throw ValidationError("--since takes a duration (30m, 2h, 7d) or a date (2026-01-31), not '\(text)'")
        }
        return date
    }

    /// One line for a call: `12:00:01 succeeded s3:ListBuckets (req-id)`.
    static func line(_ entry: AuditEntry) -> String {
        var text = "\(Console.time(entry.time))  \(entry.outcome.rawValue)  \(entry.action)"
        if entry.parameters.objectValue?.isEmpty == false { text += "  \(entry.parameters.jsonText.prefix(100))" }
        if let error = entry.error { text += "  — \(error)" }
        if let id = entry.awsRequestID { text += "  [\(id)]" }
        return text
    }

    static func json(_ entry: AuditEntry) -> JSONValue { entry.json }
}
