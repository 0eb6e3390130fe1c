import NimbusHCL

/// A module plan as it is kept in checkpoints: the requirements of a catalog family (the plan is rebuilt from
/// them, deterministically), or a plan a model made, as HCL text and specs.
public enum PlanDocument: Sendable, Hashable, Codable {
    case catalog(ModuleRequirements)
    /// Several catalog families in one module, wired together.
    case composed(ModuleComposition)
    case custom(CustomPlan)

    /// The plan and the family it belongs to (a family of its own for custom plans).
    func materialize(
        _ catalog: ModuleCatalog
    ) throws -> (plan: ModulePlan, family: ServiceFamily, requirements: ModuleRequirements) {
        switch self {
        case .catalog(let requirements):
            guard let family = catalog.family(requirements.family) else {
                throw ModuleRequestError.unknownFamily(requirements.family, catalog: catalog)
            }
            return (try family.plan(requirements), family, requirements)
        case .composed(let composition):
            return try Composer.compose(composition, catalog: catalog)
        case .custom(let custom):
            let plan = try custom.plan()
            let family = ServiceFamily(
                id: "custom", title: custom.title, summary: custom.summary, keywords: [], plan: { _ in plan })
            return (plan, family, ModuleRequirements(family: "custom", name: custom.name))
        }
    }
}

/// A plan written by a model for infrastructure beyond the catalog: resource, data and locals blocks as HCL text,
/// variables and outputs as specs whose values are HCL expressions.
public struct CustomPlan: Sendable, Hashable, Codable {
    public var name: String
    public var title: String
    public var summary: String
    public var resources: String
    public var dataSources: String
    public var locals: String
    public var variables: [VariableDocument]
    public var outputs: [OutputDocument]
    public var notes: [String]

    public init(
        name: String, title: String, summary: String, resources: String, dataSources: String = "", locals: String = "",
        variables: [VariableDocument] = [], outputs: [OutputDocument] = [], notes: [String] = []
    ) {
        self.name = name
        self.title = title
        self.summary = summary
        self.resources = resources
        self.dataSources = dataSources
        self.locals = locals
        self.variables = variables
        self.outputs = outputs
        self.notes = notes
    }

    enum CodingKeys: String, CodingKey {
        case name, title, summary, resources, dataSources, locals, variables, outputs, notes
    }

    /// Models leave out what they have nothing for: data sources, locals, notes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        title = try container.decode(String.self, forKey: .title)
        summary = try container.decode(String.self, forKey: .summary)
        resources = try container.decode(String.self, forKey: .resources)
        dataSources = try container.decodeIfPresent(String.self, forKey: .dataSources) ?? ""
        locals = try container.decodeIfPresent(String.self, forKey: .locals) ?? ""
        variables = try container.decodeIfPresent([VariableDocument].self, forKey: .variables) ?? []
        outputs = try container.decodeIfPresent([OutputDocument].self, forKey: .outputs) ?? []
        notes = try container.decodeIfPresent([String].self, forKey: .notes) ?? []
    }

    /// Problems parsing the plan's HCL, as text a model can act on; empty when it parses.
    public var syntaxProblems: [String] {
        var problems: [String] = []
        for (name, text) in [("resources", resources), ("data sources", dataSources), ("locals", locals)]
        where !text.isEmpty {
            problems += HCLParser.parse(text, filename: "\(name).tf").diagnostics.filter { $0.severity == .error }.map(
                \.description)
        }
        for variable in variables {
            if HCLParser.parseExpression(variable.type).diagnostics.hasErrors {
                problems.append("variable \(variable.name): '\(variable.type)' is not a type")
            }
            if let value = variable.defaultValue, HCLParser.parseExpression(value).diagnostics.hasErrors {
                problems.append("variable \(variable.name): the default '\(value)' is not an expression")
            }
        }
        for output in outputs where HCLParser.parseExpression(output.value).diagnostics.hasErrors {
            problems.append("output \(output.name): '\(output.value)' is not an expression")
        }
        return problems
    }

    func plan() throws -> ModulePlan {
        guard syntaxProblems.isEmpty else {
            throw ModuleWriteError.invalidSyntax("the model's plan", detail: syntaxProblems.joined(separator: "; "))
        }
        func blocks(_ text: String, _ type: String) -> [Block] {
            HCLParser.parse(text).file.body.blocks.filter { $0.type == type }
        }
        let localsBlock = HCLParser.parse(locals).file.body.blocks("locals")
        return ModulePlan(
            resources: blocks(resources, "resource"),
            variables: variables.map { document in
                VariableSpec(
                    document.name, type: document.type, description: document.description,
                    default: document.defaultValue.map { HCLParser.parseExpression($0).expression },
                    sensitive: document.sensitive ?? false)
            },
            locals: localsBlock.flatMap { $0.body.attributes.map { LocalSpec($0.name, $0.value) } },
            dataSources: blocks(dataSources, "data"),
            outputs: outputs.map { document in
                OutputSpec(
                    document.name, description: document.description,
                    value: HCLParser.parseExpression(document.value).expression, sensitive: document.sensitive ?? false)
            },
            exampleInputs: variables.filter { $0.defaultValue == nil }.compactMap { document in
                document.example.map { (document.name, HCLParser.parseExpression($0).expression) }
            },
            securityNotes: notes)
    }
}

/// A variable of a model-made plan.
public struct VariableDocument: Sendable, Hashable, Codable {
    public var name: String
    public var type: String
    public var description: String
    /// An HCL expression, or nil for a required variable.
    public var defaultValue: String?
    /// A value for the example when the variable is required (an HCL expression).
    public var example: String?
    public var sensitive: Bool?

    enum CodingKeys: String, CodingKey {
        case name, type, description, defaultValue = "default", example, sensitive
    }
}

/// An output of a model-made plan.
public struct OutputDocument: Sendable, Hashable, Codable {
    public var name: String
    public var description: String
    /// An HCL expression.
    public var value: String
    public var sensitive: Bool?
}
