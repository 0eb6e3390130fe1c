import Foundation
public import Logging
public import NimbusCore

/// The `store` section of the configuration: where runs, events and the audit log are kept.
public enum StoreSettings {
    /// The settings of the `store` section (`path` of the SQLite file, `url` of a PostgreSQL server), for checking a
    /// configuration before it is read.
    public static let configurationSchema = ConfigurationSchema(
        section: "store", ["path": .string, "url": .string])
}

/// Where a store is: a SQLite file (the default, `nimbus.sqlite` in the Nimbus home, or `store.path`) or a
/// PostgreSQL database (`store.url`, `NIMBUS_STORE_URL`).
public enum StoreLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// The location `configuration` names: `store.url` when set, else `store.path`, else the home's file.
    public init(configuration: NimbusConfiguration) throws {
        if let url = configuration["store.url"]?.stringValue, !url.trimmingCharacters(in: .whitespaces).isEmpty {
            try self.init(url)
        } else {
            self = .sqlite(
                path: configuration["store.path"]?.stringValue.map { ($0 as NSString).expandingTildeInPath }
                    ?? configuration.home.appendingPathComponent("nimbus.sqlite").path)
        }
    }

    /// A location from what a person typed: a `postgres://` URL, a `sqlite:` URL, or a path to a SQLite file.
    public init(_ text: String) throws {
        let lowered = text.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLocation(url: text))
        } else if lowered.hasPrefix("sqlite:") {
            let path = text.dropFirst("sqlite:".count).replacingOccurrences(
                of: "^//", with: "", options: .regularExpression)
            guard !path.isEmpty else { throw StoreError.badLocation(text, detail: "a sqlite: URL names a file") }
            self = .sqlite(path: (path as NSString).expandingTildeInPath)
        } else if text.contains("://") {
            throw StoreError.badLocation(
                PostgresLocation.redacted(text), detail: "only postgres:// URLs and SQLite files are stores")
        } else {
            self = .sqlite(path: (text as NSString).expandingTildeInPath)
        }
    }

    /// `sqlite` or `postgres`.
    public var engine: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }

    /// The location with any password hidden.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let location): location.description
        }
    }

    /// Opens the store here. A SQLite file is opened (and migrated) now; a PostgreSQL store connects on first use
    /// (``StoreInspection/connect()`` connects at once, to fail early).
    public func open(logger: Logger = Logger(label: "nimbus.store")) throws -> any Store {
        switch self {
        case .sqlite(let path): try SQLiteStore(path: path, logger: logger)
        case .postgres(let location): try PostgresStore(location: location, logger: logger)
        }
    }
}

/// What every store can tell about itself, for `nimbus store info` and for commands that want to fail early when
/// a store cannot be reached.
public protocol StoreInspection: Sendable {
    /// Connects and migrates now if that has not happened (a no-op for a SQLite file, opened when made).
    func connect() async throws
    /// The engine, where it is, the migrations applied, and how many rows each table holds.
    func summary() async throws -> StoreSummary
}

/// What a store holds.
public struct StoreSummary: Sendable, Hashable, Codable {
    public var engine: String
    /// Where it is (a file, or a URL with its password hidden).
    public var location: String
    public var migrations: [String]
    /// Rows per table, by table name.
    public var rows: [String: Int]
    /// Jobs per status.
    public var jobs: [String: Int]

    public var json: JSONValue {
        [
            "engine": .string(engine), "location": .string(location),
            "migrations": .array(migrations.map(JSONValue.string)),
            "rows": .object(rows.mapValues { .int($0) }), "jobs": .object(jobs.mapValues { .int($0) }),
        ]
    }

    /// The tables a store copy carries, in an order that respects how rows refer to one another.
    public static let tables = [
        "threads", "checkpoints", "checkpoint_writes", "events", "jobs", "agent_executions", "llm_response_cache",
        "audit_log", "requests", "api_keys",
    ]
}
