public import NimbusCore

/// Why the MCP server did not do what a client asked: a change nobody could consent to, a person who said no, a
/// read-only server, a refusal by review or policy, arguments that do not fit the tool, or questions left open.
/// Tool calls report these as tool errors (`isError: true`) with this message and suggestion.
public struct NimbusMCPError: NimbusError, Equatable {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A write or delete needs consent, and the client declared no way to ask for it (elicitation).
        case consentUnavailable = "consent_unavailable"
        /// The person at the client said no, or closed the question.
        case declined
        /// The server runs with `--read-only`.
        case readOnly = "read_only"
        /// Review or the policy refused the call.
        case refused
        /// The arguments do not match the tool's schema or checks.
        case invalidArguments = "invalid_arguments"
        /// A module request leaves questions only the person can answer.
        case questionsOpen = "questions_open"
        /// The call names local files, and the server was given no directory for them.
        case noLocalFiles = "no_local_files"
    }

    public let code: Code
    public let message: String
    public let suggestion: String?

    public static func == (lhs: NimbusMCPError, rhs: NimbusMCPError) -> Bool { lhs.code == rhs.code }

    public var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch code {
            case .consentUnavailable, .questionsOpen: .approvalRequired
            case .declined, .readOnly, .refused, .noLocalFiles: .forbidden
            case .invalidArguments: .invalidInput
            }
        return ErrorCode("nimbus_mcp", code.rawValue, kind)
    }

    /// `thread`: the ops run left waiting for the approval, which a terminal can still give.
    static func consentUnavailable(
        _ what: String, actions: [String], client: String, thread: String? = nil
    ) -> NimbusMCPError {
        let allow = actions.isEmpty ? "the actions" : actions.joined(separator: ", ")
        let terminal =
            thread.map { "approve it at a terminal with `nimbus runs resume \($0) --answer approve=true`, " }
            ?? "run it at a terminal with `nimbus ask`, "
        return NimbusMCPError(
            code: .consentUnavailable,
            message:
                "\(what) needs your consent, and \(client) cannot ask for it (it did not declare the MCP elicitation "
                + "capability); nothing that changes AWS was sent",
            suggestion:
                terminal + "use an MCP client that supports elicitation, or allow \(allow) under `allow:` in "
                + "policy.yaml in the Nimbus home")
    }

    static func declined(_ what: String, cancelled: Bool) -> NimbusMCPError {
        NimbusMCPError(
            code: .declined,
            message:
                "\(what) was not approved (\(cancelled ? "the question was closed" : "you said no")); nothing was sent",
            suggestion: nil)
    }

    static func unanswered() -> NimbusMCPError {
        NimbusMCPError(
            code: .declined, message: "the module's questions were not answered; nothing was written",
            suggestion: "call generate_module again, answering them or giving `answers` up front")
    }

    static func readOnly(_ what: String) -> NimbusMCPError {
        NimbusMCPError(
            code: .readOnly,
            message: "\(what) would change AWS, and this server runs with --read-only; nothing was sent",
            suggestion: "start `nimbus mcp` without --read-only to allow changes (each one still asks you first)")
    }

    static func refused(_ what: String, because reason: String) -> NimbusMCPError {
        NimbusMCPError(
            code: .refused, message: "\(what) was refused: \(reason); nothing was sent",
            suggestion: reason.contains("denied by") ? "change policy.yaml in the Nimbus home if it should run" : nil)
    }

    static func noLocalFiles(_ what: String) -> NimbusMCPError {
        NimbusMCPError(
            code: .noLocalFiles,
            message: "\(what) reads or writes local files, and this server may not; nothing was sent",
            suggestion: "start `nimbus mcp` with --working-directory DIR to let uploads and downloads use files there")
    }

    static func invalidArguments(tool: String, problem: String) -> NimbusMCPError {
        NimbusMCPError(
            code: .invalidArguments, message: "the arguments for \(tool) do not fit it: \(problem)",
            suggestion: "call it again with arguments that match its input schema")
    }

    static func questionsOpen(_ questions: [String], example: String) -> NimbusMCPError {
        NimbusMCPError(
            code: .questionsOpen,
            message: "the request leaves questions open, and this client cannot ask them: "
                + questions.joined(separator: "; "),
            suggestion: "call generate_module again with the answers, e.g. \"answers\": \(example)")
    }
}
