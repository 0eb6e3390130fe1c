public import Foundation
import NimbusAWS
import NimbusCore

#if canImport(Glibc)
import Glibc
#endif

/// The Python environment sandboxed scripts run with: a virtual environment with boto3 (and the botocore release
/// Nimbus's own service models come from), made once under NIMBUS_HOME from PyPI and mounted read-only.
public struct SandboxPython: Sendable {
    /// The virtual environment's directory.
    public let directory: URL
    /// What `prepare` installs besides the standard library.
    public let packages: [String]

    public init(directory: URL, packages: [String] = SandboxPython.packages) {
        self.directory = directory
        self.packages = packages
    }

    /// The checkers scripts are validated with — ruff, bandit and parliament from PyPI — in an environment of their
    /// own (`<home>/sandbox/checkers`, or `NIMBUS_SANDBOX_CHECKERS`), never mounted into the sandbox.
    public static func checkers(
        home: URL, environment: [String: String] = ProcessInfo.processInfo.environment
    )
        -> SandboxPython
    {
        let directory =
            environment["NIMBUS_SANDBOX_CHECKERS"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? home.appendingPathComponent("sandbox/checkers")
        return SandboxPython(directory: directory, packages: checkerPackages)
    }

    /// The checkers, pinned so a new release cannot change what passes unannounced.
    public static let checkerPackages = ["ruff==0.17.6", "bandit==1.9.4", "parliament==1.6.4"]

    /// `<home>/sandbox/python`, or the directory `NIMBUS_SANDBOX_PYTHON` names (a prepared environment to share).
    public static func location(
        home: URL, environment: [String: String] = ProcessInfo.processInfo.environment
    )
        -> SandboxPython
    {
        if let given = environment["NIMBUS_SANDBOX_PYTHON"], !given.isEmpty {
            return SandboxPython(directory: URL(fileURLWithPath: given))
        }
        return SandboxPython(directory: home.appendingPathComponent("sandbox/python"))
    }

    /// What is installed besides the standard library.
    public static var packages: [String] {
        let version = ModelCatalog.botocoreVersion.split(separator: " ").last.map(String.init) ?? ""
        return version.isEmpty ? ["boto3"] : ["boto3", "botocore==\(version)"]
    }

    var marker: URL { directory.appendingPathComponent(".nimbus-ready") }

    /// Whether the environment has been made.
    public var isReady: Bool {
        FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("bin/python3").path)
            && (try? String(contentsOf: marker, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                == packages.joined(separator: " ")
    }

    /// Makes the environment if it is not there: `python3 -m venv`, then `pip install` of ``packages``. `progress`
    /// hears what is happening (it takes a while, once).
    public func prepare(progress: @Sendable (String) -> Void = { _ in }) async throws {
        if isReady { return }
        let python = try Self.systemPython()
        let manager = FileManager.default
        // Two processes preparing at once (two test targets, two commands) take turns; the second finds it made.
        try manager.createDirectory(at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        let lockPath = directory.path + ".lock"
        let lock = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw SandboxError(.noPython, "cannot open \(lockPath)") }
        defer { close(lock) }
        while flock(lock, LOCK_EX | LOCK_NB) != 0 {
            try await Task.sleep(for: .milliseconds(200))
        }
        defer { flock(lock, LOCK_UN) }
        if isReady { return }
        try? manager.removeItem(at: directory)
        progress("making the sandbox's Python environment in \(directory.path)")
        let venv = try await ChildProcess.run(URL(fileURLWithPath: python), ["-m", "venv", directory.path])
        guard venv.status == 0 else {
            throw SandboxError(
                .noPython,
                "python3 -m venv failed: \(venv.errorText.suffix(400)) (Debian: apt-get install python3-venv)")
        }
        progress("installing \(packages.joined(separator: " ")) from PyPI")
        let pip = try await ChildProcess.run(
            directory.appendingPathComponent("bin/pip"),
            ["install", "--quiet", "--disable-pip-version-check", "--no-input"] + packages)
        guard pip.status == 0 else {
            throw SandboxError(
                .noPython, "pip install of \(packages.joined(separator: " ")) failed: \(pip.errorText.suffix(600))")
        }
        try Data("\(packages.joined(separator: " "))\n".utf8).write(to: marker)
        // Readable by the sandbox user.
        _ = try? await ChildProcess.run(URL(fileURLWithPath: "/bin/chmod"), ["-R", "a+rX", directory.path])
    }

    static func systemPython() throws -> String {
        for candidate in ["/usr/bin/python3", "/usr/local/bin/python3"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw SandboxError(.noPython, "python3 is not installed (Debian: apt-get install python3 python3-venv)")
    }
}

/// The first Python a sandboxed run executes. It forks: the child drops the report channel (descriptor 3) and runs
/// the script as `__main__`; the parent bridges a loopback port inside the sandbox's network namespace to the
/// signing proxy's Unix socket (the child's boto3 points at it), waits for the child, and reports its CPU time,
/// peak memory and how it ended on descriptor 3 — bubblewrap does not pass its children's usage on.
enum SandboxBoot {
    static let script = #"""
        import json
        import os
        import socket
        import sys
        import threading

        _path = os.environ.pop("NIMBUS_AWS_SOCKET", None)
        _listener = None
        if _path:
            _listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            _listener.bind(("127.0.0.1", 0))
            _listener.listen(64)
            os.environ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:%d" % _listener.getsockname()[1]
        try:
            os.fstat(3)
            _report = 3
        except OSError:
            _report = None

        _child = os.fork()
        if _child == 0:
            if _report is not None:
                os.close(_report)
            if _listener is not None:
                _listener.close()
            import runpy
            _script = sys.argv[1]
            sys.argv = sys.argv[1:]
            runpy.run_path(_script, run_name="__main__")
        else:
            def _pump(source, sink):
                try:
                    while True:
                        data = source.recv(65536)
                        if not data:
                            break
                        sink.sendall(data)
                except OSError:
                    pass
                finally:
                    try:
                        sink.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass

            def _serve():
                while True:
                    client, _ = _listener.accept()
                    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    try:
                        upstream.connect(_path)
                    except OSError:
                        client.close()
                        continue
                    threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
                    threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()

            if _listener is not None:
                threading.Thread(target=_serve, daemon=True).start()
            while True:
                try:
                    _, _status, _usage = os.wait4(_child, 0)
                    break
                except InterruptedError:
                    continue
            _code = os.waitstatus_to_exitcode(_status)
            if _report is not None:
                os.write(_report, json.dumps({
                    "cpu_seconds": _usage.ru_utime + _usage.ru_stime,
                    "peak_memory_kib": _usage.ru_maxrss,
                    "exit_status": _code if _code >= 0 else None,
                    "signal": -_code if _code < 0 else None,
                }).encode())
            os._exit(_code if _code >= 0 else 128 - _code)
        """#
}
