public import Foundation

/// Runs a program to its end without holding a thread while it runs.
///
/// `Process.waitUntilExit()` and reading a pipe to its end both block the calling thread; called from async code they
/// take one of the few cooperative threads (two on a two-core machine) for as long as the child runs, and every other
/// task waits. Here the child writes to temporary files, reads its input from one, and its exit resumes a
/// continuation — so no thread waits, and a chatty child never stalls on a full pipe.
public enum ChildProcess {
    /// What a finished child left behind.
    public struct Result: Sendable {
        public let status: Int32
        public let output: Data
        public let errors: Data

        /// Standard output as text.
        public var outputText: String { String(decoding: output, as: UTF8.self) }
        /// Standard error as text.
        public var errorText: String { String(decoding: errors, as: UTF8.self) }
    }

    /// Runs `executable` with `arguments` and returns its exit status and output.
    ///
    /// - Parameters:
    ///   - environment: the child's whole environment; `nil` inherits this process's.
    ///   - directory: the working directory; `nil` keeps this process's.
    ///   - input: bytes for standard input; `nil` gives it /dev/null.
    /// - Throws: when the program cannot be started (the error names it), or the scratch files cannot be made.
    ///   Cancelling the task terminates the child: SIGTERM, then SIGKILL two seconds later if it is still running
    ///   (a child can ignore SIGTERM, or inherit it blocked: a child spawned from a libdispatch worker thread starts
    ///   with that thread's blocked signals). The result then has the signal as its status.
    public static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil,
        input: Data? = nil
    ) async throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nimbus-child-\(SortableID().rawValue)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out")
        let errURL = scratch.appendingPathComponent("err")
        let inURL = scratch.appendingPathComponent("in")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = out
        process.standardError = err
        var inHandle: FileHandle?
        if let input {
            _ = FileManager.default.createFile(atPath: inURL.path, contents: input)
            inHandle = try FileHandle(forReadingFrom: inURL)
            process.standardInput = inHandle
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        defer { try? inHandle?.close() }
        let box = ProcessBox(process)
        let status: Int32 = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
                do {
                    try process.run()
                    // A cancel that came before the child started found nothing to terminate.
                    if Task.isCancelled { box.terminate() }
                } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: ChildProcessError(executable: executable.path, underlying: error))
                }
            }
        } onCancel: {
            box.terminate()
        }
        return Result(
            status: status, output: (try? Data(contentsOf: outURL)) ?? Data(),
            errors: (try? Data(contentsOf: errURL)) ?? Data())
    }
}

/// A program that could not be started.
public struct ChildProcessError: NimbusError {
    public let executable: String
    public let underlying: any Error

    public var message: String { "cannot start \(executable): \(underlying.localizedDescription)" }
}

/// Lets the cancellation handler reach the process; `Process` is thread-safe for `terminate()` once running.
private final class ProcessBox: @unchecked Sendable {
    let process: Process
    init(_ process: Process) { self.process = process }

    func terminate() {
        guard process.isRunning else { return }
        process.terminate()
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { [self] in
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }
}

extension ChildProcessError {
    public var errorCode: ErrorCode { ErrorCode("child_process", "cannot_start", .internal) }
}
