import ArgumentParser
import NimbusCore

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the merged configuration and where each value comes from.",
        discussion: """
            Precedence, lowest first: built-in defaults, $NIMBUS_HOME/config.yaml (default ~/.nimbus/config.yaml,
            or the file NIMBUS_CONFIG names), NIMBUS_* environment variables (NIMBUS_LOG_LEVEL, NIMBUS_LLM,
            NIMBUS_SECTION__KEY for any other), then -c section.key=value flags. Unknown settings and values of
            the wrong type are refused by every command; `config show` shows them with the rest and exits 1.
            """,
        subcommands: [Show.self], defaultSubcommand: Show.self)

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print every setting with its source.")

        @OptionGroup var global: GlobalOptions

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            let (configuration, problems) = try global.configurationAndProblems()
            let redacted = SecretRedactor.redact(configuration.values)
            switch output {
            case .json:
                let sources = JSONValue.object(configuration.sources.mapValues { .string($0.description) })
                Console.out(
                    JSONValue.object([
                        "home": .string(configuration.home.path),
                        "file": configuration.file.map { .string($0.path) } ?? .null,
                        "values": redacted, "sources": sources,
                        "problems": .array(
                            problems.map {
                                [
                                    "setting": .string($0.path), "where": .string($0.location),
                                    "message": .string($0.message),
                                ]
                            }),
                    ]).prettyJSONText)
            case .text:
                Console.out("home  \(configuration.home.path)")
                Console.out("file  \(configuration.file?.path ?? "(none)")")
                let rows = configuration.sources.keys.sorted().map { path in
                    let value = redacted.value(atPath: path) ?? .null
                    return [path, value.stringValue ?? value.jsonText, configuration.sources[path]!.description]
                }
                Console.table(["SETTING", "VALUE", "FROM"], rows)
            }
            if !problems.isEmpty {
                Console.progress("error: \(ConfigurationError.invalidSettings(problems))")
                throw ExitCode(1)
            }
        }
    }
}
