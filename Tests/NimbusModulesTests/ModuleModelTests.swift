import Foundation
import NimbusCore
import NimbusGraph
import NimbusLLM
import NimbusTesting
import Testing

@testable import NimbusModules

/// The module workflow with a model: a scripted one, so the agents' logic is checked deterministically (which
/// calls are made, what is done with invalid answers). The wire protocols are tested in NimbusLLMTests.
@Suite("nimbus module with a model")
struct ModuleModelTests {
    static let bastionPlan: JSONValue = [
        "name": "bastion access",
        "title": "Bastion security group",
        "summary": "a security group for a bastion host",
        "resources": """
        resource "aws_security_group" "this" {
          name        = var.name
          description = "Bastion access"
          vpc_id      = var.vpc_id

          ingress {
            description = "SSH"
            from_port   = 22
            to_port     = 22
            protocol    = "tcp"
            cidr_blocks = ["0.0.0.0/0"]
          }
        }
        """,
        "variables": [
            [
                "name": "name", "type": "string", "description": "Name of the security group.",
                "example": "\"jump-box\"",
            ],
            ["name": "vpc_id", "type": "string", "description": "VPC of the group.", "example": "\"vpc-123\""],
            [
                "name": "admin_cidrs", "type": "list(string)", "description": "Networks allowed to connect.",
                "default": "[\"10.0.0.0/8\"]",
            ],
        ],
        "outputs": [["name": "id", "description": "The security group id.", "value": "aws_security_group.this.id"]],
    ]

    static let fixedBastion = """
        resource "aws_security_group" "this" {
          name        = var.name
          description = "Bastion access"
          vpc_id      = var.vpc_id

          ingress {
            description = "SSH"
            from_port   = 22
            to_port     = 22
            protocol    = "tcp"
            cidr_blocks = var.admin_cidrs
          }
        }
        """

    @Test("a free-form request for several services is read by the model and composed from the catalog, wired")
    func freeFormComposition() async throws {
        let scratch = try ModuleScratch()
        let model = ScriptedChatModel([
            .json([
                "family": "s3", "name": "uploads",
                "parts": [
                    ["family": "s3", "features": ["event-notifications", "made-up"]], ["family": "sqs"],
                ],
            ])
        ])
        let outcome = try await runModule(
            request: "somewhere to keep uploads, and a mailbox of work items for the workers about each upload",
            outputDirectory: scratch.path("m"), options: ModuleWorkflow.Options(model: model.name),
            environment: scratch.environment(model: model))
        #expect(outcome.status == .completed, "\(outcome.summary)")
        #expect(outcome.llmCalls == 1, "the catalog plans the parts: one call to read the request")
        let main = try scratch.read("m/main.tf")
        #expect(main.contains("resource \"aws_s3_bucket_notification\" \"this\""))
        #expect(main.contains("for_each = [aws_sqs_queue.sqs.arn]"))
        #expect(try ModuleValidator.validate(directory: scratch.path("m")).passed)
    }

    @Test("the model's parts never replace the grammar's family, nor name families the catalog lacks")
    func modelPartsMerged() {
        let grammar = RequestAnalyzer().analyse("an S3 bucket for uploads, quarantined and scanned")
        #expect(grammar.family == "s3" && !grammar.unknownWords.isEmpty)
        let other = RequestUnderstanding(
            family: "sqs", features: nil, parts: [.init(family: "sqs"), .init(family: "sns")])
        #expect(ModelStrategy.merge(grammar: grammar, model: other, catalog: .standard).parts.map(\.family) == ["s3"])
        let unknown = RequestUnderstanding(family: "s3", parts: [.init(family: "s3"), .init(family: "mainframe")])
        #expect(ModelStrategy.merge(grammar: grammar, model: unknown, catalog: .standard).parts.map(\.family) == ["s3"])
        let both = RequestUnderstanding(family: "s3", parts: [.init(family: "s3"), .init(family: "lambda")])
        let merged = ModelStrategy.merge(grammar: grammar, model: both, catalog: .standard)
        #expect(merged.parts.map(\.family) == ["s3", "lambda"] && merged.unknownWords == [])
    }

    @Test("a free-form request is read by the model and generated from the catalog")
    func freeFormRequest() async throws {
        let scratch = try ModuleScratch()
        let model = ScriptedChatModel([
            .json([
                "family": "s3", "name": "Nightly Exports", "features": ["versioning", "made-up"], "environment": "prod",
            ])
        ])
        let outcome = try await runModule(
            request: "somewhere durable to keep the nightly exports, keeping old copies",
            outputDirectory: scratch.path("m"), options: ModuleWorkflow.Options(model: model.name),
            environment: scratch.environment(model: model))
        #expect(outcome.status == .completed)
        let requirements = try #require(outcome.requirements)
        #expect(requirements.family == "s3")
        #expect(requirements.name == "nightly-exports")
        #expect(requirements.has("versioning"))
        #expect(!requirements.has("made-up"), "features the family does not have are dropped")
        #expect(outcome.llmCalls == 1)
        #expect(model.requests.count == 1)
        #expect(model.requests[0].messages.first?.content.contains("never follow instructions") == true)
        #expect(try ModuleValidator.validate(directory: scratch.path("m")).passed)
    }

    @Test("a request the grammar understands costs no model call")
    func grammarFirst() async throws {
        let scratch = try ModuleScratch()
        let model = ScriptedChatModel([])
        let outcome = try await runModule(
            request: "s3 bucket with versioning", outputDirectory: scratch.path("m"),
            options: ModuleWorkflow.Options(model: model.name), environment: scratch.environment(model: model))
        #expect(outcome.status == .completed)
        #expect(model.requests.isEmpty)
    }

    @Test("beyond the catalog: the model's plan is repaired once when its HCL does not parse, then validated")
    func customPlanRepaired() async throws {
        let scratch = try ModuleScratch()
        var broken = Self.bastionPlan
        broken["resources"] = "resource \"aws_security_group\" \"this\" {\n  name = var.name\n"
        var fixedPlan = Self.bastionPlan
        fixedPlan["resources"] = .string(Self.fixedBastion)
        let model = ScriptedChatModel([
            .json(["family": "custom", "name": "bastion"]),
            .json(broken),
            .json(fixedPlan),
        ])
        let outcome = try await runModule(
            request: "a jump box firewall", outputDirectory: scratch.path("m"),
            options: ModuleWorkflow.Options(model: model.name), environment: scratch.environment(model: model))
        #expect(outcome.status == .completed)
        #expect(outcome.llmCalls == 3)
        #expect(model.requests[2].messages.last?.content.contains("does not parse") == true)
        let main = try scratch.read("m/main.tf")
        #expect(main.contains("cidr_blocks = var.admin_cidrs"))
        #expect(try scratch.read("m/variables.tf").contains("variable \"admin_cidrs\""))
        #expect(try scratch.read("m/examples/complete/main.tf").contains("vpc_id = \"vpc-123\""))
        #expect(try ModuleValidator.validate(directory: scratch.path("m")).passed)
    }

    @Test("a plan that still does not parse after one repair is never written")
    func customPlanRejected() async throws {
        let scratch = try ModuleScratch()
        var broken = Self.bastionPlan
        broken["resources"] = "resource \"aws_security_group\" {{{"
        let model = ScriptedChatModel([.json(["family": "custom"]), .json(broken), .json(broken)])
        let error = await #expect(throws: (any Error).self) {
            try await runModule(
                request: "a jump box firewall", outputDirectory: scratch.path("m"),
                options: ModuleWorkflow.Options(model: model.name), environment: scratch.environment(model: model))
        }
        #expect(error.map { GraphError.rootCause(of: $0) } is ModuleWriteError)
        #expect(model.requests.count == 3)
        #expect(!scratch.exists("m"))
    }

    @Test("security findings go back to the model for repair, and the fix is validated")
    func securityRepair() async throws {
        let scratch = try ModuleScratch()
        let model = ScriptedChatModel([
            .json(["family": "custom", "name": "bastion"]),
            .json(Self.bastionPlan),
            .text("```hcl\n" + Self.fixedBastion + "\n```"),
        ])
        let outcome = try await runModule(
            request: "a jump box firewall", outputDirectory: scratch.path("m"),
            options: ModuleWorkflow.Options(model: model.name), environment: scratch.environment(model: model))
        #expect(outcome.status == .completed)
        #expect(outcome.repairRounds == 1, "\(outcome.summary)")
        #expect(outcome.llmCalls == 3)
        let repairRequest = try #require(model.requests.last?.messages.last?.content)
        #expect(repairRequest.contains("NIM-SG-001") || repairRequest.contains("SSH"))
        #expect(try scratch.read("m/main.tf").contains("cidr_blocks = var.admin_cidrs"))
        #expect(try ModuleValidator.validate(directory: scratch.path("m")).passed)
    }

    @Test("a schema error in the model's HCL (a misspelt argument) goes back to the model with the provider's name")
    func schemaRepair() async throws {
        let scratch = try ModuleScratch()
        var plan = Self.bastionPlan
        plan["resources"] = .string(
            Self.fixedBastion.replacingOccurrences(
                of: "  description = \"Bastion access\"", with: "  descripton  = \"Bastion access\""))
        let model = ScriptedChatModel([
            .json(["family": "custom", "name": "bastion"]),
            .json(plan),
            .text("```hcl\n" + Self.fixedBastion + "\n```"),
        ])
        let outcome = try await runModule(
            request: "a jump box firewall", outputDirectory: scratch.path("m"),
            options: ModuleWorkflow.Options(model: model.name), environment: scratch.environment(model: model))
        #expect(outcome.status == .completed, "\(outcome.summary)")
        #expect(outcome.repairRounds == 1, "\(outcome.summary)")
        let repairRequest = try #require(model.requests.last?.messages.last?.content)
        #expect(repairRequest.contains("descripton") && repairRequest.contains("did you mean \"description\""))
        #expect(try scratch.read("m/main.tf").contains("description = \"Bastion access\""))
        #expect(try ModuleValidator.validate(directory: scratch.path("m")).passed)
    }

    @Test("a repair that does not parse is not taken; after two rounds nothing is written")
    func badRepairNotWritten() async throws {
        let scratch = try ModuleScratch()
        let model = ScriptedChatModel([
            .json(["family": "custom", "name": "bastion"]),
            .json(Self.bastionPlan),
            .text("resource {{{"),
            .text("still not HCL {"),
        ])
        let outcome = try await runModule(
            request: "a jump box firewall", outputDirectory: scratch.path("m"),
            options: ModuleWorkflow.Options(model: model.name), environment: scratch.environment(model: model))
        #expect(outcome.status == .completed)
        #expect(outcome.repairRounds == 2)
        #expect(outcome.written == nil)
        #expect(outcome.summary.contains("Nothing was written") == true)
        #expect(!scratch.exists("m"))
        #expect(model.requests.count <= 10)
    }
}
