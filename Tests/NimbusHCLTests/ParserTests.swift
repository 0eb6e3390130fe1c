import NimbusHCL
import Testing

@Suite struct ParserTests {
    func expression(_ source: String) -> String {
        let (expression, diagnostics) = HCLParser.parseExpression(source)
        #expect(!diagnostics.hasErrors, "\(source): \(errors(diagnostics))")
        return expression.structure
    }

    @Test(
        "operator precedence and associativity",
        arguments: [
            ("a + b * c", "(+ (var a) (* (var b) (var c)))"),
            ("a - b - c", "(- (- (var a) (var b)) (var c))"),
            ("x / y * z", "(* (/ (var x) (var y)) (var z))"),
            ("a || b && c == d < e + f", "(|| (var a) (&& (var b) (== (var c) (< (var d) (+ (var e) (var f))))))"),
            ("!a && -b.c", "(&& (! (var a)) (- (. (var b) c)))"),
            ("a ? b : c ? d : e", "(? (var a) (var b) (? (var c) (var d) (var e)))"),
            ("1.5e-3 + 2E+10", "(+ (num 1.5e-3) (num 2E+10))"),
        ])
    func precedence(_ source: String, _ expected: String) {
        #expect(expression(source) == expected)
    }

    @Test(
        "traversals, splats and calls",
        arguments: [
            ("a.b[0].c", "(. ([] (. (var a) b) (num 0)) c)"),
            ("list.0.name", "(. (.n (var list) 0) name)"),
            ("a.*.b.c[0]", "([] (.* (var a) .b .c) (num 0))"),
            ("a[*].b[0].c", "([*] (var a) .b [(num 0)] .c)"),
            ("f(a, b...)", "(call f (var a) (var b) ...)"),
            ("provider::time::rfc3339_parse(x)", "(call provider::time::rfc3339_parse (var x))"),
            ("[for i, v in xs : v if i < 2]", "(for i, v in (var xs) : (var v) if (< (var i) (num 2)))"),
            ("{for k, v in m : v => k...}", "(for k, v in (var m) : (var v) => (var k)...)"),
            (
                "{ a = 1, \"b\" = 2, (c) = 3 }",
                "(object ((var a) = (num 1)) ((tpl \"b\") = (num 2)) ((paren (var c)) = (num 3)))"
            ),
        ])
    func traversals(_ source: String, _ expected: String) {
        #expect(expression(source) == expected)
    }

    @Test(
        "templates: escapes, interpolation, directives, strip markers",
        arguments: [
            (#""a\n\t\"\\ \u00e9 $${x} %%{y}""#, #"(tpl "a\n\t\"\\ é ${x} %{y}")"#),
            (#""hello ${~ "world" }""#, #"(tpl "hello" ${~(tpl "world")})"#),
            (#""%{ if true ~} hello %{~ endif }""#, #"(tpl %{if true} "hello" %{endif})"#),
            (#""${"hello" ~}${" world"}""#, #"(tpl ${(tpl "hello")~} ${(tpl " world")})"#),
            (
                #""%{for k, v in m}${k}=${v};%{endfor}""#,
                #"(tpl %{for k, v in (var m)} ${(var k)} "=" ${(var v)} ";" %{endfor})"#
            ),
        ])
    func templates(_ source: String, _ expected: String) {
        #expect(expression(source) == expected)
    }

    @Test func heredocs() {
        let source = "a = <<EOT\n  x ${y}\nEOT\nb = <<-EOT\n    one\n      two\n    EOT\n"
        let (file, diagnostics) = HCLParser.parse(source)
        #expect(!diagnostics.hasErrors)
        #expect(file.body.attribute("a")?.value.structure == #"(heredoc "  x " ${(var y)} "\n")"#)
        #expect(file.body.attribute("b")?.value.structure == #"(heredoc- "one\n  two\n")"#)
    }

    @Test func commentsAreKeptOnItems() {
        let source = "# leading\n// second\na = 1 # trailing\n/* block */\nb {\n  c = 2\n  # end of block\n}\n"
        let (file, diagnostics) = HCLParser.parse(source)
        #expect(!diagnostics.hasErrors)
        let attribute = file.body.attributes[0]
        #expect(attribute.leadingComments == ["# leading", "// second"])
        #expect(attribute.trailingComment == "# trailing")
        #expect(file.body.blocks[0].leadingComments == ["/* block */"])
        #expect(file.body.blocks[0].body.trailingComments == ["# end of block"])
    }

    @Test func severalDiagnosticsWithPositions() {
        let source = "a = = 1\nb = [1 2]\nok = true\nc {\n  d = \n}\ne = \"unterminated\n"
        let (file, diagnostics) = HCLParser.parse(source, filename: "broken.tf")
        let lines = diagnostics.filter { $0.severity == .error }.map(\.range.start.line)
        #expect(lines == [1, 2, 5, 7], "\(diagnostics)")
        #expect(diagnostics[0].description.hasPrefix("broken.tf:1:5: error: Invalid expression"))
        #expect(diagnostics[1].range.start.byte == 15)
        // Parsing went on: the good attribute after the errors is there.
        #expect(file.body.attribute("ok") != nil)
    }

    @Test func nestingLimitStopsDeepInput() {
        let deep = "a = " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n"
        let (_, diagnostics) = HCLParser.parse(deep)
        #expect(diagnostics.contains { $0.summary == "Nesting too deep" })
        let parentheses = "a = " + String(repeating: "(", count: 5_000) + "1" + String(repeating: ")", count: 5_000)
        #expect(HCLParser.parse(parentheses).diagnostics.hasErrors)
        let unary = "a = " + String(repeating: "-", count: 100_000) + "1"
        #expect(HCLParser.parse(unary).diagnostics.contains { $0.summary == "Nesting too deep" })
        let templates = "a = " + String(repeating: "\"${", count: 3_000) + "1" + String(repeating: "}\"", count: 3_000)
        #expect(HCLParser.parse(templates).diagnostics.contains { $0.summary == "Nesting too deep" })
    }

    @Test func singleLineBlockRules() {
        #expect(!HCLParser.parse("a { b = 1 }\nc {}\n").diagnostics.hasErrors)
        let diagnostics = HCLParser.parse("a { b = 1, c = 2 }\n").diagnostics
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.detail.contains("Only one argument") == true)
    }

    @Test func legacyForms() {
        // Accepted with a warning: Terraform rejects them, older tools wrote them.
        let (file, diagnostics) = HCLParser.parse("provider \"aws\"\n{\n  region = \"${lookup(m, \\\"k\\\")}\"\n}\n")
        #expect(!diagnostics.hasErrors, "\(errors(diagnostics))")
        #expect(diagnostics.filter { $0.severity == .warning }.count == 2)
        #expect(
            file.body.blocks[0].body.attribute("region")?.value.structure
                == #"(tpl ${(call lookup (var m) (tpl "k"))})"#)
    }

    @Test func invalidUTF8IsReported() {
        let bytes: [UInt8] = Array("a = \"".utf8) + [0xFF, 0xFE] + Array("\"\n".utf8)
        #expect(HCLParser.parse(bytes).diagnostics.contains { $0.summary == "Invalid UTF-8" })
    }
}
