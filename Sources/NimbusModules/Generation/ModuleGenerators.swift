import Foundation
public import NimbusHCL

/// A file of a generated module.
public struct ModuleFile: Sendable, Hashable, Codable {
    /// The path inside the module directory (`main.tf`, `examples/complete/main.tf`).
    public var path: String
    public var contents: String

    public init(path: String, contents: String) {
        self.path = path
        self.contents = contents
    }
}

/// A problem a generator found in the plan: a reference nothing defines, a name used twice.
public struct GenerationProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The generator that found it (`variables`, `locals`, `data`).
    public var generator: String
    public var message: String

    public var description: String { "\(generator): \(message)" }
}

/// The module generators, one per file, as pure functions of the part of the plan each owns. The module workflow
/// runs them as a swarm of agents; tests and benchmarks may call them directly.
///
/// Dependency-aware: the variables, locals and data sources generators write exactly what the resources, outputs
/// and each other refer to, so every reference in one file is defined in another — or reported.
public enum ModuleGenerators {
    // MARK: - Resources

    /// main.tf: the resource blocks.
    public static func resources(_ blocks: [Block]) -> Body {
        Body(blocks.map(BodyItem.block))
    }

    // MARK: - References

    /// The addresses (`var.region`, `local.tags`, `data.aws_caller_identity.current`) a body refers to.
    public static func references(in bodies: [Body]) -> Set<String> {
        let files = bodies.enumerated().map { index, body in ConfigFile(filename: "part\(index).tf", body: body) }
        let module = Module(files: files.map(\.filename), configFiles: files)
        var addresses: Set<String> = []
        for (_, references) in module.referenceGraph {
            for reference in references { addresses.insert(reference.address) }
        }
        return addresses
    }

    /// What the resources and outputs need, followed through locals and data sources until nothing new appears.
    public static func closure(
        resources: Body, outputs: Body, locals: [LocalSpec], dataSources: [Block]
    ) -> (variables: Set<String>, locals: Set<String>, dataSources: Set<String>) {
        var needed = references(in: [resources, outputs])
        var seen: Set<String> = []
        while true {
            let pending = needed.subtracting(seen)
            if pending.isEmpty { break }
            seen.formUnion(pending)
            for address in pending {
                if address.hasPrefix("local."), let local = locals.first(where: { "local.\($0.name)" == address }) {
                    // Inside a `locals` block: a bare attribute is not a Terraform construct, so nothing would be found.
                    let block = Block(
                        type: "locals", labels: [],
                        body: Body([.attribute(Attribute(name: local.name, value: local.value))]))
                    needed.formUnion(references(in: [Body([.block(block)])]))
                } else if address.hasPrefix("data."),
                    let block = dataSources.first(where: { "data.\($0.labels.joined(separator: "."))" == address })
                {
                    needed.formUnion(references(in: [Body([.block(block)])]).filter { $0 != address })
                }
            }
        }
        func names(_ prefix: String) -> Set<String> {
            Set(needed.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) })
        }
        return (names("var."), names("local."), Set(needed.filter { $0.hasPrefix("data.") }))
    }

    // MARK: - Variables, locals, data sources

    /// variables.tf: a variable for each one referred to, in the plan's order; names referred to without a spec
    /// are reported.
    public static func variables(needed: Set<String>, specs: [VariableSpec]) throws -> (Body, [GenerationProblem]) {
        var items: [BodyItem] = []
        for spec in specs where needed.contains(spec.name) {
            let (type, diagnostics) = HCLParser.parseExpression(spec.type)
            guard !diagnostics.hasErrors else {
                return (
                    Body(),
                    [
                        GenerationProblem(
                            generator: "variables",
                            message: "variable '\(spec.name)' has an invalid type '\(spec.type)'")
                    ]
                )
            }
            let block = try Block("variable", spec.name) {
                try Attribute("description", .string(spec.description))
                try Attribute("type", type)
                if let value = spec.defaultValue { try Attribute("default", value) }
                if spec.sensitive { try Attribute("sensitive", .bool(true)) }
                for validation in spec.validations {
                    try Block("validation") {
                        try Attribute("condition", validation.condition)
                        try Attribute("error_message", .string(validation.message))
                    }
                }
            }
            items.append(.block(block))
        }
        let defined = Set(specs.map(\.name))
        let problems = needed.subtracting(defined).sorted().map {
            GenerationProblem(
                generator: "variables", message: "var.\($0) is referred to but the plan has no such variable")
        }
        return (Body(items), problems)
    }

    /// locals.tf: one `locals` block with the locals referred to.
    public static func locals(needed: Set<String>, specs: [LocalSpec]) throws -> (Body, [GenerationProblem]) {
        let used = specs.filter { needed.contains($0.name) }
        let problems = needed.subtracting(specs.map(\.name)).sorted().map {
            GenerationProblem(generator: "locals", message: "local.\($0) is referred to but the plan has no such local")
        }
        guard !used.isEmpty else { return (Body(), problems) }
        let block = try Block("locals") {
            for spec in used { try Attribute(spec.name, spec.value) }
        }
        return (Body([.block(block)]), problems)
    }

    /// data.tf: the data sources referred to.
    public static func dataSources(needed: Set<String>, blocks: [Block]) -> (Body, [GenerationProblem]) {
        let used = blocks.filter { needed.contains("data.\($0.labels.joined(separator: "."))") }
        let defined = Set(blocks.map { "data.\($0.labels.joined(separator: "."))" })
        // A reference to an attribute of a data source (`data.x.y.id`) is recorded by its address already.
        let problems = needed.subtracting(defined).sorted().map {
            GenerationProblem(generator: "data", message: "\($0) is referred to but the plan has no such data source")
        }
        return (Body(used.map(BodyItem.block)), problems)
    }

    // MARK: - Outputs, versions, backend

    /// outputs.tf.
    public static func outputs(_ specs: [OutputSpec]) throws -> Body {
        Body(
            try specs.map { spec in
                .block(
                    try Block("output", spec.name) {
                        try Attribute("description", .string(spec.description))
                        try Attribute("value", spec.value)
                        if spec.sensitive { try Attribute("sensitive", .bool(true)) }
                    })
            })
    }

    /// The Terraform version every generated module requires.
    public static let requiredTerraform = ">= 1.5.0"

    /// versions.tf: required Terraform and providers.
    public static func versions(_ providers: [ProviderRequirement]) throws -> Body {
        Body([
            .block(
                try Block("terraform") {
                    try Attribute("required_version", .string(requiredTerraform))
                    try Block("required_providers") {
                        for provider in providers.sorted(by: { $0.name < $1.name }) {
                            try Attribute(
                                provider.name,
                                .object([("source", .string(provider.source)), ("version", .string(provider.version))]))
                        }
                    }
                })
        ])
    }

    /// backend.tf: where state is kept. The S3 backend is a partial configuration: bucket, key, region and the
    /// lock table come from `terraform init -backend-config=…`, so no account detail is baked into the module.
    public static func backend(_ choice: BackendChoice) throws -> Body {
        let backend: Block
        switch choice {
        case .s3:
            backend = try Block(
                "backend", "s3",
                comments: [
                    "Partial configuration: pass bucket, key, region and dynamodb_table with",
                    "terraform init -backend-config=backend.hcl",
                ]
            ) {
                try Attribute("encrypt", .bool(true))
            }
        case .local:
            backend = try Block("backend", "local") {
                try Attribute("path", .string("terraform.tfstate"))
            }
        }
        return Body([.block(try Block("terraform") { backend })])
    }

    // MARK: - Example

    /// examples/complete/main.tf: a provider and a call of the module with every required variable.
    public static func example(
        moduleName: String, variables: [VariableSpec], inputs: [(name: String, value: HCLExpression)],
        providers: [ProviderRequirement] = [.aws]
    ) throws -> (Body, [GenerationProblem]) {
        let required = variables.filter { $0.defaultValue == nil }
        var problems: [GenerationProblem] = []
        let call = try Block("module", moduleName.replacingOccurrences(of: "-", with: "_")) {
            try Attribute("source", .string("../.."))
            for variable in required {
                if let input = inputs.first(where: { $0.name == variable.name }) {
                    try Attribute(variable.name, input.value)
                }
            }
        }
        for variable in required where !inputs.contains(where: { $0.name == variable.name }) {
            problems.append(
                GenerationProblem(
                    generator: "example", message: "required variable '\(variable.name)' has no example value"))
        }
        let body = try Body {
            try Block("terraform") {
                try Attribute("required_version", .string(requiredTerraform))
                try Block("required_providers") {
                    for provider in providers.sorted(by: { $0.name < $1.name }) {
                        try Attribute(
                            provider.name,
                            .object([("source", .string(provider.source)), ("version", .string(provider.version))]))
                    }
                }
            }
            try Block("provider", "aws") {
                try Attribute("region", .string("eu-west-1"))
            }
            call
        }
        return (body, problems)
    }

    // MARK: - README

    /// README.md: what the module is, its security defaults, usage, inputs and outputs tables, opt-outs.
    public static func readme(
        title: String, summary: String, requirements: ModuleRequirements, family: ServiceFamily,
        variables: [VariableSpec], outputs: [OutputSpec], securityNotes: [String], optOuts: [PolicyOptOut],
        example: String, providers: [ProviderRequirement] = [.aws]
    ) -> String {
        func cell(_ text: String) -> String {
            text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        var lines = ["# \(title)", "", summary, ""]
        let features = family.features.filter { requirements.has($0.id) }
        if !features.isEmpty {
            lines.append("Features: " + features.map(\.title).joined(separator: ", ") + ".")
            lines.append("")
        }
        if !securityNotes.isEmpty {
            lines += ["## Security", ""]
            lines += securityNotes.map { "- \($0)" }
            lines.append("")
        }
        lines += ["## Usage", "", "```hcl", example.trimmingCharacters(in: .newlines), "```", ""]
        lines += ["## Inputs", "", "| Name | Description | Type | Default | Required |", "|---|---|---|---|:---:|"]
        for variable in variables {
            let defaultText = variable.defaultValue.map { "`\(cell(Printer.print($0)))`" } ?? "n/a"
            lines.append(
                "| \(variable.name) | \(cell(variable.description)) | `\(cell(variable.type))` | \(defaultText) | "
                    + (variable.defaultValue == nil ? "yes" : "no") + " |")
        }
        lines += ["", "## Outputs", "", "| Name | Description |", "|---|---|"]
        for output in outputs { lines.append("| \(output.name) | \(cell(output.description)) |") }
        if !optOuts.isEmpty {
            lines += ["", "## Deliberate exceptions", "", "Checks this module does not satisfy on purpose:", ""]
            lines += optOuts.map { "- `\($0.check)`: \($0.reason)" }
        }
        lines += [
            "", "## Requirements", "", "- Terraform \(requiredTerraform)",
        ]
        lines += providers.sorted { $0.name < $1.name }.map { "- \($0.source) \($0.version)" }
        lines += ["", "Generated by `nimbus module`."]
        return lines.joined(separator: "\n") + "\n"
    }
}
