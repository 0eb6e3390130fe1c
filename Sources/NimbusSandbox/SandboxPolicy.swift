public import Foundation
public import NimbusCore

/// An IAM policy document as the proxy enforces it: the `Allow` and `Deny` statements' actions (with `*` and `?`
/// wildcards, case-insensitive as IAM compares them). Resources are kept and shown, but the proxy decides on
/// actions: matching a request to the ARNs it touches needs every service's resource model.
public struct SandboxPolicy: Sendable, Hashable, Codable {
    public struct Statement: Sendable, Hashable, Codable {
        public var effect: String
        public var actions: [String]
        public var resources: [String]

        public init(effect: String = "Allow", actions: [String], resources: [String] = ["*"]) {
            self.effect = effect
            self.actions = actions
            self.resources = resources
        }
    }

    public var statements: [Statement]

    public init(statements: [Statement]) { self.statements = statements }

    /// A policy allowing exactly `actions` on any resource.
    public init(allowing actions: [String]) {
        statements = [Statement(actions: actions)]
    }

    /// Reads a policy document (`{"Version": …, "Statement": [{"Effect", "Action", "Resource"}]}`); `Action` and
    /// `Resource` may be a string or a list. `NotAction` is refused: what it allows cannot be listed.
    public init(json data: Data) throws {
        guard let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SandboxPolicyError("the policy is not a JSON object")
        }
        let raw: [Any]
        if let list = document["Statement"] as? [Any] {
            raw = list
        } else if let one = document["Statement"] as? [String: Any] {
            raw = [one]
        } else {
            throw SandboxPolicyError("the policy has no Statement")
        }
        func strings(_ value: Any?, _ field: String, _ index: Int) throws -> [String] {
            if let one = value as? String { return [one] }
            if let list = value as? [String] { return list }
            if value == nil { return [] }
            throw SandboxPolicyError("statement \(index + 1): \(field) must be a string or a list of strings")
        }
        statements = try raw.enumerated().map { index, item in
            guard let statement = item as? [String: Any] else {
                throw SandboxPolicyError("statement \(index + 1) is not an object")
            }
            if statement["NotAction"] != nil || statement["NotResource"] != nil {
                throw SandboxPolicyError("statement \(index + 1): NotAction and NotResource are not accepted")
            }
            guard let effect = statement["Effect"] as? String, ["Allow", "Deny"].contains(effect) else {
                throw SandboxPolicyError("statement \(index + 1): Effect must be Allow or Deny")
            }
            let actions = try strings(statement["Action"], "Action", index)
            if actions.isEmpty { throw SandboxPolicyError("statement \(index + 1) names no Action") }
            for action in actions where action != "*" && !action.contains(":") {
                throw SandboxPolicyError("statement \(index + 1): '\(action)' is not service:Action")
            }
            let resources = try strings(statement["Resource"], "Resource", index)
            return Statement(effect: effect, actions: actions, resources: resources.isEmpty ? ["*"] : resources)
        }
    }

    /// The policy as an IAM document.
    public var document: Data {
        let statements = statements.map { statement -> [String: Any] in
            ["Effect": statement.effect, "Action": statement.actions, "Resource": statement.resources]
        }
        let object: [String: Any] = ["Version": "2012-10-17", "Statement": statements]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }

    /// Whether every one of `actions` is allowed and none denied.
    public func allows(_ actions: [String]) -> Bool {
        actions.allSatisfy { action in
            let denied = statements.contains { $0.effect == "Deny" && $0.actions.contains { Self.matches($0, action) } }
            let allowed = statements.contains {
                $0.effect == "Allow" && $0.actions.contains { Self.matches($0, action) }
            }
            return allowed && !denied
        }
    }

    /// Every action an Allow statement names.
    public var allowedActions: [String] { statements.filter { $0.effect == "Allow" }.flatMap(\.actions) }

    /// IAM's glob: `*` any run of characters, `?` one; case-insensitive.
    static func matches(_ pattern: String, _ action: String) -> Bool {
        let pattern = Array(pattern.lowercased().utf8)
        let text = Array(action.lowercased().utf8)
        var p = 0
        var t = 0
        var star = -1
        var mark = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                mark = t
                p += 1
            } else if star >= 0 {
                p = star + 1
                mark += 1
                t = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}

/// A policy document that cannot be read.
public struct SandboxPolicyError: NimbusError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var errorCode: ErrorCode { ErrorCode("sandbox_policy", "invalid", .invalidInput) }
}
