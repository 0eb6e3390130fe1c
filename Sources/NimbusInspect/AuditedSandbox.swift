import Foundation
public import NimbusAWS
public import NimbusSandbox
public import NimbusStore

#if canImport(Glibc)
import Glibc
#endif

/// One sandboxed run that may call AWS: a signing proxy on a private socket that serves `policy`'s reads with the
/// client's credentials, every call it sees written to the audit log under `requestID` as `tool`, and stopped
/// when the run ends; without a policy (or a client) the script reaches no AWS API. What `nimbus sandbox run` and
/// the inspection share.
public enum AuditedSandbox {
    public static func run(
        _ job: SandboxJob, in sandbox: any Sandbox, policy: SandboxPolicy?, client: AWSClient?,
        audit: any AuditStore, requestID: String, tool: String
    ) async throws -> (result: SandboxResult, calls: [SigningProxy.Call]) {
        guard let policy, let client else { return (try await sandbox.run(job), []) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nimbus-proxy-\(requestID)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // The sandbox's user (65534 when Nimbus runs as root) must reach the socket inside, and nothing else.
        chmod(directory.path, 0o711)
        defer { try? FileManager.default.removeItem(at: directory) }
        let profile = client.profileName
        let proxy = try await SigningProxy.start(
            socketPath: directory.appendingPathComponent("aws.sock").path, region: client.region ?? "us-east-1",
            settings: SigningProxy.Settings(
                policy: policy, credentials: client.credentialProvider, endpoints: client.endpoints, readOnly: true,
                socketOwner: getuid() == 0 ? 65534 : nil)
        ) { call in
            try? await audit.recordAudit(
                AuditEntry(
                    time: call.time, requestID: requestID, tool: tool, profile: profile, region: call.region,
                    service: call.service, operation: call.operation,
                    outcome: call.allowed ? (call.status < 400 ? .succeeded : .failed) : .refused,
                    error: call.refusal, awsRequestID: call.requestID,
                    durationMilliseconds: call.durationMilliseconds))
        }
        var job = job
        job.aws = proxy.access
        let result: SandboxResult
        do {
            result = try await sandbox.run(job)
        } catch {
            await proxy.stop()
            throw error
        }
        await proxy.stop()
        return (result, proxy.calls)
    }
}
