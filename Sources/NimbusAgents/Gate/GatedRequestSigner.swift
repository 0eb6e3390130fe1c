public import Foundation
import NimbusAWS
public import NimbusCore

/// A request signer whose every signature passes the gate first: Amazon Bedrock's model calls are AWS calls
/// too, so a policy can deny them (`bedrock:*`) and the audit log lists them. The model's answer, tokens and
/// cost are accounted in `agent_executions`; the audit row says the call was signed and sent.
public struct GatedRequestSigner: HTTPRequestSigner {
    public let signer: any HTTPRequestSigner
    public let gate: AWSGate
    public let profile: String
    public let region: String

    public init(signer: any HTTPRequestSigner, gate: AWSGate, profile: String, region: String) {
        self.signer = signer
        self.gate = gate
        self.profile = profile
        self.region = region
    }

    public func signatureHeaders(
        method: String, url: URL, headers: [(name: String, value: String)], body: [UInt8]
    ) async throws -> [(name: String, value: String)] {
        let call = Self.call(url: url, profile: profile, region: region)
        try await gate.willSend(call)
        let started = ContinuousClock.now
        let signed = try await signer.signatureHeaders(method: method, url: url, headers: headers, body: body)
        await gate.didFinish(
            call, .succeeded(requestID: nil, sensitiveValues: [], duration: ContinuousClock.now - started))
        return signed
    }

    /// The Bedrock runtime operation a URL names (`/model/ID/converse-stream` → ConverseStream), as a gate sees it.
    static func call(url: URL, profile: String, region: String) -> AWSOperationCall {
        let last = url.path.split(separator: "/").last.map(String.init) ?? ""
        let operation: String
        let iam: String
        switch last {
        case "converse-stream": (operation, iam) = ("ConverseStream", "bedrock:InvokeModelWithResponseStream")
        case "invoke-with-response-stream":
            (operation, iam) = ("InvokeModelWithResponseStream", "bedrock:InvokeModelWithResponseStream")
        case "invoke": (operation, iam) = ("InvokeModel", "bedrock:InvokeModel")
        default: (operation, iam) = ("Converse", "bedrock:InvokeModel")
        }
        let model = url.path.components(separatedBy: "/model/").last?.split(separator: "/").first.map(String.init)
        return AWSOperationCall(
            service: "bedrock", operation: operation, purpose: .send, access: .read, action: "bedrock:\(operation)",
            iamActions: [iam],
            redactedInput: ["modelId": model.map { .string($0.removingPercentEncoding ?? $0) } ?? .null],
            sensitiveValues: [], profile: profile, region: region)
    }
}
