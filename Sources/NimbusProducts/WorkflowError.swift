public import NimbusCore

/// A problem a workflow has with what it was asked to write.
public struct WorkflowError: NimbusError {
    public enum Code: String, Sendable, Hashable, CaseIterable { case badOutput }
    public let code: Code
    public let message: String
    public let suggestion: String?

    public static func badOutput(_ path: String, detail: String) -> WorkflowError {
        WorkflowError(code: .badOutput, message: "cannot write to \(path): \(detail)", suggestion: nil)
    }
}

extension WorkflowError {
    public var errorCode: ErrorCode {
        ErrorCode("workflow", code.rawValue, .internal)
    }
}
