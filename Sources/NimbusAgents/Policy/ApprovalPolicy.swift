import Foundation

/// Which actions run without a question, which always need one, and which never run: lists of
/// `service:Operation` patterns with `*` and `?` wildcards (`s3:Get*`, `ec2:StopInstances`, `*:Delete*`).
///
/// Deny beats ask beats allow. An action no list names keeps the default: reads run, writes and deletes ask.
/// A step with several actions is judged by its strictest one, and it is allowed only when every action is.
public struct ApprovalPolicy: Sendable, Hashable, Codable {
    public var allow: [String]
    public var ask: [String]
    public var deny: [String]
    /// Where the policy came from (a file path), for messages.
    public var source: String?

    public init(allow: [String] = [], ask: [String] = [], deny: [String] = [], source: String? = nil) {
        self.allow = allow
        self.ask = ask
        self.deny = deny
        self.source = source
    }

    /// The default: reads run, writes and deletes ask.
    public static let standard = ApprovalPolicy()

    /// What the policy says about a step with these actions and this access.
    public func decision(for actions: [String], access: ToolAccess) -> PolicyDecision {
        for action in actions {
            if let rule = deny.first(where: { Self.matches($0, action) }) {
                return .deny(rule: rule, action: action)
            }
        }
        for action in actions {
            if let rule = ask.first(where: { Self.matches($0, action) }) {
                return .ask(rule: rule)
            }
        }
        if !actions.isEmpty {
            let rules = actions.map { action in allow.first { Self.matches($0, action) } }
            if rules.allSatisfy({ $0 != nil }) { return .allow(rule: rules.compactMap { $0 }.first) }
        }
        return access == .read ? .allow(rule: nil) : .ask(rule: nil)
    }

    /// What the policy says about one AWS call, named by its operation (`s3:CopyObject`) and authorised by its IAM
    /// actions (`s3:PutObject` and `s3:GetObject`): a deny or ask rule matching any name applies; an allow rule
    /// must name the operation, or every IAM action must be allowed.
    public func decision(forCall action: String, iamActions: [String], access: ToolAccess) -> PolicyDecision {
        let names = [action] + iamActions.filter { $0 != action }
        for name in names {
            if let rule = deny.first(where: { Self.matches($0, name) }) { return .deny(rule: rule, action: name) }
        }
        for name in names {
            if let rule = ask.first(where: { Self.matches($0, name) }) { return .ask(rule: rule) }
        }
        if let rule = allow.first(where: { Self.matches($0, action) }) { return .allow(rule: rule) }
        let rules = iamActions.map { name in allow.first { Self.matches($0, name) } }
        if !rules.isEmpty, rules.allSatisfy({ $0 != nil }) { return .allow(rule: rules.compactMap { $0 }.first) }
        return access == .read ? .allow(rule: nil) : .ask(rule: nil)
    }

    /// Whether `pattern` (`s3:Delete*`) matches `action` (`s3:DeleteObjects`): service and operation are compared
    /// without regard to case, as IAM does; `*` matches any run of characters, `?` one character. A pattern of
    /// just `*` matches every action.
    public static func matches(_ pattern: String, _ action: String) -> Bool {
        if pattern == "*" { return true }
        guard let patternColon = pattern.firstIndex(of: ":"), let actionColon = action.firstIndex(of: ":") else {
            return false
        }
        return wildcard(pattern[..<patternColon], action[..<actionColon])
            && wildcard(pattern[pattern.index(after: patternColon)...], action[action.index(after: actionColon)...])
    }

    /// Whether a pattern is well formed: `*`, or `service:Operation` where both parts are letters, digits,
    /// dashes and wildcards.
    public static func isValidPattern(_ pattern: String) -> Bool {
        if pattern == "*" { return true }
        let parts = pattern.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "*" || $0 == "?" }
        }
    }

    private static func wildcard(_ pattern: Substring, _ text: Substring) -> Bool {
        let pattern = Array(pattern.lowercased())
        let text = Array(text.lowercased())
        // Iterative glob matching with backtracking to the last star: linear for the patterns policies use.
        var p = 0
        var t = 0
        var star: Int?
        var resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == "?" || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                resume = t
                p += 1
            } else if let starIndex = star {
                p = starIndex + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

/// What a policy says about one step.
public enum PolicyDecision: Sendable, Hashable, Codable {
    /// Runs without a question; `rule` is the allow pattern that said so (nil: a read, allowed by default).
    case allow(rule: String?)
    /// Needs a person's yes; `rule` is the ask pattern that said so (nil: a write or delete, asked by default).
    case ask(rule: String?)
    /// Never runs: `rule` denied `action`.
    case deny(rule: String, action: String)
}
