/// Every function Terraform has, so a call to one NimbusHCL does not evaluate gives an unknown, not an error.
let terraformFunctionNames: Set<String> = [
    "abs", "abspath", "alltrue", "anytrue", "base64decode", "base64encode", "base64gzip", "base64sha256",
    "base64sha512", "basename", "bcrypt", "can", "ceil", "chomp", "chunklist", "cidrhost", "cidrnetmask",
    "cidrsubnet", "cidrsubnets", "coalesce", "coalescelist", "compact", "concat", "contains", "csvdecode", "dirname",
    "distinct", "element", "endswith", "ephemeralasnull", "file", "filebase64", "filebase64sha256",
    "filebase64sha512", "fileexists", "filemd5", "fileset", "filesha1", "filesha256", "filesha512", "flatten",
    "floor", "format", "formatdate", "formatlist", "indent", "index", "issensitive", "join", "jsondecode",
    "jsonencode", "keys", "length", "list", "log", "lookup", "lower", "map", "matchkeys", "max", "md5", "merge",
    "min", "nonsensitive", "one", "parseint", "pathexpand", "plantimestamp", "pow", "range", "regex", "regexall",
    "replace", "reverse", "rsadecrypt", "sensitive", "setintersection", "setproduct", "setsubtract", "setunion",
    "sha1", "sha256", "sha512", "signum", "slice", "sort", "split", "startswith", "strcontains", "strrev", "substr",
    "sum", "templatefile", "templatestring", "textdecodebase64", "textencodebase64", "timeadd", "timecmp",
    "timestamp", "title", "tobool", "tolist", "tomap", "tonumber", "toset", "tostring", "transpose", "trim",
    "trimprefix", "trimspace", "trimsuffix", "try", "upper", "urlencode", "uuid", "uuidv5", "values", "yamldecode",
    "yamlencode", "zipmap",
]

extension Module {
    /// An evaluator for this module's expressions, as `terraform validate` sees them before a plan: `var.NAME`
    /// is an unknown of the variable's declared type, `local.NAME` is the local's value (known when it is a
    /// constant), and resources, data sources, module outputs, `each`, `count` and `self` are unknowns.
    public func evaluator() -> Evaluator {
        var diagnostics: [Diagnostic] = []
        return evaluator(diagnostics: &diagnostics)
    }

    /// The evaluator, and the problems found evaluating the locals (cycles, errors in their expressions).
    func evaluator(diagnostics: inout [Diagnostic]) -> Evaluator {
        var inputs: [String: Value] = [:]
        for variable in variables { inputs[variable.name] = .unknown(variable.type ?? .any) }
        let graph = referenceGraph
        // Names used but not declared are reported by the reference check; here they are just unknown.
        for (_, references) in graph {
            for reference in references where reference.address.hasPrefix("var.") {
                let name = String(reference.address.dropFirst(4))
                if inputs[name] == nil { inputs[name] = .unknown(.any) }
            }
        }
        var dependencies: [String: [String]] = [:]
        for (from, references) in graph where from.hasPrefix("local.") {
            dependencies[String(from.dropFirst(6)), default: []] += references.compactMap {
                $0.address.hasPrefix("local.") ? String($0.address.dropFirst(6)) : nil
            }
        }
        var values: [String: Value] = [:]
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        let byName = Dictionary(locals.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        func evaluate(_ name: String, _ diagnostics: inout [Diagnostic]) {
            guard state[name] == nil, let local = byName[name] else { return }
            state[name] = 1
            for dependency in dependencies[name] ?? [] {
                if state[dependency] == 1 {
                    diagnostics.append(
                        Diagnostic(
                            .error, summary: "Cycle in local values",
                            detail: "local.\(name) and local.\(dependency) depend on each other.",
                            filename: local.file, range: local.attribute.nameRange))
                    values[name] = .unknown(.any)
                    state[name] = 2
                    return
                }
                evaluate(dependency, &diagnostics)
            }
            var context = Evaluator(
                variables: ["var": .object(inputs), "local": .object(localValues(values, byName))],
                unknownForUndefined: true, filename: local.file)
            context.knownFunctions = terraformFunctionNames
            do {
                values[name] = try context.evaluate(local.value)
            } catch {
                diagnostics.append(error.diagnostic)
                values[name] = .unknown(.any)
            }
            state[name] = 2
        }
        for local in locals { evaluate(local.name, &diagnostics) }
        var result = Evaluator(
            variables: ["var": .object(inputs), "local": .object(localValues(values, byName))],
            unknownForUndefined: true)
        result.knownFunctions = terraformFunctionNames
        return result
    }

    /// Locals evaluated so far; the others (and undeclared ones) as unknowns.
    private func localValues(_ values: [String: Value], _ declared: [String: Local]) -> [String: Value] {
        var result = values
        for name in declared.keys where result[name] == nil { result[name] = .unknown(.any) }
        for (_, references) in referenceGraph {
            for reference in references where reference.address.hasPrefix("local.") {
                let name = String(reference.address.dropFirst(6))
                if result[name] == nil { result[name] = .unknown(.any) }
            }
        }
        return result
    }

    /// Evaluates the expressions of resources, data sources, module calls, outputs and providers, and reports
    /// those that cannot work whatever the inputs: unknown functions, wrong argument types, type errors in
    /// constant parts.
    func checkExpressions(_ diagnostics: inout [Diagnostic]) {
        var evaluator = self.evaluator(diagnostics: &diagnostics)
        func check(_ body: Body, file: String, skipping: Set<String> = []) {
            evaluator.filename = file
            for attribute in body.attributes where !skipping.contains(attribute.name) {
                do {
                    _ = try evaluator.evaluate(attribute.value)
                } catch {
                    diagnostics.append(error.diagnostic)
                }
            }
            for block in body.blocks {
                switch block.type {
                case "lifecycle": check(block.body, file: file, skipping: ["ignore_changes"])
                case "provisioner": check(block.body, file: file, skipping: ["when", "on_failure"])
                default: check(block.body, file: file)
                }
            }
        }
        let meta: Set<String> = ["provider", "providers", "depends_on"]
        for resource in resources { check(resource.block.body, file: resource.file, skipping: meta) }
        for call in moduleCalls { check(call.block.body, file: call.file, skipping: meta) }
        for output in outputs { check(output.block.body, file: output.file, skipping: meta) }
        for provider in providers { check(provider.block.body, file: provider.file) }
    }
}
