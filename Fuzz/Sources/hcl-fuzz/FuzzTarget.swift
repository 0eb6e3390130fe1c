import NimbusHCL

/// One libFuzzer input: parse it; when it is valid, every printer must give back the same tree, fmt must be
/// idempotent, and JSON conversion and evaluation must not crash. Any broken promise traps, which libFuzzer
/// reports as a crash and saves the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let (file, diagnostics) = HCLParser.parse(bytes, filename: "fuzz.hcl")
    for diagnostic in diagnostics {
        precondition(diagnostic.range.start.byte <= bytes.count && diagnostic.range.end.byte <= bytes.count)
    }
    _ = HCLParser.parseExpression(String(decoding: bytes, as: UTF8.self))
    _ = HCLParser.parseTemplate(String(decoding: bytes, as: UTF8.self))
    guard !diagnostics.hasErrors else { return 0 }

    let formatted = Formatter.format(file)
    let (reparsed, again) = HCLParser.parse(formatted)
    precondition(!again.hasErrors, "formatted output does not parse")
    precondition(reparsed.body == file.body, "formatting changed the tree")
    precondition(Formatter.format(reparsed) == formatted, "fmt is not idempotent")

    let terraform = Formatter.format(file, terraform: true)
    let (fromTerraform, terraformDiagnostics) = HCLParser.parse(terraform)
    precondition(!terraformDiagnostics.hasErrors, "terraform-style output does not parse")
    precondition(fromTerraform.body == Formatter.terraformNormalized(file), "terraform-style fmt changed the tree")
    precondition(Formatter.format(fromTerraform, terraform: true) == terraform, "terraform-style fmt not idempotent")

    let printed = Printer.print(file.body)
    let (fromPrinted, printedDiagnostics) = HCLParser.parse(printed)
    precondition(!printedDiagnostics.hasErrors, "printed tree does not parse")
    precondition(fromPrinted.body == file.body, "parse(print(ast)) != ast")

    let json = TerraformJSON.document(from: file.body).text()
    _ = TerraformJSON.parse(json)
    let evaluator = Evaluator(unknownForUndefined: true)
    for attribute in file.body.attributes { _ = try? evaluator.evaluate(attribute.value) }
    _ = Module(files: ["fuzz.tf"], configFiles: [file]).check()
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's entry point as `<module>_main`; handing control to libFuzzer's driver from
/// there avoids a second `main`.
@_cdecl("hcl_fuzz_main")
public func fuzzerMain(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in fuzz(data, size) }
}
