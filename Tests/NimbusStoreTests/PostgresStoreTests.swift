import Foundation
import NimbusCore
import NimbusTesting
import Testing

@testable import NimbusStore

/// What only the PostgreSQL store has: URLs, TLS, a newer schema refused, and job notifications across stores.
@Suite("PostgreSQL store")
struct PostgresStoreTests {
    @Test("URLs parse as libpq's; mistakes are named; passwords never shown")
    func locations() throws {
        let location = try PostgresLocation(
            url: "postgresql://nimbus:p%40ss@db.internal:6543/runs?sslmode=verify-full&pool_size=8")
        #expect(location.user == "nimbus" && location.password == "p@ss" && location.host == "db.internal")
        #expect(location.port == 6543 && location.database == "runs" && location.tls == .verifyFull)
        #expect(location.poolSize == 8)
        #expect(location.description == "postgres://nimbus:***@db.internal:6543/runs?sslmode=verify-full")
        let defaults = try PostgresLocation(url: "postgres://localhost")
        #expect(defaults.user == "postgres" && defaults.database == "postgres" && defaults.port == 5432)
        #expect(defaults.tls == .prefer)
        let socket = try PostgresLocation(url: "postgres://me@/db?host=/run/postgresql")
        #expect(socket.socketDirectory == "/run/postgresql")
        for (url, problem) in [
            ("postgres://u:secret@h/db?sslmode=maybe", "sslmode 'maybe'"),
            ("postgres://u:secret@h/db?color=blue", "unknown parameter 'color'"),
            ("postgres://u:secret@h/db?pool_size=0", "pool_size"),
        ] {
            #expect {
                _ = try PostgresLocation(url: url)
            } throws: { error in
                let text = "\(error)"
                return text.contains(problem) && !text.contains("secret")
                    && ErrorCode.of(error).kind == .invalidInput
            }
        }
        #expect(throws: StoreError.self) { _ = try StoreLocation("mysql://u@h/db") }
        #expect(try StoreLocation("sqlite:///tmp/x.sqlite") == .sqlite(path: "/tmp/x.sqlite"))
        #expect(try StoreLocation("~/n.sqlite").engine == "sqlite")
    }

    @Test("sslmode=require connects over TLS")
    func tls() async throws {
        guard let server = PostgresTestServer.configured else { return print(PostgresTestServer.skipNote) }
        let url = try server.makeDatabase("nimbus_tls").replacingOccurrences(
            of: "sslmode=disable", with: "sslmode=require")
        let store = try StoreLocation(url).open()
        _ = try await store.enqueue(NewJob(kind: "k", payload: [:]))
        #expect(try await store.summary().rows["jobs"] == 1)
        let database = String(url.split(separator: "/").last?.split(separator: "?").first ?? "")
        let encrypted = try server.psql(
            """
            SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
            WHERE a.datname = '\(database)' AND a.application_name = 'nimbus'
            """)
        #expect(encrypted.trimmingCharacters(in: .whitespacesAndNewlines) == "t", "the store's connections use TLS")
    }

    @Test("a database migrated by a newer Nimbus is refused, naming the migrations it does not know")
    func newerSchema() async throws {
        guard let server = PostgresTestServer.configured else { return print(PostgresTestServer.skipNote) }
        let url = try server.makeDatabase("nimbus_newer")
        try await StoreLocation(url).open().connect()
        let database = String(url.split(separator: "/").last?.split(separator: "?").first ?? "")
        try server.psql("INSERT INTO nimbus_migrations VALUES ('pg99-future', 0)", database: database)
        await #expect {
            try await StoreLocation(url).open().connect()
        } throws: { error in
            (error as? StoreError)?.code == .newerSchema && "\(error)".contains("pg99-future")
        }
    }

    @Test("a job queued through one store is heard by a worker listening through another")
    func notifications() async throws {
        guard let server = PostgresTestServer.configured else { return print(PostgresTestServer.skipNote) }
        let url = try server.makeDatabase("nimbus_notify")
        let listener = try PostgresStore(url: url)
        let producer = try PostgresStore(url: url)
        try await producer.connect()
        let heard = Collected()
        let listeningNow = Collected()
        let stream = listener.jobNotifications()
        let listening = Task {
            for await kind in stream {
                // The listening connection announces itself with "*" once it has sent LISTEN.
                guard kind != "*" else {
                    listeningNow.add(kind)
                    continue
                }
                heard.add(kind)
                if heard.values.count == 2 { return }
            }
        }
        // Bounds, not timings: a loaded machine may take seconds to connect, and the test only waits that long.
        for _ in 0..<500 where listeningNow.values.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!listeningNow.values.isEmpty, "the listener announced that it listens")
        _ = try await producer.enqueue(NewJob(kind: "nimbus.run", payload: [:]))
        _ = try await producer.enqueue(NewJob(kind: "nimbus.noop", payload: [:]))
        for _ in 0..<500 where heard.values.count < 2 { try await Task.sleep(for: .milliseconds(20)) }
        listening.cancel()
        // Nothing claimed or polled the queue: the listener knows of both jobs only through NOTIFY.
        #expect(heard.values == ["nimbus.run", "nimbus.noop"])
    }
}
