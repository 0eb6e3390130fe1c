import ArgumentParser
import Foundation
import NimbusCore
import NimbusStore

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Where Nimbus keeps runs, jobs, history and the audit log: show it, or copy it to PostgreSQL.",
        discussion: """
            The store is `nimbus.sqlite` in the Nimbus home (or store.path), or a PostgreSQL database when store.url
            or NIMBUS_STORE_URL names one (postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require).
            docs/persistence.md shows how to run Nimbus on PostgreSQL.
            """,
        subcommands: [Info.self, Migrate.self])

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the store in use: engine, location, migrations, and what each table holds.")

        @OptionGroup var global: GlobalOptions

        @Option(help: "Show this store instead of the configured one (a postgres:// URL or a SQLite file).")
        var store: String?

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            let opened: any Store
            if let store {
                _ = try global.configuration()
                let location = try StoreLocation(store)
                if case .sqlite(let path) = location, !FileManager.default.fileExists(atPath: path) {
                    throw CommandProblem.notFound("there is no SQLite store at \(path)")
                }
                opened = try location.open()
            } else {
                opened = try global.host().store
            }
            let summary = try await opened.summary()
            switch output {
            case .json:
                Console.json(summary.json)
            case .text:
                Console.out("\(summary.engine) store at \(summary.location)")
                Console.out("migrations: \(summary.migrations.joined(separator: ", "))")
                Console.table(
                    ["TABLE", "ROWS"], StoreSummary.tables.map { [$0, String(summary.rows[$0] ?? 0)] })
                if !summary.jobs.isEmpty {
                    Console.out(
                        "jobs: "
                            + summary.jobs.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
                            .joined(separator: ", "))
                }
            }
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy this SQLite store into an empty PostgreSQL database, and check the copy.",
            discussion: """
                Every thread, checkpoint, pending write, event, job, agent execution, cached answer, audit entry,
                request and API key is copied in one transaction, then each table's rows are counted on both sides.
                The SQLite file is only read. A target that already holds data is refused, so nothing stored there
                is overwritten. Afterwards point Nimbus at the copy with store.url or NIMBUS_STORE_URL.
                """)

        @OptionGroup var global: GlobalOptions

        @Option(help: "The PostgreSQL database to copy into (postgres://…).")
        var to: String

        @Option(help: "Copy this SQLite file instead of the configured store.")
        var from: String?

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            let configuration = try global.configuration()
            guard case .postgres(let target) = try StoreLocation(to) else {
                throw CommandProblem.invalidInput(
                    "--to takes a postgres:// URL, not '\(to)'", hint: "postgres://USER:PASSWORD@HOST:PORT/DATABASE")
            }
            let sourcePath: String
            if let from {
                sourcePath = (from as NSString).expandingTildeInPath
            } else {
                guard case .sqlite(let path) = try StoreLocation(configuration: configuration) else {
                    throw CommandProblem.invalidInput(
                        "the configured store is already PostgreSQL; name a SQLite file with --from")
                }
                sourcePath = path
            }
            guard FileManager.default.fileExists(atPath: sourcePath) else {
                throw CommandProblem.notFound("there is no SQLite store at \(sourcePath)")
            }
            let source = try SQLiteStore(path: sourcePath)
            let destination = try PostgresStore(location: target)
            let json = output == .json
            let copied = try await StoreCopy.copy(from: source, to: destination) { table, rows in
                if !json { Console.progress("copied \(rows) \(table) row\(rows == 1 ? "" : "s")") }
            }
            let total = copied.values.reduce(0, +)
            switch output {
            case .json:
                Console.json([
                    "from": .string(sourcePath), "to": .string(target.description),
                    "rows": .object(copied.mapValues { .int($0) }), "total": .int(total), "verified": true,
                ])
            case .text:
                Console.out(
                    "Copied \(total) rows from \(sourcePath) to \(target.description); every table's count matches.")
                Console.out("Use it with NIMBUS_STORE_URL or `store.url` (the password stays in your settings).")
            }
        }
    }
}

extension StoreCommand.Info: OutputSelecting {}
extension StoreCommand.Migrate: OutputSelecting {}
