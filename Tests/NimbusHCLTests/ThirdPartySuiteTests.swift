import Foundation
import NimbusHCL
import Testing

/// hcl-rs's spec suite and test data, and tree-sitter-hcl's corpus: valid inputs parse (and evaluate to the
/// expected result where the suite gives one); invalid ones give a diagnostic.
@Suite(.enabled(if: Conformance.available, Comment(rawValue: Conformance.missing)))
struct ThirdPartySuiteTests {
    // MARK: - hcl-rs

    static let hclRSCases = Conformance.files(under: "hcl-rs/specsuite/tests", extensions: [".t"]).map {
        String($0.dropLast(2))
    }

    /// Where hcl-rs and Terraform disagree, we follow Terraform.
    static let hclRSDifferences: [String: String] = [
        "hcl-rs/specsuite/tests/expressions/operators":
            "arithmetic.mod_frac: hcl-rs computes 11 % 5.1 with 64-bit floats (0.8000000000000007); Terraform uses "
            + "512-bit floats (0.8000…0024, HashiCorp's suite checks it), and so do we; every other value matches"
    ]

    /// The body as hcl-rs's test harness sees it: attributes evaluated, blocks nested by type and labels.
    static func decode(_ body: Body, _ evaluator: Evaluator) throws -> Value {
        var members: [String: Value] = [:]
        for attribute in body.attributes { members[attribute.name] = try evaluator.evaluate(attribute.value) }
        for block in body.blocks {
            var value = try decode(block.body, evaluator)
            for label in block.labels.reversed() { value = .object([label: value]) }
            if let existing = members[block.type], case .object(let old) = existing, case .object(let new) = value,
                !block.labels.isEmpty
            {
                members[block.type] = .object(old.merging(new) { $1 })
            } else {
                members[block.type] = value
            }
        }
        return .object(members)
    }

    /// Numbers compared as hcl-rs stores them, 64-bit floats.
    static func sameAsDoubles(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x.doubleValue == y.doubleValue
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { sameAsDoubles(value, $0) } ?? false }
        case (.tuple(let x), .tuple(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { sameAsDoubles($0, $1) }
        default: return a == b
        }
    }

    static func runHCLRS(_ name: String, allowDifferences: Bool) throws -> String? {
        let expectations = HCLParser.parse(Conformance.text(name + ".t"), filename: name + ".t").file.body
        var variables: [String: Value] = [:]
        let specPath = name + ".hcldec"
        if FileManager.default.fileExists(atPath: Conformance.hcl.appendingPathComponent(specPath).path) {
            for block in HCLParser.parse(Conformance.text(specPath)).file.body.blocks("variables") {
                for attribute in block.body.attributes {
                    variables[attribute.name] = try Evaluator().evaluate(attribute.value)
                }
            }
        }
        let (file, diagnostics) = HCLParser.parse(Conformance.bytes(name + ".hcl"), filename: name)
        if let expected = expectations.blocks("diagnostics").first {
            guard case .template(let template)? = expected.body.attribute("error")?.value.kind,
                let message = template.literalValue
            else { return "no expected error" }
            let numbers = message.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            guard numbers.count >= 2 else { return "cannot read the expected position from \(message)" }
            let found = diagnostics.contains {
                $0.severity == .error && $0.range.start.line == numbers[0] && $0.range.start.column == numbers[1]
            }
            return found ? nil : "no error at \(numbers[0]):\(numbers[1]); got \(diagnostics.map(\.description))"
        }
        guard !diagnostics.hasErrors else { return "unexpected errors: \(errors(diagnostics))" }
        guard let resultExpression = expectations.attribute("result")?.value else { return nil }
        let want = try Evaluator().evaluate(resultExpression)
        let got = try decode(file.body, Evaluator(variables: variables))
        if sameAsDoubles(want, got) { return nil }
        if allowDifferences, hclRSDifferences[name] != nil {
            // Only the documented value may differ.
            guard case .object(var wantMembers) = want, case .object(var gotMembers) = got,
                case .object(var wantArithmetic)? = wantMembers["arithmetic"],
                case .object(var gotArithmetic)? = gotMembers["arithmetic"]
            else { return "want \(want)\n got \(got)" }
            wantArithmetic["mod_frac"] = nil
            gotArithmetic["mod_frac"] = nil
            wantMembers["arithmetic"] = .object(wantArithmetic)
            gotMembers["arithmetic"] = .object(gotArithmetic)
            return sameAsDoubles(.object(wantMembers), .object(gotMembers)) ? nil : "want \(want)\n got \(got)"
        }
        return "want \(want)\n got \(got)"
    }

    @Test("hcl-rs spec suite", arguments: hclRSCases)
    func hclRS(_ name: String) throws {
        if let problem = try Self.runHCLRS(name, allowDifferences: true) { Issue.record(Comment(rawValue: problem)) }
    }

    @Test(
        "hcl-rs test data parses and round-trips",
        arguments: Conformance.files(under: "hcl-rs/testdata", extensions: [".tf"]))
    func hclRSData(_ name: String) throws {
        let (file, diagnostics) = HCLParser.parse(Conformance.bytes(name), filename: name)
        #expect(!diagnostics.hasErrors, "\(errors(diagnostics))")
        try checkRoundTrips(file)
    }

    @Test func hclRSSummary() throws {
        var passed = 0
        for name in Self.hclRSCases where (try? Self.runHCLRS(name, allowDifferences: false)) == .some(nil) {
            passed += 1
        }
        let data = Conformance.files(under: "hcl-rs/testdata", extensions: [".tf"])
        let parsed = data.filter { !HCLParser.parse(Conformance.bytes($0)).diagnostics.hasErrors }.count
        report(
            "hcl-rs specsuite", passed: passed, total: Self.hclRSCases.count,
            skipped: Self.hclRSDifferences.map { "\($0.key): \($0.value)" })
        report("hcl-rs testdata", passed: parsed, total: data.count)
        #expect(passed == Self.hclRSCases.count - Self.hclRSDifferences.count)
        #expect(parsed == data.count)
    }

    // MARK: - tree-sitter-hcl

    struct CorpusCase: CustomTestStringConvertible, Sendable {
        var file: String
        var title: String
        var input: String
        var testDescription: String { "\(file): \(title)" }
    }

    static let corpus: [CorpusCase] = Conformance.files(under: "tree-sitter-hcl/test/corpus", extensions: [".txt"])
        .flatMap { file -> [CorpusCase] in
            let lines = Conformance.text(file).components(separatedBy: "\n")
            var cases: [CorpusCase] = []
            var index = 0
            while index < lines.count {
                guard lines[index].hasPrefix("====="), index + 2 < lines.count else {
                    index += 1
                    continue
                }
                let title = lines[index + 1]
                index += 3
                var input: [String] = []
                while index < lines.count, !lines[index].hasPrefix("-----") {
                    input.append(lines[index])
                    index += 1
                }
                while index < lines.count, !lines[index].hasPrefix("=====") { index += 1 }
                let text = input.joined(separator: "\n").trimmingCharacters(in: .newlines) + "\n"
                cases.append(CorpusCase(file: (file as NSString).lastPathComponent, title: title, input: text))
            }
            return cases
        }

    /// Inputs tree-sitter-hcl's grammar accepts that the HCL specification does not.
    static let invalidPerSpec: [String: String] = [
        "literals.txt: numeric literal hex 1": "HCL has no hexadecimal literals (0x314F)",
        "templates.txt: empty template interpolation": "an interpolation needs an expression (\"${}\")",
        "json.txt: top level object": "a JSON document, not native syntax; it loads through the JSON syntax instead",
    ]

    @Test("tree-sitter-hcl corpus", arguments: corpus)
    func treeSitter(_ example: CorpusCase) throws {
        let (file, diagnostics) = HCLParser.parse(example.input, filename: example.testDescription)
        if let reason = Self.invalidPerSpec[example.testDescription] {
            #expect(diagnostics.hasErrors, "expected a diagnostic: \(reason)")
            if example.file == "json.txt" {
                #expect(!TerraformJSON.parse(example.input).diagnostics.hasErrors)
            }
            return
        }
        #expect(!diagnostics.hasErrors, "\(errors(diagnostics))")
        if !diagnostics.hasErrors { try checkRoundTrips(file) }
    }

    @Test func treeSitterSummary() {
        var passed = 0
        for example in Self.corpus {
            let failed = HCLParser.parse(example.input).diagnostics.hasErrors
            if failed == (Self.invalidPerSpec[example.testDescription] != nil) { passed += 1 }
        }
        report(
            "tree-sitter-hcl corpus (valid parse, invalid diagnosed)", passed: passed, total: Self.corpus.count,
            skipped: [])
        #expect(passed == Self.corpus.count)
        #expect(Self.corpus.count == 102)
    }
}
