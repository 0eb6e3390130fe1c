import Foundation
import NimbusHCL
import Testing

@testable import NimbusModules

/// Builds a module from HCL text, as `nimbus module check` reads a directory.
func module(_ files: [String: String]) -> Module {
    let parsed = files.sorted { $0.key < $1.key }.map { name, text in HCLParser.parse(text, filename: name).file }
    return Module(files: parsed.map(\.filename), configFiles: parsed)
}

@Suite("Security rules")
struct SecurityRulesTests {
    static let insecure = """
        variable "open" {
          type    = bool
          default = true
        }

        resource "aws_s3_bucket" "data" {
          bucket = "data"
        }

        resource "aws_s3_bucket_public_access_block" "data" {
          bucket                  = aws_s3_bucket.data.id
          block_public_acls       = true
          block_public_policy     = false
          ignore_public_acls      = true
          restrict_public_buckets = var.open
        }

        resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
          bucket = aws_s3_bucket.data.id
          rule {
            apply_server_side_encryption_by_default {
              sse_algorithm = "AES256"
            }
          }
        }

        resource "aws_security_group" "web" {
          ingress {
            from_port   = 0
            to_port     = 65535
            protocol    = "tcp"
            cidr_blocks = ["0.0.0.0/0"]
          }
        }

        resource "aws_vpc_security_group_ingress_rule" "rdp" {
          security_group_id = aws_security_group.web.id
          from_port         = 3389
          to_port           = 3389
          ip_protocol       = "tcp"
          cidr_ipv6         = "::/0"
        }

        resource "aws_db_instance" "db" {
          engine              = "postgres"
          publicly_accessible = true
          storage_encrypted   = false
        }

        resource "aws_kms_key" "key" {
          description = "no rotation"
        }

        data "aws_iam_policy_document" "admin" {
          statement {
            actions   = ["*"]
            resources = ["*"]
          }
          statement {
            actions   = ["s3:PutObject", "xray:PutTraceSegments"]
            resources = ["*"]
          }
        }

        resource "aws_iam_policy" "inline" {
          policy = jsonencode({
            Version   = "2012-10-17"
            Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }]
          })
        }

        resource "aws_lambda_function" "fn" {
          function_name = "fn"
        }

        resource "aws_vpc" "main" {
          cidr_block = "10.0.0.0/16"
        }

        resource "aws_instance" "box" {
          ami = "ami-123"
        }
        """

    @Test("an insecure module trips each rule, naming the resource and the fix")
    func insecureModule() {
        let findings = SecurityRules.check(module(["main.tf": Self.insecure]))
        let rules = Set(findings.map(\.rule))
        for expected in [
            "NIM-S3-001", "NIM-S3-002", "NIM-S3-003", "NIM-S3-004", "NIM-S3-005", "NIM-S3-006", "NIM-SG-001",
            "NIM-RDS-001", "NIM-RDS-002", "NIM-RDS-003", "NIM-RDS-004", "NIM-RDS-005", "NIM-KMS-001", "NIM-IAM-001",
            "NIM-IAM-002", "NIM-LAMBDA-001", "NIM-LAMBDA-002", "NIM-VPC-001", "NIM-EC2-001",
        ] {
            #expect(rules.contains(expected), "\(expected) did not fire")
        }
        let publicAccess = findings.first { $0.rule == "NIM-S3-002" }
        #expect(publicAccess?.message.contains("block_public_policy") == true)
        // A variable's default counts: restrict_public_buckets = var.open with default true is fine.
        #expect(publicAccess?.message.contains("restrict_public_buckets") == false)
        #expect(findings.first { $0.rule == "NIM-S3-001" }?.severity == .medium)
        let ports = findings.filter { $0.rule == "NIM-SG-001" }
        #expect(ports.count == 2)
        #expect(ports.contains { $0.message.contains("SSH (22)") && $0.resource == "aws_security_group.web" })
        #expect(
            ports.contains {
                $0.message.contains("RDP (3389)") && $0.resource == "aws_vpc_security_group_ingress_rule.rdp"
            })
        let wildcard = findings.filter { $0.rule == "NIM-IAM-001" }.map(\.resource)
        #expect(Set(wildcard) == ["data.aws_iam_policy_document.admin", "aws_iam_policy.inline"])
        let scoped = findings.filter { $0.rule == "NIM-IAM-002" }
        #expect(scoped.count == 1)
        #expect(scoped.first?.message.contains("s3:PutObject") == true)
        #expect(scoped.first?.message.contains("xray") == false)
        #expect(findings.allSatisfy { !$0.fix.isEmpty && $0.line > 0 && $0.file == "main.tf" })
        #expect(findings.first?.severity == .critical)
    }

    @Test("a nimbus:skip comment suppresses one rule for one resource")
    func skip() {
        let text = """
            # nimbus:skip=NIM-KMS-001 asymmetric signing key managed elsewhere
            resource "aws_kms_key" "key" {
              description = "no rotation"
            }
            """
        #expect(SecurityRules.check(module(["main.tf": text])).isEmpty)
    }

    @Test("every family's module passes Nimbus's rules, for each feature")
    func familiesPass() throws {
        for family in ModuleCatalog.standard.families {
            var variants = [family.features.filter(\.enabledByDefault).map(\.id)]
            variants.append(family.features.map(\.id))
            for features in variants {
                var answers: [String: String] = [:]
                for question in family.questions { answers[question.key] = question.choices.first }
                let requirements = ModuleRequirements(
                    family: family.id, name: "\(family.id)-check", features: features, answers: answers)
                let generated = try ModuleAssembly.assemble(family: family, requirements: requirements)
                let terraform = generated.files.filter { $0.path.hasSuffix(".tf") && !$0.path.contains("/") }
                let findings = SecurityRules.check(
                    module(Dictionary(uniqueKeysWithValues: terraform.map { ($0.path, $0.contents) })))
                #expect(
                    findings.isEmpty,
                    "\(family.id) \(features): \(findings.map { "\($0.rule) \($0.resource): \($0.message)" })")
            }
        }
    }
}
