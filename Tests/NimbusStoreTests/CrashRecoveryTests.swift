import Foundation
import NimbusCore
import NimbusTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Kills a child process running a checkpointed graph with SIGKILL at many points (inside nodes, between steps,
/// inside the store's write transactions), resumes it, and checks that it ends exactly like an uninterrupted run and
/// that every recorded side effect happened exactly once: with the checkpoints in SQLite and in PostgreSQL.
@Suite("Crash recovery", .serialized)
struct CrashRecoveryTests {
    static let points = [
        "save#1.before", "save#1.mid", "plan.start", "saveWrites#1.mid", "plan.after-effect", "save#2.mid",
        "save#2.after", "work1.before-effect", "work2.after-effect", "work3.after-effect", "saveWrites#5.mid",
        "saveWrites#9.after", "saveWrites#11.before", "save#3.mid", "merge.start", "merge.after-effect",
        "save#4.after", "refine2.before-effect", "refine3.after-effect", "save#7.mid", "finish.start",
        "saveWrites#21.mid", "save#8.mid",
    ]

    struct Run {
        let finalState: String
        let effects: [String]
    }

    static var harness: URL {
        if let custom = ProcessInfo.processInfo.environment["NIMBUS_CRASH_HARNESS"] {
            return URL(fileURLWithPath: custom)
        }
        // Test bundles and executables are built into the same directory.
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        while !directory.path.hasSuffix("/debug") && !directory.path.hasSuffix("/release") && directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("GraphCrashHarness")
    }

    /// Runs the harness; with `crashAt`, waits for it to reach the point, then kills it with SIGKILL.
    static func runHarness(in directory: URL, store: String?, crashAt: String?) async throws -> String {
        let process = Process()
        process.executableURL = harness
        var arguments = [
            "--db", store ?? directory.appendingPathComponent("graph.sqlite").path,
            "--log", directory.appendingPathComponent("effects.log").path, "--thread", "ledger",
        ]
        if let crashAt { arguments += ["--crash-at", crashAt] }
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let handle = output.fileHandleForReading
        let text: String = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var collected = Data()
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    collected.append(chunk)
                    if let crashAt, String(decoding: collected, as: UTF8.self).contains("CRASH-POINT \(crashAt)\n") {
                        kill(process.processIdentifier, SIGKILL)
                    }
                }
                continuation.resume(returning: String(decoding: collected, as: UTF8.self))
            }
        }
        process.waitUntilExit()
        if let crashAt {
            #expect(text.contains("CRASH-POINT \(crashAt)"), "the run never reached \(crashAt)")
            #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
        } else {
            #expect(process.terminationStatus == 0, "harness failed: \(text)")
        }
        return text
    }

    static func finish(in directory: URL, store: String?) async throws -> Run {
        let text = try await runHarness(in: directory, store: store, crashAt: nil)
        let line = text.split(separator: "\n").first { $0.hasPrefix("FINAL ") }.map { String($0.dropFirst(6)) } ?? ""
        let log = (try? String(contentsOf: directory.appendingPathComponent("effects.log"), encoding: .utf8)) ?? ""
        return Run(finalState: line, effects: log.split(separator: "\n").map(String.init))
    }

    static func reference(_ engine: Engine = .sqlite) async throws -> Run {
        let directory = try TemporaryDirectory()
        return try await finish(in: directory.url, store: try database(engine))
    }

    /// A new PostgreSQL database for a PostgreSQL case; nil (a file in the case's folder) for SQLite.
    static func database(_ engine: Engine) throws -> String? {
        guard engine == .postgres else { return nil }
        return try PostgresTestServer.configured?.makeDatabase("nimbus_crash")
    }

    static var cases: [(Engine, String)] {
        Engine.available.flatMap { engine in points.map { (engine, $0) } }
    }

    @Test("the uninterrupted run performs each effect once", arguments: Engine.available)
    func uninterrupted(engine: Engine) async throws {
        let run = try await Self.reference(engine)
        #expect(run.finalState.contains("\"summary\":\"8 entries, total 14\""))
        #expect(run.effects.count == 9)
        #expect(Set(run.effects).count == 9)
    }

    @Test("killed with SIGKILL, resumed: same final state, every effect exactly once", arguments: cases)
    func killAndResume(engine: Engine, point: String) async throws {
        let reference = try await Self.reference()
        let directory = try TemporaryDirectory()
        let store = try Self.database(engine)
        _ = try await Self.runHarness(in: directory.url, store: store, crashAt: point)
        let resumed = try await Self.finish(in: directory.url, store: store)
        #expect(resumed.finalState == reference.finalState)
        #expect(resumed.effects.sorted() == reference.effects.sorted(), "effects after a kill at \(point)")
    }
}
