public import Foundation
import Yams

/// Where a configuration value came from, so `nimbus config show` can say why a setting is what it is.
public enum ConfigurationSource: Sendable, Hashable, CustomStringConvertible {
    case defaults
    case file(String)
    case environment(String)
    case flag(String)

    public var description: String {
        switch self {
        case .defaults: "default"
        case .file(let path): "file \(path)"
        case .environment(let name): "environment \(name)"
        case .flag(let name): "flag \(name)"
        }
    }
}

/// Nimbus settings merged from, lowest precedence first: built-in defaults, `config.yaml` in the Nimbus home
/// (`$NIMBUS_HOME`, else `~/.nimbus`), `NIMBUS_*` environment variables, and command-line flags.
///
/// Sections belong to the modules that read them (`log`, `store`, `llm`, `aws`, …); each decodes its own
/// section with ``decode(_:at:)``.
public struct NimbusConfiguration: Sendable {
    /// The Nimbus home directory: configuration, the default database, credentials.
    public let home: URL
    /// The configuration file that was read, if one exists.
    public private(set) var file: URL?
    /// The merged settings tree.
    public private(set) var values: JSONValue
    /// For each leaf, as a dotted path, the layer that set it.
    public private(set) var sources: [String: ConfigurationSource]
    /// For each setting and section in the configuration file, as a dotted path, the line of its key.
    public private(set) var fileLines: [String: Int] = [:]

    /// Environment variables with a name of their own; any other `NIMBUS_A__B` sets `a.b`.
    public static let environmentAliases: [String: String] = [
        "NIMBUS_LOG_LEVEL": "log.level",
        "NIMBUS_LOG_FORMAT": "log.format",
        "NIMBUS_LLM": "llm.model",
        "NIMBUS_DATABASE": "store.path",
        "NIMBUS_STORE_URL": "store.url",
    ]

    /// Variables that configure where things are rather than what they are; never treated as settings.
    private static let reservedVariables: Set<String> = ["NIMBUS_HOME", "NIMBUS_CONFIG"]

    static let defaults: JSONValue = [
        "log": ["level": "info", "format": "human"],
        "graph": ["step_limit": 100],
    ]

    /// Loads the layered configuration.
    ///
    /// - Parameters:
    ///   - environment: the process environment (tests pass their own).
    ///   - flags: `key.path = value` settings from the command line, highest precedence.
    ///   - homeDirectory: the user's home, for `~/.nimbus` when `NIMBUS_HOME` is not set.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        flags: [(key: String, value: String)] = [],
        homeDirectory: URL = FileManager.default.homeDirectoryForCurrentUser
    ) throws -> NimbusConfiguration {
        let home: URL
        if let custom = environment["NIMBUS_HOME"], !custom.isEmpty {
            home = URL(fileURLWithPath: (custom as NSString).expandingTildeInPath, isDirectory: true)
        } else {
            home = homeDirectory.appendingPathComponent(".nimbus", isDirectory: true)
        }
        let fileURL: URL
        if let explicit = environment["NIMBUS_CONFIG"], !explicit.isEmpty {
            fileURL = URL(fileURLWithPath: (explicit as NSString).expandingTildeInPath)
            guard FileManager.default.fileExists(atPath: fileURL.path) else {
                throw ConfigurationError.missingFile(fileURL.path)
            }
        } else {
            fileURL = home.appendingPathComponent("config.yaml")
        }

        var configuration = NimbusConfiguration(home: home, file: nil, values: .object([:]), sources: [:])
        configuration.apply(defaults, source: .defaults)

        if FileManager.default.fileExists(atPath: fileURL.path) {
            let text: String
            do {
                text = try String(contentsOf: fileURL, encoding: .utf8)
            } catch {
                throw ConfigurationError.malformedFile(fileURL.path, detail: "it cannot be read as UTF-8 text")
            }
            let (fileValues, lines) = try parseYAMLKeepingLines(text, path: fileURL.path)
            configuration.file = fileURL
            configuration.fileLines = lines
            configuration.apply(fileValues, source: .file(fileURL.path))
        }

        for (name, value) in environment.sorted(by: { $0.key < $1.key }) {
            guard name.hasPrefix("NIMBUS_"), !reservedVariables.contains(name) else { continue }
            let path = environmentAliases[name] ?? environmentPath(name)
            guard !path.isEmpty else { continue }
            configuration.set(path, to: .string(value), source: .environment(name))
        }

        for flag in flags {
            let path = flag.key.trimmingCharacters(in: .whitespaces)
            guard !path.isEmpty,
                !path.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty)
            else {
                throw ConfigurationError.badFlag("\(flag.key)=\(flag.value)")
            }
            configuration.set(path, to: .string(flag.value), source: .flag(path))
        }
        return configuration
    }

    /// Builds a configuration from values alone (tests and embedding applications).
    public init(home: URL, values: JSONValue = .object([:])) {
        self.init(home: home, file: nil, values: .object([:]), sources: [:])
        apply(NimbusConfiguration.defaults, source: .defaults)
        apply(values, source: .defaults)
    }

    private init(home: URL, file: URL?, values: JSONValue, sources: [String: ConfigurationSource]) {
        self.home = home
        self.file = file
        self.values = values
        self.sources = sources
    }

    /// The value at a dotted path such as `log.level`.
    public subscript(path: String) -> JSONValue? { values.value(atPath: path) }

    /// Decodes the section at `path` (or the whole tree for an empty path); `nil` when the section is absent.
    ///
    /// Strings from the environment and flags stand in for numbers and booleans.
    public func decode<T: Decodable>(_ type: T.Type, at path: String) throws -> T? {
        let section = path.isEmpty ? values : values.value(atPath: path)
        guard let section else { return nil }
        do {
            return try section.decode(type, lenient: true)
        } catch let error as JSONValueError {
            let origins = Set(
                sources.filter { ($0.key == path || $0.key.hasPrefix(path + ".")) && $0.value != .defaults }.values)
            throw ConfigurationError.invalidSection(
                path, detail: error.message, sources: origins.map(\.description).sorted())
        }
    }

    /// Sets one value as if from a flag (used by commands with dedicated options such as `--log-level`).
    public mutating func set(_ path: String, to value: JSONValue, source: ConfigurationSource) {
        let components = path.split(separator: ".").map(String.init)
        guard !components.isEmpty else { return }
        values = NimbusConfiguration.setting(values, components[...], to: value)
        // A new value replaces everything below its path.
        sources = sources.filter { !($0.key == path || $0.key.hasPrefix(path + ".")) }
        NimbusConfiguration.recordSources(value, path: path, source: source, into: &sources)
    }

    private mutating func apply(_ layer: JSONValue, source: ConfigurationSource) {
        guard case .object(let members) = layer else { return }
        for (key, value) in members {
            if case .object = value, case .object = values[key] ?? .null {
                values[key] = (values[key] ?? .object([:])).merging(value)
                NimbusConfiguration.recordSources(value, path: key, source: source, into: &sources)
            } else {
                set(key, to: value, source: source)
            }
        }
    }

    private static func setting(_ tree: JSONValue, _ path: ArraySlice<String>, to value: JSONValue) -> JSONValue {
        guard let head = path.first else { return value }
        var members = tree.objectValue ?? [:]
        members[head] = setting(members[head] ?? .object([:]), path.dropFirst(), to: value)
        return .object(members)
    }

    private static func recordSources(
        _ value: JSONValue, path: String, source: ConfigurationSource, into sources: inout [String: ConfigurationSource]
    ) {
        if case .object(let members) = value, !members.isEmpty {
            for (key, child) in members {
                recordSources(child, path: path + "." + key, source: source, into: &sources)
            }
        } else {
            sources[path] = source
        }
    }

    /// `NIMBUS_STORE__PATH` → `store.path`; single underscores stay inside a key (`NIMBUS_STEP_LIMIT` → `step_limit`).
    static func environmentPath(_ name: String) -> String {
        let body = name.dropFirst("NIMBUS_".count)
        return body.components(separatedBy: "__").map { $0.lowercased() }.filter { !$0.isEmpty }
            .joined(separator: ".")
    }

    /// Parses YAML into a JSON tree, with errors that name the file, line and column.
    public static func parseYAML(_ text: String, path: String) throws -> JSONValue {
        try parseYAMLKeepingLines(text, path: path).value
    }

    /// Parses YAML into a JSON tree and the line of each mapping key, by dotted path (`log.level` → 3).
    static func parseYAMLKeepingLines(_ text: String, path: String) throws -> (value: JSONValue, lines: [String: Int]) {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigurationError.malformedFile(path, detail: describe(error))
        } catch {
            throw ConfigurationError.malformedFile(path, detail: String(describing: error))
        }
        guard let node else { return (.object([:]), [:]) }
        var lines: [String: Int] = [:]
        let value = try jsonValue(node, path: path, keyPath: "", lines: &lines)
        guard case .object = value else {
            throw ConfigurationError.malformedFile(
                path, detail: "the top level must be a mapping of settings, found \(value.typeName)")
        }
        return (value, lines)
    }

    /// Converts a YAML node with YAML 1.2 core-schema scalars (`true`, `8`, `1.5`, `null`).
    static func jsonValue(_ node: Node, path: String) throws -> JSONValue {
        var lines: [String: Int] = [:]
        return try jsonValue(node, path: path, keyPath: "", lines: &lines)
    }

    /// Converts a YAML node, noting in `lines` the line of each mapping key below `keyPath`.
    private static func jsonValue(
        _ node: Node, path: String, keyPath: String, lines: inout [String: Int]
    ) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            if node.null != nil { return .null }
            if let flag = node.bool { return .bool(flag) }
            if let integer = node.int { return .int(integer) }
            if let number = node.float, scalar.string.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
                return .double(number)
            }
            return .string(scalar.string)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.string else {
                    throw ConfigurationError.malformedFile(
                        path, detail: "line \(key.mark?.line ?? 0): mapping keys must be strings")
                }
                let child = keyPath.isEmpty ? name : keyPath + "." + name
                if let line = key.mark?.line { lines[child] = line }
                members[name] = try jsonValue(value, path: path, keyPath: child, lines: &lines)
            }
            return .object(members)
        case .sequence(let sequence):
            var elements: [JSONValue] = []
            for (index, element) in sequence.enumerated() {
                elements.append(try jsonValue(element, path: path, keyPath: keyPath + ".\(index)", lines: &lines))
            }
            return .array(elements)
        case .alias:
            throw ConfigurationError.malformedFile(path, detail: "YAML aliases are not supported")
        }
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            let prefix = context.map { "\($0.text) " } ?? ""
            return "line \(mark.line), column \(mark.column): \(prefix)\(problem)"
        case .composer(let context, let problem, let mark, _):
            let prefix = context.map { "\($0.text) " } ?? ""
            return "line \(mark.line), column \(mark.column): \(prefix)\(problem)"
        default:
            return String(describing: error)
        }
    }
}

/// A problem with Nimbus configuration.
public struct ConfigurationError: NimbusError {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case malformedFile, missingFile, badFlag, invalidSection, invalidSettings
    }
    public let code: Code
    public let message: String
    public let suggestion: String?

    public static func malformedFile(_ path: String, detail: String) -> ConfigurationError {
        ConfigurationError(
            code: .malformedFile, message: "\(path) is not valid configuration: \(detail)",
            suggestion: "fix the file, or point NIMBUS_CONFIG at another one")
    }

    public static func missingFile(_ path: String) -> ConfigurationError {
        ConfigurationError(
            code: .missingFile, message: "NIMBUS_CONFIG names \(path), which does not exist", suggestion: nil)
    }

    public static func badFlag(_ text: String) -> ConfigurationError {
        ConfigurationError(
            code: .badFlag, message: "'\(text)' is not a setting", suggestion: "use --config section.key=value")
    }

    /// Settings that no module knows or whose values they do not take, each with where it was set.
    public static func invalidSettings(_ problems: [ConfigurationProblem]) -> ConfigurationError {
        let count =
            problems.count == 1 ? "a setting that is not valid" : "\(problems.count) settings that are not valid"
        return ConfigurationError(
            code: .invalidSettings,
            message: "the configuration has \(count):\n" + problems.map { "  \($0)" }.joined(separator: "\n"),
            suggestion: "fix them where they are set; `nimbus config show` lists every setting and its source")
    }

    public static func invalidSection(_ path: String, detail: String, sources: [String]) -> ConfigurationError {
        let origin = sources.isEmpty ? "" : " (from \(sources.joined(separator: ", ")))"
        return ConfigurationError(
            code: .invalidSection, message: "the '\(path)' settings\(origin) are invalid: \(detail)", suggestion: nil)
    }
}

extension ConfigurationError {
    public var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch code {
            case .missingFile: .notFound
            default: .invalidInput
            }
        return ErrorCode("configuration", code.rawValue, kind)
    }
}
