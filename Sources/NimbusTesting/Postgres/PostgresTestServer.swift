import Foundation

/// The PostgreSQL server the store tests use: the private cluster `scripts/test.d/postgres.sh` starts, named by
/// `NIMBUS_TEST_POSTGRES_URL` (a superuser URL) and `NIMBUS_TEST_POSTGRES_BIN` (its programs). Each test makes a
/// database of its own with ``makeDatabase(_:)``, so suites run in parallel without seeing each other's rows.
public struct PostgresTestServer: Sendable {
    /// The superuser URL of the cluster.
    public let url: String
    /// The directory of `psql`, `pg_ctl` and `initdb`.
    public let bin: String

    /// The configured server, or nil when the tests run without PostgreSQL (the hook was not sourced).
    public static var configured: PostgresTestServer? {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["NIMBUS_TEST_POSTGRES_URL"], !url.isEmpty else { return nil }
        return PostgresTestServer(
            url: url, bin: environment["NIMBUS_TEST_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin")
    }

    /// Why PostgreSQL tests are skipped, for the test log.
    public static let skipNote =
        "NIMBUS_TEST_POSTGRES_URL is not set (scripts/test.d/postgres.sh sets it): the PostgreSQL cases are skipped"

    /// Creates an empty database and returns its URL.
    public func makeDatabase(_ prefix: String = "nimbus_test") throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        try psql("CREATE DATABASE \(name)")
        return Self.url(url, database: name)
    }

    /// Runs SQL through `psql` against the cluster's `postgres` database (or the one `database` names).
    @discardableResult
    public func psql(_ sql: String, database: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bin).appendingPathComponent("psql")
        let target = database.map { Self.url(url, database: $0) } ?? url
        process.arguments = [target, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw PostgresTestError(message: "psql failed (\(process.terminationStatus)) on \(sql): \(text)")
        }
        return text
    }

    /// `url` with its database replaced by `database`.
    public static func url(_ url: String, database: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.path = "/" + database
        return components.string ?? url
    }
}

public struct PostgresTestError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    public init(message: String) {
        self.message = message
    }
}
