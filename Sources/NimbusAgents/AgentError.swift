public import NimbusCore

/// A problem with a tool call, a plan or a policy file, naming the tool, argument or line at fault.
public struct AgentError: NimbusError {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case unknownTool, invalidArguments, badPolicy, badReference, noModel
    }
    public let code: Code
    public let message: String
    public let suggestion: String?

    public static func unknownTool(_ name: String, suggestion: String?, known: [String]) -> AgentError {
        AgentError(
            code: .unknownTool, message: "there is no tool called '\(name)'",
            suggestion: suggestion.map { "did you mean '\($0)'?" }
                ?? "known tools: \(known.prefix(12).joined(separator: ", "))\(known.count > 12 ? ", …" : "")")
    }

    public static func invalidArguments(tool: String, problems: [String]) -> AgentError {
        AgentError(
            code: .invalidArguments,
            message: "the arguments for \(tool) are not valid: \(problems.joined(separator: "; "))",
            suggestion: nil)
    }

    /// `file, line N: detail`, like every other configuration error in Nimbus.
    public static func badPolicy(file: String, line: Int?, detail: String, suggestion: String? = nil) -> AgentError {
        let location = line.map { "\(file), line \($0)" } ?? file
        return AgentError(code: .badPolicy, message: "\(location): \(detail)", suggestion: suggestion)
    }

    public static func badReference(step: Int, detail: String) -> AgentError {
        AgentError(code: .badReference, message: "step \(step) refers to \(detail)", suggestion: nil)
    }

    public static func noModel(_ detail: String) -> AgentError {
        AgentError(
            code: .noModel, message: detail,
            suggestion: "set NIMBUS_LLM=provider:model (for example openai:gpt-4o-mini) or pass --model")
    }
}

extension AgentError {
    public var errorCode: ErrorCode {
        ErrorCode("agent", code.rawValue, .invalidInput)
    }
}
