import Foundation
import NIOSSL
import PostgresNIO

/// Where a PostgreSQL store lives, from a URL of the form libpq and every PostgreSQL tool read:
/// `postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require&pool_size=20`.
///
/// `sslmode` is `disable`, `prefer` (the default: TLS when the server offers it), `require` (TLS, the server's
/// certificate not checked, as libpq's `require`) or `verify-full` (TLS with the certificate checked against the
/// system's roots and the host name). `host` in the query names a Unix socket directory instead of a TCP host.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// A Unix socket directory (`?host=/run/postgresql`), used instead of TCP when given.
    public var socketDirectory: String?
    /// The most connections the store opens (`?pool_size=`).
    public var poolSize: Int

    /// Parses a `postgres://` or `postgresql://` URL; the error names what is wrong with it.
    public init(url text: String) throws {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), ["postgres", "postgresql"].contains(scheme)
        else {
            throw StoreError.badLocation(
                Self.redacted(text), detail: "a PostgreSQL store is named by a postgres:// URL")
        }
        user = components.user?.removingPercentEncoding ?? components.user ?? "postgres"
        password = components.password?.removingPercentEncoding ?? components.password
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        port = components.port ?? 5432
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? user : (path.removingPercentEncoding ?? path)
        tls = .prefer
        poolSize = 20
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                switch value {
                case "disable", "allow": tls = .disable
                case "prefer": tls = .prefer
                case "require", "verify-ca": tls = .require
                case "verify-full": tls = .verifyFull
                default:
                    throw StoreError.badLocation(
                        Self.redacted(text),
                        detail: "sslmode '\(value)' is not one of disable, prefer, require, verify-full")
                }
            case "host": socketDirectory = value
            case "pool_size":
                guard let size = Int(value), (1...500).contains(size) else {
                    throw StoreError.badLocation(Self.redacted(text), detail: "pool_size must be 1 to 500")
                }
                poolSize = size
            case "application_name", "connect_timeout": continue
            default:
                throw StoreError.badLocation(Self.redacted(text), detail: "unknown parameter '\(item.name)'")
            }
        }
    }

    /// The URL with its password hidden: fit for logs, errors and `nimbus store info`.
    public var description: String {
        var text = "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
        var query: [String] = []
        if tls != .prefer { query.append("sslmode=\(tls.rawValue)") }
        if let socketDirectory { query.append("host=\(socketDirectory)") }
        if !query.isEmpty { text += "?" + query.joined(separator: "&") }
        return text
    }

    /// `text` with any password in it hidden, for errors about a URL that did not parse.
    static func redacted(_ text: String) -> String {
        text.replacingOccurrences(of: #"(://[^:/@]*:)[^@]*@"#, with: "$1***@", options: .regularExpression)
    }

    var clientConfiguration: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketDirectory {
            configuration = PostgresClient.Configuration(
                unixSocketPath: socketPath(in: socketDirectory),
                username: user, password: password, database: database)
        } else {
            configuration = PostgresClient.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: poolTLS)
        }
        configuration.options.maximumConnections = poolSize
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = [("application_name", "nimbus")]
        return configuration
    }

    /// The server's socket in a Unix socket directory, as libpq names it.
    private func socketPath(in directory: String) -> String {
        (directory as NSString).appendingPathComponent(".s.PGSQL.\(port)")
    }

    /// The same server, for one connection outside the pool (migrations).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketDirectory {
            configuration = PostgresConnection.Configuration(
                unixSocketPath: socketPath(in: socketDirectory),
                username: user, password: password, database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS =
                if let settings = tlsSettings {
                    self.tls == .prefer
                        ? .prefer(try NIOSSLContext(configuration: settings))
                        : .require(try NIOSSLContext(configuration: settings))
                } else {
                    .disable
                }
            configuration = PostgresConnection.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    /// The TLS settings `sslmode` asks for, nil when it says `disable`: `prefer` and `require` do not check the
    /// certificate (as libpq's do not), `verify-full` checks it against the system's roots and the host name.
    private var tlsSettings: TLSConfiguration? {
        var settings = TLSConfiguration.makeClientConfiguration()
        switch tls {
        case .disable: return nil
        case .prefer, .require: settings.certificateVerification = .none
        case .verifyFull: break
        }
        return settings
    }

    private var poolTLS: PostgresClient.Configuration.TLS {
        guard let settings = tlsSettings else { return .disable }
        return tls == .prefer ? .prefer(settings) : .require(settings)
    }
}
