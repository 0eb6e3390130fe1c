public import NimbusCore

/// One step of a plan: a tool, its arguments, and what review decided about it. Plans come from the offline
/// router or from a model's tool calls; both are reviewed the same way before anything runs.
///
/// Arguments may refer to an earlier step's result with `{"$from": N, "path": "a.b"}` (step numbers start at
/// 1); the reference is replaced by that value just before the step runs, so each step's result is available to
/// the next.
public struct PlannedStep: Sendable, Hashable, Codable {
    /// The step's number, unique within the run (a model's later turns continue the count).
    public var number: Int
    /// The tool's registry name (`s3.delete_objects`).
    public var tool: String
    public var arguments: JSONValue
    /// What this input needs; set by review.
    public var access: ToolAccess
    /// The `service:Operation` actions this input performs; set by review.
    public var actions: [String]
    /// The step in a person's words; set by review.
    public var summary: String
    /// The model's tool-call id, for steps a model proposed.
    public var callID: String?
    public var decision: StepDecision

    public init(
        number: Int, tool: String, arguments: JSONValue = .object([:]), access: ToolAccess = .read,
        actions: [String] = [], summary: String = "", callID: String? = nil, decision: StepDecision = .pending
    ) {
        self.number = number
        self.tool = tool
        self.arguments = arguments
        self.access = access
        self.actions = actions
        self.summary = summary.isEmpty ? tool : summary
        self.callID = callID
        self.decision = decision
    }

    /// A step for `tool` with a typed input: the arguments are `input` encoded as JSON, and the name is the tool's
    /// own, so a plan built in code names no tool or field by a string the compiler cannot check.
    public init<T: Tool>(number: Int, tool: T, input: T.Input) throws {
        self.init(number: number, tool: tool.name, arguments: try JSONValue(encoding: input))
    }

    /// The earlier steps this step's arguments refer to.
    public var references: [Int] {
        var found: [Int] = []
        func walk(_ value: JSONValue) {
            if let number = StepReference(value)?.step {
                found.append(number)
                return
            }
            switch value {
            case .array(let elements): elements.forEach(walk)
            case .object(let members): members.values.forEach(walk)
            default: break
            }
        }
        walk(arguments)
        return Array(Set(found)).sorted()
    }

    /// One line for plans: `2. [delete, asks] delete 1 object from s3://logs (s3:DeleteObjects)`.
    public var line: String {
        let actionList = actions.isEmpty ? "" : " (\(actions.joined(separator: ", ")))"
        return "\(number). [\(access.rawValue), \(decision.label)] \(summary)\(actionList)"
    }
}

/// What review decided about a step, and later what the person said.
public enum StepDecision: Sendable, Hashable, Codable {
    /// Not reviewed yet.
    case pending
    /// Runs without a question: a read, or an action the policy allows (`rule`).
    case run(rule: String?)
    /// Waits for a person's yes (`rule`: the ask pattern, nil for the default rule for writes and deletes).
    case needsApproval(rule: String?)
    /// Approved: by a person, by `--yes`, or by the policy.
    case approved(by: String)
    /// The person said no.
    case declined
    /// Never runs, and why: unknown tool, bad arguments, denied by policy, read-only, beyond the request.
    case refused(reason: String)
    /// Has nothing to do: the earlier step it depends on found nothing ("stop the instances tagged env=dev" when
    /// none are).
    case skip(reason: String)

    /// Whether the step may run now.
    public var mayRun: Bool {
        switch self {
        case .run, .approved: return true
        default: return false
        }
    }

    public var label: String {
        switch self {
        case .pending: return "not reviewed"
        case .run(let rule): return rule.map { "allowed by \($0)" } ?? "runs"
        case .needsApproval: return "asks first"
        case .approved(let by): return "approved by \(by)"
        case .declined: return "declined"
        case .refused: return "refused"
        case .skip: return "nothing to do"
        }
    }
}

/// A reference to an earlier step's result inside a step's arguments: `{"$from": 1, "path": "instance_ids"}`.
public struct StepReference: Sendable, Hashable {
    public var step: Int
    /// A dotted path into the result (`items.0.name`); empty for the whole result.
    public var path: String

    public init(step: Int, path: String = "") {
        self.step = step
        self.path = path
    }

    /// Reads a reference written as JSON; nil for any other value.
    public init?(_ value: JSONValue) {
        guard case .object(let members) = value, let step = members["$from"]?.intValue,
            members.keys.allSatisfy({ $0 == "$from" || $0 == "path" })
        else { return nil }
        self.init(step: step, path: members["path"]?.stringValue ?? "")
    }

    /// The reference as JSON, to put in a step's arguments.
    public var json: JSONValue {
        path.isEmpty ? ["$from": .int(step)] : ["$from": .int(step), "path": .string(path)]
    }

    /// The steps whose referenced values in `arguments` are empty lists: a dependent step with nothing to act on.
    public static func emptyLists(in arguments: JSONValue, results: [Int: JSONValue]) -> [Int] {
        if let reference = StepReference(arguments) {
            let value = results[reference.step].flatMap {
                reference.path.isEmpty ? $0 : $0.value(atPath: reference.path)
            }
            return value == .array([]) ? [reference.step] : []
        }
        switch arguments {
        case .array(let elements): return elements.flatMap { emptyLists(in: $0, results: results) }
        case .object(let members): return members.values.flatMap { emptyLists(in: $0, results: results) }
        default: return []
        }
    }

    /// `arguments` with every reference replaced from `results` (by step number). Fails naming the step and the
    /// reference that has no value.
    public static func resolve(_ arguments: JSONValue, step: Int, results: [Int: JSONValue]) throws -> JSONValue {
        if let reference = StepReference(arguments) {
            guard let result = results[reference.step] else {
                throw AgentError.badReference(step: step, detail: "step \(reference.step), which has no result")
            }
            guard let value = reference.path.isEmpty ? result : result.value(atPath: reference.path) else {
                throw AgentError.badReference(
                    step: step, detail: "'\(reference.path)' in the result of step \(reference.step), which is absent")
            }
            return value
        }
        switch arguments {
        case .array(let elements):
            return .array(try elements.map { try resolve($0, step: step, results: results) })
        case .object(let members):
            return .object(try members.mapValues { try resolve($0, step: step, results: results) })
        default:
            return arguments
        }
    }
}
