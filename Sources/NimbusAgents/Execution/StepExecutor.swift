import NimbusAWS
public import NimbusCore
public import NimbusGraph

/// Runs a reviewed plan inside a graph node, in order, each step a recorded step of the node: a resumed,
/// retried or crashed-and-restarted run returns the stored outcome instead of calling the tool again.
///
/// References to earlier results are resolved just before a step runs and the step is reviewed again with its
/// real arguments, so a resolved value cannot slip past the policy. The first failure stops the plan; the rest
/// is reported as skipped.
public struct StepExecutor<Environment: Sendable>: Sendable {
    public var reviewer: PlanReviewer<Environment>
    /// The tools' environment for this run, made when a step first needs it.
    public var environment: @Sendable (NodeContext) throws -> Environment
    /// Turns an error into what a person should read; ``StepFailure/describing(_:)`` by default.
    public var describeFailure: @Sendable (any Error) -> StepFailure
    /// Where the secrets of each result go before the result is redacted for keeping: to the person who asked,
    /// once (see ``RevealedSecrets``).
    public var revealed: RevealedSecrets?
    /// Opens the sealed secrets among a step's arguments just before it runs (``SecretSeal/open(_:)``).
    public var openSealed: @Sendable (JSONValue) throws -> JSONValue

    public init(
        reviewer: PlanReviewer<Environment>, environment: @escaping @Sendable (NodeContext) throws -> Environment,
        describeFailure: @escaping @Sendable (any Error) -> StepFailure = StepFailure.describing,
        revealed: RevealedSecrets? = nil, openSealed: @escaping @Sendable (JSONValue) throws -> JSONValue = { $0 }
    ) {
        self.reviewer = reviewer
        self.environment = environment
        self.describeFailure = describeFailure
        self.revealed = revealed
        self.openSealed = openSealed
    }

    /// Runs the reads that later steps of `plan` depend on, so the approval question can name concrete resources
    /// ("stop i-0abc and i-0def" rather than "stop what step 1 finds"). Returns the plan with those references
    /// resolved and reviewed again, and the outcomes of the reads (which ``execute(_:after:context:)`` will not
    /// repeat).
    public func preview(
        _ plan: [PlannedStep], after earlier: [ExecutedStep], context: NodeContext
    ) async throws -> (plan: [PlannedStep], executed: [ExecutedStep]) {
        guard plan.blockedBy == nil else { return (plan, []) }
        var plan = plan
        var executed: [ExecutedStep] = []
        var results = Self.results(of: earlier)
        let needed = Set(plan.flatMap(\.references))
        for index in plan.indices {
            let step = plan[index]
            if !step.references.isEmpty {
                guard step.references.allSatisfy({ results[$0] != nil }) else { continue }
                plan[index] = try resolved(step, results: results)
                continue
            }
            guard needed.contains(step.number), step.access == .read, case .run = step.decision else { continue }
            let outcome = try await run(step, context: context)
            executed.append(outcome)
            guard outcome.status == .succeeded, let result = outcome.result else { break }
            results[step.number] = result
        }
        return (plan, executed)
    }

    /// Runs every step of `plan` that may run and has not run yet (`earlier` holds previewed and previous
    /// outcomes), in order; returns the outcomes of this plan's steps, previewed ones included.
    public func execute(
        _ plan: [PlannedStep], after earlier: [ExecutedStep], context: NodeContext
    ) async throws -> [ExecutedStep] {
        let done = Dictionary(earlier.map { ($0.step.number, $0) }, uniquingKeysWith: { _, last in last })
        if let blocker = plan.blockedBy, case .refused(let reason) = blocker.decision {
            return plan.map { step in
                if case .refused(let own) = step.decision {
                    return ExecutedStep(step: step, status: .refused, reason: own)
                }
                return ExecutedStep(
                    step: step, status: .skipped, reason: "not run: step \(blocker.number) was refused (\(reason))")
            }
        }
        var results = Self.results(of: earlier)
        var outcomes: [ExecutedStep] = []
        var stoppedBy: ExecutedStep?
        for var step in plan {
            if let previous = done[step.number] {
                outcomes.append(previous)
                if previous.status == .failed { stoppedBy = previous }
                continue
            }
            if let stoppedBy {
                outcomes.append(
                    ExecutedStep(
                        step: step, status: .skipped,
                        reason: "not run: step \(stoppedBy.step.number) \(stoppedBy.status.rawValue)"))
                continue
            }
            if !step.references.isEmpty {
                do {
                    step = try resolved(step, results: results)
                } catch {
                    let outcome = ExecutedStep(step: step, status: .failed, failure: describeFailure(error))
                    outcomes.append(outcome)
                    stoppedBy = outcome
                    continue
                }
            }
            step = recheck(step)
            switch step.decision {
            case .declined:
                outcomes.append(ExecutedStep(step: step, status: .declined, reason: "you said no"))
            case .needsApproval, .pending:
                outcomes.append(ExecutedStep(step: step, status: .declined, reason: "not approved"))
            case .refused(let reason):
                outcomes.append(ExecutedStep(step: step, status: .refused, reason: reason))
                stoppedBy = outcomes.last
            case .skip(let reason):
                outcomes.append(ExecutedStep(step: step, status: .skipped, reason: reason))
            case .run, .approved:
                let outcome = try await run(step, context: context)
                outcomes.append(outcome)
                if outcome.status == .failed { stoppedBy = outcome }
                if let result = outcome.result { results[step.number] = result }
            }
        }
        return outcomes
    }

    /// The step judged again, now, just before it runs: the policy (reloaded by a resumed run) and read-only may
    /// have changed since the plan was reviewed and approved. A deny or read-only refuses it; a step the policy
    /// let run without asking that it now asks about is declined (it was never approved); a person's approval
    /// still stands otherwise.
    func recheck(_ step: PlannedStep) -> PlannedStep {
        guard step.decision.mayRun else { return step }
        var again = reviewer.review(step)
        switch (step.decision, again.decision) {
        case (_, .refused):
            return again
        case (.approved, _):
            again.decision = step.decision
        case (.run, .needsApproval):
            again.decision = .needsApproval(rule: nil)
        default:
            break
        }
        return again
    }

    /// What the step's approval lets its tool do beyond reads.
    static func grant(for step: PlannedStep) -> AccessGrant {
        let access = step.access
        switch step.decision {
        case .approved(let by): return AccessGrant(access: access, actions: step.actions, approvedBy: by)
        case .run(let rule?): return AccessGrant(access: access, actions: step.actions, approvedBy: rule)
        default: return .readsOnly
        }
    }

    /// Runs one step as a recorded step. Failures are recorded too, so a resume never repeats a call that failed
    /// half-way through. The result is kept with its secrets redacted; the secrets themselves go to
    /// ``revealed``, for the person who asked.
    func run(_ step: PlannedStep, context: NodeContext) async throws -> ExecutedStep {
        try await context.step("step-\(step.number)") { recorded in
            do {
                let call = try reviewer.registry.prepare(step.tool, arguments: try openSealed(step.arguments))
                let environment = try environment(context)
                let toolContext = ToolRunContext(
                    tool: call.tool, step: step.number, idempotencyKey: recorded.idempotencyKey,
                    mayHaveRunBefore: recorded.mayHaveRunBefore, logger: context.logger, grant: Self.grant(for: step),
                    progress: { message, fraction in context.progress(message, fraction: fraction) })
                context.progress("step \(step.number): \(step.summary)")
                let raw = try await call.run(environment: environment, context: toolContext)
                let result = SecretRedactor.redact(raw)
                revealed?.add(RevealedSecrets.differences(raw, result), step: step.number)
                return ExecutedStep(step: step, status: .succeeded, result: result, report: call.report(result))
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                return ExecutedStep(step: step, status: .failed, failure: describeFailure(error))
            }
        }
    }

    /// The step with its references replaced by earlier results, reviewed again; a reference to an empty list
    /// means there is nothing to do.
    func resolved(_ step: PlannedStep, results: [Int: JSONValue]) throws -> PlannedStep {
        var step = step
        let empty = StepReference.emptyLists(in: step.arguments, results: results)
        step.arguments = try StepReference.resolve(step.arguments, step: step.number, results: results)
        if let source = empty.first {
            step.decision = .skip(reason: "step \(source) found nothing to act on")
            return step
        }
        let earlierDecision = step.decision
        step = reviewer.review(step)
        // A person's or --yes's approval given before resolution still holds unless review now refuses the step.
        if case .approved = earlierDecision, step.decision.mayRun || isAsk(step.decision) {
            step.decision = earlierDecision
        }
        return step
    }

    private func isAsk(_ decision: StepDecision) -> Bool {
        if case .needsApproval = decision { return true }
        return false
    }

    static func results(of executed: [ExecutedStep]) -> [Int: JSONValue] {
        var results: [Int: JSONValue] = [:]
        for outcome in executed where outcome.status == .succeeded {
            if let result = outcome.result { results[outcome.step.number] = result }
        }
        return results
    }
}
