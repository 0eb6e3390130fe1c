public import NimbusCore
public import NimbusGraph

/// The question a paused run asks before a plan writes or deletes: the interrupt's value.
public struct ApprovalQuestion: Sendable, Hashable, Codable {
    public var kind = "approval"
    /// The answer's key: `nimbus runs resume THREAD --answer approve=true` answers it.
    public var key = "approve"
    /// One line: `Delete 1 object from s3://logs?`.
    public var question: String
    /// The whole plan, one step per line, so the person sees what runs with it.
    public var summary: String
    /// The numbers of the steps this approval covers.
    public var steps: [Int]
    /// The `service:Operation` actions they perform.
    public var actions: [String]
}

/// Asks a person before steps that write or delete: one graph interrupt per plan, listing the whole plan.
///
/// The answer is `true`/`false` (or `yes`/`no`), or a list of the step numbers to approve
/// (``AcceptedAnswers/approval(steps:)``). Any other answer is refused when the run is resumed, and the question
/// stays pending: an unclear answer is neither a yes nor a no.
public enum ApprovalGate {
    /// The plan with every step that needed approval approved or declined.
    ///
    /// - Parameters:
    ///   - approvedBy: approve without asking and record this as the approver (`"--yes"`); nil asks.
    ///   - context: the graph node; a question pauses the run there (its checkpoint keeps the plan).
    public static func decide(
        _ plan: [PlannedStep], approvedBy: String?, context: NodeContext
    ) throws -> [PlannedStep] {
        let waiting = plan.awaitingApproval
        guard plan.blockedBy == nil, !waiting.isEmpty else { return plan }
        let approved: Set<Int>
        let approver: String
        if let approvedBy {
            approved = Set(waiting.map(\.number))
            approver = approvedBy
        } else {
            let numbers = waiting.map(\.number)
            let answer = try context.interrupt(question(for: plan), accepts: .approval(steps: numbers))
            approved = Self.approvedSteps(answer, waiting: numbers)
            approver = "you"
        }
        return plan.map { step in
            guard case .needsApproval = step.decision else { return step }
            var step = step
            step.decision = approved.contains(step.number) ? .approved(by: approver) : .declined
            return step
        }
    }

    /// The question for a plan's waiting steps.
    public static func question(for plan: [PlannedStep]) -> ApprovalQuestion {
        let waiting = plan.awaitingApproval
        let deletes = waiting.filter { $0.access == .delete }.count
        let verb = deletes > 0 ? "deletes" : "changes"
        let head =
            waiting.count == 1
            ? "Run step \(waiting[0].number), which \(verb) something: \(waiting[0].summary)?"
            : "Run \(waiting.count) steps that change things (\(deletes) delete)?"
        var lines = ["Plan:"]
        lines += plan.map { "  " + $0.line }
        return ApprovalQuestion(
            question: head, summary: lines.joined(separator: "\n"), steps: waiting.map(\.number),
            actions: Array(Set(waiting.flatMap(\.actions))).sorted())
    }

    /// Reads an answer: yes/no for all, or the step numbers to approve (others are ignored). Anything else approves
    /// nothing, though the graph refuses such answers before a node sees them (``AcceptedAnswers/approval(steps:)``).
    public static func approvedSteps(_ answer: JSONValue, waiting: [Int]) -> Set<Int> {
        switch answer {
        case .bool(true): return Set(waiting)
        case .string(let text):
            let word = text.trimmingCharacters(in: .whitespaces).lowercased()
            if ["y", "yes", "true", "approve", "approved", "ok"].contains(word) { return Set(waiting) }
            let numbers = word.split(whereSeparator: { $0 == "," || $0 == " " }).compactMap { Int($0) }
            return Set(numbers).intersection(waiting)
        case .int(let number): return Set([number]).intersection(waiting)
        case .array(let elements): return Set(elements.compactMap(\.intValue)).intersection(waiting)
        case .object(let members):
            return approvedSteps(members["approve"] ?? .bool(false), waiting: waiting)
        default: return []
        }
    }
}
