public import Logging
public import NimbusAWS
public import NimbusCore
public import NimbusStore

/// What a person, `--yes` or a policy rule approved for a scope of calls: calls up to `access` whose names match
/// one of `actions` may run without asking again.
public struct AccessGrant: Sendable, Hashable, Codable {
    public var access: AWSAccess
    /// `service:Operation` patterns (`s3:PutObject`, `*`).
    public var actions: [String]
    /// Who approved: "you", "--yes", a policy rule; nil for reads only.
    public var approvedBy: String?

    public init(access: AWSAccess, actions: [String], approvedBy: String?) {
        self.access = access
        self.actions = actions
        self.approvedBy = approvedBy
    }

    /// Nothing beyond reads.
    public static let readsOnly = AccessGrant(access: .read, actions: [], approvedBy: nil)

    /// Everything the policy does not deny (`--yes`).
    public static func everything(approvedBy: String) -> AccessGrant {
        AccessGrant(access: .delete, actions: ["*"], approvedBy: approvedBy)
    }

    /// Whether the grant covers `call`.
    public func covers(_ call: AWSOperationCall) -> Bool {
        guard call.access <= access else { return false }
        return call.actions.contains { action in actions.contains { ApprovalPolicy.matches($0, action) } }
    }
}

/// Asks a person about one call that needs more than its scope was granted (the command line's prompt for
/// `nimbus aws s3 DeleteBucket …` at a terminal). Answers no when it cannot ask.
public protocol CallApprover: Sendable {
    func approve(_ call: AWSOperationCall) async -> Bool
}

/// The one gate every AWS call of every product passes: the policy first (deny beats everything, `--yes`
/// included), then read-only, then approval for writes and deletes (what the scope was granted, else the
/// approver, else no), and every call — sent, refused or declined — in the audit log with its secrets masked.
///
/// An ``AWSClient`` is made with a gate as its ``AWSCallGuard``; products hand each tool call a client guarded by
/// ``scoped(tool:grant:)``, so the call's own approval and name apply. Values the service model marks sensitive,
/// in parameters and in answers, are registered with the run's ``SecretRedactor`` scope.
public struct AWSGate: AWSCallGuard {
    public var policy: ApprovalPolicy
    /// Refuse every call that is not a read.
    public var readOnly: Bool
    public var audit: any AuditStore
    /// The request the calls belong to: a graph thread, or a command's own id.
    public var requestID: String
    /// The tool or command making the calls, as the audit log names it.
    public var tool: String?
    public var grant: AccessGrant
    /// Asks about calls the grant does not cover; nil answers no.
    public var approver: (any CallApprover)?
    /// The ``SecretRedactor`` scope sensitive values are registered under (the run's).
    public var secretScope: String
    public var logger: Logger

    public init(
        policy: ApprovalPolicy, readOnly: Bool = false, audit: any AuditStore, requestID: String, tool: String? = nil,
        grant: AccessGrant = .readsOnly, approver: (any CallApprover)? = nil, secretScope: String? = nil,
        logger: Logger = Logger(label: "nimbus.gate")
    ) {
        self.policy = policy
        self.readOnly = readOnly
        self.audit = audit
        self.requestID = requestID
        self.tool = tool
        self.grant = grant
        self.approver = approver
        self.secretScope = secretScope ?? requestID
        self.logger = logger
    }

    /// The gate for one tool call or command: its name in the audit log, and what was approved for it.
    public func scoped(tool: String?, grant: AccessGrant) -> AWSGate {
        var gate = self
        gate.tool = tool
        gate.grant = grant
        return gate
    }

    /// What the gate decides about `call`, without asking anyone or recording anything.
    public func decide(_ call: AWSOperationCall) -> GateDecision {
        let access = call.access
        switch policy.decision(forCall: call.action, iamActions: call.iamActions, access: access) {
        case .deny(let rule, let action):
            return .refuse(
                .denied(call, rule: rule, matched: action, source: policy.source ?? "the policy"))
        case .allow where readOnly && call.access != .read, .ask where readOnly && call.access != .read:
            return .refuse(.readOnly(call))
        case .allow:
            return .send
        case .ask(let rule):
            return grant.covers(call) ? .send : .ask(rule: rule)
        }
    }

    public func willSend(_ call: AWSOperationCall) async throws {
        for value in call.sensitiveValues { SecretRedactor.register(value, scope: secretScope) }
        switch decide(call) {
        case .send:
            return
        case .refuse(let error):
            await record(call, outcome: .refused, error: error.message)
            throw error
        case .ask(let rule):
            if let approver, await approver.approve(call) { return }
            let error = AWSGateError.notApproved(call, rule: rule)
            await record(call, outcome: .declined, error: error.message)
            throw error
        }
    }

    public func didFinish(_ call: AWSOperationCall, _ result: AWSCallResult) async {
        switch result {
        case .succeeded(let requestID, let secrets, let duration):
            for value in secrets { SecretRedactor.register(value, scope: secretScope) }
            await record(call, outcome: .succeeded, awsRequestID: requestID, duration: duration)
        case .failed(let error, let requestID, let duration):
            let text: String
            if let error = error as? AWSError {
                text = "\(error.code): \(error.errorMessage)"
            } else if let error = error as? any NimbusError {
                text = error.message
            } else {
                text = "\(error)"
            }
            await record(call, outcome: .failed, error: text, awsRequestID: requestID, duration: duration)
        }
    }

    /// Records a call that never reached the gate's `willSend` (a planned step refused or declined before it
    /// ran), so "what did Nimbus do, and not do" has one answer.
    public func recordUnsent(
        service: String, operation: String, parameters: JSONValue, outcome: AuditEntry.Outcome, reason: String?,
        profile: String?, region: String?
    ) async {
        await write(
            AuditEntry(
                requestID: requestID, tool: tool, profile: profile, region: region, service: service,
                operation: operation,
                parameters: Self.stored(parameters, scope: secretScope), outcome: outcome, error: reason))
    }

    private func record(
        _ call: AWSOperationCall, outcome: AuditEntry.Outcome, error: String? = nil, awsRequestID: String? = nil,
        duration: Duration? = nil
    ) async {
        var parameters = call.redactedInput
        if case .presign(let expires) = call.purpose { parameters = parameters.merging(["ExpiresIn": .int(expires)]) }
        if call.purpose == .credentials { parameters = parameters.merging(["Purpose": "credentials"]) }
        let milliseconds = duration.map {
            Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15
        }
        await write(
            AuditEntry(
                requestID: requestID, tool: tool, profile: call.profile, region: call.region, service: call.service,
                operation: call.operation, parameters: Self.stored(parameters, scope: secretScope), outcome: outcome,
                error: error.map { SecretRedactor.redact($0) }, awsRequestID: awsRequestID,
                durationMilliseconds: milliseconds))
    }

    private func write(_ entry: AuditEntry) async {
        do {
            try await audit.recordAudit(entry)
        } catch {
            // The call already happened (or was refused); losing its record must not change that.
            logger.warning(
                "could not write the audit log", metadata: ["action": "\(entry.action)", "error": "\(error)"])
        }
    }

    /// Parameters as the audit log keeps them: secrets redacted, and large values (object bodies, payloads)
    /// replaced by their size.
    static func stored(_ input: JSONValue, scope: String) -> JSONValue {
        func shrink(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let text) where text.count > 2048: return .string("(\(text.count) characters)")
            case .array(let elements): return .array(elements.map(shrink))
            case .object(let members): return .object(members.mapValues(shrink))
            default: return value
            }
        }
        return shrink(SecretRedactor.redact(input))
    }
}

/// What the gate makes of a call.
public enum GateDecision: Sendable {
    case send
    /// Needs a person's yes; `rule` is the policy's ask rule, nil for the default rule for writes and deletes.
    case ask(rule: String?)
    case refuse(AWSGateError)
}

/// A call the gate did not let through.
public struct AWSGateError: NimbusError, Equatable {
    public enum Code: String, Sendable, Hashable { case denied, readOnly = "read_only", notApproved = "not_approved" }
    public let code: Code
    /// `service:Operation`.
    public let action: String
    public let message: String
    public let suggestion: String?

    static func denied(_ call: AWSOperationCall, rule: String, matched: String, source: String) -> AWSGateError {
        AWSGateError(
            code: .denied, action: call.action,
            message: "\(call.action) is denied by '\(rule)' in \(source)"
                + (matched == call.action ? "" : " (it is authorised by \(matched))"),
            suggestion: "nothing was sent; change the policy if this call should be allowed")
    }

    static func readOnly(_ call: AWSOperationCall) -> AWSGateError {
        AWSGateError(
            code: .readOnly, action: call.action,
            message: "\(call.action) would \(call.access.rawValue), and this is a read-only run",
            suggestion: "nothing was sent; run without --read-only to make changes")
    }

    static func notApproved(_ call: AWSOperationCall, rule: String?) -> AWSGateError {
        let why = rule.map { "the policy rule '\($0)' asks first" } ?? "it would \(call.access.rawValue)"
        return AWSGateError(
            code: .notApproved, action: call.action, message: "\(call.action) was not approved: \(why)",
            suggestion: "nothing was sent; approve it at a terminal, or pass --yes")
    }

    public static func == (lhs: AWSGateError, rhs: AWSGateError) -> Bool { lhs.code == rhs.code }
}

extension AWSGateError {
    public var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch code {
            case .notApproved: .approvalRequired
            default: .forbidden
            }
        return ErrorCode("aws_gate", code.rawValue, kind)
    }
}
