import NimbusCore
import NimbusHCL
import Testing

@Suite struct BuilderTests {
    @Test func buildsAFormattedModule() throws {
        let body = try Body {
            try Block("terraform") {
                try Attribute("required_version", .string(">= 1.5"))
            }
            try Block("resource", "aws_s3_bucket", "this", comments: ["The bucket itself."]) {
                try Attribute("bucket", .reference("var.bucket_name"))
                try Attribute("force_destroy", .bool(false))
                try Attribute(
                    "tags",
                    .object(["Name": .template("logs-", .value(try .reference("var.env"))), "cost center": .number(42)])
                )
            }
            try Block("output", "arn") {
                try Attribute("value", .reference("aws_s3_bucket.this.arn"))
            }
        }
        let text = Printer.print(body)
        #expect(
            text == """
                terraform {
                  required_version = ">= 1.5"
                }

                # The bucket itself.
                resource "aws_s3_bucket" "this" {
                  bucket        = var.bucket_name
                  force_destroy = false
                  tags = {
                    Name          = "logs-${var.env}"
                    "cost center" = 42
                  }
                }

                output "arn" {
                  value = aws_s3_bucket.this.arn
                }

                """)
        let (parsed, diagnostics) = HCLParser.parse(text)
        #expect(!diagnostics.hasErrors)
        #expect(parsed.body == body)
    }

    @Test func refusesNamesThatAreNotIdentifiers() {
        #expect(throws: BuilderError.self) { try Attribute("not valid", .null) }
        #expect(throws: BuilderError.self) { try Block("1resource") }
        #expect(throws: BuilderError.self) { try HCLExpression.reference("var.bad name") }
        #expect(throws: BuilderError.self) { try HCLExpression.call("f()") }
        #expect(throws: BuilderError.self) { try HCLExpression.number(.nan) }
        #expect {
            try Attribute("not valid", .null)
        } throws: { error in
            ErrorCode.of(error).rawValue == "hcl.builder" && ErrorCode.of(error).kind == .invalidInput
                && "\(error)".contains("'not valid'")
        }
    }

    @Test func operatorsGetTheParenthesesTheyNeed() throws {
        let a = try HCLExpression.reference("var.a")
        let b = try HCLExpression.reference("var.b")
        let c = try HCLExpression.reference("var.c")
        let expression = (a + b) * c - (a - b)
        #expect(Printer.print(expression) == "(var.a + var.b) * var.c - (var.a - var.b)")
        let negated = HCLExpression.unary(.negate, a + b)
        #expect(Printer.print(negated) == "-(var.a + var.b)")
        let chosen = HCLExpression.conditional(.conditional(a, b, c), b, c)
        #expect(Printer.print(chosen) == "(var.a ? var.b : var.c) ? var.b : var.c")
        #expect(Printer.print(try (a + b).attribute("x")) == "(var.a + var.b).x")
    }

    /// Random expressions from the builder always print as valid HCL that parses back to the same tree.
    @Test func randomBuiltExpressionsRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        let strings = [
            "plain", "with \"quotes\"", "${not interpolation}", "%{ nor directive }", "tab\there", "ünï", "new\nline",
            "back\\slash", "$", "%",
        ]
        func random(_ depth: Int) throws -> HCLExpression {
            let choice =
                depth > 3 ? Int.random(in: 0..<4, using: &generator) : Int.random(in: 0..<13, using: &generator)
            switch choice {
            case 0: return .string(strings.randomElement(using: &generator)!)
            case 1: return .number(Int.random(in: -1000...1000, using: &generator))
            case 2: return try .number(Double.random(in: -1e6...1e6, using: &generator))
            case 3:
                return try .reference(
                    ["var.a", "local.b.c", "aws_s3_bucket.x.arn", "each.value"].randomElement(using: &generator)!)
            case 4: return .list([try random(depth + 1), try random(depth + 1)])
            case 5: return .object([("k", try random(depth + 1)), ("not-an-identifier", try random(depth + 1))])
            case 6: return try random(depth + 1) + random(depth + 1)
            case 7: return try random(depth + 1) * random(depth + 1) - random(depth + 1)
            case 8: return .conditional(try random(depth + 1), try random(depth + 1), try random(depth + 1))
            case 9: return try .call("merge", random(depth + 1), random(depth + 1))
            case 10: return .template("x-", .value(try random(depth + 1)), "-y")
            case 11: return .heredoc(strings.randomElement(using: &generator)! + "\n")
            default: return try !(random(depth + 1) || random(depth + 1))
            }
        }
        for _ in 0..<300 {
            let body = try Body { try Attribute("value", try random(0)) }
            let text = Printer.print(body)
            let (parsed, diagnostics) = HCLParser.parse(text)
            #expect(!diagnostics.hasErrors, "\(text)\n\(errors(diagnostics))")
            #expect(parsed.body == body, "\(text)")
        }
    }
}
