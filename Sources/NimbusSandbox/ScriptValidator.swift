import Foundation
import NimbusAWS
import NimbusCore

/// What a script's validation found.
public struct ScriptValidation: Sendable, Codable, Hashable {
    public struct Finding: Sendable, Codable, Hashable {
        public enum Severity: String, Sendable, Codable, Hashable {
            /// The script may not run.
            case error
            /// Worth fixing; the script may run.
            case warning
        }

        /// Which check found it: `syntax`, `imports`, `boto3`, `policy`, `ruff`, `bandit`, `parliament`.
        public var check: String
        public var severity: Severity
        public var line: Int?
        /// The checker's own code (`F821`, `B324`, `UNKNOWN_ACTION`).
        public var code: String?
        public var message: String

        public init(check: String, severity: Severity, line: Int? = nil, code: String? = nil, message: String) {
            self.check = check
            self.severity = severity
            self.line = line
            self.code = code
            self.message = message
        }
    }

    public var findings: [Finding]
    /// `service:Operation` for every AWS call the script makes, in the order they appear.
    public var operations: [String]
    /// The IAM actions those calls need.
    public var requiredActions: [String]

    /// No finding stops the script.
    public var passed: Bool { !findings.contains { $0.severity == .error } }

    /// The errors, one per line, for a generator's retry.
    public var errorSummary: String {
        findings.filter { $0.severity == .error }.map { finding in
            "\(finding.check)\(finding.line.map { " line \($0)" } ?? ""): \(finding.message)"
        }.joined(separator: "\n")
    }

    enum CodingKeys: String, CodingKey {
        case findings, operations
        case requiredActions = "required_actions"
    }
}

/// Checks a boto3 script before it runs: it parses (Python's `ast`), imports only the allow-list, makes no dynamic
/// code, and every boto3 call is a real operation of botocore's model for a service the proxy serves, is a read,
/// and is allowed by the policy; ruff and bandit pass on the script and parliament on the policy (when the
/// checkers are there). Nothing of the script runs: `ast` only reads it.
public struct ScriptValidator: Sendable {
    /// Modules a script may import.
    public static let allowedImports: Set<String> = [
        "boto3", "botocore", "json", "sys", "os", "datetime", "time", "collections", "itertools", "functools",
        "re", "math", "ipaddress", "typing", "dataclasses", "statistics", "decimal", "base64", "urllib", "string",
        "textwrap", "enum", "fnmatch", "operator", "copy", "uuid", "__future__",
    ]

    public let runtime: SandboxPython
    public let checkers: SandboxPython?

    /// `runtime` reads the script's calls with its botocore; `checkers`, when given, runs ruff, bandit and
    /// parliament.
    public init(runtime: SandboxPython, checkers: SandboxPython?) {
        self.runtime = runtime
        self.checkers = checkers
    }

    public func validate(script: String, policy: SandboxPolicy) async throws -> ScriptValidation {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nimbus-validate-\(SortableID().rawValue)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let scriptURL = scratch.appendingPathComponent("script.py")
        let analyzerURL = scratch.appendingPathComponent("analyze.py")
        try Data(script.utf8).write(to: scriptURL)
        try Data(Self.analyzer.utf8).write(to: analyzerURL)

        // The checkers run while the analyser does: four processes at once, not one after another.
        let checkers = checkers?.isReady == true ? checkers : nil
        async let checked = checkersFindings(checkers, script: scriptURL, policy: policy)
        let analysis = try await ChildProcess.run(
            runtime.directory.appendingPathComponent("bin/python3"), ["-I", "-B", analyzerURL.path, scriptURL.path],
            environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"])
        guard analysis.status == 0,
            let report = try? JSONDecoder().decode(Analysis.self, from: analysis.output)
        else {
            throw SandboxError(.cannotStart, "the script analyser failed: \(analysis.errorText.suffix(400))")
        }
        var findings: [ScriptValidation.Finding] = []
        var operations: [String] = []
        var actions: [String] = []
        if let syntax = report.syntaxError {
            findings.append(
                .init(check: "syntax", severity: .error, line: syntax.line, code: nil, message: syntax.message))
            return ScriptValidation(findings: findings, operations: [], requiredActions: [])
        }
        for imported in report.imports where !Self.allowedImports.contains(imported.module) {
            findings.append(
                .init(
                    check: "imports", severity: .error, line: imported.line, code: nil,
                    message:
                        "'\(imported.module)' is not on the allow-list (\(Self.allowedImports.sorted().prefix(8).joined(separator: ", ")), …)"
                ))
        }
        for problem in report.problems {
            findings.append(
                .init(check: "boto3", severity: .error, line: problem.line, code: nil, message: problem.message))
        }
        for call in report.calls {
            guard let operationName = call.operation else {
                findings.append(
                    .init(
                        check: "boto3", severity: .error, line: call.line, code: nil,
                        message: "\(call.service).\(call.method) is not an operation of \(call.service)"))
                continue
            }
            guard ModelCatalog.services.contains(call.service), let model = try? ModelCatalog.model(call.service),
                let operation = model.operations[operationName]
            else {
                findings.append(
                    .init(
                        check: "boto3", severity: .error, line: call.line, code: nil,
                        message: "\(call.service) is not a service the sandbox's proxy serves"))
                continue
            }
            let needed = operation.iamActions(service: model)
            operations.append(operation.action(service: model))
            for action in needed where !actions.contains(action) { actions.append(action) }
            if operation.access != .read {
                findings.append(
                    .init(
                        check: "boto3", severity: .error, line: call.line, code: nil,
                        message: "\(operationName) is not a read; inspection scripts only read"))
            } else if !policy.allows(needed) {
                findings.append(
                    .init(
                        check: "policy", severity: .error, line: call.line, code: nil,
                        message: "\(needed.joined(separator: ", ")) (for \(call.method)) is not in the policy"))
            }
        }
        for allowed in policy.allowedActions where !actions.contains(where: { SandboxPolicy.matches(allowed, $0) }) {
            findings.append(
                .init(
                    check: "policy", severity: .warning, line: nil, code: nil,
                    message: "the policy allows \(allowed), which the script never calls (keep it minimal)"))
        }
        findings += try await checked
        return ScriptValidation(findings: findings, operations: operations, requiredActions: actions)
    }

    private func checkersFindings(
        _ checkers: SandboxPython?, script: URL, policy: SandboxPolicy
    ) async throws
        -> [ScriptValidation.Finding]
    {
        guard let checkers else { return [] }
        var findings: [ScriptValidation.Finding] = []
        let bin = checkers.directory.appendingPathComponent("bin")
        let environment = ["PATH": "\(bin.path):/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp"]
        // ruff: syntax, undefined names and likely bugs (F, E9, B) are errors; nothing stylistic is checked.
        async let ruffRun = ChildProcess.run(
            bin.appendingPathComponent("ruff"),
            ["check", "--output-format", "json", "--no-cache", "--isolated", "--select", "E9,F,B", script.path],
            environment: environment)
        async let banditRun = ChildProcess.run(
            bin.appendingPathComponent("bandit"), ["-f", "json", "-q", script.path], environment: environment)
        async let parliamentRun = ChildProcess.run(
            bin.appendingPathComponent("parliament"),
            ["--json", "--string", String(decoding: policy.document, as: UTF8.self)], environment: environment)
        let ruff = try await ruffRun
        struct RuffFinding: Decodable {
            struct Location: Decodable { let row: Int }
            let code: String?
            let message: String
            let location: Location?
        }
        for finding in (try? JSONDecoder().decode([RuffFinding].self, from: ruff.output)) ?? [] {
            let code = finding.code ?? ""
            let severe =
                code.hasPrefix("E9") || ["F821", "F822", "F823", "F811", "F632", "F701", "F702"].contains(code)
            findings.append(
                .init(
                    check: "ruff", severity: severe ? .error : .warning, line: finding.location?.row, code: code,
                    message: finding.message))
        }
        // bandit: high-severity issues are errors.
        let bandit = try await banditRun
        struct BanditReport: Decodable {
            struct Result: Decodable {
                let test_id: String
                let issue_severity: String
                let issue_text: String
                let line_number: Int
            }
            let results: [Result]
        }
        for result in (try? JSONDecoder().decode(BanditReport.self, from: bandit.output))?.results ?? [] {
            findings.append(
                .init(
                    check: "bandit", severity: result.issue_severity == "HIGH" ? .error : .warning,
                    line: result.line_number, code: result.test_id, message: result.issue_text))
        }
        // parliament: unknown actions and services, and anything medium or worse, are errors.
        let parliament = try await parliamentRun
        struct ParliamentFinding: Decodable {
            let issue: String
            let severity: String
            let title: String
            let detail: JSONValue?
        }
        for line in parliament.outputText.split(separator: "\n") {
            guard let finding = try? JSONDecoder().decode(ParliamentFinding.self, from: Data(line.utf8)) else {
                continue
            }
            let severe =
                finding.issue.hasPrefix("UNKNOWN_") || ["MEDIUM", "HIGH", "CRITICAL"].contains(finding.severity)
            let detail = finding.detail.map { $0.stringValue ?? "\($0)" } ?? ""
            findings.append(
                .init(
                    check: "parliament", severity: severe ? .error : .warning, line: nil, code: finding.issue,
                    message: detail.isEmpty ? finding.title : "\(finding.title): \(detail)"))
        }
        return findings
    }

    struct Analysis: Decodable {
        struct SyntaxProblem: Decodable {
            let line: Int?
            let message: String
        }
        struct Call: Decodable {
            let service: String
            let method: String
            let operation: String?
            let line: Int
        }
        struct Problem: Decodable {
            let line: Int
            let message: String
        }
        let syntaxError: SyntaxProblem?
        let imports: [ImportedModule]
        let calls: [Call]
        let problems: [Problem]

        enum CodingKeys: String, CodingKey {
            case syntaxError = "syntax_error"
            case imports, calls, problems
        }
    }

    /// `[module, line]`.
    struct ImportedModule: Decodable {
        let module: String
        let line: Int
        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            module = try container.decode(String.self)
            line = try container.decode(Int.self)
        }
    }

    /// Reads the script with `ast` (nothing of it runs) and names its imports and boto3 calls with botocore.
    static let analyzer = #"""
        import ast
        import json
        import sys

        import botocore.session
        from botocore import xform_name

        out = {"syntax_error": None, "imports": [], "calls": [], "problems": []}
        source = open(sys.argv[1], encoding="utf-8").read()
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            out["syntax_error"] = {"line": error.lineno, "message": error.msg}
            print(json.dumps(out))
            sys.exit(0)

        session = botocore.session.get_session()
        known = set(session.get_available_services())
        models = {}

        def operation(service, method):
            if service not in known:
                return None
            if service not in models:
                model = session.get_service_model(service)
                models[service] = {xform_name(name): name for name in model.operation_names}
            return models[service].get(method)

        def client_service(node):
            """The service of `boto3.client("s3")` (or `session.client(...)`), "?" when not a literal, else None."""
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "client":
                argument = node.args[0] if node.args else next(
                    (k.value for k in node.keywords if k.arg == "service_name"), None)
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    return argument.value
                return "?"
            return None

        clients = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    out["imports"].append([alias.name.split(".")[0], node.lineno])
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    out["problems"].append({"line": node.lineno, "message": "relative imports are not allowed"})
                elif node.module:
                    out["imports"].append([node.module.split(".")[0], node.lineno])
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                service = client_service(node.value)
                if service and service != "?":
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        if isinstance(target, ast.Name):
                            clients[target.id] = service
                        elif isinstance(target, ast.Attribute):
                            clients[target.attr] = service
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Name) and node.func.id in ("eval", "exec", "compile", "__import__"):
                    out["problems"].append({"line": node.lineno, "message": node.func.id + "() is not allowed"})
                if isinstance(node.func, ast.Attribute) and node.func.attr == "resource":
                    out["problems"].append(
                        {"line": node.lineno, "message": "boto3 resources are not supported; use clients"})
                if client_service(node) == "?":
                    out["problems"].append(
                        {"line": node.lineno, "message": "a client's service must be a literal string"})

        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            base = node.func.value
            service = None
            if isinstance(base, ast.Name):
                service = clients.get(base.id)
            elif isinstance(base, ast.Attribute):
                service = clients.get(base.attr)
            elif isinstance(base, ast.Call):
                service = client_service(base)
            if not service or service == "?":
                continue
            method = node.func.attr
            if method in ("close", "can_paginate", "generate_presigned_url"):
                if method == "generate_presigned_url":
                    out["problems"].append({"line": node.lineno, "message": "presigned URLs are not allowed"})
                continue
            if method == "get_waiter":
                out["problems"].append(
                    {"line": node.lineno, "message": "waiters are not allowed; call the describe operation"})
                continue
            if method == "get_paginator":
                argument = node.args[0] if node.args else None
                if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                    out["problems"].append(
                        {"line": node.lineno, "message": "a paginator's operation must be a literal string"})
                    continue
                method = argument.value
            out["calls"].append(
                {"service": service, "method": method, "operation": operation(service, method), "line": node.lineno})

        out["calls"].sort(key=lambda call: call["line"])
        print(json.dumps(out))
        """#
}
