import Foundation
import Logging
import MCP
import NimbusAWS
import NimbusAgents
import NimbusCore
import NimbusHost
import NimbusOps
import NimbusStore

/// One ops tool called by name, handled as a plan of one step: reviewed like every planned step (the tool's
/// schema and checks, read-only, the policy), asked about through the client when the policy asks first, and run
/// with a client whose every AWS call passes the host's gate and lands in the audit log. Nothing is sent before a
/// yes; refused and declined calls are in the audit log too, and every call is in the request history.
struct OpsToolCall: Sendable {
    let host: NimbusHost
    let configuration: NimbusMCPServer.Configuration
    let registry: ToolRegistry<OpsToolEnvironment>
    let logger: Logger

    /// What to do with a reviewed step.
    enum Decision: Sendable, Equatable {
        /// Run now, with what the review granted (reads only, or a policy rule's allowance).
        case run(AccessGrant)
        /// Ask the person first (`rule`: the policy's ask rule, nil for the default rule for changes).
        case ask(rule: String?)
        case refuse(reason: String)
    }

    /// The decision review's verdict calls for.
    static func decide(_ step: PlannedStep) -> Decision {
        switch step.decision {
        case .run(let rule):
            return .run(
                rule.map { AccessGrant(access: step.access, actions: step.actions, approvedBy: $0) } ?? .readsOnly)
        case .needsApproval(let rule):
            return .ask(rule: rule)
        case .refused(let reason):
            return .refuse(reason: reason)
        case .pending, .approved, .declined, .skip:
            // Review gives none of these to a step of its own; anything else is not a yes.
            return .refuse(reason: "review did not decide about it (\(step.decision.label))")
        }
    }

    func call(
        _ tool: RegisteredTool<OpsToolEnvironment>, arguments: JSONValue, person: PersonAtClient
    ) async
        -> CallTool.Result
    {
        let requestID = SortableID().rawValue
        defer { SecretRedactor.release(scope: requestID) }
        Self.registerSecrets(in: arguments, scope: requestID)
        let prepared: PreparedToolCall<OpsToolEnvironment>
        let step: PlannedStep
        let services: OpsServices
        do {
            do {
                prepared = try registry.prepare(tool.name, arguments: arguments)
            } catch let error as any NimbusError {
                throw NimbusMCPError.invalidArguments(tool: tool.modelName, problem: error.message)
            }
            let reviewer = PlanReviewer(
                registry: registry, policy: try host.policy(),
                scope: RequestScope(maxAccess: .delete, because: ["the MCP client's call"]),
                readOnly: configuration.readOnly)
            step = reviewer.review(PlannedStep(number: 1, tool: tool.name, arguments: arguments))
            services = try OpsServices.from(host.environment(), model: nil)
        } catch {
            let status = (error as? NimbusMCPError)?.code == .invalidArguments ? "invalid_arguments" : "failed"
            return ToolReply.failure(error, status: status, extra: ["tool": .string(tool.modelName)])
        }
        let what = "\(tool.modelName) (\(step.summary))"
        let gate = AWSGate(
            policy: services.policy, readOnly: configuration.readOnly, audit: host.store, requestID: requestID,
            tool: step.tool, logger: logger)
        // Where the call would go, for the question and the audit log; nothing is sent to make it.
        let target = try? services.awsClient(configuration.profile, configuration.region, gate)
        let unsent = Unsent(
            step: step, gate: gate, profile: target?.profileName ?? configuration.profile,
            region: target?.region ?? configuration.region)
        if configuration.workingDirectory == nil, ToolCatalog.localFileTools.contains(step.tool) {
            return await unsent.record(.refused, error: .noLocalFiles(what), requestID: requestID, host: host)
        }
        let grant: AccessGrant
        switch Self.decide(step) {
        case .refuse(let reason):
            let error =
                configuration.readOnly && step.access != .read
                ? NimbusMCPError.readOnly(what) : NimbusMCPError.refused(what, because: reason)
            return await unsent.record(.refused, error: error, requestID: requestID, host: host)
        case .ask:
            guard person.canBeAsked else {
                let error = NimbusMCPError.consentUnavailable(what, actions: step.actions, client: person.clientName)
                return await unsent.record(.declined, error: error, requestID: requestID, host: host)
            }
            let answer: ConsentAnswer
            do {
                answer = try await person.consent(.step(step, profile: unsent.profile, region: unsent.region))
            } catch {
                logger.warning("the client did not answer a consent question", metadata: ["error": "\(error)"])
                answer = .cancelled
            }
            guard answer == .approved else {
                let error = NimbusMCPError.declined(what, cancelled: answer == .cancelled)
                return await unsent.record(.declined, error: error, requestID: requestID, host: host)
            }
            grant = AccessGrant(access: step.access, actions: step.actions, approvedBy: "you, in \(person.clientName)")
        case .run(let granted):
            grant = granted
        }
        return await run(
            prepared, step: step, grant: grant, gate: gate, services: services, requestID: requestID)
    }

    private func run(
        _ prepared: PreparedToolCall<OpsToolEnvironment>, step: PlannedStep, grant: AccessGrant, gate: AWSGate,
        services: OpsServices, requestID: String
    ) async -> CallTool.Result {
        var history = RequestRecord(
            id: requestID, product: NimbusMCPServer.historyProduct,
            text: SecretRedactor.redact("\(step.tool): \(step.summary)"),
            status: .running, strategy: "mcp", profile: configuration.profile, region: configuration.region, steps: 1)
        do {
            let environment = try services.toolEnvironment(
                profile: configuration.profile, region: configuration.region, gate: gate,
                workingDirectory: configuration.workingDirectory)
            let context = ToolRunContext(
                tool: prepared.tool, step: 1, idempotencyKey: requestID, logger: logger, grant: grant)
            let raw = try await prepared.run(environment: environment, context: context)
            // Secrets a call returns (a presigned URL, a new key) never reach the client: it hands results to a
            // model. The person can see them with `nimbus ask` at a terminal.
            let result = SecretRedactor.redact(raw)
            var text = prepared.report(result)
            if result != raw {
                text +=
                    "\n(Secret values in the result were withheld: MCP results go to a model. Run the same request"
                    + " with `nimbus ask` at a terminal to see them once.)"
            }
            history.status = .completed
            history.answer = text
            await record(history)
            return ToolReply.success(
                text,
                json: [
                    "status": "succeeded", "tool": .string(step.tool), "summary": .string(step.summary),
                    "result": result, "request_id": .string(requestID),
                ])
        } catch {
            let failure = Self.describe(error)
            history.status = .failed
            history.answer = failure.message
            await record(history)
            return ToolReply.reply(
                "\(step.summary) failed: \(failure.message)" + (failure.hint.map { "\nHow to go on: \($0)" } ?? ""),
                json: [
                    "status": "failed", "tool": .string(step.tool), "request_id": .string(requestID),
                    "error": [
                        "message": .string(failure.message), "code": failure.code.map(JSONValue.string) ?? .null,
                        "hint": failure.hint.map(JSONValue.string) ?? .null,
                    ],
                ], isError: true)
        }
    }

    private func record(_ request: RequestRecord) async {
        do {
            try await host.store.recordRequest(request)
        } catch {
            logger.warning("could not write the request history", metadata: ["error": "\(error)"])
        }
    }

    /// An error as the person reads it: an AWS error with its code, else the error's own words.
    static func describe(_ error: any Error) -> StepFailure {
        if let error = error as? AWSError {
            return StepFailure(
                message: SecretRedactor.redact(error.message), code: error.code, hint: error.suggestion)
        }
        return StepFailure.describing(error)
    }

    /// Values under secret-sounding keys among the arguments are masked in the question, history and audit log.
    static func registerSecrets(in value: JSONValue, scope: String) {
        SecretRedactor.registerValuesUnderSensitiveKeys(in: value, scope: scope)
    }
}

/// A call that was not sent, written where sent calls are: one audit entry per action, and the request history.
private struct Unsent: Sendable {
    let step: PlannedStep
    let gate: AWSGate
    let profile: String?
    let region: String?

    func record(
        _ outcome: AuditEntry.Outcome, error: NimbusMCPError, requestID: String, host: NimbusHost
    ) async -> CallTool.Result {
        for action in step.actions {
            let parts = action.split(separator: ":", maxSplits: 1).map(String.init)
            await gate.recordUnsent(
                service: parts.first ?? action, operation: parts.last ?? action, parameters: step.arguments,
                outcome: outcome, reason: error.message, profile: profile, region: region)
        }
        try? await host.store.recordRequest(
            RequestRecord(
                id: requestID, product: NimbusMCPServer.historyProduct,
                text: SecretRedactor.redact("\(step.tool): \(step.summary)"),
                status: outcome == .refused ? .refused : .declined, answer: error.message, strategy: "mcp",
                profile: profile, region: region, steps: 1))
        return ToolReply.failure(
            error, status: outcome == .refused ? "refused" : "declined",
            extra: [
                "tool": .string(step.tool), "summary": .string(step.summary),
                "actions": .array(step.actions.map(JSONValue.string)), "request_id": .string(requestID),
            ])
    }
}
