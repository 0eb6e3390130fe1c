import Foundation
import NimbusCore
import Testing

/// `nimbus hcl fmt|validate|json` as a user runs them.
@Suite("nimbus hcl")
struct HCLCommandTests {
    func directory(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nimbus-hcl-cli-\(SortableID().rawValue)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return directory
    }

    @Test func fmtChecksThenRewrites() async throws {
        let cli = try CLI()
        let folder = try directory(["main.tf": "resource \"a\" \"b\" {\nx=1\n  yy = 2\n}\n", "ok.tf": "a = 1\n"])
        let check = try await cli.run(["hcl", "fmt", "--check", folder.path])
        #expect(check.status == 1)
        #expect(check.out.contains("main.tf") && !check.out.contains("ok.tf"))
        let write = try await cli.run(["hcl", "fmt", folder.path])
        #expect(write.status == 0)
        let text = try String(contentsOf: folder.appendingPathComponent("main.tf"), encoding: .utf8)
        #expect(text == "resource \"a\" \"b\" {\n  x  = 1\n  yy = 2\n}\n")
        #expect(try await cli.run(["hcl", "fmt", "--check", folder.path]).status == 0)
    }

    @Test func fmtNamesTheLineOfASyntaxErrorAndKeepsTheFile() async throws {
        let cli = try CLI()
        let folder = try directory(["bad.tf": "a = [\n  1\n"])
        let result = try await cli.run(["hcl", "fmt", folder.path])
        #expect(result.status == 1)
        #expect(result.err.contains("bad.tf:1:5: error"), "\(result.err)")
        #expect(try String(contentsOf: folder.appendingPathComponent("bad.tf"), encoding: .utf8) == "a = [\n  1\n")
    }

    @Test func validateReportsAndExits() async throws {
        let cli = try CLI()
        let folder = try directory([
            "main.tf": "resource \"aws_s3_bucket\" \"b\" {\n  bucket = var.nme\n}\n",
            "variables.tf": "variable \"name\" {\n  description = \"Bucket name\"\n  type        = string\n}\n",
        ])
        let text = try await cli.run(["hcl", "validate", folder.path])
        #expect(text.status == 1)
        #expect(text.out.contains("main.tf:2:12: error: Reference to undeclared input variable"), "\(text.out)")
        #expect(text.out.contains("Did you mean \"var.name\"?"))
        let json = try await cli.run(["hcl", "validate", "--output", "json", folder.path])
        #expect(json.status == 1)
        let value = try JSONValue(parsing: json.out)
        #expect(value["valid"] == false)
        #expect(value["diagnostics"]?.arrayValue?.first?["range"]?["start"]?["line"] == 2)
    }

    @Test func jsonConvertsBothWays() async throws {
        let cli = try CLI()
        let folder = try directory([
            "main.tf": "resource \"a\" \"b\" {\n  n = 1\n  s = \"x-${var.y}\"\n  l = [true]\n}\n"
        ])
        let json = try await cli.run(["hcl", "json", folder.appendingPathComponent("main.tf").path])
        #expect(json.status == 0)
        let value = try JSONValue(parsing: json.out)
        #expect(value["resource"]?["a"]?["b"]?["s"] == "x-${var.y}")
        #expect(value["resource"]?["a"]?["b"]?["n"] == 1)
        try json.out.write(to: folder.appendingPathComponent("back.tf.json"), atomically: true, encoding: .utf8)
        let back = try await cli.run(["hcl", "json", folder.appendingPathComponent("back.tf.json").path])
        #expect(back.status == 0)
        #expect(back.out.contains("s = \"x-${var.y}\""), "\(back.out)")
    }
}
