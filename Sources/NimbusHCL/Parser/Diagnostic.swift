/// A problem found in HCL source: where it is (file, line, column and byte range) and what is wrong.
///
/// Parsing reports every problem it can find in a file, not only the first; evaluation and module checks
/// report theirs the same way.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// Whether the problem makes the input unusable.
    public enum Severity: String, Sendable, Hashable {
        case error, warning
    }

    public var severity: Severity
    /// A short statement of the problem.
    public var summary: String
    /// More about it: what was expected, what to do.
    public var detail: String
    /// The file, as given to the parser.
    public var filename: String
    /// The exact span the problem is about.
    public var range: SourceRange
    /// A wider span that gives the problem its context (the whole attribute, say), if any.
    public var context: SourceRange?

    public init(
        _ severity: Severity = .error, summary: String, detail: String = "", filename: String = "",
        range: SourceRange, context: SourceRange? = nil
    ) {
        self.severity = severity
        self.summary = summary
        self.detail = detail
        self.filename = filename
        self.range = range
        self.context = context
    }

    /// `file:line:column: error: summary; detail`
    public var description: String {
        let place = filename.isEmpty ? "\(range.start)" : "\(filename):\(range.start)"
        return "\(place): \(severity.rawValue): \(summary)" + (detail.isEmpty ? "" : "; \(detail)")
    }
}

extension Array where Element == Diagnostic {
    /// Whether any of these is an error.
    public var hasErrors: Bool { contains { $0.severity == .error } }
}
