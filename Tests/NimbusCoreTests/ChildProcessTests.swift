import Foundation
import NimbusCore
import Testing

@Suite("Child processes")
struct ChildProcessTests {
    static let shell = URL(fileURLWithPath: "/bin/sh")

    @Test("status, output, errors, input, environment and directory all reach the child")
    func roundTrip() async throws {
        let directory = FileManager.default.temporaryDirectory.resolvingSymlinksInPath()
        let result = try await ChildProcess.run(
            Self.shell, ["-c", #"cat; echo "[$GREETING]"; pwd; echo oops >&2; exit 3"#],
            environment: ["GREETING": "hello", "PATH": "/usr/bin:/bin"], directory: directory,
            input: Data("from stdin\n".utf8))
        #expect(result.status == 3)
        #expect(result.outputText == "from stdin\n[hello]\n\(directory.path)\n")
        #expect(result.errorText == "oops\n")
    }

    @Test("a child that writes far more than a pipe holds finishes")
    func largeOutput() async throws {
        let result = try await ChildProcess.run(Self.shell, ["-c", "head -c 3000000 /dev/zero"])
        #expect(result.status == 0)
        #expect(result.output.count == 3_000_000)
    }

    @Test("a program that cannot start gives an error naming it")
    func missingProgram() async throws {
        await #expect {
            _ = try await ChildProcess.run(URL(fileURLWithPath: "/nonexistent/nimbus-tool"), [])
        } throws: { "\($0)".contains("/nonexistent/nimbus-tool") }
    }

    @Test("cancelling the task terminates the child")
    func cancellation() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(SortableID().rawValue)")
        defer { try? FileManager.default.removeItem(at: marker) }
        let task = Task {
            try await ChildProcess.run(Self.shell, ["-c", "touch '\(marker.path)'; exec sleep 600"])
        }
        while !FileManager.default.fileExists(atPath: marker.path) { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        let result = try await task.value
        #expect(result.status == SIGTERM, "the child ended by SIGTERM, long before its 600 s")
    }

    @Test("a child that ignores SIGTERM is killed after the grace period")
    func cancellationOfAStubbornChild() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(SortableID().rawValue)")
        defer { try? FileManager.default.removeItem(at: marker) }
        let task = Task {
            try await ChildProcess.run(Self.shell, ["-c", "trap '' TERM; touch '\(marker.path)'; exec sleep 600"])
        }
        while !FileManager.default.fileExists(atPath: marker.path) { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        let result = try await task.value
        #expect(result.status == SIGKILL, "SIGTERM was ignored; SIGKILL ended it, long before its 600 s")
    }
}
