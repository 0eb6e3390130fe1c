import NimbusHCL
import Testing

@Suite struct FormatterTests {
    func formatted(_ source: String) throws -> String {
        try Formatter.format(source).get()
    }

    @Test func alignsEqualsAndIndents() throws {
        let source = """
            resource "aws_s3_bucket"   "b" {
            bucket="x"
                force_destroy    = true
            tags = {
            Name="n"
              Environment = "prod"
            }


            # comment
                versioning {
            enabled=true
            }
            }
            """
        let expected = """
            resource "aws_s3_bucket" "b" {
              bucket        = "x"
              force_destroy = true
              tags = {
                Name        = "n"
                Environment = "prod"
              }

              # comment
              versioning {
                enabled = true
              }
            }

            """
        #expect(try formatted(source) == expected)
    }

    @Test func spacingRules() throws {
        let source =
            "a = [ 1,2 ,3 ]\nb = f( x , y... )\nc = -1 + - 2\nd = \"${ var.x }\"\ne = { }\nf = a [0]. b\ng = !x\n"
        let expected = "a = [1, 2, 3]\nb = f(x, y...)\nc = -1 + -2\nd = \"${var.x}\"\ne = {}\nf = a[0].b\ng = !x\n"
        #expect(try formatted(source) == expected)
    }

    @Test func trailingCommentsAlignAndHeredocsStay() throws {
        let source = "a = 1 # one\nlonger = 2 # two\nh = <<EOT\n  keep   this\n    as is\nEOT\n"
        let expected = "a      = 1 # one\nlonger = 2 # two\nh      = <<EOT\n  keep   this\n    as is\nEOT\n"
        #expect(try formatted(source) == expected)
    }

    @Test func idempotent() throws {
        let source = "x {\n\n\n  a=1\n  bb = [\n  1,\n  2,\n  ]\n}\n\n\n\ny = 2"
        let once = try formatted(source)
        #expect(try formatted(once) == once)
        #expect(!once.contains("\n\n\n"))
        #expect(once.hasSuffix("2\n"))
    }

    @Test func terraformRewrites() {
        let source = "variable \"v\" {\n  type = \"list\"\n}\na = \"${var.x}\"\nb = \"${f(\n1)}\"\nc = \"x${y}\"\n"
        let file = HCLParser.parse(source).file
        let text = String(decoding: Formatter.format(file, terraform: true), as: UTF8.self)
        #expect(text == "variable \"v\" {\n  type = list(string)\n}\na = var.x\nb = (f(\n1))\nc = \"x${y}\"\n")
        #expect(String(decoding: Formatter.format(file), as: UTF8.self).contains("\"${var.x}\""))
    }

    @Test func refusesInvalidInput() {
        guard case .failure(let error) = Formatter.format("a = [\n") else {
            Issue.record("formatted invalid input")
            return
        }
        #expect(error.diagnostics.hasErrors)
    }
}
