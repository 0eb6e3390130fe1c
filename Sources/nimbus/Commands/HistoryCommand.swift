import ArgumentParser
import Foundation
import NimbusCore
import NimbusStore

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Past requests of every product (ask, chat, module, demo) with their outcome, newest first.",
        discussion: """
            Give a request's id to see its answer and the AWS calls it made (the same id is the run's thread:
            `nimbus runs show ID`).
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Show one request in full.")
    var id: String?

    @Option(help: "At most this many requests.")
    var limit = 50

    @Option(help: "Print as text or JSON.")
    var output: OutputFormat = .text

    func run() async throws {
        let store = try global.host().store
        if let id {
            try await show(id, store: store)
            return
        }
        let requests = try await store.requests(limit: limit)
        switch output {
        case .json:
            Console.json(JSONValue.array(requests.map(Self.json)))
        case .text:
            guard !requests.isEmpty else {
                Console.out("No requests yet. Try `nimbus ask \"list all S3 buckets\"`.")
                return
            }
            Console.table(
                ["TIME", "PRODUCT", "STATUS", "STRATEGY", "STEPS", "ID", "REQUEST"],
                requests.map {
                    [
                        Console.time($0.createdAt), $0.product, $0.status.rawValue, $0.strategy, String($0.steps),
                        $0.id,
                        String($0.text.prefix(70)),
                    ]
                })
        }
    }

    private func show(_ id: String, store: any AuditStore) async throws {
        guard let request = try await store.requests(limit: 100_000).first(where: { $0.id == id }) else {
            throw CommandProblem.notFound("there is no request '\(id)'", hint: "`nimbus history` lists them")
        }
        let calls = try await store.auditEntries(since: nil, requestID: id, limit: 1000).reversed()
        switch output {
        case .json:
            var object = Self.json(request).objectValue ?? [:]
            object["audit"] = .array(calls.map(AuditCommand.json))
            Console.json(JSONValue.object(object))
        case .text:
            Console.out("request    \(request.text)")
            Console.out("id         \(request.id)")
            Console.out("product    \(request.product)")
            Console.out("status     \(request.status.rawValue)")
            Console.out("strategy   \(request.strategy)")
            Console.out("profile    \(request.profile ?? "(default)")  region \(request.region ?? "(default)")")
            Console.out("asked      \(Console.time(request.createdAt))  updated \(Console.time(request.updatedAt))")
            if !calls.isEmpty {
                Console.out("AWS calls:")
                for call in calls { Console.out("  " + AuditCommand.line(call)) }
            }
            if let answer = request.answer { Console.out("answer:\n" + answer) }
        }
    }

    static func json(_ request: RequestRecord) -> JSONValue { request.json }
}
