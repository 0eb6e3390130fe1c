import CNimbusSystem
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs one program with resource limits and captured output on a thread of its own (the wait blocks a thread; it
/// must not be one of the few cooperative ones), and reports how it ended and what it used.
enum LimitedProcess {
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String], directory: String?,
        limits: SandboxLimits, sandbox: String
    ) async throws -> SandboxResult {
        let flag = nimbus_cancel_flag_new()
        defer { nimbus_cancel_flag_free(flag) }
        let cancel = FlagBox(flag)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<SandboxResult, any Error>) in
                let thread = Thread {
                    continuation.resume(
                        with: Result {
                            try runBlocking(
                                executable, arguments, environment: environment, directory: directory, limits: limits,
                                cancel: cancel, sandbox: sandbox)
                        })
                }
                thread.name = "nimbus-sandbox"
                thread.start()
            }
        } onCancel: {
            cancel.set()
        }
    }

    private static func runBlocking(
        _ executable: String, _ arguments: [String], environment: [String: String], directory: String?,
        limits: SandboxLimits, cancel: FlagBox, sandbox: String
    ) throws -> SandboxResult {
        var cLimits = nimbus_limits(
            wall_ms: Int64(limits.wallSeconds * 1000), cpu_seconds: Int64(limits.cpuSeconds),
            memory_bytes: Int64(limits.memoryBytes), processes: Int64(limits.processes),
            file_bytes: Int64(limits.fileBytes), open_files: 256, output_bytes: Int64(limits.outputBytes))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var result = nimbus_run_result()
        let status = argv.withUnsafeBufferPointer { argvBuffer in
            envp.withUnsafeBufferPointer { envpBuffer in
                if let directory {
                    return nimbus_run_limited(
                        executable, argvBuffer.baseAddress, envpBuffer.baseAddress, directory, &cLimits, cancel.flag,
                        &result)
                }
                return nimbus_run_limited(
                    executable, argvBuffer.baseAddress, envpBuffer.baseAddress, nil, &cLimits, cancel.flag, &result)
            }
        }
        defer { nimbus_run_result_free(&result) }
        guard status == 0 else {
            let code = result.spawn_errno != 0 ? result.spawn_errno : errno
            throw SandboxError(.cannotStart, "cannot start \(executable): \(String(cString: strerror(code)))")
        }
        let stdout = result.out.map { Data(bytes: $0, count: result.out_length) } ?? Data()
        let stderr = result.err.map { Data(bytes: $0, count: result.err_length) } ?? Data()
        // How the script itself ended and what it used, from the boot program's report when there is one (it is
        // missing when the run was killed from outside): the sandbox's own processes do not pass usage on.
        let report = result.report.flatMap { pointer -> BootReport? in
            try? JSONDecoder().decode(BootReport.self, from: Data(bytes: pointer, count: result.report_length))
        }
        var exitStatus: Int32? = result.signal != 0 ? nil : result.exit_status
        var signal: Int32? = result.signal != 0 ? result.signal : nil
        if let report {
            exitStatus = report.exitStatus
            signal = report.signal
        }
        var limit: SandboxResult.Limit?
        switch result.limit {
        case NIMBUS_LIMIT_WALL: limit = .wallTime
        case NIMBUS_LIMIT_OUTPUT: limit = .output
        case NIMBUS_LIMIT_CANCELLED: limit = .cancelled
        default:
            if signal == SIGXCPU {
                limit = .cpuTime
            } else if signal == SIGXFSZ {
                limit = .fileSize
            }
        }
        if limit != nil, report == nil {
            exitStatus = nil
            signal = SIGKILL
        }
        let cpu = Double(result.user_us + result.system_us) / 1e6
        return SandboxResult(
            stdout: stdout, stderr: stderr, exitStatus: exitStatus, signal: signal, limit: limit,
            stdoutBytes: Int(result.out_total), stderrBytes: Int(result.err_total),
            wallSeconds: Double(result.wall_us) / 1e6, cpuSeconds: max(cpu, report?.cpuSeconds ?? 0),
            peakMemoryBytes: max(Int(result.max_rss_kb), report?.peakMemoryKiB ?? 0) * 1024, sandbox: sandbox)
    }
}

/// What the boot program reports about the script on descriptor 3.
struct BootReport: Decodable {
    let cpuSeconds: Double
    let peakMemoryKiB: Int
    let exitStatus: Int32?
    let signal: Int32?

    enum CodingKeys: String, CodingKey {
        case cpuSeconds = "cpu_seconds"
        case peakMemoryKiB = "peak_memory_kib"
        case exitStatus = "exit_status"
        case signal
    }
}

/// The C cancel flag, shared with the cancellation handler (setting it is atomic).
private final class FlagBox: @unchecked Sendable {
    let flag: OpaquePointer?
    init(_ flag: OpaquePointer?) { self.flag = flag }
    func set() { if let flag { nimbus_cancel_flag_set(flag) } }
}
