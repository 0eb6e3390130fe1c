import Foundation
import NimbusHCL
import Testing

@testable import NimbusModules

/// Sizes, counts, names and environments in requests: read by the grammar, set where a variable takes them.
@Suite("Request settings")
struct RequestSettingsTests {
    let analyzer = RequestAnalyzer()

    @Test(
        "sizes and counts set the variable of the part that takes them",
        arguments: [
            (
                "a production postgres RDS database on db.r6g.large with 100 GB called orders-db",
                [["instance_class": "db.r6g.large", "allocated_storage": "100"]]
            ),
            (
                "an EKS cluster with three nodes of m6i.xlarge",
                [["node_desired_size": "3", "node_instance_types": "m6i.xlarge"]]
            ),
            ("a Lambda function with 1024 MB on python3.12", [["memory_size": "1024", "runtime": "python3.12"]]),
            (
                "an EC2 instance on t3.small with a 200gb data volume",
                [["instance_type": "t3.small", "data_volume_size": "200"]]
            ),
            (
                "an ECS Fargate service with 3 tasks behind an ALB and a MySQL RDS database with 1 TB",
                [["desired_count": "3"], [:], ["allocated_storage": "1024"]]
            ),
        ])
    func read(_ request: String, _ settings: [[String: String]]) {
        let analysis = analyzer.analyse(request)
        #expect(analysis.unknownWords == [], "\(analysis)")
        #expect(analysis.parts.map(\.settings) == settings, "\(analysis.parts)")
    }

    @Test("the name, the environment and the sizes come out of one request of many words")
    func everything() {
        let analysis = analyzer.analyse(
            "please create a production postgres RDS database on db.r6g.large with 100 GB of storage, multi-AZ "
                + "and read replicas, called orders-db, in a new VPC with three AZs and flow logs")
        #expect(analysis.parts.map(\.family) == ["rds", "vpc"])
        #expect(analysis.name == "orders-db")
        #expect(analysis.environment == "prod")
        #expect(analysis.answers == ["engine": "postgres"])
        #expect(analysis.parts[0].settings == ["instance_class": "db.r6g.large", "allocated_storage": "100"])
        #expect(analysis.parts[0].features.contains("multi-az") && analysis.parts[0].features.contains("read-replica"))
        #expect(analysis.parts[1].features.contains("three-azs") && analysis.parts[1].features.contains("flow-logs"))
        #expect(analysis.unknownWords == ["storage"] || analysis.unknownWords == [], "\(analysis.unknownWords)")
    }

    @Test(
        "a size no part takes, or a value its variable refuses, is an unknown word",
        arguments: [
            ("an S3 bucket with 100 GB", ["100", "gb"]),
            ("a postgres RDS database on t3.micro", ["t3.micro"]),
            ("a Lambda function with 64 MB", ["64", "mb"]),
            ("an SQS queue with five nodes", ["five", "nodes"]),
        ])
    func refused(_ request: String, _ unknown: [String]) {
        #expect(analyzer.analyse(request).unknownWords == unknown)
    }

    @Test("a setting becomes the variable's default; a variable that is not there, or refuses it, is an error")
    func applied() throws {
        var requirements = ModuleRequirements(
            family: "rds", name: "db", answers: ["engine": "postgres"],
            settings: ["instance_class": "db.r6g.large", "allocated_storage": "100"])
        let plan = try ServiceFamily.rds.plan(requirements)
        #expect(plan.variables.first { $0.name == "instance_class" }?.defaultValue == .string("db.r6g.large"))
        #expect(plan.variables.first { $0.name == "allocated_storage" }?.defaultValue == .number(100))
        let module = try ModuleAssembly.assemble(family: .rds, requirements: requirements)
        #expect(try #require(module.file("variables.tf")).contents.contains("default     = \"db.r6g.large\""))

        requirements.settings = ["instance_class": "t3.micro"]
        let refused = #expect(throws: ModuleRequestError.self) { try ServiceFamily.rds.plan(requirements) }
        #expect(refused?.code == .badSetting)
        #expect(refused?.message.contains("instance_class must be an RDS instance class") == true)
        requirements.settings = ["shard_count": "3"]
        #expect(throws: ModuleRequestError.self) { try ServiceFamily.rds.plan(requirements) }
    }

    @Test("requirements and analyses checkpointed before settings existed still decode")
    func oldCheckpoints() throws {
        let requirements = try JSONDecoder().decode(
            ModuleRequirements.self,
            from: Data(
                #"{"family":"s3","name":"b","features":[],"answers":{},"compliance":[],"backend":"s3"}"#.utf8))
        #expect(requirements.settings == [:])
        let analysis = try JSONDecoder().decode(
            RequestAnalysis.self,
            from: Data(
                #"{"family":"s3","candidates":[],"features":[],"answers":{},"compliance":[],"unknownWords":[]}"#
                    .utf8))
        #expect(analysis.parts == [] && analysis.settings == [])
        let round = try JSONDecoder().decode(
            RequestAnalysis.self, from: JSONEncoder().encode(analyzer.analyse("a 3 node EKS cluster")))
        #expect(round == analyzer.analyse("a 3 node EKS cluster"))
    }

    @Test("nimbus module writes the sizes a request gives into the module's defaults")
    func endToEnd() async throws {
        let scratch = try ModuleScratch()
        let outcome = try await runModule(
            request: "an EKS cluster with 4 nodes of m7g.large called tenants", outputDirectory: scratch.path("m"),
            environment: scratch.environment())
        #expect(outcome.status == .completed, "\(outcome.summary)")
        let variables = try String(contentsOfFile: scratch.path("m/variables.tf"), encoding: .utf8)
        #expect(variables.contains("[\"m7g.large\"]"))
        #expect(variables.contains("default     = 4"))
        #expect(try ModuleValidator.validate(directory: scratch.path("m")).passed)
    }
}
