import ArgumentParser
import Foundation
import NimbusCore
import NimbusHCL
import NimbusModules

struct HCLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hcl",
        abstract: "Format, check and convert Terraform and HCL files.",
        subcommands: [Format.self, Validate.self, ToJSON.self, Dump.self])

    struct Format: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fmt",
            abstract: "Rewrite .tf, .tfvars and .hcl files in the canonical terraform fmt style.",
            discussion: """
                Like terraform fmt, .tf and .tfvars files also lose the quotes around interpolation-only values
                ("${var.x}" becomes var.x) and around legacy variable types ("string" becomes string). Directories are formatted file by file (add --recursive for their subdirectories). With --check,
                nothing is written: files that would change are listed and the exit code is 1. Files with syntax
                errors are never rewritten; their errors are printed as file:line:column.
                """)

        @Flag(help: "List files that are not formatted, change nothing, exit 1 if there are any.")
        var check = false

        @Flag(help: "Also format files in subdirectories.")
        var recursive = false

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        @Argument(help: "Files or directories (default: the current directory).")
        var paths: [String] = []

        func run() async throws {
            var files: [String] = []
            for path in paths.isEmpty ? ["."] : paths {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                    files += SourceFiles.configurationFiles(
                        in: path, extensions: [".tf", ".tfvars", ".hcl"], recursive: recursive)
                } else {
                    files.append(path)
                }
            }
            var changed: [String] = []
            var diagnostics: [Diagnostic] = []
            var failures: [String] = []
            for file in files {
                do {
                    let (parsed, problems) = try SourceFiles.parse(path: file)
                    if problems.hasErrors {
                        diagnostics += problems
                        continue
                    }
                    let terraform = file.hasSuffix(".tf") || file.hasSuffix(".tfvars")
                    let formatted = Formatter.format(parsed, terraform: terraform)
                    guard formatted != parsed.source else { continue }
                    changed.append(file)
                    if !check { try Data(formatted).write(to: URL(fileURLWithPath: file)) }
                } catch let error as HCLError {
                    failures.append(error.message)
                } catch {
                    failures.append("\(file): \(error)")
                }
            }
            switch output {
            case .json:
                Console.out(
                    JSONValue.object([
                        "checked": .int(files.count),
                        (check ? "unformatted" : "formatted"): .array(changed.map { .string($0) }),
                        "diagnostics": .array(diagnostics.map(\.jsonValue)),
                        "errors": .array(failures.map { .string($0) }),
                    ]).prettyJSONText)
            case .text:
                for file in changed { Console.out(file) }
                for diagnostic in diagnostics { Console.progress(diagnostic.description) }
                for failure in failures { Console.progress("error: \(failure)") }
            }
            if !diagnostics.isEmpty || !failures.isEmpty || (check && !changed.isEmpty) { throw ExitCode(1) }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a Terraform module directory, or one file of it: syntax, references, types, descriptions.",
            discussion: """
                Loads every .tf and .tf.json file of DIR as one module and reports undefined references, unused
                variables, duplicate names, invalid type constraints and defaults, variables and outputs without
                descriptions or types, and a missing versions.tf. Given a FILE, checks it as part of the module in
                its directory (as Terraform reads it, so references to the other files resolve) and reports only
                the FILE's problems. Errors make the exit code 1; warnings do not.
                """)

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        @Argument(help: "The module directory, or one .tf or .tf.json file.")
        var directory: String = "."

        func run() async throws {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory)
            // A file is checked within its module; only its own problems are reported.
            let file: String? = exists && !isDirectory.boolValue ? directory : nil
            if let file, !file.hasSuffix(".tf"), !file.hasSuffix(".tf.json") {
                throw CommandProblem.invalidInput(
                    "\(file) is not a Terraform file (.tf or .tf.json)",
                    hint: "`nimbus hcl fmt --check` checks the syntax of other HCL files")
            }
            if !exists { throw CommandProblem.notFound("\(directory): no such file or directory") }
            let folder = file.map { ($0 as NSString).deletingLastPathComponent } ?? directory
            let module = try Module.load(directory: folder.isEmpty ? "." : folder)
            var diagnostics = module.check()
            // An offline `terraform validate`: resource and data blocks against the AWS provider's schema.
            if !diagnostics.hasErrors, case .success(let schema) = ProviderSchema.aws {
                diagnostics += ProviderSchemaCheck.check(module.configFiles, schema: schema)
            }
            if let file {
                let path = URL(fileURLWithPath: file).standardizedFileURL.path
                diagnostics = diagnostics.filter { URL(fileURLWithPath: $0.filename).standardizedFileURL.path == path }
            }
            switch output {
            case .json:
                Console.out(
                    JSONValue.object([
                        (file == nil ? "directory" : "file"): .string(directory),
                        "valid": .bool(!diagnostics.hasErrors),
                        "files": .array((file.map { [$0] } ?? module.files).map { .string($0) }),
                        "diagnostics": .array(diagnostics.map(\.jsonValue)),
                    ]).prettyJSONText)
            case .text:
                for diagnostic in diagnostics { Console.out(diagnostic.description) }
                let errors = diagnostics.filter { $0.severity == .error }.count
                let warnings = diagnostics.count - errors
                let scope =
                    file == nil
                    ? "\(module.files.count) files, \(module.summary)"
                    : "checked with the \(module.files.count) files of its module"
                Console.out(
                    diagnostics.isEmpty
                        ? "\(directory): valid (\(scope))"
                        : "\(directory): \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")"
                )
            }
            if diagnostics.hasErrors { throw ExitCode(1) }
        }
    }

    struct ToJSON: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "json",
            abstract: "Convert a .tf file to Terraform's JSON syntax, or a .tf.json file back to HCL.")

        @Argument(help: "The file to convert.")
        var file: String

        @Option(
            help: "text prints the converted file as it is; json wraps it, with the diagnostics, in one JSON document.")
        var output: OutputFormat = .text

        func run() async throws {
            let (parsed, diagnostics) = try SourceFiles.parse(path: file)
            let converted =
                file.hasSuffix(".json")
                ? Printer.print(parsed.body) : TerraformJSON.document(from: parsed.body).text() + "\n"
            switch output {
            case .text:
                for diagnostic in diagnostics { Console.progress(diagnostic.description) }
                if diagnostics.hasErrors { throw ExitCode(1) }
                Console.outVerbatim(converted)
            case .json:
                Console.json([
                    "file": .string(file), "status": diagnostics.hasErrors ? "failed" : "converted",
                    "diagnostics": .array(diagnostics.map { .string($0.description) }),
                    "converted": diagnostics.hasErrors ? .null : .string(converted),
                ])
                if diagnostics.hasErrors { throw ExitCode(1) }
            }
        }
    }

    struct Dump: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the syntax tree of a file (for debugging the parser).", shouldDisplay: false)

        @Argument(help: "The file to read.")
        var file: String

        @Flag(help: "Print the tree of the formatted file instead.")
        var formatted = false

        @Flag(help: "Print the tree of the file printed from its tree instead.")
        var printed = false

        func run() async throws {
            var (parsed, diagnostics) = try SourceFiles.parse(path: file)
            if formatted { (parsed, diagnostics) = HCLParser.parse(Formatter.format(parsed), filename: file) }
            if printed { (parsed, diagnostics) = HCLParser.parse(Printer.print(parsed.body), filename: file) }
            for diagnostic in diagnostics { Console.progress(diagnostic.description) }
            Console.out(parsed.body.structure)
        }
    }
}
