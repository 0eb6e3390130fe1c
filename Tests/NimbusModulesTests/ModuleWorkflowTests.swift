import Foundation
import NimbusCore
import NimbusGraph
import NimbusHCL
import NimbusLLM
import NimbusProducts
import NimbusStore
import NimbusTesting
import Testing

@testable import NimbusModules

/// A scratch directory with its own store, removed afterwards.
final class ModuleScratch: Sendable {
    let root: URL
    let store: SQLiteStore

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-module-\(SortableID().rawValue)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        store = try SQLiteStore(path: root.appendingPathComponent("nimbus.sqlite").path)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    func environment(model: (any ChatModel)? = nil) -> ProductEnvironment {
        ProductEnvironment(
            store: store, configuration: NimbusConfiguration(home: root),
            makeModel: { name, _, _ in
                guard let model else { throw ProductError.noModel(name) }
                return model
            })
    }

    func read(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

    /// Continues a paused run the way `nimbus runs resume` does: through the product catalog, by graph.
    func resume(
        _ outcome: ModulesProduct.Outcome, answers: [String: JSONValue], model: (any ChatModel)? = nil
    ) async throws
        -> ModulesProduct.Outcome
    {
        let record = try #require(try await store.thread(outcome.threadID))
        let product = try ProductCatalog([RegisteredProduct(ModulesProduct())]).product(
            graph: record.graph, thread: outcome.threadID)
        return try await product.resume(
            threadID: outcome.threadID, answers: answers, environment: environment(model: model)
        ).decode(ModulesProduct.Outcome.self)
    }
}

/// Starts a module run through the product, as `nimbus module` does.
func runModule(
    request: String, outputDirectory: String, options: ModuleWorkflow.Options = .init(), threadID: String? = nil,
    environment: ProductEnvironment, writer: ModuleWriter = ModuleWriter()
) async throws -> ModulesProduct.Outcome {
    try await ModulesProduct(writer: writer).start(
        ModulesProduct.Request(request, outputDirectory: outputDirectory, options: options), threadID: threadID,
        environment: environment)
}

/// The interrupt asking `key`, from a paused outcome.
func interrupt(_ key: String, in outcome: ModulesProduct.Outcome) throws -> Interrupt {
    try #require(
        outcome.questions.first { $0.value["key"]?.stringValue == key },
        "no question '\(key)' among \(outcome.questions.map(\.value.jsonText))")
}

@Suite("nimbus module workflow")
struct ModuleWorkflowTests {
    @Test("the README's request writes a complete S3 module that passes validation, offline")
    func readmeRequest() async throws {
        let scratch = try ModuleScratch()
        let outcome = try await runModule(
            request: "enterprise S3 bucket with versioning, KMS encryption and access logging",
            outputDirectory: scratch.path("s3-module"), environment: scratch.environment())
        #expect(outcome.status == .completed)
        for file in [
            "main.tf", "variables.tf", "outputs.tf", "locals.tf", "data.tf", "versions.tf", "backend.tf", "README.md",
            "VALIDATION.md", "examples/complete/main.tf",
        ] {
            #expect(scratch.exists("s3-module/\(file)"), "missing \(file)")
        }
        let main = try scratch.read("s3-module/main.tf")
        #expect(main.contains("resource \"aws_s3_bucket_versioning\" \"this\""))
        #expect(main.contains("sse_algorithm     = \"aws:kms\""))
        #expect(main.contains("resource \"aws_s3_bucket_logging\" \"this\""))
        #expect(try scratch.read("s3-module/backend.tf").contains("backend \"s3\""))
        #expect(try scratch.read("s3-module/VALIDATION.md").contains("Result: **passed**"))
        // What was written is what `nimbus module check` accepts.
        let report = try ModuleValidator.validate(directory: scratch.path("s3-module"))
        #expect(report.passed, "\(report.errors)")
        #expect(outcome.llmCalls == 0)
        #expect(outcome.summary.contains("Wrote 10 files") == true)
    }

    @Test("--backend local writes a local backend")
    func localBackend() async throws {
        let scratch = try ModuleScratch()
        let outcome = try await runModule(
            request: "s3 bucket", outputDirectory: scratch.path("m"), options: ModuleWorkflow.Options(backend: .local),
            environment: scratch.environment())
        #expect(outcome.status == .completed)
        #expect(try scratch.read("m/backend.tf").contains("backend \"local\""))
    }

    @Test("words the grammar does not know are reported in the result")
    func unknownWords() async throws {
        let scratch = try ModuleScratch()
        let outcome = try await runModule(
            request: "s3 bucket with versioning and purple unicorns", outputDirectory: scratch.path("m"),
            environment: scratch.environment())
        #expect(outcome.status == .completed)
        #expect(outcome.unknownWords == ["purple", "unicorns"])
        #expect(outcome.summary.contains("Words not understood: purple, unicorns") == true)
    }

    @Test("an unknown service fails with a message that lists the supported families")
    func unknownService() async throws {
        let scratch = try ModuleScratch()
        let error = await #expect(throws: (any Error).self) {
            try await runModule(
                request: "a mainframe for the payroll batch", outputDirectory: scratch.path("m"),
                environment: scratch.environment())
        }
        let cause = try #require(error.map { GraphError.rootCause(of: $0) } as? ModuleRequestError)
        #expect(cause.message.contains("a mainframe for the payroll batch"))
        for family in ModuleCatalog.standard.families {
            #expect(cause.suggestion?.contains(family.id) == true, "the hint does not list \(family.id)")
        }
        #expect(!scratch.exists("m"))
    }

    @Test("an existing module is backed up after approval; other files stay where they are")
    func existingDirectoryBackedUp() async throws {
        let scratch = try ModuleScratch()
        let directory = scratch.path("m")
        try FileManager.default.createDirectory(atPath: directory + "/.git", withIntermediateDirectories: true)
        try "ref: refs/heads/main\n".write(toFile: directory + "/.git/HEAD", atomically: true, encoding: .utf8)
        try "# hand-written\n".write(toFile: directory + "/main.tf", atomically: true, encoding: .utf8)
        try "variable \"stale\" {}\n".write(toFile: directory + "/stale.tf", atomically: true, encoding: .utf8)
        try "keep me\n".write(toFile: directory + "/NOTES.txt", atomically: true, encoding: .utf8)

        let paused = try await runModule(
            request: "s3 bucket", outputDirectory: directory, environment: scratch.environment())
        #expect(paused.status == .interrupted)
        let approval = try interrupt("overwrite", in: paused)
        // Nothing is touched before the answer.
        #expect(try scratch.read("m/main.tf") == "# hand-written\n")

        let done = try await scratch.resume(paused, answers: [approval.id: true])
        #expect(done.status == .completed)
        let written = try #require(done.written)
        let backup = try #require(written.backup)
        #expect(try scratch.read("m/\(backup)/main.tf") == "# hand-written\n")
        #expect(try scratch.read("m/\(backup)/stale.tf") == "variable \"stale\" {}\n")
        #expect(
            !scratch.exists("m/stale.tf"),
            "a file of the old module that the new one lacks is removed (kept in the backup)")
        #expect(written.operations.contains(FileOperation(.removed, "stale.tf")))
        #expect(try scratch.read("m/NOTES.txt") == "keep me\n")
        #expect(try scratch.read("m/.git/HEAD") == "ref: refs/heads/main\n")
        #expect(try scratch.read("m/main.tf").contains("aws_s3_bucket"))
        #expect(written.operations.contains(FileOperation(.replaced, "main.tf")))
        #expect(written.operations.contains(FileOperation(.created, "variables.tf")))
        #expect(written.operations.contains(FileOperation(.kept, "NOTES.txt")))
        #expect(try ModuleValidator.validate(directory: directory).passed)

        // A second run keeps the first backup and adds its own.
        let again = try await runModule(
            request: "s3 bucket", outputDirectory: directory, options: ModuleWorkflow.Options(overwrite: true),
            environment: scratch.environment())
        #expect(again.status == .completed)
        let backups = try FileManager.default.contentsOfDirectory(atPath: directory + "/.nimbus-backup")
        #expect(backups.count == 2)
        #expect(try scratch.read("m/\(backup)/main.tf") == "# hand-written\n")
    }

    @Test("declining the overwrite leaves the directory as it was")
    func declinedOverwrite() async throws {
        let scratch = try ModuleScratch()
        let directory = scratch.path("m")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "# mine\n".write(toFile: directory + "/main.tf", atomically: true, encoding: .utf8)
        let paused = try await runModule(
            request: "s3 bucket", outputDirectory: directory, environment: scratch.environment())
        let done = try await scratch.resume(paused, answers: [try interrupt("overwrite", in: paused).id: false])
        #expect(done.status == .completed)
        #expect(done.declined == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["main.tf"])
        #expect(try scratch.read("m/main.tf") == "# mine\n")
    }

    @Test("a write that fails midway leaves no half module, in a new or an existing directory")
    func writeFailsMidway() async throws {
        struct DiskFull: Error {}
        let scratch = try ModuleScratch()
        let failing = ModuleWriter(beforeEachFile: { path in if path == "outputs.tf" { throw DiskFull() } })

        await #expect(throws: (any Error).self) {
            try await runModule(
                request: "s3 bucket", outputDirectory: scratch.path("new"), environment: scratch.environment(),
                writer: failing)
        }
        #expect(!scratch.exists("new"))

        let existing = scratch.path("old")
        try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: true)
        try "# mine\n".write(toFile: existing + "/main.tf", atomically: true, encoding: .utf8)
        await #expect(throws: (any Error).self) {
            try await runModule(
                request: "s3 bucket", outputDirectory: existing, options: ModuleWorkflow.Options(overwrite: true),
                environment: scratch.environment(), writer: failing)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: existing) == ["main.tf"])
        #expect(try scratch.read("old/main.tf") == "# mine\n")
        // No staging directories are left beside the target.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.root.path).filter {
            $0.contains("nimbus-")
        }
        #expect(leftovers.isEmpty, "left behind: \(leftovers)")
    }

    @Test("the writer refuses a file that does not parse, before touching the disk")
    func writerParsesFirst() throws {
        let scratch = try ModuleScratch()
        #expect(throws: ModuleWriteError.self) {
            try ModuleWriter().write(
                [
                    ModuleFile(path: "main.tf", contents: "resource \"x\" \"y\" {\n"),
                    ModuleFile(path: "a.tf", contents: ""),
                ],
                to: scratch.path("m"))
        }
        #expect(!scratch.exists("m"))
    }

    @Test("the supervisor's routing follows the state")
    func supervisorRouting() {
        var state = ModuleWorkflow.State(request: "s3", outputDirectory: "/tmp/x")
        #expect(ModuleWorkflow.nextPhase(state) == "planner")
        state.plan = .catalog(ModuleRequirements(family: "s3", name: "s3"))
        #expect(ModuleWorkflow.nextPhase(state) == "generate")
        state.files = ["main.tf": ""]
        #expect(ModuleWorkflow.nextPhase(state) == "validate")
        let blocking = ValidationFinding(
            check: "syntax", rule: "x", severity: .critical, file: "main.tf", line: 1, resource: nil, message: "m",
            fix: nil)
        state.report = ValidationReport(checks: [], findings: [blocking], optOuts: [])
        #expect(ModuleWorkflow.nextPhase(state) == "repair")
        state.repairRounds = 2
        #expect(ModuleWorkflow.nextPhase(state) == "summarize", "at most two repair rounds")
        state.report = ValidationReport(checks: [], findings: [], optOuts: [])
        #expect(ModuleWorkflow.nextPhase(state) == "write")
        state.declined = true
        #expect(ModuleWorkflow.nextPhase(state) == "summarize")
    }

    @Test("a module that is not fmt-canonical is repaired offline by the validator's round")
    func formatRepair() async throws {
        let report = ModuleValidator.validate(files: ["main.tf": "locals {\n  a = 1\n  bb = 2\n}\n"])
        #expect(report.findings.filter { $0.check == "format" }.map(\.file) == ["main.tf"])
        let graph = try GeneratorlessRepair.graph()
        let repaired = try await graph.invoke(
            GeneratorlessRepair.State(files: ["main.tf": "locals {\n  a = 1\n  bb = 2\n}\n"]))
        #expect(repaired.state.files["main.tf"] == "locals {\n  a  = 1\n  bb = 2\n}\n")
    }
}

/// The repair step on its own, in a one-node graph (it needs a node context).
enum GeneratorlessRepair {
    struct State: GraphState {
        var files: [String: String]
        static let schema = StateSchema<State>(.field("files", \.files))
    }

    static func graph() throws -> CompiledGraph<State> {
        var graph = StateGraph<State>()
        graph.addNode("repair") { state, context in
            let report = ModuleValidator.validate(files: state.files)
            let (files, calls) = try await ModuleRepair.repair(
                files: state.files, report: report, model: nil, context: context)
            precondition(calls == 0)
            return Update(\.files, files)
        }
        graph.addEdge(from: START, to: "repair")
        graph.addEdge(from: "repair", to: END)
        return try graph.compile(name: "repair-only")
    }
}

@Suite("nimbus module clarification")
struct ModuleClarificationTests {
    @Test("a database module asks for the engine; the answer through the registry writes a valid postgres module")
    func engineQuestion() async throws {
        let scratch = try ModuleScratch()
        let paused = try await runModule(
            request: "a database module", outputDirectory: scratch.path("db"), environment: scratch.environment())
        #expect(paused.status == .interrupted)
        let question = try interrupt("engine", in: paused)
        #expect(question.value["choices"] == ["postgres", "mysql"])
        #expect(!scratch.exists("db"), "nothing is written before the question is answered")

        // A synonym is accepted, as the user would type it.
        let done = try await scratch.resume(paused, answers: [question.id: "postgresql"])
        #expect(done.status == .completed, "\(done.summary)")
        let main = try scratch.read("db/main.tf")
        #expect(main.contains("engine ") && main.contains("\"postgres\""))
        #expect(main.contains("rds.force_ssl"))
        #expect(try ModuleValidator.validate(directory: scratch.path("db")).passed)
    }

    @Test("an answer given up front is not asked again; a wrong one is asked again")
    func answersUpFront() async throws {
        let scratch = try ModuleScratch()
        let given = try await runModule(
            request: "a database module", outputDirectory: scratch.path("db"),
            options: ModuleWorkflow.Options(answers: ["engine": "mysql"]), environment: scratch.environment())
        #expect(given.status == .completed)
        #expect(try scratch.read("db/main.tf").contains("require_secure_transport"))

        let wrong = try await runModule(
            request: "a database module", outputDirectory: scratch.path("db2"),
            options: ModuleWorkflow.Options(answers: ["engine": "oracle"]), environment: scratch.environment())
        #expect(wrong.status == .interrupted)
        _ = try interrupt("engine", in: wrong)
    }

    @Test("a request two families explain equally asks which one")
    func ambiguousFamily() async throws {
        let analysis = RequestAnalyzer().analyse("a queue or a topic")
        #expect(analysis.family == nil)
        #expect(Set(analysis.candidates) == ["sqs", "sns"])

        let scratch = try ModuleScratch()
        let paused = try await runModule(
            request: "a queue or a topic", outputDirectory: scratch.path("m"), environment: scratch.environment())
        let question = try interrupt("family", in: paused)
        let done = try await scratch.resume(paused, answers: [question.id: "sqs"])
        #expect(done.status == .completed)
        #expect(try scratch.read("m/main.tf").contains("resource \"aws_sqs_queue\" \"this\""))
    }
}

@Suite("nimbus module, every family")
struct ModuleEveryFamilyTests {
    @Test(
        "each family's first keyword writes a module that validates, offline",
        arguments: ModuleCatalog.standard.families.map(\.id))
    func family(_ id: String) async throws {
        let family = try #require(ModuleCatalog.standard.family(id))
        let scratch = try ModuleScratch()
        var answers: [String: String] = [:]
        for question in family.questions { answers[question.key] = question.choices.first }
        let outcome = try await runModule(
            request: family.keywords[0], outputDirectory: scratch.path(id),
            options: ModuleWorkflow.Options(answers: answers), environment: scratch.environment())
        #expect(outcome.status == .completed, "\(outcome.summary)")
        #expect(outcome.llmCalls == 0)
        let report = try ModuleValidator.validate(directory: scratch.path(id))
        #expect(report.passed, "\(report.errors)")
        #expect(scratch.exists("\(id)/README.md") && scratch.exists("\(id)/examples/complete/main.tf"))
    }
}

@Suite("nimbus module, composed")
struct ComposedModuleTests {
    @Test("ECS behind an ALB is one module: the target group feeds the service, only the ALB reaches the tasks")
    func ecsBehindALB() async throws {
        let scratch = try ModuleScratch()
        let done = try await runModule(
            request: "ECS Fargate service behind an application load balancer", outputDirectory: scratch.path("m"),
            environment: scratch.environment())
        #expect(done.status == .completed, "\(done.questions.map(\.value.jsonText))")
        let main = try scratch.read("m/main.tf")
        #expect(main.contains("target_group_arn = aws_lb_target_group.alb.arn"))
        #expect(main.contains("security_groups = [aws_security_group.alb.id]"))
        let variables = try scratch.read("m/variables.tf")
        #expect(!variables.contains("variable \"target_group_arn\""))
        #expect(!variables.contains("variable \"allowed_security_group_ids\""))
        // One variable per name, outputs from both parts.
        let names = variables.split(separator: "\n").filter { $0.hasPrefix("variable ") }
        #expect(Set(names).count == names.count)
        let outputs = try scratch.read("m/outputs.tf")
        #expect(outputs.contains("output \"alb_arn\"") && outputs.contains("output \"service_name\""))
        let readme = try scratch.read("m/README.md")
        #expect(readme.contains("target group"))
    }

    @Test("a database in a new VPC: its subnets are the VPC's private subnets, no VPC id to pass")
    func rdsInNewVPC() async throws {
        let scratch = try ModuleScratch()
        let done = try await runModule(
            request: "a postgres RDS database in a new VPC", outputDirectory: scratch.path("m"),
            environment: scratch.environment())
        #expect(done.status == .completed, "\(done.questions.map(\.value.jsonText))")
        let main = try scratch.read("m/main.tf")
        #expect(main.contains("subnet_ids = aws_subnet.vpc_private[*].id"))
        #expect(main.contains("vpc_id      = aws_vpc.vpc.id") || main.contains("vpc_id = aws_vpc.vpc.id"))
        #expect(!(try scratch.read("m/variables.tf")).contains("variable \"vpc_id\""))
    }

    @Test("a web ACL for a load balancer: regional without asking, and the load balancer uses it")
    func wafForALB() async throws {
        let scratch = try ModuleScratch()
        let done = try await runModule(
            request: "a WAF web ACL in front of a public application load balancer", outputDirectory: scratch.path("m"),
            environment: scratch.environment())
        #expect(done.status == .completed, "\(done.questions.map(\.value.jsonText))")
        let main = try scratch.read("m/main.tf")
        #expect(main.contains("scope") && main.contains("\"REGIONAL\""))
        #expect(
            main.contains("web_acl_arn  = aws_wafv2_web_acl.this.arn")
                || main.contains("web_acl_arn = aws_wafv2_web_acl.this.arn"))
        #expect(try ModuleValidator.validate(directory: scratch.path("m")).passed)
    }

    @Test("parts needing different provider versions: one requirement, the strictest")
    func providerVersions() throws {
        #expect(
            ProviderRequirement.merged([
                .aws, ProviderRequirement(name: "aws", source: "hashicorp/aws", version: ">= 6.5"),
                ProviderRequirement(name: "aws", source: "hashicorp/aws", version: ">= 6.0"),
                ProviderRequirement(name: "random", source: "hashicorp/random", version: ">= 3.0"),
                ProviderRequirement(name: "random", source: "hashicorp/random", version: "< 4.0"),
            ]) == [
                ProviderRequirement(name: "aws", source: "hashicorp/aws", version: ">= 6.5"),
                ProviderRequirement(name: "random", source: "hashicorp/random", version: ">= 3.0, < 4.0"),
            ])
        let composed = try Composer.compose(
            ModuleComposition(parts: [
                ModuleRequirements(family: "cognito", name: "c", features: ["logging"]),
                ModuleRequirements(family: "sqs", name: "c"),
            ]), catalog: .standard)
        #expect(composed.plan.providers.filter { $0.name == "aws" }.count == 1)
        let module = try ModuleAssembly.assemble(
            plan: composed.plan, family: composed.family, requirements: composed.requirements)
        let versions = try #require(module.file("versions.tf")).contents
        #expect(versions.components(separatedBy: "hashicorp/aws").count == 2, "\(versions)")
        #expect(try #require(module.file("README.md")).contents.contains("- hashicorp/aws >= 6"))
    }

    @Test("an API in front of a function: the API invokes the module's function, which only this API may invoke")
    func apiGatewayLambda() async throws {
        let scratch = try ModuleScratch()
        let done = try await runModule(
            request: "API behind API Gateway and Lambda", outputDirectory: scratch.path("m"),
            environment: scratch.environment())
        #expect(done.status == .completed, "\(done.questions.map(\.value.jsonText))")
        let main = try scratch.read("m/main.tf")
        #expect(main.contains("integration_uri") && main.contains("aws_lambda_function.lambda.arn"))
        #expect(main.contains("resource \"aws_lambda_permission\""))
        #expect(main.contains("aws_apigatewayv2_api.this.execution_arn"))
        #expect(!(try scratch.read("m/variables.tf")).contains("variable \"lambda_function_arn\""))
        #expect(try ModuleValidator.validate(directory: scratch.path("m")).passed)
    }

    @Test(
        "a bucket's events reach a queue, topic or function of the same module, which admits that bucket alone",
        arguments: [
            (
                "S3 bucket with an SQS queue for its events", "queue_arn", "aws_sqs_queue.sqs.arn",
                "aws_sqs_queue_policy.sqs"
            ),
            (
                "an S3 bucket with event notifications to an SNS topic", "topic_arn", "aws_sns_topic.sns.arn",
                "aws_sns_topic_policy.sns"
            ),
            (
                "an S3 bucket whose events trigger a Lambda function", "lambda_function_arn",
                "aws_lambda_function.lambda.arn", "aws_lambda_permission.lambda_bucket"
            ),
        ])
    func bucketEvents(_ request: String, _ attribute: String, _ destination: String, _ policy: String) async throws {
        let scratch = try ModuleScratch()
        let done = try await runModule(
            request: request, outputDirectory: scratch.path("m"), environment: scratch.environment())
        #expect(done.status == .completed, "\(done.questions.map(\.value.jsonText))")
        let main = try scratch.read("m/main.tf")
        #expect(main.contains("resource \"aws_s3_bucket_notification\" \"this\""))
        #expect(main.contains("for_each = [\(destination)]"), "the notification does not name the destination")
        #expect(main.contains("\(attribute)"))
        #expect(
            main.contains("depends_on = [\(policy)]"), "the notification does not wait for the destination's policy")
        // The destination admits the module's bucket: no variable left to fill in for it.
        let variables = try scratch.read("m/variables.tf")
        for name in ["event_queue_arns", "event_topic_arns", "event_function_arns"] where main.contains("var.\(name)") {
            #expect(variables.contains("variable \"\(name)\""))
        }
        #expect(!variables.contains("variable \"sender_bucket_arns\""))
        #expect(!variables.contains("variable \"invoking_bucket_arns\""))
        let everything = main + (try scratch.read("m/data.tf"))
        #expect(everything.contains("aws_s3_bucket.this.arn") && everything.contains("s3.amazonaws.com"))
        #expect(try ModuleValidator.validate(directory: scratch.path("m")).passed)
    }
}
