/// What an action does to the systems it reaches: a read leaves them as they were, a write changes them, a
/// delete removes something. Ordered: a delete is more than a write, which is more than a read. Tools declare it
/// (`ToolAccess`), AWS operations have it (`AWSAccess`), and approval is asked by it.
public enum AccessLevel: String, Sendable, Hashable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    case read, write, delete

    public static func < (lhs: AccessLevel, rhs: AccessLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    public var description: String { rawValue }
}
