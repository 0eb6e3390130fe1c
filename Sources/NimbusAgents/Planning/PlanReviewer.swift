import NimbusCore

/// Decides, before anything runs, what each step of a plan may do: the tool must exist and accept the arguments;
/// a read-only run refuses every step that is not a read; a step beyond the request's scope is refused; then the
/// policy allows, asks or denies.
///
/// Plans are all or nothing: when one step is refused, none runs (see ``PlannedStep/blockedBy``), because the
/// steps of a plan depend on each other ("create bucket X and upload ./site to it").
public struct PlanReviewer<Environment: Sendable>: Sendable {
    public var registry: ToolRegistry<Environment>
    public var policy: ApprovalPolicy
    public var scope: RequestScope
    public var readOnly: Bool

    public init(registry: ToolRegistry<Environment>, policy: ApprovalPolicy, scope: RequestScope, readOnly: Bool) {
        self.registry = registry
        self.policy = policy
        self.scope = scope
        self.readOnly = readOnly
    }

    /// The steps with access, actions, summary and decision filled in.
    public func review(_ steps: [PlannedStep]) -> [PlannedStep] {
        steps.map(review)
    }

    /// One step reviewed. A step whose arguments still refer to an earlier result is judged by its tool's
    /// declared access and actions until the reference is resolved, then reviewed again.
    public func review(_ step: PlannedStep) -> PlannedStep {
        var step = step
        if !step.references.isEmpty {
            guard let tool = registry.tool(named: step.tool) else {
                return refuse(step, because: unknownToolMessage(step.tool))
            }
            step.tool = tool.name
            step.access = tool.access
            step.actions = tool.actions
            let sources = step.references.map { "step \($0)" }.joined(separator: " and ")
            step.summary = "\(tool.summary.lowercasedFirst) (with what \(sources) finds)"
        } else {
            do {
                let prepared = try registry.prepare(step.tool, arguments: step.arguments)
                step.tool = prepared.tool
                step.access = prepared.access
                step.actions = prepared.actions
                step.summary = prepared.summary
            } catch let error as any NimbusError {
                return refuse(step, because: error.description)
            } catch {
                return refuse(step, because: "\(error)")
            }
        }
        if readOnly, step.access != .read {
            return refuse(step, because: "this is a read-only run and \(step.tool) would \(step.access.rawValue)")
        }
        if let beyond = scope.refusal(for: step.access) {
            return refuse(step, because: "\(beyond), and \(step.tool) would \(step.access.rawValue)")
        }
        switch policy.decision(for: step.actions, access: step.access) {
        case .deny(let rule, let action):
            return refuse(step, because: "\(action) is denied by '\(rule)' in \(policy.source ?? "the policy")")
        case .ask(let rule):
            step.decision = .needsApproval(rule: rule)
        case .allow(let rule):
            step.decision = .run(rule: rule)
        }
        return step
    }

    private func refuse(_ step: PlannedStep, because reason: String) -> PlannedStep {
        var step = step
        step.decision = .refused(reason: reason)
        return step
    }

    private func unknownToolMessage(_ name: String) -> String {
        do {
            _ = try registry.prepare(name, arguments: .object([:]))
            return "there is no tool called '\(name)'"
        } catch {
            return "\(error)"
        }
    }
}

extension [PlannedStep] {
    /// The first refused step, which keeps the whole plan from running.
    public var blockedBy: PlannedStep? {
        first { if case .refused = $0.decision { return true } else { return false } }
    }

    /// Steps waiting for a person's yes.
    public var awaitingApproval: [PlannedStep] {
        filter { if case .needsApproval = $0.decision { return true } else { return false } }
    }

    /// The plan as lines, one per step.
    public var lines: [String] { map(\.line) }
}

extension String {
    var lowercasedFirst: String {
        guard let first else { return self }
        return first.lowercased() + dropFirst()
    }
}
