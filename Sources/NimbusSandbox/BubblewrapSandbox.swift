import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The default sandbox: bubblewrap (Debian `bubblewrap`) with new user, PID, IPC, UTS, cgroup, mount and network
/// namespaces. Inside there is no network device but loopback, a read-only /usr and Python, a private /tmp of
/// bounded size, no home, no /etc, and a clean environment; the one way out is the signing proxy's socket, when
/// the job has one. Resource limits (``SandboxLimits``) bound time, CPU, memory, processes, file and output size.
///
/// Run as root, the sandbox drops to an unprivileged user (``sandboxUser``) before it makes its user namespace: the
/// kernel does not count a root-owned namespace's processes against a process limit, so a fork bomb would not stop.
public struct BubblewrapSandbox: Sandbox {
    public let name = "bubblewrap"
    public let isolation =
        "bubblewrap namespaces: no network but the signing proxy, read-only system and Python, private /tmp, no home"
    /// The Python environment the scripts run with (``SandboxPython``).
    public let python: SandboxPython
    public let bwrap: String
    /// The user id and group id the sandbox runs as when Nimbus runs as root.
    public let sandboxUser: UInt32
    /// The size of the sandbox's /tmp.
    public var temporaryBytes: Int = 64 << 20

    /// A sandbox with `python`; throws ``SandboxError/Code/missingBubblewrap`` when `bwrap` is not installed.
    public init(python: SandboxPython, bwrap: String? = nil, sandboxUser: UInt32 = 65534) throws {
        guard let found = bwrap ?? BubblewrapSandbox.findBubblewrap(),
            FileManager.default.isExecutableFile(atPath: found)
        else {
            throw SandboxError(
                .missingBubblewrap,
                "bubblewrap (bwrap) is not installed; install it (Debian: apt-get install bubblewrap), or ask for a "
                    + "plain process with --sandbox process and read what that means first")
        }
        self.python = python
        self.bwrap = found
        self.sandboxUser = sandboxUser
    }

    /// `bwrap` on the PATH or in /usr/bin.
    public static func findBubblewrap() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/bin"] {
            let candidate = "\(directory)/bwrap"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    public func run(_ job: SandboxJob) async throws -> SandboxResult {
        let staging = try SandboxStaging(job: job)
        defer { staging.remove() }
        let asRoot = getuid() == 0
        var inner = [String]()
        inner += ["--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
        inner += ["--hostname", "nimbus-sandbox"]
        for top in ["/bin", "/lib", "/lib64", "/lib32", "/sbin"] {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: top) {
                inner += ["--symlink", target, top]
            } else if FileManager.default.fileExists(atPath: top) {
                inner += ["--ro-bind", top, top]
            }
        }
        inner += ["--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev"]
        inner += ["--size", String(temporaryBytes), "--tmpfs", "/tmp"]
        // When root stages it, the Python environment is reached through the job's directory (see below).
        let pythonSource = asRoot ? staging.pythonMount.path : python.directory.path
        inner += ["--ro-bind", pythonSource, SandboxPaths.python, "--ro-bind", staging.job.path, SandboxPaths.job]
        if let aws = job.aws {
            inner += ["--bind", asRoot ? staging.socket.path : aws.socketPath, SandboxPaths.socket]
        }
        // Nothing but /tmp is writable: not the sandbox's own root, not /dev (device nodes still work).
        inner += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp"]
        for (key, value) in SandboxEnvironment.variables(for: job).sorted(by: { $0.key < $1.key }) {
            inner += ["--setenv", key, value]
        }
        inner += ["--", "\(SandboxPaths.python)/bin/python3"] + SandboxEnvironment.pythonArguments(job: job)

        let executable: String
        let arguments: [String]
        if asRoot {
            // Stage one, as root, in a mount namespace of its own: the Python environment (which may sit under a
            // home no other user can enter) is bound into the job's directory, then stage two runs as the sandbox
            // user with no privileges left and makes every namespace itself.
            executable = bwrap
            var outer = ["--dev-bind", "/", "/", "--die-with-parent"]
            outer += ["--ro-bind", python.directory.path, staging.pythonMount.path]
            if let aws = job.aws { outer += ["--bind", aws.socketPath, staging.socket.path] }
            outer += [
                "--", "/usr/bin/setpriv", "--reuid", String(sandboxUser), "--regid", String(sandboxUser),
                "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", bwrap,
            ]
            arguments = outer + inner
        } else {
            executable = bwrap
            arguments = inner
        }
        let result = try await LimitedProcess.run(
            executable, arguments, environment: ["PATH": "/usr/bin:/bin"], directory: "/", limits: job.limits,
            sandbox: name)
        // bubblewrap's own failures (before the script ran) begin with "bwrap:".
        if result.exitStatus == 1, result.stdout.isEmpty, result.stderrText.hasPrefix("bwrap:") {
            let text = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.contains("namespace") || text.contains("uid map") || text.contains("Operation not permitted") {
                throw SandboxError(
                    .namespacesRefused,
                    "the kernel refused bubblewrap's namespaces (\(text)); unprivileged user namespaces must be allowed"
                )
            }
            throw SandboxError(.cannotStart, "bubblewrap could not start the sandbox: \(text)")
        }
        return result
    }
}

/// A plain child process: the same limits, clean environment and proxy, but no namespaces — the script can read
/// what this user can read and reach the network. Only for a user who asks for it by name (`--sandbox process`).
public struct PlainProcessSandbox: Sandbox {
    public let name = "process"
    public var isolation: String { Self.isolation }
    /// What a plain process isolates, for a warning before anything runs in one.
    public static let isolation =
        "a plain process: resource limits and a clean environment only; the script can read your files and reach the "
        + "network"
    public let python: SandboxPython

    public init(python: SandboxPython) { self.python = python }

    public func run(_ job: SandboxJob) async throws -> SandboxResult {
        let staging = try SandboxStaging(job: job)
        defer { staging.remove() }
        let scratch = staging.root.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        var environment = SandboxEnvironment.variables(for: job)
        environment["HOME"] = scratch.path
        environment["TMPDIR"] = scratch.path
        if let aws = job.aws { environment["NIMBUS_AWS_SOCKET"] = aws.socketPath }
        let arguments = SandboxEnvironment.pythonArguments(job: job, jobDirectory: staging.job.path)
        return try await LimitedProcess.run(
            python.directory.appendingPathComponent("bin/python3").path, arguments, environment: environment,
            directory: scratch.path, limits: job.limits, sandbox: name)
    }
}

/// Where things are inside the sandbox.
enum SandboxPaths {
    static let python = "/nimbus/python"
    static let job = "/nimbus/job"
    static let socket = "/nimbus/aws.sock"
}

/// The environment and command line a sandboxed script starts with.
enum SandboxEnvironment {
    static func variables(for job: SandboxJob) -> [String: String] {
        var variables = job.environment
        variables["HOME"] = "/tmp"
        variables["TMPDIR"] = "/tmp"
        variables["PATH"] = "\(SandboxPaths.python)/bin:/usr/bin:/bin"
        variables["LANG"] = "C.UTF-8"
        variables["PYTHONDONTWRITEBYTECODE"] = "1"
        if let aws = job.aws {
            variables["NIMBUS_AWS_SOCKET"] = SandboxPaths.socket
            variables["AWS_ACCESS_KEY_ID"] = aws.accessKeyID
            variables["AWS_SECRET_ACCESS_KEY"] = aws.secretAccessKey
            variables["AWS_REGION"] = aws.region
            variables["AWS_DEFAULT_REGION"] = aws.region
            variables["AWS_EC2_METADATA_DISABLED"] = "true"
            variables["AWS_CONFIG_FILE"] = "/dev/null"
            variables["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
            // Each attempt is signed anew, so the proxy can refuse a replayed signature without refusing a retry.
            variables["AWS_MAX_ATTEMPTS"] = "2"
        }
        return variables
    }

    /// `-I` isolates Python from the environment and user site; `-B` writes no bytecode.
    static func pythonArguments(job: SandboxJob, jobDirectory: String = SandboxPaths.job) -> [String] {
        ["-I", "-B", "\(jobDirectory)/boot.py", "\(jobDirectory)/script.py"] + job.arguments
    }
}

/// A job's files on the host: the script and the boot script in a fresh directory, and for a root-run sandbox the
/// mount points its first stage binds the Python environment and the proxy's socket to.
struct SandboxStaging {
    let root: URL
    let job: URL
    let pythonMount: URL
    let socket: URL

    init(job request: SandboxJob) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nimbus-sandbox-\(UUID().uuidString.prefix(12).lowercased())")
        job = root.appendingPathComponent("job")
        pythonMount = root.appendingPathComponent("python")
        socket = root.appendingPathComponent("aws.sock")
        let manager = FileManager.default
        try manager.createDirectory(at: job, withIntermediateDirectories: true)
        try manager.createDirectory(at: pythonMount, withIntermediateDirectories: true)
        try Data(request.script.utf8).write(to: job.appendingPathComponent("script.py"))
        try Data(SandboxBoot.script.utf8).write(to: job.appendingPathComponent("boot.py"))
        if request.aws != nil { _ = manager.createFile(atPath: socket.path, contents: nil) }
        // The sandbox user reads the job and nothing here is writable by it.
        for url in [root, job, pythonMount] { chmod(url.path, 0o755) }
        for file in ["script.py", "boot.py"] { chmod(job.appendingPathComponent(file).path, 0o644) }
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}
