/// The rule that keeps the offline router from changing anything a person did not plainly ask for.
///
/// A request whose words ask for a change (create, delete, remove, upload, download, copy, move, rename, sync,
/// start, stop, terminate, invoke, call, presign or share, in any form: "deleting", "removal") and that anywhere
/// **negates** ("don't", "never", "nothing", "keep", "without", "just kidding"), **asks** ("?", "should I", "can
/// you", "how do I", "what if", "is it safe to") or **sets a condition** ("if", "unless", "when", "once", "after",
/// "in case", "||") is refused whole: nothing is planned, not even its reads, because which part the word governs
/// is a guess. The words are found however they are written: any case, curly or missing apostrophes ("dont",
/// "do n't", "don’t"), inside quotes, or joined to other words by punctuation ("don't-delete").
///
/// Values are not words: keys inside `s3://` URIs, local paths, ids, `key=value` tags and JSON payloads are never
/// read for these words, and neither are names a read took ("list objects in bucket run-logs?" asks for no
/// change). Negating words in a read's names still count, so a bucket called "dont" does not hide a negation.
struct RequestScreen: Sendable {
    /// Why a change was not planned.
    enum Reason: Hashable, Sendable {
        case negated, questioned, conditioned
    }

    /// What the screen found: the first word that negates, questions or conditions, and the changes it blocks.
    struct Finding: Hashable, Sendable {
        var reason: Reason
        /// The word as it stands in the request.
        var marker: String
        /// The changes the request asks for, as verbs ("delete", "upload"), in order.
        var changes: [String]
        /// The request position of the first token asking for a change.
        var firstChange: Int?
    }

    /// Screens `tokens`; `readNames` are the tokens that reads took as names.
    static func screen(_ tokens: [RequestToken], readNames: Set<Int>) -> Finding? {
        var pieces: [(word: String, token: Int)] = []
        for token in tokens where !token.isData {
            if token.kind == .separator || token.kind == .punctuation {
                let isQuestion = token.word.contains { RequestWords.questionMarks.contains($0) }
                pieces.append((isQuestion ? "?" : token.word, token.index))
                continue
            }
            for piece in split(token.word) where !isFileStem(piece, of: token.word) {
                pieces.append((piece, token.index))
            }
        }
        var changes: [String] = []
        var firstChange: Int?
        var markers: [(reason: Reason, word: String)] = []
        for (position, piece) in pieces.enumerated() {
            if piece.word == "stop" || piece.word == "halt" || piece.word == "shutdown" || piece.word == "quit" {
                // "stop deleting …", "stop the upload": a change called off. "stop the instances …": a change.
                let next = pieces[(position + 1)...].first { !softWords.contains($0.word) }
                if piece.word == "quit"
                    || next.map({ changeVerb($0.word) != nil || tokens[$0.token].kind == .separator })
                        ?? true
                {
                    markers.append((.negated, piece.word))
                    continue
                }
            }
            if let reason = reason(of: piece.word, at: position, in: pieces.map(\.word)) {
                markers.append((reason, piece.word))
            }
            let isPhrase = piece.word == "make" && pieces.dropFirst(position + 1).first?.word == "sure"
            if !readNames.contains(piece.token), !isPhrase, let verb = changeVerb(piece.word) {
                firstChange = firstChange ?? piece.token
                if !changes.contains(verb) { changes.append(verb) }
            }
        }
        guard !changes.isEmpty else { return nil }
        // The most telling word first: a negation, then a condition, then a question.
        for reason in [Reason.negated, .conditioned, .questioned] {
            if let marker = markers.first(where: { $0.reason == reason }) {
                return Finding(reason: reason, marker: marker.word, changes: changes, firstChange: firstChange)
            }
        }
        return nil
    }

    /// A word split wherever punctuation joins words ("don't-delete" is "don't", "delete"; "bucket…never" is
    /// "bucket", "never"); apostrophes stay inside words, and a lone "n't" ("do n't") stays whole.
    static func split(_ word: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        for character in word {
            if character.isLetter || character.isNumber || character == "'" {
                current.append(character)
            } else {
                if !current.isEmpty { pieces.append(current) }
                current = ""
                if RequestWords.questionMarks.contains(character) { pieces.append("?") }
            }
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces.map { piece in
            var piece = piece
            // Quotes around a word are not part of it ("'never'").
            while piece.hasSuffix("'"), !piece.hasSuffix("n't") { piece.removeLast() }
            while piece.hasPrefix("'"), piece != "'t", piece != "n't" { piece.removeFirst() }
            return piece
        }.filter { !$0.isEmpty }
    }

    /// Whether a piece of `word` is the stem of a file name ("keep" in "keep.txt"): that stem may be "keep",
    /// which then names a file rather than saying to keep one. Every other negating word counts even there.
    private static func isFileStem(_ piece: String, of word: String) -> Bool {
        piece == "keep" && word.range(of: "^keep\\.[a-z0-9]{1,5}$", options: .regularExpression) != nil
    }

    /// Whether `word` negates, questions or conditions on its own.
    static func isMarker(_ word: String) -> Bool {
        negations.contains(word) || questions.contains(word) || conditions.contains(word) || word.hasSuffix("n't")
    }

    private static func reason(of word: String, at position: Int, in words: [String]) -> Reason? {
        if negations.contains(word) || word.hasSuffix("n't") || word == "'t" { return .negated }
        if questions.contains(word) { return .questioned }
        if conditions.contains(word) { return .conditioned }
        for phrase in phrases where words[position...].starts(with: phrase.words) { return phrase.reason }
        return nil
    }

    // MARK: Words

    /// Words skipped when looking at what follows "stop".
    private static let softWords: Set<String> = [
        "the", "a", "an", "my", "our", "your", "all", "any", "this", "that", "please", "from",
    ]

    static let negations: Set<String> = [
        "not", "no", "nope", "nah", "never", "nothing", "none", "nobody", "noone", "nowhere", "neither", "nor",
        "without", "avoid", "avoiding", "refrain", "cancel", "cancelled", "canceled", "abort", "cease", "keep",
        "keeping", "preserve", "retain", "spare", "skip", "exclude", "excluding", "except", "but", "ignore",
        "forget", "nevermind", "undo", "revert", "prevent", "prohibit", "forbid", "forbidden", "disallow", "deny",
        "kidding", "joking", "jk", "psych", "wait", "hold", "instead", "rather", "nevermind", "dont", "doesnt", "didnt",
        "isnt",
        "arent", "wasnt", "werent", "wont", "cant", "cannot", "couldnt", "shouldnt", "wouldnt", "mustnt", "neednt",
        "shant", "havent", "hasnt", "hadnt", "aint", "don", "doesn", "didn", "isn", "aren", "wasn", "weren", "won",
        "couldn", "shouldn", "wouldn", "mustn", "needn", "shan", "haven", "hasn", "hadn", "ain", "nt", "n't",
        "zero",
    ]

    static let questions: Set<String> = [
        "?", "should", "shall", "can", "could", "would", "will", "may", "might", "must", "is", "are", "am", "was",
        "were", "does", "did", "do", "how", "why", "what", "what's", "whats", "which", "who", "whom", "whose",
        "where", "wonder", "wondering", "curious", "happens", "happen",
    ]

    static let conditions: Set<String> = [
        "if", "unless", "when", "whenever", "once", "after", "before", "until", "till", "til", "while", "whilst",
        "provided", "providing", "assuming", "assume", "suppose", "supposing", "otherwise", "else", "whether",
        "maybe", "perhaps", "possibly", "probably", "hypothetically", "theoretically", "pretend", "pretending",
        "imagine", "simulate", "dry", "eventually", "later", "tomorrow", "tonight", "schedule", "scheduled", "||",
        "depending", "lest",
    ]

    private static let phrases: [(words: [String], reason: Reason)] = [
        (["as", "long", "as"], .conditioned), (["so", "long", "as"], .conditioned),
        (["as", "soon", "as"], .conditioned),
        (["in", "case"], .conditioned), (["in", "the", "event"], .conditioned), (["just", "in", "case"], .conditioned),
    ]

    // MARK: Changes

    /// The verb a word asks for when it asks for a change, in any of its forms.
    static func changeVerb(_ word: String) -> String? { changeWords[word] }

    private static let changeWords: [String: String] = {
        let forms: [String: [String]] = [
            "create": ["create", "creates", "creating", "creation", "make", "makes", "making", "mk", "mb"],
            "delete": [
                "delete", "deletes", "deleted", "deleting", "deletion", "deletions", "remove", "removes", "removed",
                "removing", "removal", "rm", "rmdir", "rb", "del", "erase", "erases", "erased", "erasing", "destroy",
                "destroys", "destroyed", "destroying", "destruction", "empty", "empties", "emptied", "emptying",
                "purge", "purges", "purged", "purging", "wipe", "wipes", "wiped", "wiping", "drop", "drops",
                "dropping", "clear", "clears", "clearing", "clean", "cleans", "cleaning", "cleanup", "nuke", "nuking",
                "truncate", "truncating", "kill", "kills", "killing", "unlink", "deregister", "detach", "revoke",
            ],
            "upload": [
                "upload", "uploads", "uploaded", "uploading", "put", "puts", "putting", "push", "pushes", "pushing",
                "send", "sending", "write", "writes", "writing", "overwrite", "overwriting", "publish",
            ],
            "download": [
                "download", "downloads", "downloaded", "downloading", "fetch", "fetches", "fetching", "pull", "pulls",
                "pulling", "save", "saves", "saving", "grab", "grabbing",
            ],
            "copy": [
                "copy", "copies", "copied", "copying", "cp", "duplicate", "duplicating", "clone", "cloning",
                "replicate",
                "transfer", "transfers", "transferring", "backup",
            ],
            "move": ["move", "moves", "moved", "moving", "mv", "migrate", "migrating"],
            "rename": ["rename", "renames", "renamed", "renaming"],
            "sync": [
                "sync", "syncs", "synced", "syncing", "synchronize", "synchronise", "synchronizing", "synchronising",
                "mirror", "mirroring",
            ],
            "start": [
                "start", "starts", "started", "starting", "boot", "booting", "reboot", "rebooting", "restart",
                "restarting", "launch", "launching", "resume",
            ],
            "stop": ["stop", "stops", "halt", "halting", "shutdown", "shut", "suspend", "pause"],
            "terminate": ["terminate", "terminates", "terminating", "termination"],
            "invoke": [
                "invoke", "invokes", "invoked", "invoking", "invocation", "run", "runs", "ran", "trigger", "triggers",
                "triggered", "triggering", "execute", "executes", "executed", "executing", "execution",
            ],
            "call": ["call", "calls", "calling"],
            "presign": [
                "presign", "presigned", "pre-signed", "presigning", "share", "shares", "shared", "sharing", "link",
                "links", "url", "urls",
            ],
            "change": [
                "update", "updates", "updating", "modify", "modifying", "change", "changes", "changing", "edit",
                "editing", "setting", "attach", "enable", "disable", "grant", "deploy", "scale", "apply",
                "untag", "add", "adding", "insert", "restore", "encrypt", "decrypt", "archive", "lock",
                "unlock", "associate", "disassociate", "register", "import", "export",
            ],
        ]
        var words: [String: String] = [:]
        for (verb, list) in forms {
            for word in list { words[word] = verb }
        }
        return words
    }()
}
