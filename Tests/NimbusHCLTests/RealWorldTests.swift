import Foundation
import NimbusHCL
import Testing

/// 1,884 real Terraform and HCL files; the 1,846 that python-hcl2 accepts must parse, convert to JSON, format
/// idempotently and print back to an equal tree.
@Suite(.enabled(if: Conformance.available, Comment(rawValue: Conformance.missing)))
struct RealWorldTests {
    /// Files python-hcl2 accepts that HashiCorp's parser rejects, and so do we (see docs/hcl.md).
    static let rejectedByHCL: [String: String] = [
        "real_world_stuff/oracle/oracle%terraform-ceph-installer%modules%ceph-monitor%variables.tf":
            "a single-line block `{ type = \"list\"` continued on the next lines (the spec suite's "
            + "single_oneline_invalid case)",
        "real_world_stuff/oracle/oracle%terraform-kubernetes-installer%identity%cloud_controller_user.tf":
            "two arguments on one line: `algorithm = \"RSA\" rsa_bits = 2048`",
        "real_world_stuff/oracle/oracle%terraform-kubernetes-installer%identity%flexvolume_user.tf":
            "two arguments on one line: `algorithm = \"RSA\" rsa_bits = 2048`",
        "real_world_stuff/oracle/oracle%terraform-kubernetes-installer%identity%volume_provisioner_user.tf":
            "two arguments on one line: `algorithm = \"RSA\" rsa_bits = 2048`",
    ]

    static let accepted = Conformance.realWorldAccepted.filter { rejectedByHCL[$0] == nil }

    @Test("parses, converts, formats idempotently, prints back", arguments: accepted)
    func realFile(_ name: String) throws {
        let bytes = Conformance.bytes("real-world/" + name)
        let (file, diagnostics) = HCLParser.parse(bytes, filename: name)
        #expect(!diagnostics.hasErrors, "\(errors(diagnostics))")
        guard !diagnostics.hasErrors else { return }
        try checkRoundTrips(file)
    }

    @Test("files HashiCorp's parser rejects get a diagnostic naming the line", arguments: rejectedByHCL.keys.sorted())
    func rejected(_ name: String) {
        let (_, diagnostics) = HCLParser.parse(Conformance.bytes("real-world/" + name), filename: name)
        #expect(diagnostics.hasErrors)
        #expect(diagnostics.allSatisfy { $0.range.start.line > 0 })
    }

    /// Module checks on every real .tf file (each alone, so references to other files are left out): no false
    /// errors from evaluation, types or structure. The only errors are arguments set twice, which Terraform
    /// rejects too.
    @Test func moduleChecksRaiseNoFalseErrors() {
        let crossFile: Set<String> = [
            "Reference to undeclared input variable", "Reference to undeclared local value",
            "Reference to undeclared resource", "Reference to undeclared module", "Reference to undeclared data source",
        ]
        var unexpected: [String] = []
        var redefined = 0
        for name in Self.accepted where name.hasSuffix(".tf") {
            let (file, diagnostics) = HCLParser.parse(Conformance.bytes("real-world/" + name), filename: name)
            guard !diagnostics.hasErrors else { continue }
            for problem in Module(files: [name], configFiles: [file]).check() where problem.severity == .error {
                if problem.summary == "Attribute redefined" {
                    redefined += 1
                } else if name.contains("%testdata%validate-bad-") {
                    // Terraform's own fixtures for `terraform validate` errors.
                    continue
                } else if !crossFile.contains(problem.summary) {
                    unexpected.append(problem.description)
                }
            }
        }
        #expect(unexpected.isEmpty, "\(unexpected.prefix(20))")
        #expect(redefined == 14)
    }

    @Test func summary() throws {
        let all = Conformance.realWorldAccepted
        var passed = 0
        for name in all {
            let (file, diagnostics) = HCLParser.parse(Conformance.bytes("real-world/" + name), filename: name)
            if !diagnostics.hasErrors, (try? checkRoundTrips(file)) != nil { passed += 1 }
        }
        report(
            "real-world (python-hcl2 accepts)", passed: passed, total: all.count,
            skipped: Self.rejectedByHCL.keys.sorted().map { "\($0): \(Self.rejectedByHCL[$0]!)" })
        #expect(passed == all.count - Self.rejectedByHCL.count)
        #expect(all.count == 1846)
    }
}

struct RoundTripFailure: Error, CustomStringConvertible {
    var description: String
}

/// fmt is idempotent and keeps the tree; printing the tree and parsing it gives the same tree; JSON works.
func checkRoundTrips(_ file: ConfigFile) throws {
    let formatted = Formatter.format(file)
    let (reparsed, diagnostics) = HCLParser.parse(formatted, filename: file.filename)
    guard !diagnostics.hasErrors else {
        throw RoundTripFailure(description: "formatted output does not parse: \(errors(diagnostics))")
    }
    guard reparsed.body == file.body else {
        throw RoundTripFailure(description: "formatting changed the tree of \(file.filename)")
    }
    let again = Formatter.format(reparsed)
    guard again == formatted else {
        throw RoundTripFailure(description: "fmt is not idempotent on \(file.filename)")
    }
    let printed = Printer.print(file.body)
    let (fromPrinted, printedDiagnostics) = HCLParser.parse(printed, filename: file.filename)
    guard !printedDiagnostics.hasErrors else {
        throw RoundTripFailure(description: "printed tree does not parse: \(errors(printedDiagnostics))\n\(printed)")
    }
    guard fromPrinted.body == file.body else {
        throw RoundTripFailure(
            description: "parse(print(ast)) != ast for \(file.filename)\n--- printed\n\(printed)\n--- want\n"
                + file.body.structure + "--- got\n" + fromPrinted.body.structure)
    }
    _ = TerraformJSON.document(from: file.body).text()
    // terraform fmt's rewrites: idempotent, and the tree is the original with the same rewrites.
    let terraform = Formatter.format(file, terraform: true)
    let (fromTerraform, terraformDiagnostics) = HCLParser.parse(terraform, filename: file.filename)
    guard !terraformDiagnostics.hasErrors else {
        throw RoundTripFailure(description: "terraform-style output does not parse: \(errors(terraformDiagnostics))")
    }
    guard fromTerraform.body == Formatter.terraformNormalized(file) else {
        throw RoundTripFailure(
            description: "terraform-style formatting changed more than it should in \(file.filename)\n"
                + String(decoding: terraform, as: UTF8.self))
    }
    guard Formatter.format(fromTerraform, terraform: true) == terraform else {
        throw RoundTripFailure(description: "terraform-style fmt is not idempotent on \(file.filename)")
    }
}
