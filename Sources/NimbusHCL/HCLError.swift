public import NimbusCore

/// A problem using NimbusHCL that is not a diagnostic in a source file: unreadable files, bad JSON, a module
/// directory with no configuration. The message names the file or value.
public struct HCLError: NimbusError {
    /// Which problem this is.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        public var description: String { name }

        public static let unreadableFile = Kind(name: "unreadableFile")
        public static let invalidJSON = Kind(name: "invalidJSON")
        public static let notAModule = Kind(name: "notAModule")
        public static let invalidSyntax = Kind(name: "invalidSyntax")
        public static let evaluation = Kind(name: "evaluation")
    }

    public let kind: Kind
    public let message: String
    public let suggestion: String?
    /// The diagnostics behind an ``Kind/invalidSyntax`` error.
    public let diagnostics: [Diagnostic]

    init(_ kind: Kind, _ message: String, suggestion: String? = nil, diagnostics: [Diagnostic] = []) {
        self.kind = kind
        self.message = message
        self.suggestion = suggestion
        self.diagnostics = diagnostics
    }

    static func unreadableFile(_ path: String, reason: String) -> HCLError {
        HCLError(.unreadableFile, "cannot read '\(path)': \(reason)")
    }

    static func invalidJSON(_ detail: String, file: String? = nil) -> HCLError {
        HCLError(.invalidJSON, "\(file.map { "'\($0)' is not valid JSON: " } ?? "invalid JSON: ")\(detail)")
    }

    static func notAModule(_ path: String) -> HCLError {
        HCLError(
            .notAModule, "'\(path)' contains no .tf or .tf.json files",
            suggestion: "pass the directory that holds the module's .tf files")
    }

    static func invalidSyntax(_ path: String, _ diagnostics: [Diagnostic]) -> HCLError {
        let first = diagnostics.first { $0.severity == .error }
        return HCLError(
            .invalidSyntax, "'\(path)' is not valid HCL: \(first.map { "\($0)" } ?? "syntax error")",
            diagnostics: diagnostics)
    }

    static func evaluation(_ message: String) -> HCLError { HCLError(.evaluation, message) }
}

extension HCLError {
    public var errorCode: ErrorCode { ErrorCode("hcl", kind.description, .invalidInput) }
}
