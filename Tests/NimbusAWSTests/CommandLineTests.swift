import Foundation
import NimbusAWS
import NimbusCore
import NimbusTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `nimbus` binary as a user runs it: `transfer` (including a SIGKILLed upload that resumes), `validate`,
/// `profiles`.
@Suite("nimbus AWS commands", .serialized)
struct CommandLineTests {
    static var binary: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        while !directory.path.hasSuffix("/debug") && !directory.path.hasSuffix("/release") && directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("nimbus")
    }

    /// A user's environment: only PATH, a home with no ~/.aws, a Nimbus home, and what the test adds.
    func environment(_ home: TemporaryDirectory, _ extra: [String: String]) -> [String: String] {
        var environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": home.url.path,
        ]
        environment["NIMBUS_HOME"] = home.path("nimbus-home")
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    func launch(_ arguments: [String], environment: [String: String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    func run(
        _ arguments: [String], environment: [String: String]
    ) async throws -> (status: Int32, out: String, err: String) {
        let result = try await ChildProcess.run(Self.binary, arguments, environment: environment)
        return (result.status, result.outputText, result.errorText)
    }

    @Test("AWS_ENDPOINT_URL=… nimbus transfer ./dir s3://bucket/prefix/ works for a new user")
    func newUserTransfer() async throws {
        let moto = try await MotoServer.shared()
        let aws = try motoClient(moto)
        let bucket = uniqueName("nimbus-cli")
        _ = try await aws.call("s3", "CreateBucket", ["Bucket": .string(bucket)])
        let home = try TemporaryDirectory()
        for index in 0..<5 {
            try FileManager.default.createDirectory(atPath: home.path("dir/sub"), withIntermediateDirectories: true)
            try Data("file \(index)".utf8).write(
                to: URL(fileURLWithPath: home.path(index < 3 ? "dir/f\(index).txt" : "dir/sub/f\(index).txt")))
        }
        // No credentials and no region: an emulator on this machine needs neither.
        let environment = environment(home, ["AWS_ENDPOINT_URL": moto.url.absoluteString])
        let dry = try await run(
            ["transfer", home.path("dir"), "s3://\(bucket)/prefix/", "--dry-run"], environment: environment)
        #expect(dry.status == 0, "\(dry.err)")
        #expect(dry.out.contains("(dry run) 5 files"))
        let result = try await run(
            ["transfer", home.path("dir"), "s3://\(bucket)/prefix/", "--yes"], environment: environment)
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("transferred 5 files"))
        #expect(result.err.contains("upload: ") && result.err.contains("[5/5]"))  // plain lines when not a terminal
        let listing = try await aws.call("s3", "ListObjectsV2", ["Bucket": .string(bucket), "Prefix": "prefix/"])
        #expect(listing["KeyCount"]?.intValue == 5)
        #expect(listing["Contents"]?.arrayValue?.contains { $0["Key"]?.stringValue == "prefix/sub/f4.txt" } == true)
    }

    @Test("A killed upload resumes where it stopped")
    func killedAndResumed() async throws {
        let moto = try await MotoServer.shared()
        let aws = try motoClient(moto)
        let bucket = uniqueName("nimbus-resume")
        _ = try await aws.call("s3", "CreateBucket", ["Bucket": .string(bucket)])
        let home = try TemporaryDirectory()
        let path = home.path("resume.bin")
        let digest = try writeRandomFile(path, size: 120 << 20)
        let environment = environment(home, moto.environment)
        let arguments = [
            "transfer", path, "s3://\(bucket)/resume.bin", "--concurrency", "1", "--part-size", "5", "--yes",
        ]
        let (process, _, _) = try launch(arguments, environment: environment)
        // Wait until some parts are recorded, then kill without warning.
        let states = URL(fileURLWithPath: home.path("nimbus-home/transfers"))
        var recorded = 0
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning {
            if let file = try? FileManager.default.contentsOfDirectory(at: states, includingPropertiesForKeys: nil)
                .first,
                let data = try? Data(contentsOf: file), let state = try? JSONValue(parsing: data)
            {
                recorded = state["parts"]?.objectValue?.count ?? state["parts"]?.arrayValue.map { $0.count / 2 } ?? 0
                if recorded >= 3 { break }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(process.isRunning, "the upload finished before it could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(recorded >= 3)

        let resumed = try await run(arguments + ["--log-level", "info"], environment: environment)
        #expect(resumed.status == 0, "\(resumed.err)")
        #expect(resumed.err.contains("resuming upload of"))
        #expect(resumed.out.contains("parts resumed"))
        // (A kill mid-save can leave Foundation's temporary file from an atomic write; only state files count.)
        let states2 = ((try? FileManager.default.contentsOfDirectory(atPath: states.path)) ?? []).filter {
            $0.hasSuffix(".json")
        }
        #expect(states2.isEmpty, "the state file is removed once the upload completes")

        let back = home.path("back.bin")
        let download = try await run(["transfer", "s3://\(bucket)/resume.bin", back], environment: environment)
        #expect(download.status == 0, "\(download.err)")
        #expect(try writeDigest(back) == digest)
    }

    @Test("nimbus validate prints the account and ARN; nimbus profiles lists where profiles come from")
    func validateAndProfiles() async throws {
        let moto = try await MotoServer.shared()
        let home = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: home.path(".aws"), withIntermediateDirectories: true)
        try Data(
            "[default]\naws_access_key_id = AKIADEFAULT00000000\naws_secret_access_key = cli-secret-never-printed\n[ops]\naws_access_key_id = AKIAOPS000000000000\naws_secret_access_key = ops-secret-never-printed\n"
                .utf8
        )
        .write(to: URL(fileURLWithPath: home.path(".aws/credentials")))
        try Data("[profile ops]\nregion = eu-central-1\n".utf8).write(
            to: URL(fileURLWithPath: home.path(".aws/config")))
        let environment = environment(home, ["AWS_ENDPOINT_URL": moto.url.absoluteString])
        let validate = try await run(["validate", "--profile", "ops"], environment: environment)
        #expect(validate.status == 0, "\(validate.err)")
        #expect(validate.out.contains("account      123456789012"))
        #expect(validate.out.contains("arn          arn:aws:"))
        #expect(validate.out.contains("eu-central-1 (profile ops)"))
        let profiles = try await run(["profiles", "--output", "json"], environment: environment)
        #expect(profiles.status == 0, "\(profiles.err)")
        let list = try JSONValue(parsing: profiles.out)
        #expect(list.arrayValue?.compactMap { $0["name"]?.stringValue } == ["default", "ops"])
        #expect(list[1]?["region"] == "eu-central-1")
        #expect(!profiles.out.contains("never-printed") && !validate.out.contains("never-printed"))
        let typo = try await run(["validate", "--profile", "opz"], environment: environment)
        #expect(typo.status != 0)
        #expect(typo.err.contains("there is no AWS profile named 'opz'") && typo.err.contains("did you mean 'ops'?"))
    }
}

func writeDigest(_ path: String) throws -> String { try digest(of: path) }
