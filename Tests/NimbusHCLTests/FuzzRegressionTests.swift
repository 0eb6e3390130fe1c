import NimbusHCL
import Testing

/// Inputs that once broke a promise (a crash, or a round trip that changed the tree), found by
/// scripts/fuzz-hcl.sh, the random builder test or the corpus; each must now parse without trapping and, when
/// valid, format and print back to the same tree.
@Suite struct FuzzRegressionTests {
    static let inputs: [String] = [
        // A heredoc's end marker followed by a comma when printed inside a multi-line tuple.
        "a = [ <<EOF\n  x\nEOF\n, 2]\n",
        // Strip markers next to heredoc lines: only the adjacent line token is stripped.
        "foo = <<EOF\n%{ for a in b ~}\n\nprefix-${a}\n\n%{~ endfor }\nEOF\n",
        "tpl6 = <<-EOF\n  %{ for a in f(b) ~}\n    (\"foo\")\n\n  %{~ if a ~}\"true\"%{~ else ~}\"false\"%{~ endif ~}%{ endfor ~}\n  EOF\n",
        // An empty heredoc, and one whose text ends with a directive.
        "a = <<EOF\nEOF\n",
        // A newline inside a string inside an interpolation (legacy), and escaped quotes there.
        "a = \"${sha1(\"\n  ${join(\" \", x)}\n\")}\"\n",
        "a = \"kms%{ if var.id != \\\"primary\\\" }-${var.id}%{ endif }\"\n",
        // Dollar and percent signs that are not sequences.
        "a = \"$$$\"\nb = \"%%\"\nc = \"$${x}\"\nd = \"\\\\\"\n",
        // Valid, but too large to evaluate, and chained splats.
        "a = 1e99999999\n",
        "a = b[*][*].c.*.d\n",
        // Broken input of every kind: must give diagnostics, never trap.
        "a = <<-EOF # not a heredoc\n  EOF\n",
        "a = \"${\n",
        "a = %{ if }\n",
        "\"${~}\"",
        "a = [for x in : ]\n",
        "a { b {\n",
        "}}}}",
        "a = x.0.0.b\n",
        "/* never closed",
        "a = \"\\u{d800}\\uD800\\U0011FFFF\"\n",
        "a = provider::\n",
    ]

    @Test(arguments: inputs)
    func regression(_ input: String) throws {
        let (file, diagnostics) = HCLParser.parse(input)
        for diagnostic in diagnostics {
            #expect(diagnostic.range.end.byte <= input.utf8.count)
        }
        if !diagnostics.hasErrors { try checkRoundTrips(file) }
        let evaluator = Evaluator(unknownForUndefined: true)
        for attribute in file.body.attributes { _ = try? evaluator.evaluate(attribute.value) }
    }

    @Test func brokenInputsAreDiagnosed() {
        for input in Self.inputs[9...] {
            #expect(HCLParser.parse(input).diagnostics.hasErrors, "\(input)")
        }
    }
}
