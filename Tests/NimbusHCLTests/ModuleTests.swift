import Foundation
import NimbusHCL
import Testing

@Suite struct ModuleTests {
    /// Writes files into a fresh directory and loads it.
    func module(_ files: [String: String]) throws -> Module {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-hcl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return try Module.load(directory: directory.path)
    }

    static let versions = """
        terraform {
          required_version = ">= 1.5"
          required_providers {
            aws = {
              source  = "hashicorp/aws"
              version = "~> 5.0"
            }
          }
          backend "s3" {
            bucket = "state"
          }
        }
        """

    @Test func readsEveryPartAndTheReferenceGraph() throws {
        let loaded = try module([
            "versions.tf": Self.versions,
            "variables.tf": """
            variable "name" {
              description = "Bucket name"
              type        = string
              sensitive   = true
              validation {
                condition     = length(var.name) > 3
                error_message = "Too short."
              }
            }
            """,
            "main.tf": """
            provider "aws" {
              region = "eu-west-1"
            }
            locals {
              tags = { Name = var.name }
            }
            data "aws_caller_identity" "me" {}
            resource "aws_s3_bucket" "this" {
              bucket = "${var.name}-${data.aws_caller_identity.me.account_id}"
              tags   = local.tags
              dynamic "grant" {
                for_each = [1]
                content {
                  id = grant.value
                }
              }
              lifecycle {
                ignore_changes = [tags]
              }
            }
            module "logs" {
              source  = "terraform-aws-modules/s3-bucket/aws"
              version = "4.1.0"
              bucket  = aws_s3_bucket.this.id
            }
            moved {
              from = aws_s3_bucket.old
              to   = aws_s3_bucket.this
            }
            import {
              to = aws_s3_bucket.this
              id = "existing"
            }
            """,
            "outputs.tf": """
            output "arn" {
              description = "The ARN"
              value       = aws_s3_bucket.this.arn
              sensitive   = false
            }
            """,
        ])
        #expect(loaded.settings.first?.requiredVersion == ">= 1.5")
        #expect(loaded.settings.first?.requiredProviders["aws"]?.source == "hashicorp/aws")
        #expect(loaded.settings.first?.backend?.type == "s3")
        #expect(loaded.variables.first?.type == .string)
        #expect(loaded.variables.first?.sensitive == true)
        #expect(loaded.variables.first?.validations.count == 1)
        #expect(loaded.resources.map(\.address) == ["data.aws_caller_identity.me", "aws_s3_bucket.this"])
        #expect(loaded.moduleCalls.first?.version == "4.1.0")
        #expect(loaded.moved.count == 1 && loaded.imports.count == 1)
        let graph = Dictionary(
            uniqueKeysWithValues: loaded.referenceGraph.filter { $0.from != "import" }.map {
                ($0.from, Set($0.references.map(\.address)))
            })
        #expect(graph["aws_s3_bucket.this"] == ["var.name", "data.aws_caller_identity.me", "local.tags"])
        #expect(graph["module.logs"] == ["aws_s3_bucket.this"])
        #expect(graph["output.arn"] == ["aws_s3_bucket.this"])
        let problems = loaded.check()
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func reportsWhatTflintAndTerraformWould() throws {
        let loaded = try module([
            "main.tf": """
            variable "unused" {}
            variable "size" {
              description = "How many"
              type        = number
              default     = "many"
            }
            variable "broken" {
              description = "Bad type"
              type        = lsit(string)
            }
            variable "size" {
              description = "Again"
              type        = number
            }
            resource "aws_instance" "web" {
              count = var.size
              ami   = var.ami_id
              tags  = local.nothing
              subnet_id = aws_subnet.main.id
              name = "${var.broken}"
            }
            resouce "x" "y" {}
            output "o" {
              value = aws_instance.web[0].id
            }
            """
        ])
        let problems = loaded.check()
        let errors = problems.filter { $0.severity == .error }.map(\.summary)
        #expect(
            Set(errors) == [
                "Invalid default value for variable", "Invalid type constraint", "Duplicate variable",
                "Reference to undeclared input variable", "Reference to undeclared local value",
                "Reference to undeclared resource", "Unsupported block type",
            ], "\(problems)")
        let warnings = Set(problems.filter { $0.severity == .warning }.map(\.summary))
        #expect(
            warnings.isSuperset(of: [
                "Unused variable", "Variable without description", "Variable without type",
                "Output without description",
                "Missing versions.tf", "Missing required_version", "Provider without a requirement",
                "Variable outside variables.tf", "Output outside outputs.tf",
            ]))
        let typo = problems.first { $0.summary == "Unsupported block type" }
        #expect(typo?.detail.contains("Did you mean \"resource\"?") == true)
        #expect(typo?.range.start.line == 22)
    }

    @Test func evaluatesWithTypedUnknownsAndFindsBrokenExpressions() throws {
        let loaded = try module([
            "variables.tf": """
            variable "count_of" {
              description = "How many"
              type        = number
            }
            variable "names" {
              description = "Names"
              type        = list(string)
            }
            variable "legacy" {
              description = "Old style"
              type        = "list"
            }
            """,
            "main.tf": """
            locals {
              base  = 40 + 2
              label = "n-${local.base}"
              both  = "${var.count_of}-${local.label}"
              a     = local.b
              b     = local.a
            }
            resource "aws_instance" "web" {
              count     = var.count_of
              ami       = lenght(var.names)
              user_data = 1 + "x"
              tags      = { Name = format("%d", "many") }
              name      = "${local.label}-${count.index}"
            }
            """,
        ])
        let evaluator = loaded.evaluator()
        func value(_ source: String) throws -> Value {
            try evaluator.evaluate(HCLParser.parseExpression(source).expression)
        }
        #expect(try value("var.count_of + 1") == .unknown(.number))
        #expect(try value("var.names") == .unknown(.list(.string)))
        #expect(try value("local.base") == .int(42))
        #expect(try value("local.label") == .string("n-42"))
        #expect(try value("local.both") == .unknown(.string))
        #expect(try value("aws_instance.web[0].id") == .unknown(.any))
        let problems = loaded.check()
        let errors = problems.filter { $0.severity == .error }
        #expect(
            errors.contains {
                $0.summary == "Call to unknown function" && $0.detail.contains("Did you mean \"length\"?")
            })
        #expect(errors.contains { $0.summary == "Invalid operand" && $0.range.start.line == 11 })
        #expect(errors.contains { $0.summary == "Error in function call" && $0.detail.contains("format") })
        #expect(errors.contains { $0.summary == "Cycle in local values" })
        #expect(problems.contains { $0.summary == "Quoted type constraint" && $0.severity == .warning })
        #expect(errors.count == 4, "\(errors)")
    }

    @Test func refusesADirectoryWithoutConfiguration() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nimbus-hcl-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        #expect(throws: HCLError.self) { try Module.load(directory: directory.path) }
        #expect(throws: HCLError.self) { try Module.load(directory: directory.path + "/missing") }
    }
}
