public import Foundation
import NimbusHCL

/// A generated module: its files and what the generators reported.
public struct GeneratedModule: Sendable, Codable {
    public var files: [ModuleFile]
    public var problems: [GenerationProblem]

    public init(files: [ModuleFile], problems: [GenerationProblem]) {
        self.files = files
        self.problems = problems
    }

    public func file(_ path: String) -> ModuleFile? { files.first { $0.path == path } }
}

/// Runs the generators one after another, in dependency order: what the module workflow's swarm does, without
/// the graph. For tests, benchmarks and tools that need a family's module and nothing else.
public enum ModuleAssembly {
    public static func assemble(family: ServiceFamily, requirements: ModuleRequirements) throws -> GeneratedModule {
        let plan = try family.plan(requirements)
        return try assemble(plan: plan, family: family, requirements: requirements)
    }

    public static func assemble(
        plan: ModulePlan, family: ServiceFamily, requirements: ModuleRequirements
    ) throws
        -> GeneratedModule
    {
        var problems: [GenerationProblem] = []
        let main = ModuleGenerators.resources(plan.resources)
        let outputs = try ModuleGenerators.outputs(plan.outputs)
        let needed = ModuleGenerators.closure(
            resources: main, outputs: outputs, locals: plan.locals, dataSources: plan.dataSources)
        let (variables, variableProblems) = try ModuleGenerators.variables(
            needed: needed.variables, specs: plan.variables)
        let (locals, localProblems) = try ModuleGenerators.locals(needed: needed.locals, specs: plan.locals)
        let (data, dataProblems) = ModuleGenerators.dataSources(needed: needed.dataSources, blocks: plan.dataSources)
        problems += variableProblems + localProblems + dataProblems
        let usedVariables = plan.variables.filter { needed.variables.contains($0.name) }
        let (example, exampleProblems) = try ModuleGenerators.example(
            moduleName: requirements.name, variables: usedVariables, inputs: plan.exampleInputs,
            providers: plan.providers)
        problems += exampleProblems
        let exampleText = Printer.print(example)
        var files = [
            ModuleFile(path: "main.tf", contents: Printer.print(main)),
            ModuleFile(path: "variables.tf", contents: Printer.print(variables)),
            ModuleFile(path: "outputs.tf", contents: Printer.print(outputs)),
            ModuleFile(path: "versions.tf", contents: Printer.print(try ModuleGenerators.versions(plan.providers))),
            ModuleFile(path: "backend.tf", contents: Printer.print(try ModuleGenerators.backend(requirements.backend))),
            ModuleFile(path: "examples/complete/main.tf", contents: exampleText),
        ]
        if !locals.items.isEmpty { files.append(ModuleFile(path: "locals.tf", contents: Printer.print(locals))) }
        if !data.items.isEmpty { files.append(ModuleFile(path: "data.tf", contents: Printer.print(data))) }
        files.append(
            ModuleFile(
                path: "README.md",
                contents: ModuleGenerators.readme(
                    title: "\(family.title): \(requirements.name)",
                    summary: family.summary.prefix(1).uppercased() + family.summary.dropFirst() + ".",
                    requirements: requirements, family: family, variables: usedVariables, outputs: plan.outputs,
                    securityNotes: plan.securityNotes, optOuts: plan.optOuts, example: exampleText,
                    providers: plan.providers)))
        return GeneratedModule(files: files.sorted { $0.path < $1.path }, problems: problems)
    }

    /// Writes the files under `directory` (tests and benchmarks; the workflow's writer is atomic and keeps backups).
    public static func write(_ module: GeneratedModule, to directory: URL) throws {
        for file in module.files {
            let url = directory.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.contents.utf8).write(to: url)
        }
    }
}
