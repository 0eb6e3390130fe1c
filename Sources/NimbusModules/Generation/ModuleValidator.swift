import Foundation
public import NimbusCore
import NimbusHCL

/// One thing the validator found in a generated (or any) module.
public struct ValidationFinding: Sendable, Hashable, Codable {
    /// What produced it: `syntax`, `module`, `format`, `security`.
    public var check: String
    /// A rule id for security findings (`NIM-S3-004`), the diagnostic summary otherwise.
    public var rule: String
    public var severity: FindingSeverity
    public var file: String
    public var line: Int
    public var resource: String?
    public var message: String
    public var fix: String?

    /// Whether the finding stops a module from being written as it is.
    public var isError: Bool { severity >= .high }
}

/// The validator's verdict on a module: every check it ran and what each found.
public struct ValidationReport: Sendable, Hashable, Codable {
    public var checks: [String]
    public var findings: [ValidationFinding]
    /// Deliberate exceptions the module documents (checkov ids and reasons).
    public var optOuts: [PolicyOptOut]

    public var errors: [ValidationFinding] { findings.filter(\.isError) }
    public var passed: Bool { errors.isEmpty }

    /// The report as Markdown, written to VALIDATION.md beside the module.
    public var markdown: String {
        var lines = ["# Validation", ""]
        lines.append(
            passed
                ? "Result: **passed** (\(findings.count) findings, none blocking)."
                : "Result: **failed** (\(errors.count) blocking findings).")
        lines += ["", "Checks run:", ""]
        lines += checks.map { "- \($0)" }
        lines += ["", "## Findings", ""]
        if findings.isEmpty {
            lines.append("None.")
        } else {
            lines += ["| Severity | Check | Rule | Where | Message | Fix |", "|---|---|---|---|---|---|"]
            for finding in findings {
                let place = "\(finding.file):\(finding.line)" + (finding.resource.map { " (\($0))" } ?? "")
                lines.append(
                    "| \(finding.severity.rawValue) | \(finding.check) | \(finding.rule) | \(place) | \(finding.message.replacingOccurrences(of: "|", with: "\\|")) | \((finding.fix ?? "").replacingOccurrences(of: "|", with: "\\|")) |"
                )
            }
        }
        if !optOuts.isEmpty {
            lines += ["", "## Deliberate exceptions", ""]
            lines += optOuts.map { "- `\($0.check)`: \($0.reason)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report as SARIF 2.1.0, for code-scanning tools.
    public var sarif: JSONValue {
        var rules: [String: JSONValue] = [:]
        for rule in SecurityRules.all {
            rules[rule.id] = [
                "id": .string(rule.id), "name": .string(rule.title),
                "shortDescription": ["text": .string(rule.title)], "fullDescription": ["text": .string(rule.rationale)],
                "defaultConfiguration": ["level": .string(rule.severity.sarifLevel)],
            ]
        }
        let results: [JSONValue] = findings.map { finding in
            var result: [String: JSONValue] = [
                "ruleId": .string(finding.rule), "level": .string(finding.severity.sarifLevel),
                "message": ["text": .string(finding.message + (finding.fix.map { ". Fix: \($0)" } ?? ""))],
                "locations": [
                    [
                        "physicalLocation": [
                            "artifactLocation": ["uri": .string(finding.file)],
                            "region": ["startLine": .int(max(1, finding.line))],
                        ]
                    ]
                ],
            ]
            if let resource = finding.resource { result["properties"] = ["resource": .string(resource)] }
            return .object(result)
        }
        let usedRules = Set(findings.map(\.rule))
        return [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
            "runs": [
                [
                    "tool": [
                        "driver": [
                            "name": "nimbus", "informationUri": "https://github.com/nimbus/nimbus",
                            "rules": .array(rules.keys.sorted().filter(usedRules.contains).compactMap { rules[$0] }),
                        ]
                    ],
                    "results": .array(results),
                ]
            ],
        ]
    }
}

/// Checks a module as the module generator's validator and `nimbus module check` do: syntax, Terraform module
/// checks (references, types, descriptions, versions), the canonical format, and Nimbus's security rules.
public enum ModuleValidator {
    /// Validates files given as path → text (a generated module, or a directory read from disk).
    public static func validate(files: [String: String], optOuts: [PolicyOptOut] = []) -> ValidationReport {
        var findings: [ValidationFinding] = []
        var moduleFiles: [ConfigFile] = []
        for (path, text) in files.sorted(by: { $0.key < $1.key }) where path.hasSuffix(".tf") {
            let (file, diagnostics) = HCLParser.parse(text, filename: path)
            for diagnostic in diagnostics where diagnostic.severity == .error {
                findings.append(
                    ValidationFinding(
                        check: "syntax", rule: diagnostic.summary, severity: .critical, file: path,
                        line: diagnostic.range.start.line, resource: nil, message: diagnostic.detail, fix: nil))
            }
            if !diagnostics.hasErrors, case .success(let formatted) = Formatter.format(text, filename: path),
                formatted != text
            {
                findings.append(
                    ValidationFinding(
                        check: "format", rule: "fmt", severity: .high, file: path, line: 1, resource: nil,
                        message: "the file is not in canonical terraform fmt form", fix: "run nimbus hcl fmt"))
            }
            // The module is the top directory; examples are checked for syntax and format only.
            if !path.contains("/") { moduleFiles.append(file) }
        }
        let module = Module(files: moduleFiles.map(\.filename), configFiles: moduleFiles)
        for diagnostic in module.check() where diagnostic.severity == .error || diagnostic.severity == .warning {
            findings.append(
                ValidationFinding(
                    check: "module", rule: diagnostic.summary, severity: diagnostic.severity == .error ? .high : .low,
                    file: diagnostic.filename, line: diagnostic.range.start.line, resource: nil,
                    message: diagnostic.detail,
                    fix: nil))
        }
        // An offline `terraform validate`: every resource and data block against the AWS provider's schema.
        var schemaCheck = "AWS provider schema: the bundled schema is not available"
        switch ProviderSchema.aws {
        case .success(let schema):
            schemaCheck = "AWS provider schema (\(schema.description)): arguments, blocks, required values, attributes"
            for diagnostic in ProviderSchemaCheck.check(moduleFiles, schema: schema) {
                findings.append(
                    ValidationFinding(
                        check: "provider-schema", rule: diagnostic.summary, severity: .high, file: diagnostic.filename,
                        line: diagnostic.range.start.line, resource: nil, message: diagnostic.detail, fix: nil))
            }
        case .failure(let error):
            findings.append(
                ValidationFinding(
                    check: "provider-schema", rule: "schema unavailable", severity: .low, file: "", line: 0,
                    resource: nil, message: error.message, fix: nil))
        }
        for finding in SecurityRules.check(module) {
            findings.append(
                ValidationFinding(
                    check: "security", rule: finding.rule, severity: finding.severity, file: finding.file,
                    line: finding.line, resource: finding.resource, message: finding.message, fix: finding.fix))
        }
        return ValidationReport(
            checks: [
                "HCL syntax of every .tf file", "terraform fmt canonical form",
                "module checks: references, types, defaults, descriptions, versions.tf", schemaCheck,
                "Nimbus security rules (\(SecurityRules.all.count))",
            ],
            findings: findings.sorted { ($0.severity, $1.file, $1.line) > ($1.severity, $0.file, $0.line) },
            optOuts: optOuts)
    }

    /// Validates a module directory on disk (its `.tf` files and its examples').
    public static func validate(directory: String) throws -> ValidationReport {
        let root = URL(fileURLWithPath: directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModuleWriteError.notADirectory(directory)
        }
        var files: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            let relative = String(url.path.dropFirst(root.path.count)).trimmingCharacters(
                in: CharacterSet(charactersIn: "/"))
            if relative.hasPrefix(".") || relative.contains("/.") { continue }
            guard relative.hasSuffix(".tf") else { continue }
            // Only the module and its examples: nested modules are modules of their own.
            if relative.contains("/"), !relative.hasPrefix("examples/") { continue }
            files[relative] = try String(contentsOf: url, encoding: .utf8)
        }
        guard files.keys.contains(where: { !$0.contains("/") }) else { throw ModuleWriteError.notAModule(directory) }
        return validate(files: files)
    }
}
