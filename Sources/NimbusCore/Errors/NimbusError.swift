/// What every Nimbus error offers: a message for people that names the bad input, and optionally what to do.
///
/// Each module defines its errors as structs with a private code enum and static constructors
/// (see `JSONValueError`), so callers can match them without depending on their wording.
public protocol NimbusError: Error, CustomStringConvertible, Sendable {
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
public func closestMatch(to word: String, in candidates: some Sequence<String>, maximumDistance: Int? = nil)
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

/// Levenshtein distance between two strings, counted in Unicode scalars.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars)
    let b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
