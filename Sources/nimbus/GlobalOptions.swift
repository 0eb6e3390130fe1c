import ArgumentParser
import Foundation
import Logging
import NimbusCore
import NimbusGraph
import NimbusHost
import NimbusLLM
import NimbusServer
import NimbusStore

/// Options every command takes: logging and configuration overrides.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Option(help: "Log format: human or json.")
    var logFormat: String?

    @Option(
        name: [.customShort("c"), .customLong("config")],
        help: ArgumentHelp(
            "Set a configuration value, highest precedence (repeatable).", valueName: "section.key=value"))
    var settings: [String] = []

    /// Every setting this nimbus reads: each module's section, assembled here, where the configuration is loaded.
    static let schema = ConfigurationSchema([
        LogSettings.configurationSchema, GraphSettings.configurationSchema, StoreSettings.configurationSchema,
        LLMSettings.configurationSchema, ServerSettings.configurationSchema,
    ])

    /// Loads the configuration (file, environment, flags), refuses settings of the wrong type and unknown ones
    /// (naming each with its file and line, flag or variable), and starts logging.
    func configuration() throws -> NimbusConfiguration {
        let configuration = try loadConfiguration()
        try Self.schema.validate(configuration)
        try NimbusLogging.bootstrap(from: configuration)
        // Progress lines follow the log format: JSON lines for a program reading standard error.
        Console.progressAsJSON.store(configuration["log.format"]?.stringValue == "json", ordering: .relaxed)
        return configuration
    }

    /// The configuration and its problems, without refusing them: for `nimbus config show`, which shows both.
    func configurationAndProblems() throws -> (NimbusConfiguration, [ConfigurationProblem]) {
        let configuration = try loadConfiguration()
        let problems = Self.schema.problems(in: configuration)
        // Logging starts with what is valid; a bad log setting is among the problems shown.
        if (try? NimbusLogging.bootstrap(from: configuration)) == nil {
            NimbusLogging.bootstrap(format: .human, level: .info)
        }
        return (configuration, problems)
    }

    private func loadConfiguration() throws -> NimbusConfiguration {
        var flags: [(key: String, value: String)] = []
        for setting in settings {
            guard let equals = setting.firstIndex(of: "=") else { throw ConfigurationError.badFlag(setting) }
            flags.append((String(setting[..<equals]), String(setting[setting.index(after: equals)...])))
        }
        if let logLevel { flags.append(("log.level", logLevel)) }
        if let logFormat { flags.append(("log.format", logFormat)) }
        return try NimbusConfiguration.load(flags: flags)
    }

    /// The host for this process: the configuration, and everything it names (store, models, AWS, products).
    func host() throws -> NimbusHost {
        try NimbusHost(configuration: configuration())
    }
}

/// How results are printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

enum NimbusVersion {
    static let current = "0.1.0"
}
