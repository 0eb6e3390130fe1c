import Foundation
public import Logging
import NimbusCore
import PostgresNIO
import Synchronization

/// The ``Store`` on a PostgreSQL server, for many processes on many machines: `store.url: postgres://…` (or
/// `NIMBUS_STORE_URL`).
///
/// Every call is one transaction on a pooled connection. Jobs are claimed with `FOR UPDATE SKIP LOCKED`, so any
/// number of workers share one queue and never take the same job; a trigger NOTIFYs the `nimbus_jobs` channel when
/// a job becomes due, and ``jobNotifications()`` hands that to idle workers. The schema is migrated on first use,
/// under an advisory lock.
public final class PostgresStore: Store, JobNotifying {
    public let location: PostgresLocation
    let client: PostgresClient
    let logger: Logger
    let hook: (@Sendable (String) -> Void)?
    private let runner: Task<Void, Never>
    private let readiness = Mutex<Task<Void, any Error>?>(nil)
    private let isReady = Atomic<Bool>(false)
    private let listeners = Listeners()

    /// Opens a store at `url`. Nothing connects until the first call (or ``connect()``): a server that is down is an
    /// error of that call, named ``StoreError/Code/cannotOpen``.
    public convenience init(url: String, logger: Logger = Logger(label: "nimbus.store")) throws {
        try self.init(location: try PostgresLocation(url: url), logger: logger, transactionHook: nil)
    }

    /// Opens a store at `location`.
    public convenience init(location: PostgresLocation, logger: Logger = Logger(label: "nimbus.store")) throws {
        try self.init(location: location, logger: logger, transactionHook: nil)
    }

    /// Opens a store with a hook called inside the write transactions of `save` and `saveWrites`, after their first
    /// statement: crash tests kill the process there to prove half-written transactions vanish.
    @_spi(Testing)
    public init(
        location: PostgresLocation, logger: Logger = Logger(label: "nimbus.store"),
        transactionHook: (@Sendable (String) -> Void)?
    ) throws {
        self.location = location
        self.logger = logger
        hook = transactionHook
        // The pool's own chatter (a connection closed while the store goes away) is not the store's news.
        var background = logger
        background.logLevel = max(logger.logLevel, .warning)
        let client = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: background)
        self.client = client
        runner = Task { await client.run() }
    }

    deinit {
        runner.cancel()
        listeners.stop()
    }

    /// Connects and brings the schema up to date, if that has not happened yet. Every call does this first; a
    /// command calls it up front to fail early, with the reason, when the server cannot be reached.
    public func connect() async throws {
        if isReady.load(ordering: .acquiring) { return }
        let task = readiness.withLock { current -> Task<Void, any Error> in
            if let current { return current }
            let task = Task { [location, logger] in
                try await PostgresSchema.migrate(location: location, logger: logger)
            }
            current = task
            return task
        }
        do {
            try await task.value
            isReady.store(true, ordering: .releasing)
        } catch {
            // The next call tries again (the server may be starting).
            readiness.withLock { current in
                if current == task { current = nil }
            }
            if let error = error as? StoreError { throw error }
            throw StoreError.cannotOpen(location.description, detail: PostgresStore.describe(error))
        }
    }

    /// The migrations applied to this database, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await connect()
        return try await client.withConnection { connection in
            try await PostgresSchema.appliedMigrations(connection, logger: logger)
        }
    }

    // MARK: - Access

    /// Runs one statement (its own transaction) and returns its rows.
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await connect()
        do {
            return try await client.query(query, logger: logger).collect()
        } catch {
            throw PostgresStore.failure(error)
        }
    }

    /// Runs `body` in one transaction on one pooled connection.
    func transaction<T: Sendable>(_ body: (Transaction) async throws -> T) async throws -> T {
        try await connect()
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(Transaction(connection: connection, logger: logger))
            }
        } catch let error as StoreError {
            throw error
        } catch let error as PostgresTransactionError {
            if let error = error.closureError as? StoreError { throw error }
            throw PostgresStore.failure(error.closureError ?? error.commitError ?? error.beginError ?? error)
        } catch {
            throw PostgresStore.failure(error)
        }
    }

    /// A connection inside a transaction.
    struct Transaction {
        let connection: PostgresConnection
        let logger: Logger

        @discardableResult
        func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
            try await connection.query(query, logger: logger).collect()
        }
    }

    static func failure(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        return StoreError.writeFailed(detail: "PostgreSQL: " + describe(error))
    }

    /// What went wrong, in the server's words where it gave some (PSQLError hides them from `description`).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PostgresTransactionError {
            return describe(error.closureError ?? error.commitError ?? error.beginError ?? error.rollbackError ?? error)
        }
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }

    // MARK: - Notifications

    /// A stream that yields a job kind whenever a job of that kind becomes queued, from any process on this database
    /// (LISTEN/NOTIFY on `nimbus_jobs`). One listening connection serves every stream of this store; it reconnects
    /// by itself after the server restarts.
    public func jobNotifications() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let id = listeners.add(continuation)
        continuation.onTermination = { [listeners] _ in listeners.remove(id) }
        listeners.startIfNeeded { [weak self] in await self?.listen() }
        return stream
    }

    private func listen() async {
        while !Task.isCancelled {
            do {
                try await connect()
                try await client.withConnection { connection in
                    try await connection.listen(on: PostgresSchema.jobChannel) { notifications in
                        // Listening now: a job queued while nobody listened is found by the next claim.
                        listeners.yield("*")
                        for try await notification in notifications {
                            listeners.yield(notification.payload)
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("job notifications interrupted", metadata: ["error": "\(PostgresStore.describe(error))"])
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// The streams waiting for job notifications, and the task that listens for them.
    final class Listeners: Sendable {
        private struct State {
            var next = 0
            var continuations: [Int: AsyncStream<String>.Continuation] = [:]
            var task: Task<Void, Never>?
        }
        private let state = Mutex(State())

        func add(_ continuation: AsyncStream<String>.Continuation) -> Int {
            state.withLock { state in
                state.next += 1
                state.continuations[state.next] = continuation
                return state.next
            }
        }

        func remove(_ id: Int) {
            state.withLock { _ = $0.continuations.removeValue(forKey: id) }
        }

        func yield(_ kind: String) {
            let continuations = state.withLock { Array($0.continuations.values) }
            for continuation in continuations { continuation.yield(kind) }
        }

        func startIfNeeded(_ body: @escaping @Sendable () async -> Void) {
            state.withLock { state in
                if state.task == nil { state.task = Task { await body() } }
            }
        }

        func stop() {
            let (task, continuations) = state.withLock { state in
                let result = (state.task, Array(state.continuations.values))
                state.task = nil
                state.continuations = [:]
                return result
            }
            task?.cancel()
            for continuation in continuations { continuation.finish() }
        }
    }
}

/// A store that tells idle workers when a job becomes due in another process, so they need not poll hard.
public protocol JobNotifying: Sendable {
    /// Yields a job kind (or `*`, after reconnecting) whenever a job may have become due.
    func jobNotifications() -> AsyncStream<String>
}

/// Reading columns of a PostgreSQL row by name.
struct Columns {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) {
        self.row = row.makeRandomAccess()
    }

    subscript<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) -> T {
        get throws { try row[name].decode(T.self) }
    }

    func text(_ name: String) throws -> String { try row[name].decode(String.self) }
    func optionalText(_ name: String) throws -> String? { try row[name].decode(String?.self) }
    func int(_ name: String) throws -> Int { try row[name].decode(Int.self) }
    func double(_ name: String) throws -> Double { try row[name].decode(Double.self) }
    func optionalDouble(_ name: String) throws -> Double? { try row[name].decode(Double?.self) }
    func date(_ name: String) throws -> Date { Date(timeIntervalSince1970: try double(name)) }
    func optionalDate(_ name: String) throws -> Date? {
        try optionalDouble(name).map(Date.init(timeIntervalSince1970:))
    }
}
