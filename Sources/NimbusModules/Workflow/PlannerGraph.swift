import Foundation
import NimbusCore
import NimbusGraph
import NimbusHCL
import NimbusLLM

/// The planner: requirements analyzer → clarification → execution planner → security and best-practice
/// evaluator. A subgraph of the module workflow, checkpointed in the same store.
enum PlannerGraph {
    struct State: GraphState {
        var request: String
        var options: ModuleWorkflow.Options
        var analysis: RequestAnalysis?
        var requirements: ModuleRequirements?
        var unknownWords: [String] = []
        var plan: PlanDocument?
        var review: [String] = []
        var llmCalls = 0

        init(request: String, options: ModuleWorkflow.Options) {
            self.request = request
            self.options = options
        }

        static let schema = StateSchema<State>(
            .field("analysis", \.analysis),
            .field("requirements", \.requirements),
            .field("unknown_words", \.unknownWords),
            .field("plan", \.plan),
            .field("review", \.review, .append),
            .field("llm_calls", \.llmCalls, .custom("sum") { total, calls in total += calls })
        )
    }

    /// Features the evaluator turns on for production and regulated modules when the family has them.
    static let productionFeatures: Set<String> = [
        "multi-az", "deletion-protection", "flow-logs", "backups", "nat-per-az", "point-in-time-recovery",
    ]

    static func graph(services: ModuleWorkflow.Services) throws -> CompiledGraph<State> {
        var graph = StateGraph<State>()
        graph.addNode("analyze") { state, context in
            context.progress("reading the request")
            var analysis = RequestAnalyzer(catalog: services.catalog).analyse(state.request)
            var calls = 0
            // The model reads what the grammar could not; a request the grammar fully understood costs no call.
            if let model = services.model, analysis.family == nil || !analysis.unknownWords.isEmpty {
                let understood = try await context.step("understand-request") { _ in
                    let (understanding, calls) = try await ModelStrategy.understand(
                        state.request, catalog: services.catalog, model: model)
                    return Counted(value: understanding, calls: calls)
                }
                calls += understood.calls
                analysis = ModelStrategy.merge(grammar: analysis, model: understood.value, catalog: services.catalog)
            }
            // Answers given up front count as if the request had said them.
            for (key, value) in state.options.answers { analysis.answers[key] = value }
            return Update {
                $0.write(\.analysis, analysis)
                $0.write(\.unknownWords, analysis.unknownWords)
                $0.write(\.llmCalls, calls)
            }
        }
        graph.addNode("clarify") { state, context in
            var analysis = state.analysis!
            if analysis.family == nil {
                guard !analysis.candidates.isEmpty else {
                    throw ModuleRequestError.unknownFamily(state.request, catalog: services.catalog)
                }
                analysis.family = try ask(
                    key: "family", question: "Which kind of module: \(analysis.candidates.joined(separator: " or "))?",
                    choices: analysis.candidates, synonyms: [:], context: context)
            }
            if let family = services.catalog.family(analysis.family ?? "") {
                if state.options.askAboutUnknownWords, !analysis.unknownWords.isEmpty {
                    try confirmWithout(analysis.unknownWords, family: family, options: state.options, context: context)
                }
                // Every part's questions, once each (a composed module asks the database engine once); none that
                // a wire answers (a web ACL for a load balancer is regional).
                if analysis.isComposition {
                    for (key, value) in Composer.impliedAnswers(analysis.parts.map(\.family))
                    where analysis.answers[key] == nil {
                        analysis.answers[key] = value
                    }
                }
                var asked: Set<String> = []
                let families =
                    analysis.isComposition ? analysis.parts.compactMap { services.catalog.family($0.family) } : [family]
                for question in families.flatMap(\.questions) where asked.insert(question.key).inserted {
                    if let given = analysis.answers[question.key] {
                        if let choice = question.choice(for: given) {
                            analysis.answers[question.key] = choice
                            continue
                        }
                        context.progress("'\(given)' is not an answer to '\(question.key)'")
                    }
                    analysis.answers[question.key] = try ask(
                        key: question.key, question: question.question, choices: question.choices,
                        synonyms: question.synonyms, context: context)
                }
            }
            return Update(\.analysis, analysis)
        }
        graph.addNode("plan") { state, context in
            let analysis = state.analysis!
            if analysis.family == "custom", let model = services.model {
                context.progress("planning beyond the catalog with \(model.name)")
                let (custom, calls) = try await ModelStrategy.plan(
                    request: state.request, analysis: analysis, model: model, context: context)
                return Update {
                    $0.write(\.plan, .custom(custom))
                    $0.write(\.llmCalls, calls)
                }
            }
            guard let id = analysis.family, let family = services.catalog.family(id) else {
                throw ModuleRequestError.unknownFamily(state.request, catalog: services.catalog)
            }
            if analysis.isComposition {
                let name =
                    analysis.name
                    ?? RequestAnalyzer.slug(
                        ([analysis.environment].compactMap { $0 } + analysis.parts.map(\.family)).joined(separator: "-")
                    )
                let parts = try analysis.parts.map { part -> ModuleRequirements in
                    guard let partFamily = services.catalog.family(part.family) else {
                        throw ModuleRequestError.unknownFamily(part.family, catalog: services.catalog)
                    }
                    let defaults = partFamily.features.filter(\.enabledByDefault).map(\.id)
                    let answers = analysis.answers.filter { answer in
                        partFamily.questions.contains { $0.key == answer.key }
                    }
                    return ModuleRequirements(
                        family: part.family, name: name, features: Array(Set(defaults + part.features)),
                        answers: answers, environment: analysis.environment, compliance: analysis.compliance,
                        backend: state.options.backend, settings: part.settings)
                }
                let composition = Composer.completed(ModuleComposition(parts: parts))
                context.progress(
                    "planned one module '\(name)' of "
                        + parts.compactMap { services.catalog.family($0.family)?.title }.joined(separator: ", "))
                return Update(\.plan, .composed(composition))
            }
            let defaults = family.features.filter(\.enabledByDefault).map(\.id)
            let requirements = ModuleRequirements(
                family: family.id, name: analysis.name ?? defaultName(family: family, analysis: analysis),
                features: Array(Set(defaults + analysis.features)), answers: analysis.answers,
                environment: analysis.environment, compliance: analysis.compliance, backend: state.options.backend,
                settings: analysis.parts.first?.settings ?? [:])
            context.progress("planned \(family.title) '\(requirements.name)'")
            return Update {
                $0.write(\.requirements, requirements)
                $0.write(\.plan, .catalog(requirements))
            }
        }
        graph.addNode("review") { state, context in
            context.progress("security and best-practice review")
            var plan = state.plan!
            var notes: [String] = []
            if case .catalog(var requirements) = plan, let family = services.catalog.family(requirements.family) {
                let strict = requirements.environment == "prod" || !requirements.compliance.isEmpty
                if strict {
                    for feature in family.features
                    where productionFeatures.contains(feature.id) && !requirements.has(feature.id) {
                        requirements.features.append(feature.id)
                        notes.append(
                            "turned on \(feature.title) for \(requirements.environment ?? requirements.compliance.joined(separator: ", "))"
                        )
                    }
                    requirements.features.sort()
                    plan = .catalog(requirements)
                }
            }
            if case .composed(var composition) = plan {
                let first = composition.primary
                if first.environment == "prod" || !first.compliance.isEmpty {
                    for index in composition.parts.indices {
                        guard let family = services.catalog.family(composition.parts[index].family) else { continue }
                        for feature in family.features
                        where productionFeatures.contains(feature.id) && !composition.parts[index].has(feature.id) {
                            composition.parts[index].features.append(feature.id)
                            notes.append(
                                "turned on \(feature.title) of the \(family.title) for \(first.environment ?? first.compliance.joined(separator: ", "))"
                            )
                        }
                        composition.parts[index].features.sort()
                    }
                    plan = .composed(composition)
                }
            }
            let (materialized, family, requirements) = try plan.materialize(services.catalog)
            let module = try ModuleAssembly.assemble(plan: materialized, family: family, requirements: requirements)
            let files = Dictionary(uniqueKeysWithValues: module.files.map { ($0.path, $0.contents) })
            let findings = ModuleValidator.validate(files: files).findings.filter { $0.check == "security" }
            notes.append(
                findings.isEmpty
                    ? "security review: the plan passes all \(SecurityRules.all.count) rules"
                    : "security review: \(findings.count) findings for the generators: "
                        + findings.map { "\($0.rule) \($0.resource ?? "")" }.joined(separator: ", "))
            return Update {
                $0.write(\.plan, plan)
                if case .catalog(let requirements) = plan { $0.write(\.requirements, requirements) }
                $0.write(\.review, notes)
            }
        }
        graph.addEdge(from: START, to: "analyze")
        graph.addEdge(from: "analyze", to: "clarify")
        graph.addEdge(from: "clarify", to: "plan")
        graph.addEdge(from: "plan", to: "review")
        graph.addEdge(from: "review", to: END)
        return try graph.compile(name: "terraform-module-planner")
    }

    /// Asks `question`; the graph takes only one of `choices` (or a synonym) as its answer and refuses others, so
    /// the question stays pending until it is answered well.
    static func ask(
        key: String, question: String, choices: [String], synonyms: [String: String], context: NodeContext
    ) throws -> String {
        let answer = try context.interrupt(
            ["key": .string(key), "question": .string(question), "choices": .array(choices.map(JSONValue.string))]
                as JSONValue,
            accepts: .oneOf(choices, synonyms: synonyms))
        guard let choice = answer.stringValue else {
            throw ModuleRequestError.badAnswer(key, value: answer.jsonText, choices: choices)
        }
        return choice
    }

    /// The key of the question about words nobody understood; `--answer unknown_words=yes` answers it up front.
    static let unknownWordsKey = "unknown_words"

    /// Asks whether to go on without the words of the request that neither the grammar nor a model understood
    /// ("continue without: object lock?"); a no ends the run with an error that names them.
    static func confirmWithout(
        _ words: [String], family: ServiceFamily, options: ModuleWorkflow.Options, context: NodeContext
    ) throws {
        let phrase = words.joined(separator: " ")
        let upFront = options.answers[unknownWordsKey].flatMap { AcceptedAnswers.yesOrNo.reading(.string($0)) }
        let answer =
            try upFront
            ?? context.interrupt(
                [
                    "key": .string(unknownWordsKey),
                    "question": .string(
                        "Nimbus did not understand \"\(phrase)\" in the request. Write the \(family.title) module without it?"
                    ),
                    "words": .array(words.map(JSONValue.string)),
                ] as JSONValue, accepts: .yesOrNo)
        if answer != true { throw ModuleRequestError.notUnderstood(words, family: family) }
        context.progress("continuing without \"\(phrase)\"")
    }

    static func defaultName(family: ServiceFamily, analysis: RequestAnalysis) -> String {
        RequestAnalyzer.slug([analysis.environment, family.id].compactMap { $0 }.joined(separator: "-"))
    }
}
