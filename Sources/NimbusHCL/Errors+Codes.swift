public import NimbusCore

// The errors of NimbusHCL's library calls (typed throws) are `NimbusError`s too, so a program matches them by
// code like every other: all are `hcl.*` and invalid input.

extension ConversionError: NimbusError {
    public var errorCode: ErrorCode { ErrorCode("hcl", "conversion", .invalidInput) }
}

extension TypeConstraintError: NimbusError {
    public var errorCode: ErrorCode { ErrorCode("hcl", "type_constraint", .invalidInput) }
}

extension EvaluationError: NimbusError {
    public var message: String {
        diagnostic.detail.isEmpty ? diagnostic.summary : "\(diagnostic.summary): \(diagnostic.detail)"
    }
    public var errorCode: ErrorCode { ErrorCode("hcl", "evaluation", .invalidInput) }
}

extension Formatter.FormatError: NimbusError {
    public var message: String {
        diagnostics.map { $0.detail.isEmpty ? $0.summary : "\($0.summary): \($0.detail)" }.joined(separator: "; ")
    }
    public var errorCode: ErrorCode { ErrorCode("hcl", "format", .invalidInput) }
}

extension BuilderError: NimbusError {
    public var errorCode: ErrorCode { ErrorCode("hcl", "builder", .invalidInput) }
}
