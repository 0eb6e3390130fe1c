import Foundation
import NimbusHCL
import Testing

/// HashiCorp's HCL spec suite: each `.hcl` is decoded with its `.hcldec` spec and must give the `.t` file's
/// result and type, or exactly its diagnostics (ranges matched to the byte).
@Suite(.enabled(if: Conformance.available, Comment(rawValue: Conformance.missing)))
struct SpecSuiteTests {
    static let cases: [String] = Conformance.files(under: "hashicorp-hcl-specsuite/tests", extensions: [".t"]).map {
        String($0.dropLast(2))
    }

    @Test("hashicorp spec suite", arguments: cases)
    func specCase(_ name: String) throws {
        if let problem = try Self.run(name, json: false) { Issue.record(Comment(rawValue: problem)) }
        if FileManager.default.fileExists(atPath: Conformance.hcl.appendingPathComponent(name + ".hcl.json").path),
            let problem = try Self.run(name, json: true)
        {
            Issue.record(Comment(rawValue: "JSON variant: " + problem))
        }
    }

    @Test func summary() throws {
        var passed = 0
        var total = 0
        for name in Self.cases {
            total += 1
            if (try? Self.run(name, json: false)) == .some(nil) { passed += 1 }
        }
        report("hashicorp/hcl specsuite", passed: passed, total: total)
        #expect(passed == total)
        #expect(total == 15)
    }

    /// `nil` when the case passes, otherwise what went wrong.
    static func run(_ name: String, json: Bool) throws -> String? {
        let expectations = HCLParser.parse(Conformance.text(name + ".t"), filename: name + ".t")
        guard !expectations.diagnostics.hasErrors else { return "the .t file does not parse" }
        let specFile = HCLParser.parse(Conformance.text(name + ".hcldec"), filename: name + ".hcldec")
        let spec = try HCLDecSpec(specFile.file.body)
        let input =
            json
            ? TerraformJSON.parse(Conformance.text(name + ".hcl.json"), filename: name + ".hcl.json")
            : HCLParser.parse(Conformance.bytes(name + ".hcl"), filename: name + ".hcl")
        var diagnostics = input.diagnostics.filter { $0.severity == .error }
        var result: Value?
        if diagnostics.isEmpty {
            result = spec.decode(input.file.body, diagnostics: &diagnostics)
        }
        let body = expectations.file.body
        if let expected = body.blocks("diagnostics").first {
            let want = expected.body.blocks("error").map { error -> String in
                func position(_ block: Block?) -> String {
                    func number(_ name: String) -> String {
                        guard case .number(let text)? = block?.body.attribute(name)?.value.kind else { return "?" }
                        return text
                    }
                    return "\(number("line")):\(number("column"))@\(number("byte"))"
                }
                return position(error.body.blocks("from").first) + "-" + position(error.body.blocks("to").first)
            }
            let got = diagnostics.map {
                "\($0.range.start.line):\($0.range.start.column)@\($0.range.start.byte)-"
                    + "\($0.range.end.line):\($0.range.end.column)@\($0.range.end.byte)"
            }
            if want.sorted() != got.sorted() {
                return "diagnostics differ: want \(want.sorted()), got \(got.sorted()) "
                    + diagnostics.map(\.description).joined(separator: "; ")
            }
            return nil
        }
        guard diagnostics.isEmpty, let result else {
            return "unexpected diagnostics: " + diagnostics.map(\.description).joined(separator: "; ")
        }
        var type = ValueType.any
        if let typeExpression = body.attribute("result_type")?.value {
            type = try ValueType.constraint(typeExpression).get()
            if case .object(let attributes, _) = type, attributes.isEmpty, body.attribute("result") == nil {
                return result.type == .object([:]) || result.isNull ? nil : "want an empty object, got \(result)"
            }
        }
        guard let resultExpression = body.attribute("result")?.value else { return nil }
        let want = try Evaluator().evaluate(resultExpression).converted(to: type)
        let got = try result.converted(to: type)
        return want == got ? nil : "want \(want)\n got \(got)"
    }
}
