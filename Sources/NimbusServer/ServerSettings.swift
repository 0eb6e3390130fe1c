public import NimbusCore

/// How `nimbus serve` listens and what it allows: the `server` section of the configuration, then flags.
public struct ServerSettings: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// Workers inside the server that run queued (`Prefer: respond-async`) runs.
    public var workers: Int
    /// Origins allowed to call the API from a browser page served elsewhere; empty: CORS is off.
    public var corsOrigins: [String]
    /// The largest request body taken, in bytes.
    public var maxBodyBytes: Int
    /// Requests per second each key may make on average, and how many it may make at once (a token bucket).
    public var rateLimit: Double
    public var rateBurst: Int
    /// Runs a key may have in flight at once.
    public var maxRunsPerKey: Int
    /// Serve the web page at `/`.
    public var page: Bool
    /// Called (POST) when a run ends or pauses, signed with ``webhookSecret`` (HMAC-SHA256).
    public var webhookURL: String?
    public var webhookSecret: String?
    /// An OpenTelemetry collector's OTLP/HTTP endpoint (`http://collector:4318`); nil: the standard
    /// `OTEL_EXPORTER_OTLP_*` variables, else no traces.
    public var otlpEndpoint: String?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, workers: Int = 2, corsOrigins: [String] = [],
        maxBodyBytes: Int = 1 << 20, rateLimit: Double = 20, rateBurst: Int = 40, maxRunsPerKey: Int = 4,
        page: Bool = true, webhookURL: String? = nil, webhookSecret: String? = nil, otlpEndpoint: String? = nil
    ) {
        self.host = host
        self.port = port
        self.workers = workers
        self.corsOrigins = corsOrigins
        self.maxBodyBytes = maxBodyBytes
        self.rateLimit = rateLimit
        self.rateBurst = rateBurst
        self.maxRunsPerKey = maxRunsPerKey
        self.page = page
        self.webhookURL = webhookURL
        self.webhookSecret = webhookSecret
        self.otlpEndpoint = otlpEndpoint
    }

    /// The settings of the `server` section, for checking a configuration before it is read.
    public static let configurationSchema = ConfigurationSchema(
        section: "server",
        [
            "host": .string, "port": .integer(minimum: 0), "workers": .integer(minimum: 0),
            "cors_origins": .any, "max_body_bytes": .integer(minimum: 1024), "rate_limit": .number(minimum: 0.1),
            "rate_burst": .integer(minimum: 1), "max_runs_per_key": .integer(minimum: 1), "page": .boolean,
            "webhook_url": .string, "webhook_secret": .string, "otlp_endpoint": .string,
        ])

    /// The `server` section of `configuration` over the defaults. Values from flags and environment variables
    /// arrive as text (`-c server.rate_limit=500`) and are read as the numbers and switches they spell.
    public init(configuration: NimbusConfiguration) {
        self.init()
        func value<T: Decodable>(_ key: String, _ type: T.Type) -> T? {
            try? configuration.decode(type, at: "server.\(key)")
        }
        if let value = value("host", String.self) { host = value }
        if let value = value("port", Int.self) { port = value }
        if let value = value("workers", Int.self) { workers = value }
        if let list = value("cors_origins", [String].self) {
            corsOrigins = list
        } else if let text = value("cors_origins", String.self) {
            corsOrigins = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        if let value = value("max_body_bytes", Int.self) { maxBodyBytes = value }
        if let value = value("rate_limit", Double.self) { rateLimit = value }
        if let value = value("rate_burst", Int.self) { rateBurst = value }
        if let value = value("max_runs_per_key", Int.self) { maxRunsPerKey = value }
        if let value = value("page", Bool.self) { page = value }
        webhookURL = value("webhook_url", String.self)
        webhookSecret = value("webhook_secret", String.self)
        otlpEndpoint = value("otlp_endpoint", String.self)
    }

    /// Whether `host` only listens on this machine.
    public var isLoopback: Bool {
        ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.")
    }
}
