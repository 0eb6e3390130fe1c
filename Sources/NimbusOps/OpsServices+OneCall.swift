public import Foundation
public import NimbusAgents

extension OpsServices {
    /// The tools' environment for one tool call made on its own, outside an ``OpsWorkflow`` run (an MCP client
    /// calling a tool by name): AWS for `profile` and `region` through `gate`, transfer state under the home's
    /// `transfers/`, and local paths from `workingDirectory` (nil: the call may not name local files).
    public func toolEnvironment(
        profile: String?, region: String?, gate: AWSGate, workingDirectory: URL?
    ) throws -> OpsToolEnvironment {
        OpsToolEnvironment(
            client: try awsClient(profile, region, gate), gate: gate,
            transferDirectory: home.appendingPathComponent("transfers"), transferConcurrency: transferConcurrency,
            workingDirectory: workingDirectory)
    }
}
