/// What one setting holds, for ``ConfigurationSchema``: a scalar of some type, a choice of words, a section of named
/// settings, or a map whose keys are the user's (agent names, model names).
///
/// Strings stand in for numbers and booleans when their text reads as one (`"8"`, `"true"`), as values from the
/// environment and flags are always strings.
public indirect enum SettingType: Sendable, Hashable, CustomStringConvertible {
    case string
    /// A whole number, at least `minimum` when one is given.
    case integer(minimum: Int?)
    /// A number, at least `minimum` when one is given.
    case number(minimum: Double?)
    case boolean
    /// One of `choices` (compared without case); `noun` names them in messages (`log level`).
    case oneOf([String], noun: String)
    /// Named settings; any other name is unknown.
    case section([String: SettingType])
    /// Any names, each holding a value of the type (`llm.agents.<agent>`).
    case map(SettingType)
    /// Anything; not checked.
    case any

    /// A whole number.
    public static let integer = SettingType.integer(minimum: nil)
    /// A number.
    public static let number = SettingType.number(minimum: nil)

    public var description: String {
        switch self {
        case .string: "a string"
        case .integer(let minimum): "an integer" + (minimum.map { " of at least \($0)" } ?? "")
        case .number(let minimum): "a number" + (minimum.map { " of at least \(Self.text($0))" } ?? "")
        case .boolean: "true or false"
        case .oneOf(let choices, let noun): "a \(noun) (\(choices.joined(separator: ", ")))"
        case .section(let keys): "a section (\(keys.keys.sorted().joined(separator: ", ")))"
        case .map(let value): "a map of names to \(value)"
        case .any: "anything"
        }
    }

    private static func text(_ number: Double) -> String {
        number.rounded() == number ? String(Int(number)) : String(number)
    }
}

/// The settings a ``NimbusConfiguration`` may hold, section by section.
///
/// Each module declares the schema of its own section next to its settings type (`LogSettings.configurationSchema`
/// in NimbusCore, `LLMSettings.configurationSchema` in NimbusLLM, …); whoever loads the configuration assembles the
/// union of the modules it uses and checks the configuration against it with ``problems(in:)`` or ``validate(_:)``.
/// The schema is a value: there is no process-wide list of sections.
public struct ConfigurationSchema: Sendable, Hashable {
    /// The top-level sections, by name.
    public private(set) var sections: [String: SettingType]

    /// A schema of one section.
    public init(section name: String, _ keys: [String: SettingType]) {
        sections = [name: .section(keys)]
    }

    /// The union of `schemas`; a section two of them declare takes the keys of both.
    public init(_ schemas: [ConfigurationSchema]) {
        sections = [:]
        for schema in schemas { self = merging(schema) }
    }

    /// This schema with `other`'s sections added.
    public func merging(_ other: ConfigurationSchema) -> ConfigurationSchema {
        var merged = self
        for (name, type) in other.sections {
            if case .section(let mine)? = merged.sections[name], case .section(let theirs) = type {
                merged.sections[name] = .section(mine.merging(theirs) { _, new in new })
            } else {
                merged.sections[name] = type
            }
        }
        return merged
    }

    /// Throws one ``ConfigurationError`` listing every problem of `configuration`, if it has any.
    public func validate(_ configuration: NimbusConfiguration) throws {
        let problems = problems(in: configuration)
        if !problems.isEmpty { throw ConfigurationError.invalidSettings(problems) }
    }

    /// Every setting of `configuration` that the schema does not know, or whose value it does not take, in the
    /// order of their paths.
    ///
    /// Environment variables that name no known setting are not problems (tools set `NIMBUS_TEST_*` and others); a
    /// known setting with a bad value is, wherever it came from.
    public func problems(in configuration: NimbusConfiguration) -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        check(configuration.values, against: .section(sections), path: "", in: configuration, into: &problems)
        return problems.sorted { $0.path < $1.path }
    }

    private func check(
        _ value: JSONValue, against type: SettingType, path: String, in configuration: NimbusConfiguration,
        into problems: inout [ConfigurationProblem]
    ) {
        func add(_ kind: ConfigurationProblem.Kind, _ message: String, origin: ConfigurationSource? = nil) {
            let source = origin ?? configuration.origin(of: path) ?? .defaults
            problems.append(
                ConfigurationProblem(
                    kind: kind, path: path, source: source, line: configuration.line(of: path, from: source),
                    message: message))
        }
        // An empty value (`model:` with nothing after it) leaves the setting unset.
        if value == .null { return }
        switch type {
        case .any:
            return
        case .section(let keys):
            guard case .object(let members) = value else {
                return add(.wrongType, "\(name(path)) is \(type), not \(Self.describe(value))")
            }
            for key in members.keys.sorted() {
                let child = path.isEmpty ? key : path + "." + key
                if let keyType = keys[key] {
                    check(members[key]!, against: keyType, path: child, in: configuration, into: &problems)
                    continue
                }
                // A variable that names no setting is someone else's (NIMBUS_TEST_MOTO_URL): not a problem.
                guard let origin = configuration.origin(of: child, skippingEnvironment: true) else { continue }
                let guess = closestMatch(to: key, in: keys.keys).map {
                    "; did you mean \(path.isEmpty ? $0 : path + "." + $0)?"
                }
                let what = path.isEmpty ? "there is no section '\(key)'" : "\(name(path)) has no setting '\(key)'"
                problems.append(
                    ConfigurationProblem(
                        kind: .unknownSetting, path: child, source: origin,
                        line: configuration.line(of: child, from: origin),
                        message: what + (guess ?? " (it has \(keys.keys.sorted().joined(separator: ", ")))")))
            }
        case .map(let valueType):
            guard case .object(let members) = value else {
                return add(.wrongType, "\(name(path)) is \(type), not \(Self.describe(value))")
            }
            for key in members.keys.sorted() {
                check(members[key]!, against: valueType, path: path + "." + key, in: configuration, into: &problems)
            }
        case .string:
            if Self.scalarText(value) == nil {
                add(.wrongType, "\(name(path)) takes a string, not \(Self.describe(value))")
            }
        case .integer(let minimum):
            guard let number = Self.integer(value) else {
                return add(.wrongType, "\(name(path)) takes an integer, not \(Self.describe(value))")
            }
            if let minimum, number < minimum {
                add(.badValue, "\(name(path)) takes \(type), not \(number)")
            }
        case .number(let minimum):
            guard let number = Self.number(value) else {
                return add(.wrongType, "\(name(path)) takes a number, not \(Self.describe(value))")
            }
            if let minimum, number < minimum {
                add(.badValue, "\(name(path)) takes \(type), not \(value.stringValue ?? value.jsonText)")
            }
        case .boolean:
            if Self.boolean(value) == nil {
                add(.wrongType, "\(name(path)) takes true or false, not \(Self.describe(value))")
            }
        case .oneOf(let choices, let noun):
            guard let text = Self.scalarText(value) else {
                return add(.wrongType, "\(name(path)) takes a \(noun), not \(Self.describe(value))")
            }
            guard !choices.contains(where: { $0.lowercased() == text.lowercased() }) else { return }
            let guess = closestMatch(to: text, in: choices).map { "; did you mean \($0)?" } ?? ""
            add(.badValue, "'\(text)' is not a \(noun) for \(path) (use \(choices.joined(separator: ", ")))\(guess)")
        }
    }

    private func name(_ path: String) -> String { path.isEmpty ? "the configuration" : path }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): "the string '\(text)'"
        case .array: "a list"
        case .object: "a section"
        default: "\(value.typeName) \(value.jsonText)"
        }
    }

    static func scalarText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .int, .double, .bool: value.jsonText
        default: nil
        }
    }

    static func integer(_ value: JSONValue) -> Int? {
        if let number = value.intValue { return number }
        if case .string(let text) = value { return Int(text.trimmingCharacters(in: .whitespaces)) }
        return nil
    }

    static func number(_ value: JSONValue) -> Double? {
        if let number = value.doubleValue { return number }
        if case .string(let text) = value { return Double(text.trimmingCharacters(in: .whitespaces)) }
        return nil
    }

    static func boolean(_ value: JSONValue) -> Bool? {
        switch value {
        case .bool(let flag): return flag
        case .string(let text):
            switch text.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: return nil
            }
        default: return nil
        }
    }
}

/// One setting a ``ConfigurationSchema`` does not take: what is wrong, and where it was set.
public struct ConfigurationProblem: Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is.
    public enum Kind: Sendable, Hashable {
        /// A section or key no module reads (a typo, most often).
        case unknownSetting
        /// A value of the wrong type (`"abc"` for an integer).
        case wrongType
        /// A value of the right type that is not allowed (a log level that does not exist, a negative limit).
        case badValue
    }

    public let kind: Kind
    /// The setting, as a dotted path (`log.levl`).
    public let path: String
    /// The layer that set it.
    public let source: ConfigurationSource
    /// The line in the configuration file, when the file set it.
    public let line: Int?
    /// What is wrong, naming the setting and the value.
    public let message: String

    /// Where the setting was made: `config.yaml:3`, `flag -c log.levl`, `environment NIMBUS_GRAPH__STEP_LIMIT`.
    public var location: String {
        switch source {
        case .file(let path): line.map { "\(path):\($0)" } ?? path
        case .flag(let name): "flag -c \(name)"
        case .environment(let name): "environment \(name)"
        case .defaults: "defaults"
        }
    }

    public var description: String { "\(location): \(message)" }
}

extension NimbusConfiguration {
    /// The layer that set `path` or, for a section, the first of its settings in path order that is not a default;
    /// with `skippingEnvironment`, settings from environment variables do not count.
    func origin(of path: String, skippingEnvironment: Bool = false) -> ConfigurationSource? {
        let candidates = sources.filter { $0.key == path || $0.key.hasPrefix(path + ".") }.sorted { $0.key < $1.key }
        let chosen = candidates.first { entry in
            if case .environment = entry.value { return !skippingEnvironment }
            return true
        }
        return chosen?.value
    }

    /// The line of `path` in the configuration file, when `source` is the file.
    func line(of path: String, from source: ConfigurationSource) -> Int? {
        guard case .file = source else { return nil }
        return fileLines[path]
    }
}
