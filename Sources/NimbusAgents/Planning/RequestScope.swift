/// The most a request asked for, read from the person's own words: "list my buckets" asks to read, "upload
/// ./data to s3://x/" to write, "delete old.log from s3://x" to delete.
///
/// Every step a model proposes is checked against it, so text the model read along the way (a tag, an object,
/// a log line) cannot widen what the run does: a tag saying "delete all buckets" does not make a read request a
/// deletion. It is an upper bound only; approval and policy still apply inside it.
public struct RequestScope: Sendable, Hashable, Codable {
    public var maxAccess: ToolAccess
    /// The words that set it (`delete`, `upload`), for messages.
    public var because: [String]

    public init(maxAccess: ToolAccess, because: [String] = []) {
        self.maxAccess = maxAccess
        self.because = because
    }

    /// Verbs that ask for deletion.
    public static let deleteWords: Set<String> = [
        "delete", "deletes", "deleting", "remove", "removes", "rm", "terminate", "destroy", "purge", "empty", "drop",
        "erase", "wipe", "deregister", "detach", "revoke", "disassociate", "clean",
    ]

    /// Verbs that ask for a change short of deletion.
    public static let writeWords: Set<String> = [
        "create", "make", "upload", "put", "copy", "cp", "move", "mv", "sync", "start", "stop", "reboot", "restart",
        "invoke", "run", "execute", "trigger", "call", "untag", "set", "update", "modify", "change",
        "enable", "disable", "attach", "add", "write", "send", "publish", "deploy", "scale", "launch", "rename",
        "apply", "associate", "register", "grant", "restore", "import",
    ]

    /// The scope of a request in plain words.
    public static func infer(from text: String) -> RequestScope {
        let words = Self.words(text)
        let deletes = words.filter { deleteWords.contains($0) }
        if !deletes.isEmpty { return RequestScope(maxAccess: .delete, because: Array(Set(deletes)).sorted()) }
        let writes = words.filter { writeWords.contains($0) }
        if !writes.isEmpty { return RequestScope(maxAccess: .write, because: Array(Set(writes)).sorted()) }
        return RequestScope(maxAccess: .read)
    }

    /// Lower-cased words, with camel case split (`DeleteBucket` is "delete", "bucket") so API names count too.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previousWasLower = false
        for character in text {
            if character.isLetter || character.isNumber {
                if character.isUppercase, previousWasLower, !current.isEmpty {
                    words.append(current.lowercased())
                    current = ""
                }
                current.append(character)
                previousWasLower = character.isLowercase
            } else {
                if !current.isEmpty { words.append(current.lowercased()) }
                current = ""
                previousWasLower = false
            }
        }
        if !current.isEmpty { words.append(current.lowercased()) }
        return words
    }

    /// Why a step is beyond this scope, in words: `the request did not ask to delete anything`.
    public func refusal(for access: ToolAccess) -> String? {
        guard access > maxAccess else { return nil }
        switch access {
        case .delete: return "the request did not ask to delete anything"
        case .write: return "the request only asked to read"
        case .read: return nil
        }
    }
}
