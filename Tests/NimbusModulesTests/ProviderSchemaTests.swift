import NimbusHCL
import Testing

@testable import NimbusModules

@Suite("AWS provider schema check")
struct ProviderSchemaTests {
    let schema: ProviderSchema

    init() throws { schema = try ProviderSchema.aws.get() }

    func problems(_ text: String) -> [Diagnostic] {
        let (file, diagnostics) = HCLParser.parse(text, filename: "main.tf")
        #expect(!diagnostics.hasErrors)
        return ProviderSchemaCheck.check([file], schema: schema)
    }

    @Test("the bundled schema names its provider version and knows the resources Nimbus writes")
    func bundled() {
        #expect(schema.provider == "hashicorp/aws")
        #expect(!schema.providerVersion.isEmpty)
        #expect(schema.resources.count > 1000 && schema.dataSources.count > 400)
        #expect(schema.resources["aws_iam_role"]?.attributes["assume_role_policy"] == "r")
        #expect(schema.resources["aws_lambda_function"]?.blocks["vpc_config"]?.nesting == "single")
        #expect(schema.dataSources["aws_iam_policy_document"]?.blocks["statement"]?.block.blocks["principals"] != nil)
    }

    @Test("a correct block passes")
    func correct() {
        #expect(
            problems(
                """
                resource "aws_iam_role" "this" {
                  name               = "r"
                  assume_role_policy = "{}"
                  count              = 1
                  lifecycle { create_before_destroy = true }
                }
                resource "aws_lambda_function" "f" {
                  function_name = "f"
                  role          = aws_iam_role.this[0].arn
                  tracing_config { mode = "Active" }
                  dynamic "vpc_config" {
                    for_each = []
                    content {
                      subnet_ids         = []
                      security_group_ids = []
                    }
                  }
                }
                output "arn" { value = aws_lambda_function.f.arn }
                """
            ).isEmpty)
    }

    @Test("a misspelt argument is reported with the provider's own name for it")
    func misspelt() throws {
        let found = problems(
            """
            resource "aws_s3_bucket" "b" {
              buckett = "x"
            }
            """)
        let problem = try #require(found.first)
        #expect(found.count == 1)
        #expect(problem.summary == "Unsupported argument")
        #expect(problem.detail.contains("did you mean \"bucket\""))
        #expect(problem.range.start.line == 2)
    }

    @Test("a missing required argument, a block given as an argument, an argument given as a block")
    func shapes() {
        let found = problems(
            """
            resource "aws_iam_role" "r" {
              name = "r"
            }
            resource "aws_lambda_function" "f" {
              function_name  = "f"
              role           = "arn"
              tracing_config = { mode = "Active" }
              handler { name = "x" }
            }
            """)
        let details = found.map(\.detail)
        #expect(details.contains { $0.contains("\"assume_role_policy\" is required") })
        #expect(details.contains { $0.contains("\"tracing_config\" is a block, not an argument") })
        #expect(details.contains { $0.contains("\"handler\" is an argument, not a block") })
        #expect(found.count == 3, "\(details)")
    }

    @Test("unknown types, nested blocks, computed attributes set, and references to attributes that do not exist")
    func more() {
        let found = problems(
            """
            resource "aws_s3_bukcet" "x" {}
            resource "aws_s3_bucket" "b" {
              arn = "set"
            }
            data "aws_iam_policy_document" "d" {
              statement {
                principals {
                  type = "Service"
                }
                actionz = ["s3:GetObject"]
              }
            }
            output "o" { value = aws_s3_bucket.b.bucket_domian_name }
            """)
        let details = found.map(\.detail)
        #expect(details.contains { $0.contains("no resource type \"aws_s3_bukcet\"; did you mean \"aws_s3_bucket\"") })
        #expect(details.contains { $0.contains("\"arn\" is computed") })
        #expect(details.contains { $0.contains("statement.principals: the argument \"identifiers\" is required") })
        #expect(details.contains { $0.contains("\"actionz\"") && $0.contains("did you mean \"actions\"") })
        #expect(
            details.contains {
                $0.contains("has no attribute \"bucket_domian_name\"; did you mean \"bucket_domain_name\"")
            })
    }
}
