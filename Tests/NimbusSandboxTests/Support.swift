import Foundation
import NimbusAWS
import NimbusSandbox
import NimbusTesting
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The sandbox's Python environment for the tests: the one `NIMBUS_SANDBOX_PYTHON` names, else one made once
/// under ~/.cache/nimbus (from PyPI, by the same code users run) and kept between runs.
enum TestSandbox {
    private static let prepared = Mutex<Task<SandboxPython, any Error>?>(nil)

    static func python() async throws -> SandboxPython {
        let task = prepared.withLock { current in
            if let current { return current }
            let made = Task<SandboxPython, any Error> {
                let cache = URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/nimbus")
                let python = SandboxPython.location(home: cache)
                try await python.prepare()
                return python
            }
            current = made
            return made
        }
        return try await task.value
    }

    /// bubblewrap, or `nil` with a note when it is missing outside CI (in CI, a missing bwrap fails the test).
    static func bubblewrap() async throws -> BubblewrapSandbox? {
        guard BubblewrapSandbox.findBubblewrap() != nil else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                Issue.record("bubblewrap is not installed; scripts/test.d/sandbox.sh installs it")
            } else {
                print("skipped: bubblewrap is not installed (apt-get install bubblewrap)")
            }
            return nil
        }
        return try BubblewrapSandbox(python: try await python())
    }

    /// The JSON object a script printed last.
    static func json(_ result: SandboxResult) throws -> [String: Any] {
        let line = result.stdoutText.split(separator: "\n").last.map(String.init) ?? ""
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestFailure(
                "the script printed no JSON object: \(result.stdoutText.prefix(400)) / \(result.stderrText.suffix(800))"
            )
        }
        return object
    }

    /// A signing proxy in front of moto on a socket in a fresh directory, with credentials the test can look for.
    static func proxy(
        allowing actions: [String], readOnly: Bool = true, moto: MotoServer
    ) async throws
        -> (SigningProxy, URL)
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nimbus-proxy-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let settings = SigningProxy.Settings(
            policy: SandboxPolicy(allowing: actions),
            credentials: StaticCredentialProvider(accessKeyID: realKeyID, secretAccessKey: realSecret),
            endpoints: EndpointResolver(environment: ["AWS_ENDPOINT_URL": moto.url.absoluteString]),
            readOnly: readOnly, socketOwner: getuid() == 0 ? 65534 : nil)
        let proxy = try await SigningProxy.start(
            socketPath: directory.appendingPathComponent("aws.sock").path, region: "us-east-1", settings: settings)
        return (proxy, directory)
    }

    /// The "real" credentials the proxy signs with in tests; moto accepts any. No sandbox output may hold them.
    static let realKeyID = "AKIANIMBUSREALKEY001"
    static let realSecret = "nimbus-real-secret-never-in-the-sandbox"
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
