import Foundation
import Logging
import Synchronization
import Testing

@testable import NimbusCore

@Suite("Configuration")
struct ConfigurationTests {
    func home() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nimbus-config-\(SortableID().rawValue)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("file, environment and flags layer in that order, and each value knows its source")
    func precedence() throws {
        let home = try home()
        defer { try? FileManager.default.removeItem(at: home) }
        try """
        log:
          level: debug
          format: json
        llm:
          model: ollama:llama3.1
          temperature: 0.2
        store:
          path: /tmp/x.sqlite
        """.write(to: home.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let configuration = try NimbusConfiguration.load(
            environment: [
                "NIMBUS_HOME": home.path, "NIMBUS_LOG_LEVEL": "warning", "NIMBUS_LLM__TEMPERATURE": "0.7",
                "NIMBUS_STORE__PATH": "/tmp/env.sqlite", "PATH": "/bin",
            ],
            flags: [("store.path", "/tmp/flag.sqlite"), ("graph.step_limit", "40")],
            homeDirectory: URL(fileURLWithPath: "/nonexistent"))
        #expect(configuration.home.path == home.path)
        #expect(configuration.file?.lastPathComponent == "config.yaml")
        #expect(configuration["log.level"] == "warning")
        #expect(configuration["log.format"] == "json")
        #expect(configuration["llm.model"] == "ollama:llama3.1")
        #expect(configuration["llm.temperature"] == "0.7")
        #expect(configuration["store.path"] == "/tmp/flag.sqlite")
        #expect(configuration.sources["log.level"] == .environment("NIMBUS_LOG_LEVEL"))
        #expect(configuration.sources["log.format"] == .file(home.appendingPathComponent("config.yaml").path))
        #expect(configuration.sources["store.path"] == .flag("store.path"))
        #expect(configuration.sources["graph.step_limit"] == .flag("graph.step_limit"))

        struct LLM: Decodable {
            var model: String
            var temperature: Double
        }
        let llm = try #require(try configuration.decode(LLM.self, at: "llm"))
        #expect(llm.temperature == 0.7)
        let log = try #require(try configuration.decode(LogSettings.self, at: "log"))
        #expect(log.level == .warning && log.format == .json)
        #expect(try configuration.decode(Int.self, at: "graph.step_limit") == 40)
    }

    @Test("without NIMBUS_HOME the home is ~/.nimbus, and defaults apply")
    func defaults() throws {
        let user = try home()
        defer { try? FileManager.default.removeItem(at: user) }
        let configuration = try NimbusConfiguration.load(environment: [:], homeDirectory: user)
        #expect(configuration.home.path == user.appendingPathComponent(".nimbus").path)
        #expect(configuration.file == nil)
        #expect(configuration["log.level"] == "info")
        #expect(configuration["graph.step_limit"] == 100)
        #expect(configuration.sources["log.level"] == .defaults)
    }

    @Test("a malformed file is named with its line; other problems name what is wrong")
    func errors() throws {
        let home = try home()
        defer { try? FileManager.default.removeItem(at: home) }
        let file = home.appendingPathComponent("config.yaml")
        try "log:\n  level: debug\n  format: [json\n".write(to: file, atomically: true, encoding: .utf8)
        do {
            _ = try NimbusConfiguration.load(environment: ["NIMBUS_HOME": home.path])
            Issue.record("expected an error")
        } catch let error as ConfigurationError {
            #expect(error.message.contains(file.path))
            #expect(error.message.contains("line"))
        }
        try "- just\n- a list\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) {
            try NimbusConfiguration.load(environment: ["NIMBUS_HOME": home.path])
        }
        #expect(throws: ConfigurationError.self) {
            try NimbusConfiguration.load(environment: [
                "NIMBUS_CONFIG": home.appendingPathComponent("missing.yaml").path
            ])
        }
        #expect(throws: ConfigurationError.self) {
            try NimbusConfiguration.load(environment: [:], flags: [("a..b", "1")])
        }

        try "log:\n  level: loud\n".write(to: file, atomically: true, encoding: .utf8)
        let configuration = try NimbusConfiguration.load(environment: ["NIMBUS_HOME": home.path])
        do {
            _ = try configuration.decode(LogSettings.self, at: "log")
            Issue.record("expected an error")
        } catch let error as ConfigurationError {
            #expect(error.message.contains("'loud' is not a log level"))
            #expect(error.message.contains(file.path))
        }
    }
}

@Suite("Secret redaction and logging")
struct RedactionTests {
    @Test("secrets in text are redacted, ordinary words are not")
    func text() {
        let redacted = SecretRedactor.redact(
            "key AKIAIOSFODNN7EXAMPLE secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY "
                + "Authorization: Bearer abcdefghijklmnop.qrs sk-proj-abcdefghijklmnopqrstuvwx password: hunter22 tokens=15"
        )
        #expect(!redacted.contains("AKIAIOSFODNN7EXAMPLE"))
        // The direct ISO 8601 writer agrees with the format style.
        for seconds in [0.0, 951_782_400.5, 1_796_687_182.61407, 4_102_444_799.999] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(UTCTimestamp.string(date) == date.formatted(.iso8601), "\(seconds)")
        }
        // Text with no separator skips most patterns, but never the ones that need none.
        #expect(SecretRedactor.redact("AKIAIOSFODNN7EXAMPLE") == SecretRedactor.placeholder)
        #expect(!SecretRedactor.redact("x-sk-ant-abcdefghijklmnop1234").contains("abcdefghijklmnop"))
        #expect(SecretRedactor.redact("01MCC5RM3VHP1JX97P165HEWRJ") == "01MCC5RM3VHP1JX97P165HEWRJ")
        #expect(SecretRedactor.redact("/v1/runs/{id}") == "/v1/runs/{id}")
        #expect(!redacted.contains("wJalrXUtnFEMI"))
        #expect(!redacted.contains("abcdefghijklmnop"))
        #expect(!redacted.contains("sk-proj-abcdefghijklmnopqrstuvwx"))
        #expect(!redacted.contains("hunter22"))
        #expect(redacted.contains("tokens=15"))
        #expect(SecretRedactor.redact("list all S3 buckets in us-east-1") == "list all S3 buckets in us-east-1")
    }

    @Test("sensitive keys are redacted in JSON; registered secrets everywhere")
    func json() {
        SecretRedactor.register("correct-horse-battery-staple")
        let value: JSONValue = [
            "AccessKeyId": "ASIAEXAMPLEEXAMPLE00", "SecretAccessKey": "abc", "api_key": "x", "max_tokens": 100,
            "note": "the passphrase is correct-horse-battery-staple",
        ]
        let redacted = SecretRedactor.redact(value)
        #expect(redacted["SecretAccessKey"] == "[REDACTED]")
        #expect(redacted["api_key"] == "[REDACTED]")
        #expect(redacted["max_tokens"] == 100)
        #expect(redacted["AccessKeyId"] == "[REDACTED]")
        #expect(redacted["note"]?.stringValue?.contains("correct-horse") == false)
    }

    final class Lines: Sendable {
        let storage = Mutex<[String]>([])
        var all: [String] { storage.withLock { $0 } }
    }

    @Test("JSON log lines are valid JSON with metadata, and secrets never reach them")
    func jsonLogs() throws {
        let lines = Lines()
        var logger = Logger(label: "nimbus.test") { label in
            NimbusLogHandler(
                label: label, level: .debug, format: .json,
                sink: .custom { line in lines.storage.withLock { $0.append(line) } })
        }
        logger[metadataKey: "thread"] = "t-1"
        logger.info(
            "calling with Bearer abcdefghijklmnopqrstuvwxyz", metadata: ["aws_secret_access_key": "zzz", "count": "3"])
        logger.trace("not printed")
        #expect(lines.all.count == 1)
        let line = try JSONValue(parsing: lines.all[0])
        #expect(line["level"] == "info")
        #expect(line["label"] == "nimbus.test")
        #expect(line["metadata"]?["thread"] == "t-1")
        #expect(line["metadata"]?["count"] == "3")
        #expect(line["metadata"]?["aws_secret_access_key"] == "[REDACTED]")
        #expect(line["message"]?.stringValue?.contains("abcdefghijklmnop") == false)

        let human = Lines()
        let plain = Logger(label: "nimbus.human") { label in
            NimbusLogHandler(
                label: label, level: .info, format: .human,
                sink: .custom { line in human.storage.withLock { $0.append(line) } })
        }
        plain.warning("disk low", metadata: ["path": "/tmp"])
        #expect(human.all.first?.contains("WARNING nimbus.human: disk low path=/tmp") == true)
    }
}
