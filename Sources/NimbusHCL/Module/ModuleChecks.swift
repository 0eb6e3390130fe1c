import Foundation
import NimbusCore

/// Terraform's top-level block types and how many labels each takes.
private let topLevelBlocks: [String: Int] = [
    "terraform": 0, "provider": 1, "variable": 1, "locals": 0, "resource": 2, "data": 2, "module": 1, "output": 1,
    "moved": 0, "import": 0, "check": 1, "removed": 0, "ephemeral": 2,
]

extension Module {
    /// Every problem with the module: syntax errors, then errors (undefined references, duplicate names, invalid
    /// type constraints and defaults, expressions that cannot evaluate whatever the inputs), then warnings (unused variables and locals, missing descriptions and
    /// types, the standard module structure with a `versions.tf`).
    public func check() -> [Diagnostic] {
        var diagnostics = parseDiagnostics
        checkStructure(&diagnostics)
        checkDuplicates(&diagnostics)
        checkVariables(&diagnostics)
        checkReferences(&diagnostics)
        checkExpressions(&diagnostics)
        checkDocumentation(&diagnostics)
        checkStandardStructure(&diagnostics)
        return diagnostics
    }

    private func diagnostic(
        _ severity: Diagnostic.Severity, _ summary: String, _ detail: String, _ range: SourceRange, _ file: String
    ) -> Diagnostic {
        Diagnostic(severity, summary: summary, detail: detail, filename: file, range: range)
    }

    private func checkStructure(_ diagnostics: inout [Diagnostic]) {
        for (item, file) in strayItems {
            switch item {
            case .attribute(let attribute):
                diagnostics.append(
                    diagnostic(
                        .error, "Unsupported argument",
                        "An argument named \"\(attribute.name)\" is not expected at the top level of a module.",
                        attribute.nameRange, file))
            case .block(let block):
                let hint =
                    closestMatch(to: block.type, in: topLevelBlocks.keys).map { " Did you mean \"\($0)\"?" } ?? ""
                diagnostics.append(
                    diagnostic(
                        .error, "Unsupported block type",
                        "Blocks of type \"\(block.type)\" are not expected here.\(hint)", block.typeRange, file))
            }
        }
        for file in configFiles {
            for case .block(let block) in file.body.items {
                guard let expected = topLevelBlocks[block.type], block.labels.count != expected else { continue }
                diagnostics.append(
                    diagnostic(
                        .error, "Wrong number of block labels",
                        "A \(block.type) block needs \(expected) label\(expected == 1 ? "" : "s"), not "
                            + "\(block.labels.count).", block.typeRange, file.filename))
            }
            checkRepeatedAttributes(file.body, file.filename, &diagnostics)
        }
    }

    /// HCL allows each attribute name once per body.
    private func checkRepeatedAttributes(_ body: Body, _ file: String, _ diagnostics: inout [Diagnostic]) {
        var seen: [String: Attribute] = [:]
        for attribute in body.attributes {
            if let first = seen[attribute.name] {
                diagnostics.append(
                    diagnostic(
                        .error, "Attribute redefined",
                        "The argument \"\(attribute.name)\" was already set at line \(first.nameRange.start.line). "
                            + "Each argument may be set only once.", attribute.nameRange, file))
            } else {
                seen[attribute.name] = attribute
            }
        }
        for block in body.blocks { checkRepeatedAttributes(block.body, file, &diagnostics) }
    }

    private func checkDuplicates(_ diagnostics: inout [Diagnostic]) {
        func report<T>(_ items: [T], kind: String, key: (T) -> String, range: (T) -> SourceRange, file: (T) -> String) {
            var seen: [String: T] = [:]
            for item in items {
                let name = key(item)
                if let first = seen[name] {
                    diagnostics.append(
                        diagnostic(
                            .error, "Duplicate \(kind)",
                            "\(kind.prefix(1).uppercased() + kind.dropFirst()) \"\(name)\" was already declared in "
                                + "\((file(first) as NSString).lastPathComponent) at line \(range(first).start.line).",
                            range(item), file(item)))
                } else {
                    seen[name] = item
                }
            }
        }
        report(variables, kind: "variable", key: \.name, range: \.block.typeRange, file: \.file)
        report(locals, kind: "local value", key: \.name, range: \.attribute.nameRange, file: \.file)
        report(resources, kind: "resource", key: \.address, range: \.block.typeRange, file: \.file)
        report(moduleCalls, kind: "module call", key: \.name, range: \.block.typeRange, file: \.file)
        report(outputs, kind: "output", key: \.name, range: \.block.typeRange, file: \.file)
        report(
            providers, kind: "provider configuration", key: { $0.name + ($0.alias.map { ".\($0)" } ?? "") },
            range: \.block.typeRange, file: \.file)
        let backends = settings.filter { $0.backend != nil }
        if backends.count > 1 {
            diagnostics.append(
                diagnostic(
                    .error, "Duplicate backend configuration",
                    "A module may have only one backend; another is set in \((backends[0].file as NSString).lastPathComponent).",
                    .none, backends[1].file))
        }
    }

    private func checkVariables(_ diagnostics: inout [Diagnostic]) {
        for variable in variables {
            var type: ValueType?
            if let expression = variable.typeExpression, case .template = expression.kind {
                diagnostics.append(
                    diagnostic(
                        .warning, "Quoted type constraint",
                        "Variable \"\(variable.name)\": Terraform 0.12 and later want the type without quotes "
                            + "(list(string), not \"list\"); `nimbus hcl fmt` rewrites it.", expression.range,
                        variable.file))
            }
            if let expression = variable.typeExpression {
                switch ValueType.constraint(expression) {
                case .success(let parsed): type = parsed
                case .failure(let error):
                    diagnostics.append(
                        diagnostic(
                            .error, "Invalid type constraint",
                            "Variable \"\(variable.name)\": \(error.message)."
                                + (error.suggestion.map { " " + $0.prefix(1).uppercased() + $0.dropFirst() } ?? ""),
                            error.range, variable.file))
                }
            }
            guard let defaultExpression = variable.defaultValue else { continue }
            let value: Value
            do {
                value = try Evaluator(filename: variable.file).evaluate(defaultExpression)
            } catch {
                diagnostics.append(
                    diagnostic(
                        .error, "Invalid default value for variable",
                        "Variable \"\(variable.name)\": a default must be a constant: \(error.diagnostic.detail)",
                        defaultExpression.range, variable.file))
                continue
            }
            guard let type else { continue }
            if value.isNull, !variable.nullable {
                diagnostics.append(
                    diagnostic(
                        .error, "Invalid default value for variable",
                        "Variable \"\(variable.name)\" is not nullable, so its default cannot be null.",
                        defaultExpression.range, variable.file))
                continue
            }
            do {
                _ = try value.converted(to: type)
            } catch {
                diagnostics.append(
                    diagnostic(
                        .error, "Invalid default value for variable",
                        "This default value is not compatible with the variable's type constraint \(type): "
                            + "\(error.message).", defaultExpression.range, variable.file))
            }
        }
    }

    private func checkReferences(_ diagnostics: inout [Diagnostic]) {
        let variableNames = Set(variables.map(\.name))
        let localNames = Set(locals.map(\.name))
        let moduleNames = Set(moduleCalls.map(\.name))
        let resourceAddresses = Set(resources.map(\.address))
        var used = Set<String>()
        for (from, references) in referenceGraph {
            for reference in references {
                let address = reference.address
                // A variable's own validation refers to it; that is not a use.
                if from != address { used.insert(address) }
                let parts = address.split(separator: ".", maxSplits: 1).map(String.init)
                let root = parts[0]
                let name = parts.count > 1 ? parts[1] : ""
                switch root {
                case "var":
                    guard !name.isEmpty else {
                        diagnostics.append(invalidReference("var", "var.NAME", reference))
                        continue
                    }
                    if !variableNames.contains(name) {
                        diagnostics.append(
                            undefined(
                                "Reference to undeclared input variable",
                                "An input variable with the name \"\(name)\" has not been declared.", name,
                                variableNames, prefix: "var.", reference))
                    }
                case "local":
                    guard !name.isEmpty else {
                        diagnostics.append(invalidReference("local", "local.NAME", reference))
                        continue
                    }
                    if !localNames.contains(name) {
                        diagnostics.append(
                            undefined(
                                "Reference to undeclared local value",
                                "A local value with the name \"\(name)\" has not been declared.", name, localNames,
                                prefix: "local.", reference))
                    }
                case "module":
                    guard !name.isEmpty else {
                        diagnostics.append(invalidReference("module", "module.NAME", reference))
                        continue
                    }
                    if !moduleNames.contains(name) {
                        diagnostics.append(
                            undefined(
                                "Reference to undeclared module", "No module call named \"\(name)\" is declared.",
                                name, moduleNames, prefix: "module.", reference))
                    }
                default:
                    guard !name.isEmpty else {
                        diagnostics.append(
                            diagnostic(
                                .error, "Invalid reference",
                                "\"\(root)\" is not a reference to anything in this module: a resource reference "
                                    + "needs a type and a name (TYPE.NAME), and other references start with var., "
                                    + "local., module. or data.", reference.range, reference.file))
                        continue
                    }
                    if !resourceAddresses.contains(address) {
                        let data = root == "data"
                        diagnostics.append(
                            undefined(
                                data ? "Reference to undeclared data source" : "Reference to undeclared resource",
                                "A \(data ? "data source" : "managed resource") \"\(address)\" has not been "
                                    + "declared in this module.", address, resourceAddresses, prefix: "", reference))
                    }
                }
            }
        }
        for variable in variables where !used.contains("var.\(variable.name)") {
            diagnostics.append(
                diagnostic(
                    .warning, "Unused variable", "Variable \"\(variable.name)\" is declared but not used.",
                    variable.block.typeRange.through(variable.block.labelRanges.last ?? variable.block.typeRange),
                    variable.file))
        }
        for local in locals where !used.contains("local.\(local.name)") {
            diagnostics.append(
                diagnostic(
                    .warning, "Unused local value", "Local value \"\(local.name)\" is declared but not used.",
                    local.attribute.nameRange, local.file))
        }
    }

    private func invalidReference(_ root: String, _ form: String, _ reference: Reference) -> Diagnostic {
        diagnostic(
            .error, "Invalid reference", "The \"\(root)\" object cannot be accessed directly; write \(form).",
            reference.range, reference.file)
    }

    private func undefined(
        _ summary: String, _ detail: String, _ name: String, _ candidates: Set<String>, prefix: String,
        _ reference: Reference
    ) -> Diagnostic {
        let hint = closestMatch(to: name, in: candidates).map { " Did you mean \"\(prefix)\($0)\"?" } ?? ""
        return diagnostic(.error, summary, detail + hint, reference.range, reference.file)
    }

    private func checkDocumentation(_ diagnostics: inout [Diagnostic]) {
        for variable in variables {
            let range = variable.block.typeRange.through(variable.block.labelRanges.last ?? variable.block.typeRange)
            if variable.description?.isEmpty ?? true {
                diagnostics.append(
                    diagnostic(
                        .warning, "Variable without description",
                        "Variable \"\(variable.name)\" has no description; say what it is for.", range, variable.file))
            }
            if variable.typeExpression == nil {
                diagnostics.append(
                    diagnostic(
                        .warning, "Variable without type",
                        "Variable \"\(variable.name)\" has no type constraint; add one such as type = string.", range,
                        variable.file))
            }
        }
        for output in outputs where output.description?.isEmpty ?? true {
            let range = output.block.typeRange.through(output.block.labelRanges.last ?? output.block.typeRange)
            diagnostics.append(
                diagnostic(
                    .warning, "Output without description",
                    "Output \"\(output.name)\" has no description; say what it is for.", range, output.file))
        }
    }

    /// tflint's standard module structure, and the version settings the brief of a reusable module needs.
    private func checkStandardStructure(_ diagnostics: inout [Diagnostic]) {
        let names = Set(files.map { ($0 as NSString).lastPathComponent })
        let main = (directory as NSString).appendingPathComponent("main.tf")
        if !names.contains("main.tf"), !names.contains("main.tf.json") {
            diagnostics.append(
                diagnostic(
                    .warning, "Missing main.tf", "A module should have main.tf as its primary entry point.", .none, main
                ))
        }
        for variable in variables
        where !variable.file.hasSuffix("variables.tf") && !variable.file.hasSuffix("variables.tf.json") {
            diagnostics.append(
                diagnostic(
                    .warning, "Variable outside variables.tf",
                    "Variable \"\(variable.name)\" should be declared in variables.tf.", variable.block.typeRange,
                    variable.file))
        }
        for output in outputs where !output.file.hasSuffix("outputs.tf") && !output.file.hasSuffix("outputs.tf.json") {
            diagnostics.append(
                diagnostic(
                    .warning, "Output outside outputs.tf",
                    "Output \"\(output.name)\" should be declared in outputs.tf.",
                    output.block.typeRange, output.file))
        }
        let versions = (directory as NSString).appendingPathComponent("versions.tf")
        if !names.contains("versions.tf"), !names.contains("versions.tf.json") {
            diagnostics.append(
                diagnostic(
                    .warning, "Missing versions.tf",
                    "A module should declare terraform { required_version, required_providers } in versions.tf.",
                    .none, versions))
        }
        if !settings.contains(where: { $0.requiredVersion != nil }) {
            diagnostics.append(
                diagnostic(
                    .warning, "Missing required_version",
                    "Set terraform { required_version = \">= 1.5\" } so the module says which Terraform it needs.",
                    .none, versions))
        }
        var required: [String: (source: String?, version: String?)] = [:]
        for setting in settings { required.merge(setting.requiredProviders) { first, _ in first } }
        var providerNames: [String] = []
        for resource in resources where !providerNames.contains(resource.providerName) {
            providerNames.append(resource.providerName)
        }
        for provider in providers where !providerNames.contains(provider.name) { providerNames.append(provider.name) }
        for name in providerNames where name != "terraform" {
            guard let requirement = required[name] else {
                diagnostics.append(
                    diagnostic(
                        .warning, "Provider without a requirement",
                        "Provider \"\(name)\" is used but not listed in terraform { required_providers }; add "
                            + "\(name) = { source = \"…/\(name)\", version = \"…\" }.", .none, versions))
                continue
            }
            if requirement.version == nil {
                diagnostics.append(
                    diagnostic(
                        .warning, "Provider without a version constraint",
                        "required_providers lists \"\(name)\" without a version constraint.", .none, versions))
            }
        }
    }
}
