import Foundation
import NimbusGraph
import NimbusHCL

/// The generator swarm: one agent per file. Resources go first; variables, data sources, locals and outputs are
/// written in parallel from what the resources refer to; then the backend and versions; then the README and the
/// example. Each agent reads only the plan and the files it depends on, and writes only its own files.
enum GeneratorSwarm {
    struct State: GraphState {
        var plan: PlanDocument
        var backend: BackendChoice
        /// A main.tf that replaces the plan's resources (after a repair round).
        var resources: String?
        var files: [String: String] = [:]
        var problems: [GenerationProblem] = []

        init(plan: PlanDocument, backend: BackendChoice, resources: String? = nil) {
            self.plan = plan
            self.backend = backend
            self.resources = resources
        }

        static let schema = StateSchema<State>(
            .field("files", \.files, .merge),
            .field("problems", \.problems, .append)
        )
    }

    /// What the resources and outputs refer to, from the written main.tf.
    static func needed(
        _ state: State, _ plan: ModulePlan
    ) throws -> (variables: Set<String>, locals: Set<String>, dataSources: Set<String>) {
        let main = HCLParser.parse(state.files["main.tf"] ?? "", filename: "main.tf").file.body
        return ModuleGenerators.closure(
            resources: main, outputs: try ModuleGenerators.outputs(plan.outputs), locals: plan.locals,
            dataSources: plan.dataSources)
    }

    static func graph(services: ModuleWorkflow.Services) throws -> CompiledGraph<State> {
        var graph = StateGraph<State>()
        graph.addNode("resources") { state, context in
            if let repaired = state.resources {
                context.progress("keeping the repaired main.tf")
                return Update(\.files, ["main.tf": repaired])
            }
            let (plan, _, _) = try state.plan.materialize(services.catalog)
            context.progress("\(plan.resources.count) resources")
            return Update(\.files, ["main.tf": Printer.print(ModuleGenerators.resources(plan.resources))])
        }
        graph.addNode("variables") { state, context in
            let (plan, _, _) = try state.plan.materialize(services.catalog)
            let (body, problems) = try ModuleGenerators.variables(
                needed: try needed(state, plan).variables, specs: plan.variables)
            context.progress("\(body.items.count) variables")
            return Update {
                $0.write(\.files, ["variables.tf": Printer.print(body)])
                $0.write(\.problems, problems)
            }
        }
        graph.addNode("data") { state, context in
            let (plan, _, _) = try state.plan.materialize(services.catalog)
            let (body, problems) = ModuleGenerators.dataSources(
                needed: try needed(state, plan).dataSources, blocks: plan.dataSources)
            context.progress("\(body.items.count) data sources")
            return Update {
                if !body.items.isEmpty { $0.write(\.files, ["data.tf": Printer.print(body)]) }
                $0.write(\.problems, problems)
            }
        }
        graph.addNode("locals") { state, context in
            let (plan, _, _) = try state.plan.materialize(services.catalog)
            let names = try needed(state, plan).locals
            let (body, problems) = try ModuleGenerators.locals(needed: names, specs: plan.locals)
            context.progress("\(names.count) locals")
            return Update {
                if !body.items.isEmpty { $0.write(\.files, ["locals.tf": Printer.print(body)]) }
                $0.write(\.problems, problems)
            }
        }
        graph.addNode("outputs") { state, context in
            let (plan, _, _) = try state.plan.materialize(services.catalog)
            context.progress("\(plan.outputs.count) outputs")
            return Update(\.files, ["outputs.tf": Printer.print(try ModuleGenerators.outputs(plan.outputs))])
        }
        graph.addNode("backend") { state, context in
            let (plan, _, _) = try state.plan.materialize(services.catalog)
            context.progress("\(state.backend.rawValue) backend")
            return Update(
                \.files,
                [
                    "versions.tf": Printer.print(try ModuleGenerators.versions(plan.providers)),
                    "backend.tf": Printer.print(try ModuleGenerators.backend(state.backend)),
                ])
        }
        graph.addNode("readme") { state, context in
            let (plan, family, requirements) = try state.plan.materialize(services.catalog)
            let used = try needed(state, plan).variables
            let variables = plan.variables.filter { used.contains($0.name) }
            let (example, problems) = try ModuleGenerators.example(
                moduleName: requirements.name, variables: variables, inputs: plan.exampleInputs,
                providers: plan.providers)
            let exampleText = Printer.print(example)
            let readme = ModuleGenerators.readme(
                title: "\(family.title): \(requirements.name)",
                summary: family.summary.prefix(1).uppercased() + family.summary.dropFirst() + ".",
                requirements: requirements, family: family, variables: variables, outputs: plan.outputs,
                securityNotes: plan.securityNotes, optOuts: plan.optOuts, example: exampleText,
                providers: plan.providers)
            context.progress("README with \(variables.count) inputs and \(plan.outputs.count) outputs")
            return Update {
                $0.write(\.files, ["README.md": readme, "examples/complete/main.tf": exampleText])
                $0.write(\.problems, problems)
            }
        }
        graph.addEdge(from: START, to: "resources")
        for agent in ["variables", "data", "locals", "outputs"] {
            graph.addEdge(from: "resources", to: agent)
        }
        graph.addEdge(from: ["variables", "data", "locals", "outputs"], to: "backend")
        graph.addEdge(from: "backend", to: "readme")
        graph.addEdge(from: "readme", to: END)
        return try graph.compile(name: "terraform-module-generators")
    }
}
