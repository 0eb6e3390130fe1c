/// What every Nimbus error offers: a message for people that names the bad input, and optionally what to do.
///
/// Each module defines its errors as structs with a public, `Equatable` code and static constructors
/// (see `JSONValueError`), so callers match the code, never the wording; `errorCode` names it for programs
/// outside Swift, with the `ErrorKind` that sets the exit status and HTTP status.
public protocol NimbusError: Error, CustomStringConvertible, Sendable {
    /// The stable code of this error (`json_value.invalid_json`) and its kind.
    var errorCode: ErrorCode { get }
    /// One or two sentences that say what went wrong and name the value that caused it.
    var message: String { get }
    /// What the user can do about it, when there is something to say.
    var suggestion: String? { get }
}

extension NimbusError {
    public var suggestion: String? { nil }
    public var description: String {
        guard let suggestion else { return message }
        return "\(message)\n  hint: \(suggestion)"
    }
}

/// The closest of `candidates` to `word` by edit distance, when it is close enough to be a likely typo.
///
/// Used by errors that say "did you mean …?" for unknown names.
public func closestMatch(
    to word: String, in candidates: some Sequence<String>, maximumDistance: Int? = nil
)
    -> String?
{
    let limit = maximumDistance ?? max(1, word.count / 3)
    var best: (name: String, distance: Int)?
    let lowered = word.lowercased()
    for candidate in candidates {
        let distance = editDistance(lowered, candidate.lowercased())
        if distance <= limit, distance < (best?.distance ?? .max) {
            best = (candidate, distance)
        }
    }
    return best?.name
}

/// Edit distance between two strings (insertions, deletions, substitutions and swaps of neighbours each count
/// one), in Unicode scalars: "lsit" is one edit from "list".
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars)
    let b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { table[i][0] = i }
    for j in 0...b.count { table[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
            }
        }
    }
    return table[a.count][b.count]
}
