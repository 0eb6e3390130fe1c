import ArgumentParser
import Foundation
import NimbusCore
import NimbusServer
import NimbusStore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve Nimbus over HTTP: the REST API, the chat WebSocket and the web page.",
        discussion: """
            Listens on 127.0.0.1:8080 by default, with the same NIMBUS_HOME store as the command line. Every route
            but /v1/health, /v1/ready, /openapi.json and the page needs an API key (`nimbus serve keys add NAME`),
            sent as `Authorization: Bearer KEY`. Listening on anything but loopback needs at least one key.
            SIGTERM or Ctrl-C stops taking requests and lets runs reach a checkpoint; a run cut short resumes when
            the server starts again. Settings: server.host, server.port, server.workers, server.cors_origins,
            server.max_body_bytes, server.rate_limit, server.rate_burst, server.max_runs_per_key, server.page.
            docs/server.md lists the routes; GET /openapi.json describes them.
            """,
        subcommands: [Keys.self])

    @OptionGroup var global: GlobalOptions

    @Option(help: "The address to listen on (default 127.0.0.1, or server.host).")
    var host: String?

    @Option(help: "The port to listen on; 0 picks a free one (default 8080, or server.port).")
    var port: Int?

    @Option(help: "Workers running queued runs inside the server (default 2, or server.workers).")
    var workers: Int?

    @Flag(help: "Do not serve the web page at /.")
    var noPage = false

    func run() async throws {
        let host = try global.host()
        var settings = ServerSettings(configuration: host.configuration)
        if let address = self.host { settings.host = address }
        if let port { settings.port = port }
        if let workers { settings.workers = max(0, workers) }
        if noPage { settings.page = false }
        guard (0...65535).contains(settings.port) else {
            throw ValidationError("--port takes 0 to 65535, not \(settings.port)")
        }
        let server = NimbusServer(host: host, settings: settings)
        let keyCount = try await server.keys.store.apiKeys().filter { $0.revokedAt == nil }.count
        let listen = settings.host
        let page = settings.page
        try await server.run(onStarted: { port in
            Console.progress(
                "Nimbus is serving on http://\(listen.contains(":") ? "[\(listen)]" : listen):\(port)"
                    + (page ? " (the page at /)" : "") + "; \(keyCount) API key\(keyCount == 1 ? "" : "s")"
                    + (keyCount == 0 ? " — make one with `nimbus serve keys add NAME`" : ""))
        })
        Console.progress("Nimbus stopped.")
    }

    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The server's API keys: stored hashed, shown once.",
            subcommands: [Add.self, List.self, Revoke.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Make a key and print it (once: only its hash is kept).")

            @OptionGroup var global: GlobalOptions

            @Argument(help: "A name for the key: who or what uses it.")
            var name: String

            @Flag(help: "The key may only read: no approvals, no answers, no writes.")
            var readOnly = false

            @Option(help: "Print as text or JSON.")
            var output: OutputFormat = .text

            func run() async throws {
                let host = try global.host()
                let (secret, record) = try await APIKeys(store: host.store).add(name: name, readOnly: readOnly)
                switch output {
                case .json:
                    Console.json([
                        "name": .string(record.name), "key": .string(secret), "read_only": .bool(record.readOnly),
                    ])
                case .text:
                    Console.out(secret)
                    Console.progress(
                        "Key '\(record.name)'\(readOnly ? " (read-only)" : "") made. It is shown only now; "
                            + "send it as `Authorization: Bearer \(record.prefix)…`.")
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the keys (never their secrets).")

            @OptionGroup var global: GlobalOptions

            @Option(help: "Print as text or JSON.")
            var output: OutputFormat = .text

            func run() async throws {
                let host = try global.host()
                let keys = try await host.store.apiKeys()
                switch output {
                case .json:
                    Console.json(
                        .array(
                            keys.map {
                                [
                                    "name": .string($0.name), "prefix": .string($0.prefix),
                                    "read_only": .bool($0.readOnly), "created_at": .string(Console.time($0.createdAt)),
                                    "last_used_at": $0.lastUsedAt.map { .string(Console.time($0)) } ?? .null,
                                    "revoked_at": $0.revokedAt.map { .string(Console.time($0)) } ?? .null,
                                ]
                            }))
                case .text:
                    if keys.isEmpty {
                        Console.out("no API keys; make one with `nimbus serve keys add NAME`")
                        return
                    }
                    Console.table(
                        ["NAME", "KEY", "ACCESS", "CREATED", "STATE"],
                        keys.map {
                            [
                                $0.name, $0.prefix + "…", $0.readOnly ? "read-only" : "full",
                                Console.time($0.createdAt),
                                $0.revokedAt == nil ? "live" : "revoked",
                            ]
                        })
                }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke a key: it stops working at once.")

            @OptionGroup var global: GlobalOptions

            @Argument(help: "The key's name.")
            var name: String

            func run() async throws {
                let host = try global.host()
                guard try await host.store.revokeAPIKey(name: name, at: Date()) else {
                    let names = try await host.store.apiKeys().filter { $0.revokedAt == nil }.map(\.name)
                    throw ValidationError(
                        "no live key named '\(name)'"
                            + (names.isEmpty ? "" : "; live keys: \(names.joined(separator: ", "))"))
                }
                Console.out("revoked \(name)")
            }
        }
    }
}
