public import Foundation
public import NimbusCore

/// Runs generated code where it cannot do harm: ``BubblewrapSandbox`` by default, ``PlainProcessSandbox`` only when a
/// user asks for it by name.
public protocol Sandbox: Sendable {
    /// The sandbox's name as users choose it (`bubblewrap`, `process`).
    var name: String { get }
    /// What a run in this sandbox may and may not reach, in words, for the user who chose it.
    var isolation: String { get }
    /// Runs a Python script and reports how it ended. Throws only when the run could not start; a script that
    /// fails, is killed or passes a limit is a result.
    func run(_ job: SandboxJob) async throws -> SandboxResult
}

/// The sandboxes a user chooses by name: bubblewrap (the default), or a plain process, only when asked for by name.
public enum SandboxKind: String, Sendable, CaseIterable {
    case bubblewrap
    case process

    /// The kind `name` names, or an error that lists the known ones.
    public init(named name: String) throws {
        guard let kind = SandboxKind(rawValue: name) else {
            throw SandboxError(
                .unknownSandbox,
                "there is no sandbox named '\(name)' (known: \(Self.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = kind
    }

    /// A sandbox of this kind that runs scripts with `python`.
    public func sandbox(python: SandboxPython) throws -> any Sandbox {
        switch self {
        case .bubblewrap: try BubblewrapSandbox(python: python)
        case .process: PlainProcessSandbox(python: python)
        }
    }
}

/// One script to run.
public struct SandboxJob: Sendable {
    /// The script's source.
    public var script: String
    /// Arguments after the script's name.
    public var arguments: [String]
    /// Variables the script gets on top of the sandbox's own clean environment.
    public var environment: [String: String]
    public var limits: SandboxLimits
    /// Where the script's AWS calls go: a signing proxy's socket and the dummy credentials the script signs with.
    /// `nil` leaves the script with no way to reach AWS.
    public var aws: SandboxAWSAccess?

    public init(
        script: String, arguments: [String] = [], environment: [String: String] = [:],
        limits: SandboxLimits = SandboxLimits(), aws: SandboxAWSAccess? = nil
    ) {
        self.script = script
        self.arguments = arguments
        self.environment = environment
        self.limits = limits
        self.aws = aws
    }
}

/// How a sandboxed script reaches AWS: through a ``SigningProxy``'s Unix socket, with credentials that mean nothing
/// anywhere but to that proxy.
public struct SandboxAWSAccess: Sendable {
    public var socketPath: String
    public var accessKeyID: String
    public var secretAccessKey: String
    public var region: String

    public init(socketPath: String, accessKeyID: String, secretAccessKey: String, region: String) {
        self.socketPath = socketPath
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.region = region
    }
}

/// The most a run may take. Every limit is on by default.
public struct SandboxLimits: Sendable, Codable, Hashable {
    /// Wall-clock time; the run is killed after it.
    public var wallSeconds: Double
    /// CPU time (RLIMIT_CPU).
    public var cpuSeconds: Int
    /// Address space (RLIMIT_AS).
    public var memoryBytes: Int
    /// Processes and threads (RLIMIT_NPROC).
    public var processes: Int
    /// The largest file the script may write (RLIMIT_FSIZE); the sandbox's /tmp is bounded by it per file.
    public var fileBytes: Int
    /// Standard output and standard error, each; more kills the run.
    public var outputBytes: Int

    public init(
        wallSeconds: Double = 60, cpuSeconds: Int = 30, memoryBytes: Int = 1 << 30, processes: Int = 64,
        fileBytes: Int = 16 << 20, outputBytes: Int = 4 << 20
    ) {
        self.wallSeconds = wallSeconds
        self.cpuSeconds = cpuSeconds
        self.memoryBytes = memoryBytes
        self.processes = processes
        self.fileBytes = fileBytes
        self.outputBytes = outputBytes
    }

    enum CodingKeys: String, CodingKey {
        case wallSeconds = "wall_seconds"
        case cpuSeconds = "cpu_seconds"
        case memoryBytes = "memory_bytes"
        case processes
        case fileBytes = "file_bytes"
        case outputBytes = "output_bytes"
    }
}

/// How a run ended: its output, status and what it used.
public struct SandboxResult: Sendable, Codable, Hashable {
    /// The limit that ended a run, when one did.
    public enum Limit: String, Sendable, Codable, Hashable {
        case wallTime = "wall_time"
        case output
        case cancelled
        /// The kernel's: CPU time (SIGXCPU), file size (SIGXFSZ) or memory (the script died of it).
        case cpuTime = "cpu_time"
        case fileSize = "file_size"
    }

    public var stdout: Data
    public var stderr: Data
    /// The exit status, or `nil` when a signal ended the run.
    public var exitStatus: Int32?
    public var signal: Int32?
    public var limit: Limit?
    /// Bytes written to each stream, including any beyond the cap.
    public var stdoutBytes: Int
    public var stderrBytes: Int
    public var wallSeconds: Double
    public var cpuSeconds: Double
    public var peakMemoryBytes: Int
    /// The sandbox that ran it.
    public var sandbox: String

    /// Whether the script ran to the end and said it succeeded.
    public var succeeded: Bool { exitStatus == 0 && limit == nil }
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }

    /// A short account of how the run ended: `exit 0`, `killed: wall time`, `signal 9`.
    public var summary: String {
        if let limit { return "stopped: \(limit.rawValue.replacingOccurrences(of: "_", with: " ")) limit" }
        if let signal { return "killed by signal \(signal)" }
        return "exit \(exitStatus ?? -1)"
    }

    public init(
        stdout: Data, stderr: Data, exitStatus: Int32?, signal: Int32?, limit: Limit?, stdoutBytes: Int,
        stderrBytes: Int, wallSeconds: Double, cpuSeconds: Double, peakMemoryBytes: Int, sandbox: String
    ) {
        self.stdout = stdout
        self.stderr = stderr
        self.exitStatus = exitStatus
        self.signal = signal
        self.limit = limit
        self.stdoutBytes = stdoutBytes
        self.stderrBytes = stderrBytes
        self.wallSeconds = wallSeconds
        self.cpuSeconds = cpuSeconds
        self.peakMemoryBytes = peakMemoryBytes
        self.sandbox = sandbox
    }

    enum CodingKeys: String, CodingKey {
        case stdout, stderr
        case exitStatus = "exit_status"
        case signal, limit
        case stdoutBytes = "stdout_bytes"
        case stderrBytes = "stderr_bytes"
        case wallSeconds = "wall_seconds"
        case cpuSeconds = "cpu_seconds"
        case peakMemoryBytes = "peak_memory_bytes"
        case sandbox
    }
}

/// Why a sandbox could not run a script.
public struct SandboxError: NimbusError {
    public enum Code: String, Sendable {
        /// bubblewrap (`bwrap`) is not installed.
        case missingBubblewrap = "missing_bubblewrap"
        /// The sandbox's Python could not be found or made.
        case noPython = "no_python"
        /// The program could not be started.
        case cannotStart = "cannot_start"
        /// The kernel refused the namespaces bubblewrap asked for.
        case namespacesRefused = "namespaces_refused"
        /// A sandbox name nobody knows.
        case unknownSandbox = "unknown_sandbox"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var errorCode: ErrorCode {
        switch code {
        case .unknownSandbox: ErrorCode("sandbox", code.rawValue, .invalidInput)
        case .missingBubblewrap, .noPython, .namespacesRefused: ErrorCode("sandbox", code.rawValue, .unavailable)
        case .cannotStart: ErrorCode("sandbox", code.rawValue, .internal)
        }
    }
}
