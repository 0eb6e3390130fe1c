import Foundation
import NimbusCore
import NimbusGraph
import NimbusStore
import Testing

@testable import NimbusModules

/// Module runs that get a wrong answer, a directory with its own permissions or behind a link, or a request that is
/// partly not understood.
@Suite("nimbus module safety")
struct ModuleSafetyTests {
    // MARK: answers

    @Test("a wrong engine is refused, the question stays pending and a later good answer writes the module")
    func wrongAnswerKeepsTheQuestion() async throws {
        let scratch = try ModuleScratch()
        let paused = try await runModule(
            request: "a database module", outputDirectory: scratch.path("db"), environment: scratch.environment())
        #expect(paused.status == .interrupted)
        let engine = try interrupt("engine", in: paused)
        #expect(engine.accepts?.choices == ["postgres", "mysql"])
        let before = try #require(try await scratch.store.thread(paused.threadID))

        for _ in 0..<3 {
            let error = await #expect(throws: GraphError.self) {
                try await scratch.resume(paused, answers: [engine.id: "redis"])
            }
            #expect(error?.kind == .refusedAnswer)
            #expect(error?.message.contains("'redis' is not an answer to 'engine'") == true)
            #expect(error?.message.contains("postgres, mysql") == true)
            let after = try #require(try await scratch.store.thread(paused.threadID))
            #expect(after.status == .interrupted && after.interrupts == before.interrupts)
            #expect(after.checkpointID == before.checkpointID)
        }
        #expect(!scratch.exists("db"))

        let done = try await scratch.resume(paused, answers: [engine.id: "postgresql"])
        #expect(done.status == .completed)
        #expect(try scratch.read("db/main.tf").contains("engine"))
        #expect(try scratch.read("db/main.tf").contains("postgres"))
    }

    @Test("an unclear answer to the overwrite question is refused, not read as no")
    func unclearOverwrite() async throws {
        let scratch = try ModuleScratch()
        let directory = scratch.path("m")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "# mine\n".write(toFile: directory + "/main.tf", atomically: true, encoding: .utf8)
        let paused = try await runModule(
            request: "s3 bucket", outputDirectory: directory, environment: scratch.environment())
        let overwrite = try interrupt("overwrite", in: paused)
        await #expect(throws: GraphError.self) { try await scratch.resume(paused, answers: [overwrite.id: "maybe"]) }
        #expect(try await scratch.store.thread(paused.threadID)?.status == .interrupted)
        #expect(try scratch.read("m/main.tf") == "# mine\n")
        let done = try await scratch.resume(paused, answers: [overwrite.id: "yes"])
        #expect(done.written != nil)
    }

    // MARK: permissions and links

    func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber).intValue
    }

    let module = [
        ModuleFile(path: "main.tf", contents: "resource \"aws_s3_bucket\" \"this\" {}\n"),
        ModuleFile(path: "examples/complete/main.tf", contents: "module \"m\" {\n  source = \"../..\"\n}\n"),
    ]

    @Test("a 0700 module directory stays 0700, and replaced files and folders keep their modes")
    func keepsModes() throws {
        let scratch = try ModuleScratch()
        let directory = scratch.path("private")
        _ = try ModuleWriter().write(module, to: directory)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: directory + "/main.tf")
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory + "/examples")
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)

        let result = try ModuleWriter().write(module, to: directory)
        #expect(result.backup != nil)
        #expect(try mode(directory) == 0o700)
        #expect(try mode(directory + "/main.tf") == 0o600)
        #expect(try mode(directory + "/examples") == 0o700)
        #expect(try mode(directory + "/\(result.backup!)/main.tf") == 0o600, "the backup keeps the mode too")
        // A file the previous module did not have gets the usual mode.
        #expect(try mode(directory + "/examples/complete/main.tf") & 0o600 == 0o600)
    }

    @Test("--out as a symbolic link: the module goes into the link's target, the link stays, the result says so")
    func writesThroughALink() throws {
        let scratch = try ModuleScratch()
        let real = scratch.path("real")
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        try "# old\n".write(toFile: real + "/main.tf", atomically: true, encoding: .utf8)
        let link = scratch.path("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real")

        let result = try ModuleWriter().write(module, to: link)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "real", "the link was replaced")
        #expect(result.directory == URL(fileURLWithPath: real).standardizedFileURL.path)
        #expect(result.link == URL(fileURLWithPath: link).standardizedFileURL.path)
        #expect(try scratch.read("real/main.tf").contains("aws_s3_bucket"))
        #expect(try scratch.read("real/\(try #require(result.backup))/main.tf") == "# old\n")

        // A link to a directory that does not exist yet: the directory is made where the link points.
        let dangling = scratch.path("dangling")
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: scratch.path("later"))
        let second = try ModuleWriter().write(module, to: dangling)
        #expect(second.link != nil)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dangling) == scratch.path("later"))
        #expect(scratch.exists("later/main.tf"))

        let loop = scratch.path("loop")
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: "loop")
        #expect(throws: ModuleWriteError.self) { try ModuleWriter().write(module, to: loop) }
    }

    @Test("the workflow's summary names the link it wrote through")
    func summaryNamesTheLink() async throws {
        let scratch = try ModuleScratch()
        try FileManager.default.createDirectory(atPath: scratch.path("target"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: scratch.path("out"), withDestinationPath: "target")
        let done = try await runModule(
            request: "s3 bucket", outputDirectory: scratch.path("out"), environment: scratch.environment())
        #expect(done.status == .completed)
        #expect(done.summary.contains("through the symbolic link") == true)
        #expect(scratch.exists("target/main.tf"))
    }

    // MARK: words not understood

    @Test("words nobody understood are asked about; no stops the run and writes nothing")
    func unknownWordsAsked() async throws {
        let scratch = try ModuleScratch()
        let options = ModuleWorkflow.Options(askAboutUnknownWords: true)
        let paused = try await runModule(
            request: "s3 bucket with quantum sharding", outputDirectory: scratch.path("m"), options: options,
            environment: scratch.environment())
        #expect(paused.status == .interrupted)
        let question = try interrupt("unknown_words", in: paused)
        #expect(question.value["question"]?.stringValue?.contains("\"quantum sharding\"") == true)
        #expect(question.accepts == .yesOrNo)
        await #expect(throws: GraphError.self) { try await scratch.resume(paused, answers: [question.id: "perhaps"]) }

        let error = await #expect(throws: (any Error).self) {
            try await scratch.resume(paused, answers: [question.id: "no"])
        }
        let cause = try #require(error.map { GraphError.rootCause(of: $0) } as? ModuleRequestError)
        #expect(cause.message.contains("quantum sharding"))
        #expect(cause.suggestion?.contains("nimbus module catalog s3") == true)
        #expect(!scratch.exists("m"))
    }

    @Test("yes writes the module without them; an answer up front does not ask")
    func unknownWordsAccepted() async throws {
        let scratch = try ModuleScratch()
        let paused = try await runModule(
            request: "s3 bucket with quantum sharding", outputDirectory: scratch.path("m"),
            options: ModuleWorkflow.Options(askAboutUnknownWords: true), environment: scratch.environment())
        let done = try await scratch.resume(paused, answers: [try interrupt("unknown_words", in: paused).id: "yes"])
        #expect(done.status == .completed)
        #expect(scratch.exists("m/main.tf"))

        let upFront = try await runModule(
            request: "s3 bucket with quantum sharding", outputDirectory: scratch.path("n"),
            options: ModuleWorkflow.Options(answers: ["unknown_words": "yes"], askAboutUnknownWords: true),
            environment: scratch.environment())
        #expect(upFront.status == .completed)
        #expect(try scratch.read("n/main.tf") == scratch.read("m/main.tf"))
    }

    @Test("a fully understood request asks nothing more and writes the same module byte for byte")
    func understoodRequestsUnchanged() async throws {
        let scratch = try ModuleScratch()
        let request = "enterprise S3 bucket with versioning, KMS encryption and access logging"
        let plain = try await runModule(
            request: request, outputDirectory: scratch.path("a"), environment: scratch.environment())
        let asking = try await runModule(
            request: request, outputDirectory: scratch.path("b"),
            options: ModuleWorkflow.Options(askAboutUnknownWords: true), environment: scratch.environment())
        #expect(plain.status == .completed && asking.status == .completed)
        let files = ModuleWriter.files(under: scratch.root.appendingPathComponent("a"))
        #expect(files.count >= 10)
        for file in files {
            #expect(try scratch.read("a/\(file)") == scratch.read("b/\(file)"), "\(file) differs")
        }
    }
}
