import Foundation
import NimbusAWS
import NimbusAgents
import NimbusCore
import NimbusStore
import Synchronization
import Testing

/// An audit log in memory.
final class MemoryAudit: AuditStore {
    private let entries = Mutex<[AuditEntry]>([])
    var all: [AuditEntry] { entries.withLock { $0 } }
    func recordAudit(_ entry: AuditEntry) async throws { entries.withLock { $0.append(entry) } }
    func auditEntries(since: Date?, requestID: String?, limit: Int) async throws -> [AuditEntry] { all }
    func recordRequest(_ request: RequestRecord) async throws {}
    func requests(limit: Int) async throws -> [RequestRecord] { [] }
}

/// Answers yes or no, and counts how often it was asked.
final class CountingApprover: CallApprover {
    let answer: Bool
    private let asked = Mutex(0)
    init(_ answer: Bool) { self.answer = answer }
    var count: Int { asked.withLock { $0 } }
    func approve(_ call: AWSOperationCall) async -> Bool {
        asked.withLock { $0 += 1 }
        return answer
    }
}

/// A call as a client would describe it, from the bundled models.
func call(_ service: String, _ operation: String, _ input: JSONValue = [:]) throws -> AWSOperationCall {
    let model = try ModelCatalog.model(service)
    let op = try model.operation(operation)
    let (redacted, secrets) = op.redactingInput(input)
    return AWSOperationCall(
        service: model.name, operation: op.name, purpose: .send, access: op.access, action: op.action(service: model),
        iamActions: op.iamActions(service: model), redactedInput: redacted, sensitiveValues: secrets,
        profile: "default", region: "us-east-1")
}

enum Expected: Sendable, CustomStringConvertible {
    case send, ask, denied, readOnly
    var description: String {
        switch self {
        case .send: "send"
        case .ask: "ask"
        case .denied: "denied"
        case .readOnly: "read-only"
        }
    }
}

struct GateCase: Sendable, CustomStringConvertible {
    var service: String
    var operation: String
    var deny: [String] = []
    var ask: [String] = []
    var allow: [String] = []
    var readOnly = false
    var grant: AccessGrant = .readsOnly
    var expected: Expected
    var description: String {
        "\(service):\(operation) deny=\(deny) ask=\(ask) allow=\(allow) ro=\(readOnly) grant=\(grant.actions) → \(expected)"
    }
}

let yes = AccessGrant.everything(approvedBy: "--yes")
let putGrant = AccessGrant(access: .write, actions: ["s3:PutObject"], approvedBy: "you")
let deleteObjectsGrant = AccessGrant(access: .delete, actions: ["s3:DeleteObjects"], approvedBy: "you")

let gateCases: [GateCase] = [
    // Reads run; deny beats them.
    GateCase(service: "s3", operation: "ListBuckets", expected: .send),
    GateCase(service: "s3", operation: "ListBuckets", deny: ["s3:List*"], expected: .denied),
    GateCase(service: "s3", operation: "ListBuckets", deny: ["s3:ListAllMyBuckets"], expected: .denied),
    GateCase(service: "s3", operation: "ListObjectsV2", deny: ["*"], grant: yes, expected: .denied),
    GateCase(service: "s3", operation: "GetObject", ask: ["s3:Get*"], expected: .ask),
    GateCase(service: "s3", operation: "GetObject", readOnly: true, expected: .send),
    // Writes and deletes ask unless granted or allowed; deny beats --yes and allow.
    GateCase(service: "s3", operation: "DeleteBucket", expected: .ask),
    GateCase(service: "s3", operation: "delete-bucket", grant: yes, expected: .send),
    GateCase(service: "s3", operation: "DeleteBucket", deny: ["s3:Delete*"], grant: yes, expected: .denied),
    GateCase(service: "s3", operation: "DeleteObjects", deny: ["s3:DeleteObject"], grant: yes, expected: .denied),
    GateCase(service: "s3", operation: "DeleteObject", deny: ["*:Delete*"], allow: ["s3:*"], expected: .denied),
    GateCase(service: "s3", operation: "PutObject", deny: ["s3:PutObject"], grant: yes, expected: .denied),
    GateCase(service: "s3", operation: "UploadPart", deny: ["s3:PutObject"], grant: yes, expected: .denied),
    GateCase(
        service: "s3", operation: "CompleteMultipartUpload", deny: ["s3:PutObject"], grant: putGrant, expected: .denied),
    GateCase(service: "s3", operation: "CopyObject", deny: ["s3:GetObject"], grant: yes, expected: .denied),
    GateCase(service: "s3", operation: "PutObject", allow: ["s3:PutObject"], expected: .send),
    GateCase(service: "s3", operation: "UploadPart", allow: ["s3:PutObject"], expected: .send),
    GateCase(service: "s3", operation: "CopyObject", allow: ["s3:GetObject"], expected: .ask),
    GateCase(service: "s3", operation: "CopyObject", allow: ["s3:GetObject", "s3:PutObject"], expected: .send),
    GateCase(service: "s3", operation: "PutObject", ask: ["s3:PutObject"], allow: ["s3:*"], expected: .ask),
    // A grant covers what it names, up to its access, and nothing else.
    GateCase(service: "s3", operation: "UploadPart", grant: putGrant, expected: .send),
    GateCase(service: "s3", operation: "CreateMultipartUpload", grant: putGrant, expected: .send),
    GateCase(service: "s3", operation: "DeleteObject", grant: putGrant, expected: .ask),
    GateCase(service: "s3", operation: "DeleteBucket", grant: deleteObjectsGrant, expected: .ask),
    GateCase(service: "s3", operation: "DeleteObjects", grant: deleteObjectsGrant, expected: .send),
    GateCase(
        service: "s3", operation: "DeleteObjects",
        grant: AccessGrant(access: .write, actions: ["s3:DeleteObjects"], approvedBy: "you"), expected: .ask),
    GateCase(service: "ec2", operation: "TerminateInstances", grant: putGrant, expected: .ask),
    GateCase(
        service: "lambda", operation: "Invoke",
        grant: AccessGrant(access: .write, actions: ["lambda:InvokeFunction"], approvedBy: "you"), expected: .send),
    // Read-only refuses every change, whatever was granted or allowed.
    GateCase(service: "s3", operation: "PutObject", readOnly: true, grant: yes, expected: .readOnly),
    GateCase(service: "s3", operation: "DeleteBucket", allow: ["*"], readOnly: true, expected: .readOnly),
    GateCase(service: "iam", operation: "CreateAccessKey", readOnly: true, expected: .readOnly),
    GateCase(service: "sts", operation: "AssumeRole", expected: .ask),
]

@Suite("The AWS gate")
struct GateTests {
    @Test("Decisions: deny beats everything, read-only beats grants, grants cover what they name", arguments: gateCases)
    func decisions(_ example: GateCase) throws {
        let gate = AWSGate(
            policy: ApprovalPolicy(allow: example.allow, ask: example.ask, deny: example.deny, source: "policy.yaml"),
            readOnly: example.readOnly, audit: MemoryAudit(), requestID: "r", grant: example.grant)
        let decision = gate.decide(try call(example.service, example.operation))
        switch (decision, example.expected) {
        case (.send, .send), (.ask, .ask): break
        case (.refuse(let error), .denied): #expect(error.code == .denied)
        case (.refuse(let error), .readOnly): #expect(error.code == .readOnly)
        default: Issue.record("\(example): got \(decision)")
        }
    }

    @Test("Every call is audited: sent, refused or declined; the approver is asked only when needed")
    func audited() async throws {
        let audit = MemoryAudit()
        let approver = CountingApprover(false)
        let gate = AWSGate(
            policy: ApprovalPolicy(deny: ["s3:DeleteBucket"]), audit: audit, requestID: "req-1", tool: "nimbus aws",
            approver: approver)
        let list = try call("s3", "ListBuckets")
        try await gate.willSend(list)
        await gate.didFinish(list, .succeeded(requestID: "aws-1", sensitiveValues: [], duration: .milliseconds(3)))
        await #expect(throws: AWSGateError.self) {
            try await gate.willSend(try call("s3", "DeleteBucket", ["Bucket": "b"]))
        }
        #expect(approver.count == 0, "a denied call is never put to a person")
        do {
            try await gate.willSend(try call("s3", "DeleteObject", ["Bucket": "b", "Key": "k"]))
            Issue.record("a declined call went through")
        } catch let error as AWSGateError {
            #expect(error.code == .notApproved)
        }
        #expect(approver.count == 1)
        try await AWSGate(policy: .standard, audit: audit, requestID: "req-1", approver: CountingApprover(true))
            .willSend(try call("s3", "DeleteObject", ["Bucket": "b", "Key": "k"]))
        #expect(audit.all.map(\.outcome) == [.succeeded, .refused, .declined])
        #expect(audit.all.map(\.action) == ["s3:ListBuckets", "s3:DeleteBucket", "s3:DeleteObject"])
        #expect(audit.all.allSatisfy { $0.requestID == "req-1" })
        #expect(audit.all.first?.awsRequestID == "aws-1")
    }

    @Test("Secrets in parameters are masked in the audit log and registered for the run, then released")
    func secrets() async throws {
        let audit = MemoryAudit()
        let scope = "run-\(UUID().uuidString)"
        let gate = AWSGate(policy: .standard, audit: audit, requestID: scope, grant: yes)
        let put = try call(
            "ssm", "PutParameter", ["Name": "db", "Value": "s3cr3t-secure-value", "Type": "SecureString"])
        try await gate.willSend(put)
        await gate.didFinish(
            put, .succeeded(requestID: nil, sensitiveValues: ["returned-secret-99"], duration: .zero))
        #expect(audit.all.first?.parameters["Value"] == .string(SecretRedactor.placeholder))
        #expect(!audit.all.first!.parameters.jsonText.contains("s3cr3t"))
        #expect(
            SecretRedactor.redact("log: s3cr3t-secure-value and returned-secret-99") == "log: [REDACTED] and [REDACTED]"
        )
        SecretRedactor.release(scope: scope)
        #expect(SecretRedactor.redact("s3cr3t-secure-value") == "s3cr3t-secure-value")
    }
}
