/// The words the offline router knows: verbs, resource nouns, keywords and fillers, and the words that negate,
/// question or condition a request. A word in none of these lists is a name where the grammar has a name slot,
/// and otherwise a word the router does not understand, which makes it refuse.
enum RequestLexicon {
    // MARK: Verbs

    /// What a clause asks for.
    enum Verb: String, Hashable, Sendable {
        // Reads.
        case list, show, count, query, scan, identity
        // Changes.
        case create, delete, upload, download, copy, move, rename, sync, presign, start, stop, terminate, invoke, call

        /// Whether the verb changes something (or, for presign, hands out access) rather than only reading.
        var changes: Bool {
            switch self {
            case .list, .show, .count, .query, .scan, .identity: false
            default: true
            }
        }
    }

    static let verbs: [String: Verb] = [
        "list": .list, "ls": .list, "enumerate": .list,
        "show": .show, "display": .show, "describe": .show, "get": .show, "view": .show, "print": .show,
        "see": .show, "find": .show, "check": .show, "inspect": .show, "what": .show, "what's": .show,
        "whats": .show, "which": .show, "tell": .show, "give": .show, "lookup": .show,
        "count": .count, "query": .query, "scan": .scan, "whoami": .identity,
        "create": .create, "make": .create, "mk": .create, "mb": .create,
        "delete": .delete, "remove": .delete, "rm": .delete, "del": .delete, "erase": .delete,
        "destroy": .delete, "empty": .delete, "purge": .delete,
        "upload": .upload, "put": .upload, "push": .upload,
        "download": .download, "fetch": .download, "pull": .download, "save": .download, "grab": .download,
        "copy": .copy, "cp": .copy, "duplicate": .copy,
        "move": .move, "mv": .move, "rename": .rename,
        "sync": .sync, "synchronize": .sync, "synchronise": .sync, "mirror": .sync,
        "presign": .presign, "share": .presign,
        "start": .start, "boot": .start,
        "stop": .stop, "halt": .stop, "shutdown": .stop,
        "terminate": .terminate,
        "invoke": .invoke, "run": .invoke, "trigger": .invoke, "execute": .invoke,
        "call": .call,
    ]

    /// Words that make a clause a presigned-URL request whatever verb it starts with ("give me a download link").
    static let presignWords: Set<String> = [
        "presign", "presigned", "pre-signed", "signed", "link", "links", "url", "urls", "share", "shareable",
        "sharable",
    ]

    // MARK: Nouns

    /// The kinds of thing a request can be about.
    enum Resource: Hashable, Sendable {
        case bucket, object, instance, vpc, subnet, securityGroup, function, user, role, policy, table, item, stack,
            stackResource, logs, logGroup, queue, identity
    }

    /// Single-word nouns, singular and plural.
    static let nouns: [String: (Resource, plural: Bool)] = {
        var nouns: [String: (Resource, plural: Bool)] = [:]
        let table: [(Resource, singular: [String], plural: [String])] = [
            (.bucket, ["bucket"], ["buckets"]),
            (.object, ["object", "file", "key", "content"], ["objects", "files", "keys", "contents", "folders"]),
            (.instance, ["instance", "server", "vm", "machine"], ["instances", "servers", "vms", "machines"]),
            (.vpc, ["vpc", "network"], ["vpcs", "networks"]),
            (.subnet, ["subnet"], ["subnets"]),
            (.securityGroup, ["sg", "firewall"], ["sgs", "firewalls"]),
            (.function, ["function", "lambda"], ["functions", "lambdas"]),
            (.user, ["user"], ["users"]),
            (.role, ["role"], ["roles"]),
            (.policy, ["policy"], ["policies"]),
            (.table, ["table"], ["tables"]),
            (.item, ["item", "record", "row"], ["items", "records", "rows"]),
            (.stack, ["stack"], ["stacks"]),
            (.stackResource, ["resource"], ["resources"]),
            (.logs, ["log"], ["logs", "events"]),
            (.queue, ["queue"], ["queues"]),
            (.identity, ["identity", "account", "caller"], []),
        ]
        for (resource, singular, plural) in table {
            for word in singular { nouns[word] = (resource, false) }
            for word in plural { nouns[word] = (resource, true) }
        }
        return nouns
    }()

    /// Two-word nouns: `security group`, `log group`, `log events`.
    static let phrases: [(first: String, second: Set<String>, resource: Resource, plural: Bool?)] = [
        ("security", ["group"], .securityGroup, false), ("security", ["groups"], .securityGroup, true),
        ("log", ["group"], .logGroup, false), ("log", ["groups"], .logGroup, true),
        ("log", ["events", "entries", "lines", "messages"], .logs, true),
        ("caller", ["identity"], .identity, false),
    ]

    /// Service names written before a noun ("ec2 instances", "dynamodb tables"): filler there, and the resource
    /// they stand for when a clause names nothing else ("list ec2").
    static let serviceAdjectives: [String: Resource?] = [
        "s3": nil, "aws": nil, "amazon": nil, "iam": nil, "ec2": .instance, "dynamodb": .table, "dynamo": .table,
        "cloudformation": .stack, "cfn": .stack, "sqs": .queue,
    ]

    /// Instance states a listing can filter by.
    static let instanceStates: Set<String> = [
        "running", "stopped", "pending", "stopping", "terminated", "shutting-down",
    ]

    // MARK: Fillers

    /// Words a read may contain that change nothing about it ("what buckets do I have?").
    static let readFiller: Set<String> = [
        "the", "a", "an", "all", "my", "our", "your", "me", "us", "please", "any", "every", "some", "existing",
        "current", "currently", "now", "there", "are", "is", "do", "does", "i", "we", "have", "has", "got", "exist",
        "exists", "that", "those", "these", "what", "which", "what's", "whats", "can", "could", "would", "you",
        "available", "?", "¿", "！",
    ]

    /// Words a change may contain that change nothing about it. Deliberately few: a change spells out what it does.
    static let changeFiller: Set<String> = ["the", "a", "an", "my", "our", "please", "now"]

    /// Articles and possessives skipped between a keyword and the name after it ("in the bucket x").
    static let articles: Set<String> = ["the", "a", "an", "my", "our", "your", "this", "that"]

    /// Pronouns that refer to the last bucket named ("create bucket x and upload ./site to it").
    static let pronouns: Set<String> = ["it", "there", "them", "this", "that"]

    /// Every word with a meaning in the grammar: none of them is read as a name, except where a name slot takes
    /// a noun ("delete bucket logs"). Negating words may be names ("list objects in bucket keep"); the screen
    /// still reads them (see ``RequestScreen``).
    static let keywords: Set<String> = [
        "with", "without", "tags", "tag", "tagged", "under", "below", "beneath", "prefix", "folder", "in",
        "into", "inside", "within", "from", "of", "on", "onto", "to", "for", "at", "where", "whose", "having",
        "named", "called", "limit", "first", "top", "max", "most", "last", "past", "matching", "containing",
        "filter", "filtered", "by", "valid", "expiring", "expires", "expire", "expiry", "lasting", "lasts",
        "everything", "contents", "level", "top-level", "recursive", "payload", "temporary", "as", "and", "then",
        "info", "information", "details", "metadata", "size", "properties", "configuration", "config", "schema",
        "document", "attached", "how", "many", "who", "am", "profile", "region", "using", "next", "good", "their",
        "its", "including", "new", "state", "status", "pre", "one", "two", "three", "four", "five", "six", "seven",
        "eight", "nine", "ten", "twelve", "fifteen", "twenty", "thirty", "group", "groups", "about", "settings",
        "stat", "stats", "head", "detail", "level", "non-recursive", "logged", "upload", "download", "attached",
        "recent", "latest", "cloudwatch", "entries", "lines", "messages", "description",
    ]

    /// Whether `word` has a meaning of its own, so it cannot be a name.
    static func isReserved(_ word: String) -> Bool {
        verbs[word] != nil || nouns[word] != nil || keywords.contains(word) || readFiller.contains(word)
            || pronouns.contains(word) || presignWords.contains(word) || serviceAdjectives[word] != nil
            || instanceStates.contains(word)
    }

    /// Number words for durations ("for one hour", "an hour").
    static let numberWords: [String: Int] = [
        "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
        "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    ]
}
