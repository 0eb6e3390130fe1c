import Foundation
import Testing

@testable import NimbusCore

/// A setting that must be refused: where it is set, and what the report must say about it.
struct BadSetting: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String?
    var environment: [String: String] = [:]
    var flags: [String] = []
    /// Each line of the report, as `location: message` pieces: one entry per expected problem.
    var expected: [String]

    var testDescription: String { name }
}

@Suite("Configuration schema")
struct ConfigurationSchemaTests {
    /// Sections shaped like Nimbus's own: scalars of each type, a choice, nested sections and a map.
    static let schema = ConfigurationSchema([
        LogSettings.configurationSchema,
        ConfigurationSchema(section: "graph", ["step_limit": .integer(minimum: 1)]),
        ConfigurationSchema(section: "store", ["path": .string, "url": .string]),
        ConfigurationSchema(
            section: "llm",
            [
                "model": .string, "temperature": .number(minimum: 0), "stream": .boolean,
                "providers": .section([
                    "ollama": .section([
                        "host": .string, "structured_output": .oneOf(["native", "tool"], noun: "strategy"),
                    ])
                ]),
                "agents": .map(.section(["model": .string, "max_tokens": .integer(minimum: 1)])),
            ]),
    ])

    func load(
        yaml: String?, environment: [String: String] = [:], flags: [String] = []
    ) throws -> (NimbusConfiguration, String) {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nimbus-schema-\(SortableID().rawValue)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let file = home.appendingPathComponent("config.yaml")
        if let yaml { try yaml.write(to: file, atomically: true, encoding: .utf8) }
        let configuration = try NimbusConfiguration.load(
            environment: environment.merging(["NIMBUS_HOME": home.path]) { mine, _ in mine },
            flags: flags.map { flag in
                let parts = flag.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : "")
            })
        return (configuration, file.path)
    }

    static let bad: [BadSetting] = [
        // Unknown sections and keys at each level, with the closest known name.
        BadSetting(
            name: "unknown section", yaml: "lgo:\n  level: debug\n",
            expected: ["config.yaml:1: there is no section 'lgo'; did you mean log?"]),
        BadSetting(
            name: "misspelt key of a section", yaml: "log:\n  levl: debug\n",
            expected: ["config.yaml:2: log has no setting 'levl'; did you mean log.level?"]),
        BadSetting(
            name: "misspelt nested section", yaml: "llm:\n  providers:\n    olama:\n      host: http://x\n",
            expected: ["config.yaml:3: llm.providers has no setting 'olama'; did you mean llm.providers.ollama?"]),
        BadSetting(
            name: "misspelt key three levels down", yaml: "llm:\n  providers:\n    ollama:\n      hots: http://x\n",
            expected: [
                "config.yaml:4: llm.providers.ollama has no setting 'hots'; did you mean llm.providers.ollama.host?"
            ]),
        BadSetting(
            name: "misspelt key inside a map entry", yaml: "llm:\n  agents:\n    planner:\n      modle: x\n",
            expected: [
                "config.yaml:4: llm.agents.planner has no setting 'modle'; did you mean llm.agents.planner.model?"
            ]
        ),
        BadSetting(
            name: "unknown key far from any name", yaml: "graph:\n  colour: red\n",
            expected: ["config.yaml:2: graph has no setting 'colour' (it has step_limit)"]),
        // Wrong types: integers, numbers, booleans, choices, strings, sections and maps.
        BadSetting(
            name: "a word for an integer", yaml: "graph:\n  step_limit: \"abc\"\n",
            expected: ["config.yaml:2: graph.step_limit takes an integer, not the string 'abc'"]),
        BadSetting(
            name: "a fraction for an integer", yaml: "graph:\n  step_limit: 2.5\n",
            expected: ["config.yaml:2: graph.step_limit takes an integer, not number 2.5"]),
        BadSetting(
            name: "an integer below its minimum", yaml: "log:\n  level: info\ngraph:\n  step_limit: 0\n",
            expected: ["config.yaml:4: graph.step_limit takes an integer of at least 1, not 0"]),
        BadSetting(
            name: "a word for a boolean", yaml: "llm:\n  stream: sometimes\n",
            expected: ["config.yaml:2: llm.stream takes true or false, not the string 'sometimes'"]),
        BadSetting(
            name: "a word for a number", yaml: "llm:\n  temperature: hot\n",
            expected: ["config.yaml:2: llm.temperature takes a number, not the string 'hot'"]),
        BadSetting(
            name: "a number below its minimum", yaml: "llm:\n  temperature: -0.5\n",
            expected: ["config.yaml:2: llm.temperature takes a number of at least 0, not -0.5"]),
        BadSetting(
            name: "a value outside a choice", yaml: "log:\n  format: jsn\n",
            expected: ["config.yaml:2: 'jsn' is not a log format for log.format (use human, json); did you mean json?"]),
        BadSetting(
            name: "a nested choice", yaml: "llm:\n  providers:\n    ollama:\n      structured_output: grammar\n",
            expected: ["config.yaml:4: 'grammar' is not a strategy for llm.providers.ollama.structured_output"]),
        BadSetting(
            name: "a list for a string", yaml: "store:\n  path: [a, b]\n",
            expected: ["config.yaml:2: store.path takes a string, not a list"]),
        BadSetting(
            name: "a section for a string", yaml: "llm:\n  model:\n    name: x\n",
            expected: ["config.yaml:2: llm.model takes a string, not a section"]),
        BadSetting(
            name: "a word for a section", yaml: "log: debug\n",
            expected: ["config.yaml:1: log is a section (format, level), not the string 'debug'"]),
        BadSetting(
            name: "a word for a map", yaml: "llm:\n  agents: planner\n",
            expected: ["config.yaml:2: llm.agents is a map of names to a section (max_tokens, model)"]),
        BadSetting(
            name: "a list of settings for the whole file", yaml: "log:\n  - level\n",
            expected: ["config.yaml:1: log is a section (format, level), not a list"]),
        BadSetting(
            name: "every problem of a file at once",
            yaml: "log:\n  level: loud\n  fromat: json\ngraph:\n  step_limit: many\n",
            expected: [
                "config.yaml:5: graph.step_limit takes an integer",
                "config.yaml:3: log has no setting 'fromat'; did you mean log.format?",
                "config.yaml:2: 'loud' is not a log level for log.level",
            ]),
        // From flags: the flag is named.
        BadSetting(
            name: "misspelt flag", flags: ["log.levl=debug"],
            expected: ["flag -c log.levl: log has no setting 'levl'; did you mean log.level?"]),
        BadSetting(
            name: "flag for an unknown section", flags: ["sotre.path=/tmp/x"],
            expected: ["flag -c sotre.path: there is no section 'sotre'; did you mean store?"]),
        BadSetting(
            name: "flag with a word for an integer", flags: ["graph.step_limit=abc"],
            expected: ["flag -c graph.step_limit: graph.step_limit takes an integer, not the string 'abc'"]),
        BadSetting(
            name: "flag with a bad choice", flags: ["log.level=loud"],
            expected: ["flag -c log.level: 'loud' is not a log level for log.level"]),
        BadSetting(
            name: "flag replacing a section with a word", flags: ["llm.providers=ollama"],
            expected: ["flag -c llm.providers: llm.providers is a section (ollama), not the string 'ollama'"]),
        BadSetting(
            name: "a flag overrides a good file value with a bad one", yaml: "llm:\n  stream: true\n",
            flags: ["llm.stream=perhaps"],
            expected: ["flag -c llm.stream: llm.stream takes true or false, not the string 'perhaps'"]),
        // From the environment: a known setting with a bad value is named with its variable.
        BadSetting(
            name: "variable with a word for an integer", environment: ["NIMBUS_GRAPH__STEP_LIMIT": "abc"],
            expected: ["environment NIMBUS_GRAPH__STEP_LIMIT: graph.step_limit takes an integer"]),
        BadSetting(
            name: "aliased variable with a bad choice", environment: ["NIMBUS_LOG_LEVEL": "loud"],
            expected: ["environment NIMBUS_LOG_LEVEL: 'loud' is not a log level"]),
        BadSetting(
            name: "variable with a word for a boolean", environment: ["NIMBUS_LLM__STREAM": "maybe"],
            expected: ["environment NIMBUS_LLM__STREAM: llm.stream takes true or false"]),
        BadSetting(
            name: "variable deep in a map", environment: ["NIMBUS_LLM__AGENTS__PLANNER__MAX_TOKENS": "lots"],
            expected: [
                "environment NIMBUS_LLM__AGENTS__PLANNER__MAX_TOKENS: llm.agents.planner.max_tokens takes an integer"
            ]),
        BadSetting(
            name: "unknown variables are ignored, a bad known one next to them is not",
            environment: [
                "NIMBUS_TEST_MOTO_URL": "http://x", "NIMBUS_LOG__LEVL": "x", "NIMBUS_LLM__TEMPERATURE": "warm",
            ],
            expected: ["environment NIMBUS_LLM__TEMPERATURE: llm.temperature takes a number"]),
    ]

    @Test("bad settings are refused with where they were set and what is wrong", arguments: bad)
    func refused(_ setting: BadSetting) throws {
        let (configuration, file) = try load(
            yaml: setting.yaml, environment: setting.environment, flags: setting.flags)
        let problems = Self.schema.problems(in: configuration)
        let lines = problems.map(\.description)
        #expect(problems.count == setting.expected.count, "\(lines)")
        for expected in setting.expected {
            let wanted = expected.replacingOccurrences(of: "config.yaml:", with: file + ":")
            #expect(lines.contains { $0.contains(wanted) }, "no problem says '\(wanted)' among \(lines)")
        }
        #expect { try Self.schema.validate(configuration) } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return setting.expected.allSatisfy { error.message.contains($0.components(separatedBy: ": ").last!) }
        }
    }

    @Test("good settings of every type, from every layer, load without a problem")
    func accepted() throws {
        let yaml = """
            log:
              level: DEBUG
              format: json
            graph:
              step_limit: "40"
            store:
              path: ~/nimbus.sqlite
              url:
            llm:
              model: ollama:llama3.1
              temperature: 1
              stream: yes
              providers:
                ollama: { host: http://gpu:11434, structured_output: Tool }
              agents:
                planner: { model: "anthropic:claude-sonnet-4-5", max_tokens: 512 }
                writer: {}
            """
        let (configuration, _) = try load(
            yaml: yaml,
            environment: [
                "NIMBUS_TEST_MOTO_URL": "http://127.0.0.1:5000", "NIMBUS_CONFORMANCE_DIR": "/x",
                "NIMBUS_LOG__LEVL": "x",
                "NIMBUS_LLM": "openai:gpt-4o-mini", "NIMBUS_LLM__TEMPERATURE": "0.25", "NIMBUS_STEP_LIMIT": "x",
            ],
            flags: [
                "graph.step_limit=12", "llm.stream=false", "llm.agents.critic.max_tokens=64", "store.url=postgres://db",
            ])
        #expect(Self.schema.problems(in: configuration).map(\.description) == [])
        try Self.schema.validate(configuration)
        #expect(configuration["graph.step_limit"] == "12")
    }

    @Test("the defaults pass the schema, and so do the log settings as the type encodes them")
    func defaultsAndEncodedSettings() throws {
        let home = URL(fileURLWithPath: "/nonexistent")
        #expect(Self.schema.problems(in: NimbusConfiguration(home: home)).isEmpty)
        let encoded = try JSONValue(encoding: LogSettings(level: .warning, format: .json))
        let configuration = NimbusConfiguration(home: home, values: ["log": encoded])
        #expect(Self.schema.problems(in: configuration).isEmpty)
    }

    @Test("a schema is the union of the modules' schemas; a section two of them declare has both sets of keys")
    func union() throws {
        let merged = ConfigurationSchema([
            ConfigurationSchema(section: "server", ["port": .integer]),
            ConfigurationSchema(section: "server", ["host": .string]),
        ])
        let configuration = NimbusConfiguration(
            home: URL(fileURLWithPath: "/nonexistent"), values: ["server": ["port": 8080, "host": "0.0.0.0"]])
        // Without the log and graph sections the defaults themselves are unknown.
        #expect(merged.problems(in: configuration).map(\.path) == ["graph", "log"])
        #expect(merged.merging(Self.schema).problems(in: configuration).isEmpty)
        #expect(Self.schema.problems(in: configuration).map(\.path) == ["server"])
    }

    @Test("the file's lines are kept for each setting, nested ones included")
    func lines() throws {
        let (configuration, _) = try load(
            yaml: "# comment\nlog:\n  level: info\n\nllm:\n  agents:\n    planner:\n      model: x\n")
        #expect(configuration.fileLines["log"] == 2)
        #expect(configuration.fileLines["log.level"] == 3)
        #expect(configuration.fileLines["llm.agents.planner.model"] == 8)
    }
}
