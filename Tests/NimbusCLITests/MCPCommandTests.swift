import Foundation
import NimbusAWS
import NimbusCore
import NimbusTesting
import Testing

/// `nimbus mcp` driven by the official MCP Python SDK's stdio client (Tests/MCP/mcp_client.py) against moto: the
/// tool list and its hints, a read that finds a bucket, `nimbus_ask` and `generate_module`, and a delete that runs
/// only with the person's consent — refused without elicitation, not run when declined, run when approved, refused
/// by `--read-only`. Then moto and `nimbus audit` are checked for what really happened.
@Suite("nimbus mcp", .serialized)
struct MCPCommandTests {
    /// A Python with PyPI `mcp` (scripts/test.d/mcp.sh makes one and exports this).
    static let python = ProcessInfo.processInfo.environment["NIMBUS_TEST_MCP_PYTHON"]

    static var client: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MCP/mcp_client.py")
    }

    @Test("nimbus mcp speaks JSON-RPC on standard output only, and its help shows a client configuration")
    func standardOutputIsTheProtocol() async throws {
        let cli = try CLI()
        let requests = [
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"#
                + #""clientInfo":{"name":"pipe","version":"1"}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"s3_delete_bucket","arguments":{"bucket":"b"}}}"#,
        ]
        let result = try await cli.run(["mcp", "--read-only"], input: requests.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result.err)")
        let messages = try result.out.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        #expect(messages.allSatisfy { $0["jsonrpc"] == "2.0" }, "only protocol messages on stdout: \(result.out)")
        let tools = messages.first { $0["id"] == 2 }?["result"]?["tools"]?.arrayValue ?? []
        let names = tools.compactMap { $0["name"]?.stringValue }
        #expect(names.contains("s3_list_buckets") && names.contains("generate_module"), "\(names)")
        #expect(!names.contains("s3_delete_bucket"), "--read-only lists no delete tool")
        let refused = messages.first { $0["id"] == 3 }?["result"]
        #expect(refused?["isError"] == true, "\(result.out)")
        #expect(refused?["structuredContent"]?["error"]?["code"] == "nimbus_mcp.read_only")
        #expect(result.err.contains("serving Nimbus over MCP"), "logs go to standard error")

        let help = try await cli.run(["mcp", "--help"])
        #expect(help.out.contains(#""mcpServers""#) && help.out.contains(#""command": "nimbus""#), "\(help.out)")
    }

    @Test(
        "an MCP client sees the hints, reads through the gate, and deletes only with consent",
        .enabled(
            if: python != nil,
            "NIMBUS_TEST_MCP_PYTHON is unset: run scripts/test.sh, or point it at a Python with PyPI mcp installed"))
    func stdioClient() async throws {
        let cli = try CLI()
        let moto = try await MotoServer.shared()
        let aws = try moto.client()
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let keep = "mcp-keep-\(suffix)"
        let doomed = "mcp-doomed-\(suffix)"
        for bucket in [keep, doomed] { _ = try await aws.call("s3", "CreateBucket", ["Bucket": .string(bucket)]) }

        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("NIMBUS_") }
        environment.merge(moto.isolatedEnvironment) { _, moto in moto }
        environment["NIMBUS_HOME"] = cli.home.path
        // inspect_account runs scripts in bubblewrap, with the tests' shared sandbox environments.
        let sandbox = URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/nimbus/sandbox")
        environment["NIMBUS_SANDBOX_PYTHON"] = sandbox.appendingPathComponent("python").path
        environment["NIMBUS_SANDBOX_CHECKERS"] = sandbox.appendingPathComponent("checkers").path
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap") { environment["MCP_TEST_INSPECT"] = "1" }
        let run = try await ChildProcess.run(
            URL(fileURLWithPath: try #require(Self.python)),
            [Self.client.path, "--nimbus", CLI.binary.path, "--bucket", keep, "--doomed-bucket", doomed],
            environment: environment)
        let report = try JSONValue(
            parsing: run.outputText.split(separator: "\n").last.map(String.init) ?? "{}")
        let checks = report["checks"]?.objectValue ?? [:]
        #expect(checks.count >= 20, "the client ran every session: \(run.errorText.suffix(3000))")
        for (name, passed) in checks.sorted(by: { $0.key < $1.key }) {
            #expect(passed == true, "\(name): \(report["details"]?[name]?.jsonText ?? "")")
        }
        #expect(run.status == 0, "mcp_client.py: \(run.errorText.suffix(3000))")

        let buckets = try await aws.call("s3", "ListBuckets")["Buckets"]?.arrayValue?.compactMap {
            $0["Name"]?.stringValue
        }
        #expect(buckets?.contains(keep) == true, "refused, declined and read-only deletes left the bucket")
        #expect(buckets?.contains(doomed) == false, "the approved delete ran")

        // The gate saw every delete: sent once (approved), and recorded unsent when refused or declined.
        let audit = try await cli.run(["audit", "--output", "json"], environment: moto.isolatedEnvironment)
        let deletes = (try JSONValue(parsing: audit.out).arrayValue ?? []).filter { $0["operation"] == "DeleteBucket" }
        let outcomes = deletes.compactMap { $0["outcome"]?.stringValue }.sorted()
        // Declined: no elicitation, a no, and nimbus_ask's plan; refused: --read-only; sent: the yes.
        #expect(outcomes == ["declined", "declined", "declined", "refused", "succeeded"], "\(deletes)")
        #expect(deletes.allSatisfy { $0["tool"] == "s3.delete_bucket" }, "\(deletes)")
        let sent = deletes.filter { $0["outcome"] == "succeeded" }
        #expect(sent.first?["parameters"]?["Bucket"]?.stringValue == doomed)
    }
}
