import Foundation
public import Logging
import Synchronization

/// How executables print logs: for people, or one JSON object per line for machines.
public enum LogFormat: String, Sendable, CaseIterable, Codable {
    case human
    case json
}

/// Logging set-up for Nimbus executables. Libraries never call this; they take a `Logger`.
public enum NimbusLogging {
    private static let done = Mutex(false)

    /// Installs Nimbus log handlers writing to standard error, with secrets redacted.
    ///
    /// Only the first call in a process takes effect, as swift-log allows one bootstrap.
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        let first = done.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in
            switch format {
            case .human: return NimbusLogHandler(label: label, level: level, format: .human, sink: .standardError)
            case .json: return NimbusLogHandler(label: label, level: level, format: .json, sink: .standardError)
            }
        }
    }

    /// Reads `log.level` and `log.format` from configuration and bootstraps.
    public static func bootstrap(from configuration: NimbusConfiguration) throws {
        let settings = try configuration.decode(LogSettings.self, at: "log") ?? LogSettings()
        bootstrap(format: settings.format, level: settings.level)
    }
}

/// The `log` section of the configuration.
public struct LogSettings: Sendable, Codable {
    /// The settings of the `log` section, for checking a configuration before it is read.
    public static let configurationSchema = ConfigurationSchema(
        section: "log",
        [
            "level": .oneOf(Logger.Level.allCases.map(\.rawValue), noun: "log level"),
            "format": .oneOf(LogFormat.allCases.map(\.rawValue), noun: "log format"),
        ])

    public var level: Logger.Level
    public var format: LogFormat

    public init(level: Logger.Level = .info, format: LogFormat = .human) {
        self.level = level
        self.format = format
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let levelName = try container.decodeIfPresent(String.self, forKey: .level) ?? "info"
        guard let level = Logger.Level(rawValue: levelName.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(
                forKey: .level, in: container, debugDescription: "'\(levelName)' is not a log level (use \(names))")
        }
        let formatName = try container.decodeIfPresent(String.self, forKey: .format) ?? "human"
        guard let format = LogFormat(rawValue: formatName.lowercased()) else {
            throw DecodingError.dataCorruptedError(
                forKey: .format, in: container,
                debugDescription: "'\(formatName)' is not a log format (use human or json)")
        }
        self.level = level
        self.format = format
    }
}

/// A log handler that prints human lines or JSON lines, redacting secrets from messages and metadata.
public struct NimbusLogHandler: LogHandler {
    /// Where lines go.
    public struct Sink: Sendable {
        let write: @Sendable (String) -> Void

        /// Standard error, one write per line so lines from threads do not interleave.
        public static let standardError = Sink { line in
            FileHandle.standardError.write(Data(line.utf8))
        }

        /// A sink that hands each line to `write` (tests collect lines with it).
        public static func custom(_ write: @escaping @Sendable (String) -> Void) -> Sink { Sink(write: write) }
    }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let format: LogFormat
    private let sink: Sink

    public init(label: String, level: Logger.Level, format: LogFormat, sink: Sink) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let message = SecretRedactor.redact(event.message.description)
        let fields = merged.mapValues { SecretRedactor.redact(NimbusLogHandler.json($0)) }
        let fieldsRedacted = Dictionary(
            uniqueKeysWithValues: fields.map { key, value in
                (key, SecretRedactor.isSensitiveKey(key) ? JSONValue.string(SecretRedactor.placeholder) : value)
            })
        let time = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        switch format {
        case .human:
            var line = "\(time) \(event.level.rawValue.uppercased()) \(label): \(message)"
            for key in fieldsRedacted.keys.sorted() {
                let value = fieldsRedacted[key]!
                line += " \(key)=\(value.stringValue ?? value.jsonText)"
            }
            sink.write(line + "\n")
        case .json:
            var object: [String: JSONValue] = [
                "time": .string(time), "level": .string(event.level.rawValue), "label": .string(label),
                "message": .string(message),
            ]
            if !fieldsRedacted.isEmpty { object["metadata"] = .object(fieldsRedacted) }
            sink.write(JSONValue.object(object).jsonText + "\n")
        }
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let elements): .array(elements.map(json))
        case .dictionary(let members): .object(members.mapValues(json))
        }
    }
}
