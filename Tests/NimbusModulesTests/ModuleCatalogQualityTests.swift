import Foundation
import NimbusCore
import NimbusHCL
import Testing

@testable import NimbusModules

/// One module the catalog can generate: a family with its default features, every feature, or another answer.
struct CatalogVariant: Sendable, CustomTestStringConvertible {
    let familyID: String
    /// `defaults`, `all-features`, `engine-mysql`, `engine-mysql-all-features`.
    let label: String
    let features: [String]
    let answers: [String: String]
    /// Set for a module of several families: `familyID` is then the composed id (`ecs-fargate+alb`).
    var composition: ModuleComposition? = nil

    var testDescription: String { "\(familyID) \(label)" }

    var family: ServiceFamily {
        if let composition { return try! Composer.compose(composition, catalog: .standard).family }
        return ModuleCatalog.standard.family(familyID)!
    }

    var requirements: ModuleRequirements {
        if let composition { return try! Composer.compose(composition, catalog: .standard).requirements }
        // Short names: some services limit them (an ALB's to 32 characters).
        return ModuleRequirements(
            family: familyID, name: "nimbus-\(label == "defaults" ? "d" : "v")", features: features, answers: answers)
    }

    /// The catalog families of the module: one, or every part of a composition.
    var partFamilies: [ServiceFamily] {
        (composition?.parts.map(\.family) ?? [familyID]).compactMap { ModuleCatalog.standard.family($0) }
    }

    /// Modules of several families, with each part's default features (and the features their wires need), and
    /// once with every feature of every part.
    static let compositions: [CatalogVariant] = {
        let sets: [[(String, [String], [String: String])]] = [
            [("ecs-fargate", [], [:]), ("alb", [], [:])],
            [("ecs-fargate", [], [:]), ("alb", ["public"], [:]), ("vpc", ["public-subnets", "nat"], [:])],
            [("rds", [], ["engine": "postgres"]), ("vpc", [], [:])],
            [("lambda", [], [:]), ("vpc", [], [:])],
            [("eks", [], [:]), ("vpc", ["nat"], [:])],
            [("ec2", [], [:]), ("vpc", [], [:])],
            [("s3", [], [:]), ("dynamodb", [], [:])],
            [("lambda", [], [:]), ("dynamodb", [], [:])],
            [("sns", [], [:]), ("sqs", [], [:])],
            [("alb", [], [:]), ("vpc", [], [:])],
            [("ecs-fargate", [], [:]), ("alb", [], [:]), ("rds", [], ["engine": "mysql"]), ("vpc", [], [:])],
            [("s3", [], [:]), ("sqs", [], [:])],
            [("s3", [], [:]), ("sns", [], [:])],
            [("s3", [], [:]), ("lambda", [], [:])],
            [("api-gateway", [], [:]), ("lambda", [], [:])],
            [("waf", [], ["scope": "regional"]), ("alb", ["public"], [:])],
            [("waf", [], ["scope": "cloudfront"]), ("cloudfront-site", [], [:])],
            [("acm", [], [:]), ("route53", [], ["zone": "public"])],
            [("efs", [], [:]), ("vpc", [], [:])],
            // Parts needing different provider versions (Cognito's logging needs hashicorp/aws 6.5).
            [("cognito", [], [:]), ("api-gateway", ["jwt-authorizer"], [:]), ("lambda", [], [:])],
        ]
        return sets.flatMap { set -> [CatalogVariant] in
            [false, true].map { everything in
                let parts = set.map { id, extra, answers in
                    let family = ModuleCatalog.standard.family(id)!
                    let features =
                        everything
                        ? family.features.map(\.id) : family.features.filter(\.enabledByDefault).map(\.id) + extra
                    return ModuleRequirements(
                        family: id, name: everything ? "nimbus-cv" : "nimbus-c", features: features, answers: answers)
                }
                let composition = Composer.completed(ModuleComposition(parts: parts))
                return CatalogVariant(
                    familyID: set.map(\.0).joined(separator: "+"), label: everything ? "all-features" : "defaults",
                    features: [], answers: [:], composition: composition)
            }
        }
    }()

    /// Every family × {default features, every feature} × {first answers, each other answer of each question};
    /// only the families (and compositions with a part) named in `NIMBUS_TEST_FAMILIES` when it is set
    /// (`NIMBUS_TEST_FAMILIES=aurora,efs`), for working on a few.
    static let all: [CatalogVariant] = {
        let only = ProcessInfo.processInfo.environment["NIMBUS_TEST_FAMILIES"].map {
            Set($0.split(separator: ",").map { String($0.trimmingCharacters(in: .whitespaces)) })
        }
        guard let only, !only.isEmpty else { return every }
        return every.filter { variant in variant.familyID.split(separator: "+").contains { only.contains(String($0)) } }
    }()

    static let every: [CatalogVariant] =
        ModuleCatalog.standard.families.flatMap { family -> [CatalogVariant] in
            let defaults = family.features.filter(\.enabledByDefault).map(\.id)
            let everything = family.features.map(\.id)
            let firstAnswers = Dictionary(uniqueKeysWithValues: family.questions.map { ($0.key, $0.choices[0]) })
            var variants = [
                CatalogVariant(familyID: family.id, label: "defaults", features: defaults, answers: firstAnswers),
                CatalogVariant(familyID: family.id, label: "all-features", features: everything, answers: firstAnswers),
            ]
            for question in family.questions {
                for choice in question.choices.dropFirst() {
                    var answers = firstAnswers
                    answers[question.key] = choice
                    variants.append(
                        CatalogVariant(
                            familyID: family.id, label: "\(question.key)-\(choice)", features: defaults,
                            answers: answers))
                    variants.append(
                        CatalogVariant(
                            familyID: family.id, label: "\(question.key)-\(choice)-all-features", features: everything,
                            answers: answers))
                }
            }
            return variants
        } + compositions
}

/// Runs external tools with bounded parallelism: checkov needs seconds and hundreds of megabytes per directory,
/// and the machine has two cores shared with the rest of the suite.
actor ToolSlots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { free = count }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }

    /// Runs `executable` with `arguments` once a slot is free (see `ChildProcess`: no thread waits for it).
    func run(
        _ executable: String, _ arguments: [String]
    ) async throws -> (status: Int32, output: String, errors: String) {
        await acquire()
        defer { release() }
        let result = try await ChildProcess.run(URL(fileURLWithPath: executable), arguments)
        return (result.status, result.outputText, result.errorText)
    }
}

@Suite("Module catalog quality")
struct ModuleCatalogQualityTests {
    static let checkov = ProcessInfo.processInfo.environment["NIMBUS_TEST_CHECKOV"].flatMap { $0.isEmpty ? nil : $0 }
    static let pythonHCL2 = ProcessInfo.processInfo.environment["NIMBUS_TEST_PYTHON_HCL2"].flatMap {
        $0.isEmpty ? nil : $0
    }
    static let slots = ToolSlots(2)
    static var schema: ProviderSchema { get throws { try ProviderSchema.aws.get() } }

    @Test("the catalog has the families the issue asks for")
    func families() {
        #expect(
            Set(ModuleCatalog.standard.ids)
                == [
                    "s3", "vpc", "ec2", "iam-role", "lambda", "sqs", "sns", "dynamodb", "rds", "ecs-fargate", "eks",
                    "cloudfront-site", "kms", "alb", "cloudwatch-alarms", "api-gateway", "elasticache", "aurora",
                    "route53", "acm", "secrets-manager", "efs", "step-functions", "eventbridge", "ecr", "cognito",
                    "kinesis", "opensearch", "waf", "backup",
                ])
        #expect(ModuleCatalog.standard.families.count >= 30)
        for family in ModuleCatalog.standard.families {
            #expect(Set(family.features.map(\.id)).count == family.features.count, "\(family.id): duplicate feature")
        }
        // docs/modules.md's catalog table has a row for each family.
        let docs = try? String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "../../docs/modules.md"), encoding: .utf8)
        for family in ModuleCatalog.standard.families {
            #expect(
                docs?.contains("| `\(family.id)` | \(family.title) |") == true, "docs/modules.md lacks \(family.id)")
        }
    }

    @Test("a family that needs an answer refuses to plan without one")
    func missingAnswer() throws {
        let requirements = ModuleRequirements(family: "rds", name: "db", features: ["multi-az"])
        #expect(throws: ModuleRequestError.self) { try ServiceFamily.rds.plan(requirements) }
    }

    @Test("every generated module is valid, canonical and secure by default", arguments: CatalogVariant.all)
    func quality(_ variant: CatalogVariant) async throws {
        let module = try ModuleAssembly.assemble(family: variant.family, requirements: variant.requirements)
        #expect(module.problems.isEmpty, "generator problems: \(module.problems)")
        let plan = try variant.family.plan(variant.requirements)

        // Syntax and canonical formatting of every file.
        let terraformFiles = module.files.filter { $0.path.hasSuffix(".tf") }
        var parsed: [String: ConfigFile] = [:]
        for file in terraformFiles {
            let (config, diagnostics) = HCLParser.parse(file.contents, filename: file.path)
            #expect(!diagnostics.hasErrors, "\(file.path): \(diagnostics.map(\.description))")
            parsed[file.path] = config
            switch Formatter.format(file.contents, filename: file.path) {
            case .success(let formatted): #expect(formatted == file.contents, "\(file.path) is not fmt-canonical")
            case .failure(let error): Issue.record("\(file.path) cannot be formatted: \(error.diagnostics)")
            }
        }

        // `nimbus hcl validate` on the module and on its example.
        for directory in ["", "examples/complete/"] {
            let files = terraformFiles.filter {
                $0.path.hasPrefix(directory) && !$0.path.dropFirst(directory.count).contains("/")
            }
            let checked = Module(files: files.map(\.path), configFiles: files.compactMap { parsed[$0.path] })
            let errors = checked.check().filter { $0.severity == .error }
            #expect(errors.isEmpty, "\(directory.isEmpty ? "module" : directory): \(errors.map(\.description))")
            // ...and against the AWS provider's schema, as `nimbus hcl validate` checks it.
            let schemaErrors = ProviderSchemaCheck.check(checked.configFiles, schema: try Self.schema)
            #expect(schemaErrors.isEmpty, "provider schema: \(schemaErrors.map(\.description))")
            if directory.isEmpty { checkSecureDefaults(checked, variant: variant) }
        }

        // The README documents every deliberate exception.
        let readme = try #require(module.file("README.md")).contents
        for optOut in plan.optOuts {
            #expect(
                readme.contains("- `\(optOut.check)`: \(optOut.reason)"), "README lacks the opt-out \(optOut.check)")
        }
        // ...and so does the project's README, in its table of opt-outs: `| <family title> | `CHECK` |`.
        let projectReadme = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "../../README.md"), encoding: .utf8)
        for optOut in plan.optOuts {
            #expect(
                variant.partFamilies.contains { projectReadme.contains("| \($0.readmeTitle) | `\(optOut.check)` |") },
                "the project README's opt-out table lacks \(variant.family.id) \(optOut.check)")
        }

    }

    @Test(
        "python-hcl2 parses every generated file", .enabled(if: pythonHCL2 != nil, skipNote("NIMBUS_TEST_PYTHON_HCL2")),
        arguments: CatalogVariant.all)
    func pythonHCL2Parses(_ variant: CatalogVariant) async throws {
        let module = try ModuleAssembly.assemble(family: variant.family, requirements: variant.requirements)
        let directory = try Self.write(module, variant: variant, tool: "python-hcl2")
        defer { Self.clean(directory) }
        let files = module.files.map(\.path).filter { $0.hasSuffix(".tf") }
        try await Self.checkWithPythonHCL2(try #require(Self.pythonHCL2), directory: directory, files: files)
    }

    @Test(
        "checkov fails no check on a generated module but its documented opt-outs",
        .enabled(if: checkov != nil, skipNote("NIMBUS_TEST_CHECKOV")), arguments: CatalogVariant.all)
    func checkovPasses(_ variant: CatalogVariant) async throws {
        let module = try ModuleAssembly.assemble(family: variant.family, requirements: variant.requirements)
        let directory = try Self.write(module, variant: variant, tool: "checkov")
        defer { Self.clean(directory) }
        let plan = try variant.family.plan(variant.requirements)
        try await Self.checkWithCheckov(try #require(Self.checkov), directory: directory, plan: plan, variant: variant)
    }

    @Test("the external checks run in CI", .enabled(if: ProcessInfo.processInfo.environment["CI"] != nil))
    func externalChecksConfigured() {
        #expect(Self.checkov != nil, "NIMBUS_TEST_CHECKOV is unset: run the tests through scripts/test.sh")
        #expect(Self.pythonHCL2 != nil, "NIMBUS_TEST_PYTHON_HCL2 is unset: run the tests through scripts/test.sh")
    }

    static func skipNote(_ variable: String) -> Comment {
        Comment(
            rawValue: "\(variable) is unset: scripts/test.sh installs checkov and python-hcl2 and sets it; plain "
                + "`swift test` skips this external check")
    }

    // MARK: - Nimbus's own rules, checked on the tree

    /// The secure defaults every family promises, read from the generated resources: independent of checkov.
    func checkSecureDefaults(_ module: Module, variant: CatalogVariant) {
        func attribute(_ resource: Module.Resource, _ name: String) -> String? {
            resource.block.body.attribute(name).map { Printer.print($0.value) }
        }
        for resource in module.resources where resource.mode == .managed {
            let at = "\(variant.testDescription): \(resource.address)"
            switch resource.type {
            case "aws_kms_key":
                #expect(attribute(resource, "enable_key_rotation") == "true", "\(at) is not rotated")
                #expect(attribute(resource, "policy") != nil, "\(at) has no key policy")
            case "aws_cloudwatch_log_group":
                #expect(attribute(resource, "kms_key_id") != nil, "\(at) is not encrypted")
                #expect(attribute(resource, "retention_in_days") != nil, "\(at) keeps logs forever")
            case "aws_db_instance":
                #expect(attribute(resource, "storage_encrypted") == "true", "\(at) is not encrypted")
                #expect(attribute(resource, "publicly_accessible") == "false", "\(at) is public")
                #expect(attribute(resource, "deletion_protection") == "true", "\(at) can be deleted")
                #expect(attribute(resource, "backup_retention_period") != nil, "\(at) is not backed up")
            case "aws_lambda_function":
                #expect(resource.block.body.blocks("tracing_config").first != nil, "\(at) is not traced")
                #expect(resource.block.body.blocks("dead_letter_config").first != nil, "\(at) has no DLQ")
            case "aws_s3_bucket":
                for companion in [
                    "aws_s3_bucket_public_access_block", "aws_s3_bucket_server_side_encryption_configuration",
                    "aws_s3_bucket_versioning", "aws_s3_bucket_logging", "aws_s3_bucket_policy",
                    "aws_s3_bucket_lifecycle_configuration",
                ] {
                    #expect(module.resources.contains { $0.type == companion }, "\(at) has no \(companion)")
                }
            case "aws_security_group":
                for rule in resource.block.body.blocks("ingress") {
                    let cidrs = rule.body.attribute("cidr_blocks").map { Printer.print($0.value) } ?? ""
                    #expect(!cidrs.contains("0.0.0.0/0") && !cidrs.contains("::/0"), "\(at) is open to the world")
                }
            case "aws_iam_role_policy", "aws_iam_policy":
                #expect(!(attribute(resource, "policy") ?? "").contains("\"*\""), "\(at) uses a wildcard")
            default:
                break
            }
        }
        for resource in module.resources where resource.type == "aws_iam_policy_document" {
            for statement in resource.block.body.blocks("statement") {
                let effect = statement.body.attribute("effect").map { Printer.print($0.value) } ?? "\"Allow\""
                guard effect == "\"Allow\"" else { continue }
                let actions = statement.body.attribute("actions").map { Printer.print($0.value) } ?? ""
                let resources = statement.body.attribute("resources").map { Printer.print($0.value) } ?? ""
                #expect(!actions.contains("\"*\""), "\(resource.address) allows every action")
                // `"*"` is the only resource an action without resource-level permissions takes.
                let named = statement.body.attribute("actions").flatMap { attribute -> [String]? in
                    guard case .tuple(let items) = attribute.value.kind else { return nil }
                    return items.compactMap { item in
                        if case .template(let template) = item.kind { template.literalValue } else { nil }
                    }
                }
                let unscopable = named.map { !$0.isEmpty && $0.allSatisfy(SecurityRules.unscopableActions.contains) }
                #expect(
                    unscopable == true || !resources.contains("\"*\""), "\(resource.address) allows every resource")
            }
        }
    }

    // MARK: - External tools

    /// Writes the module for one tool; under `NIMBUS_MODULE_OUT` when set (and kept there for inspection).
    static func write(_ module: GeneratedModule, variant: CatalogVariant, tool: String) throws -> URL {
        let base =
            ProcessInfo.processInfo.environment["NIMBUS_MODULE_OUT"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-catalog-\(UUID().uuidString)")
        let directory = base.appendingPathComponent(tool).appendingPathComponent(
            "\(variant.familyID)-\(variant.label)")
        try? FileManager.default.removeItem(at: directory)
        try ModuleAssembly.write(module, to: directory)
        return directory
    }

    static func clean(_ directory: URL) {
        guard ProcessInfo.processInfo.environment["NIMBUS_MODULE_OUT"] == nil else { return }
        try? FileManager.default.removeItem(at: directory.deletingLastPathComponent().deletingLastPathComponent())
    }

    static func checkWithPythonHCL2(_ python: String, directory: URL, files: [String]) async throws {
        let script = """
            import sys, hcl2
            for path in sys.argv[1:]:
                with open(path) as handle:
                    try:
                        hcl2.load(handle)
                    except Exception as error:
                        print(f"{path}: {error}")
                        sys.exit(1)
            """
        let result = try await slots.run(
            python, ["-c", script] + files.map { directory.appendingPathComponent($0).path })
        #expect(
            result.status == 0, "python-hcl2 refused \(directory.lastPathComponent): \(result.output) \(result.errors)")
    }

    static func checkWithCheckov(
        _ checkov: String, directory: URL, plan: ModulePlan, variant: CatalogVariant
    )
        async throws
    {
        let result = try await slots.run(
            checkov,
            [
                "--directory", directory.path, "--framework", "terraform", "--output", "json", "--compact",
                "--download-external-modules", "false", "--skip-download",
            ])
        // checkov exits 1 when a check fails; anything else is the tool failing.
        #expect(result.status == 0 || result.status == 1, "checkov failed: \(result.errors.suffix(2000))")
        let report = try #require(
            try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any],
            "checkov printed no JSON report: \(result.output.prefix(500)) \(result.errors.suffix(1000))")
        let results = report["results"] as? [String: Any] ?? [:]
        let failures = (results["failed_checks"] as? [[String: Any]] ?? []).map {
            (
                check: $0["check_id"] as? String ?? "?", resource: $0["resource"] as? String ?? "?",
                file: $0["file_path"] as? String ?? "?"
            )
        }
        let summary = report["summary"] as? [String: Any] ?? [:]
        let passed = summary["passed"] as? Int ?? 0
        #expect(passed > 0, "checkov checked nothing in \(directory.lastPathComponent)")
        let allowed = Set(plan.optOuts.map(\.check))
        let unexpected = failures.filter { !allowed.contains($0.check) }
        #expect(
            unexpected.isEmpty,
            "checkov failures not listed as opt-outs: \(unexpected.map { "\($0.check) on \($0.resource) (\($0.file))" })"
        )
        // An opt-out for a check that passes is stale documentation: the README would claim a gap that is not there.
        let failed = Set(failures.map(\.check))
        let stale = allowed.filter { $0.hasPrefix("CKV") && !failed.contains($0) }
        #expect(stale.isEmpty, "opt-outs for checks that pass: \(stale.sorted())")
        if ProcessInfo.processInfo.environment["NIMBUS_CHECKOV_REPORT"] != nil {
            print(
                "checkov \(variant.testDescription): \(passed) passed, \(failures.count) failed"
                    + (failures.isEmpty ? "" : " (\(Set(failures.map(\.check)).sorted().joined(separator: ", ")))"))
        }
    }
}

extension ServiceFamily {
    /// The family's name in the project README's table of checkov opt-outs.
    var readmeTitle: String {
        [
            "s3": "S3", "vpc": "VPC", "lambda": "Lambda", "rds": "RDS", "eks": "EKS",
            "cloudfront-site": "CloudFront site",
            "alb": "ALB", "api-gateway": "API Gateway", "elasticache": "ElastiCache", "aurora": "Aurora",
            "route53": "Route 53", "acm": "ACM", "secrets-manager": "Secrets Manager", "efs": "EFS",
            "step-functions": "Step Functions", "eventbridge": "EventBridge", "ecr": "ECR", "cognito": "Cognito",
            "kinesis": "Kinesis", "opensearch": "OpenSearch", "waf": "WAF", "backup": "Backup",
        ][id] ?? id
    }
}
