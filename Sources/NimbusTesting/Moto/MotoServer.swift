public import Foundation
public import NimbusAWS
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A moto server (`python3 -m moto.server`, PyPI `moto[server]`) on a free loopback port: the AWS emulator Nimbus's
/// end-to-end tests talk to through the real wire protocols.
///
/// ```swift
/// let moto = try await MotoServer.start()
/// defer { moto.stop() }
/// // AWS_ENDPOINT_URL = moto.url
/// ```
///
/// ``shared()`` gives one server per test process: the one `NIMBUS_TEST_MOTO_URL` names (the test hook starts it),
/// else one started on first use and stopped when the process exits.
public final class MotoServer: Sendable {
    /// The server's base URL, `http://127.0.0.1:PORT`.
    public let url: URL
    private let process: Mutex<Process?>

    init(url: URL, process: Process?) {
        self.url = url
        self.process = Mutex(process)
    }

    /// The environment a client needs to reach this server: endpoint, region and placeholder keys.
    public var environment: [String: String] {
        [
            "AWS_ENDPOINT_URL": url.absoluteString, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_EC2_METADATA_DISABLED": "true",
        ]
    }

    /// ``environment`` with the shared config and credentials files pointed nowhere: what a test's client or
    /// `nimbus` process uses so nothing from the user's ~/.aws leaks in.
    public var isolatedEnvironment: [String: String] {
        environment.merging(
            ["AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials"]
        ) { _, isolated in isolated }
    }

    /// A client for this server with ``isolatedEnvironment`` (and `extra` on top), for seeding and checking it:
    /// the test's own access to the emulator, so its calls pass no gate (`callGuard` to watch them).
    public func client(
        extra: [String: String] = [:], nimbusHome: URL? = nil, callGuard: any AWSCallGuard = UncheckedAWSCalls()
    ) throws -> AWSClient {
        try AWSClient(
            configuration: AWSConfiguration(
                environment: isolatedEnvironment.merging(extra) { _, given in given }, homeDirectory: "/nonexistent",
                nimbusHome: nimbusHome), callGuard: callGuard)
    }

    /// Starts a server on a free loopback port and waits until it answers.
    ///
    /// - Parameter python: the interpreter with moto installed (`NIMBUS_TEST_PYTHON`, else `python3`).
    public static func start(python: String? = nil, timeout: Duration = .seconds(60)) async throws -> MotoServer {
        let interpreter = python ?? ProcessInfo.processInfo.environment["NIMBUS_TEST_PYTHON"] ?? "python3"
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [interpreter, "-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)]
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw MotoError(
                "could not start \(interpreter) -m moto.server: \(error); install it with pip install 'moto[server]'")
        }
        let url = URL(string: "http://127.0.0.1:\(port)")!
        let server = MotoServer(url: url, process: process)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !process.isRunning {
                let text = String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self)
                throw MotoError("moto.server exited with status \(process.terminationStatus): \(text.suffix(600))")
            }
            if await isAnswering(url) {
                // Keep draining stderr so a chatty server never blocks on a full pipe.
                errors.fileHandleForReading.readabilityHandler = { handle in _ = handle.availableData }
                return server
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        server.stop()
        throw MotoError("moto.server did not answer on \(url) within \(timeout)")
    }

    /// Stops the server (a no-op for a server this process did not start).
    public func stop() {
        process.withLock { process in
            guard let running = process else { return }
            if running.isRunning {
                // SIGKILL, not SIGTERM: a server started from a libdispatch worker thread inherits that thread's
                // blocked signals, SIGTERM among them, and then ignores `terminate()` — the wait below spun forever
                // at process exit. moto keeps nothing that needs a clean shutdown.
                kill(running.processIdentifier, SIGKILL)
                running.waitUntilExit()
            }
            process = nil
        }
    }

    /// Clears every resource moto holds (`POST /moto-api/reset`).
    public func reset() async throws {
        var request = URLRequest(url: url.appendingPathComponent("moto-api/reset"))
        request.httpMethod = "POST"
        _ = try await URLSession.shared.data(for: request)
    }

    private static let sharedStart = Mutex<Task<MotoServer, any Error>?>(nil)

    /// The server for this test process: `NIMBUS_TEST_MOTO_URL` when set, else one started on first use.
    public static func shared() async throws -> MotoServer {
        let task = sharedStart.withLock { current -> Task<MotoServer, any Error> in
            if let current { return current }
            let started = Task<MotoServer, any Error> {
                if let given = ProcessInfo.processInfo.environment["NIMBUS_TEST_MOTO_URL"], !given.isEmpty,
                    let url = URL(string: given)
                {
                    return MotoServer(url: url, process: nil)
                }
                let server = try await start()
                startedServer.withLock { $0 = server }
                atexit { MotoServer.stopShared() }
                return server
            }
            current = started
            return started
        }
        return try await task.value
    }

    private static let startedServer = Mutex<MotoServer?>(nil)

    private static func stopShared() {
        startedServer.withLock { $0 }?.stop()
    }

    static func isAnswering(_ url: URL) async -> Bool {
        var request = URLRequest(url: url.appendingPathComponent("moto-api/"))
        request.timeoutInterval = 2
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return false }
        return (response as? HTTPURLResponse)?.statusCode == 200
    }

    /// A port the kernel just gave out for loopback, released for the server to take.
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw MotoError("socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw MotoError("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Why the moto server could not be started.
public struct MotoError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
