import NimbusAgents
import NimbusCore

/// Changes: each verb's form takes exactly the words it needs; a change never takes a word it does not
/// understand as a hint, and names what it cannot read.
extension RequestGrammar {
    // MARK: Buckets and objects

    mutating func create(_ clause: inout RequestClause) throws {
        let uri = clause.first { $0.uri?.key.isEmpty == true }
        guard clause.has(["bucket"]) || uri != nil else {
            if clause.has(["buckets"]) {
                throw RouteProblem(message: "create one bucket at a time: `create bucket NAME`")
            }
            throw RouteProblem(
                message:
                    "the only thing I create offline is an S3 bucket (`create bucket NAME`); for anything else use `call SERVICE Operation {…}`"
            )
        }
        clause.take(["new"])
        var name = clause.takeName(after: ["bucket"], nouns: true) ?? clause.takeName(after: ["named", "called"])
        if let uri, name == nil {
            clause.use(uri)
            name = clause.tokens[uri].uri?.bucket
        }
        clause.take(["bucket"])
        guard let name else { throw RouteProblem(message: "which bucket? say `create bucket NAME`") }
        try plan.add(S3CreateBucket(), .init(bucket: remember(name), region: region))
        try clause.finish(filler: Self.changeFiller)
    }

    mutating func delete(_ clause: inout RequestClause, word: String) throws {
        var everything = word == "empty" || word == "purge"
        if clause.takeAll(["everything", "all", "every", "contents", "content"]) > 0 { everything = true }
        let objectNoun = clause.first(["object", "objects", "file", "files", "key", "keys"])
        let bucketNoun = clause.first(["bucket", "buckets"])
        let prefix = takePrefix(&clause)
        let uris = clause.takeURIs()
        for (position, _) in uris {
            useBefore(position, ["in", "of", "from", "under", "inside", "within", "at", "the"], in: &clause)
        }
        defer { lastBucket = uris.last?.value.bucket ?? lastBucket }

        // A key written as a file ("delete keep.txt from bucket x") makes this about objects, not the bucket.
        let namesKey = clause.tokens.indices.contains { position in
            clause.isName(position)
                && ["bucket", "named", "called"].contains(clause.word(at: position - 1) ?? "") == false
                && (clause.tokens[position].text.contains(".") || clause.tokens[position].text.contains("/"))
        }
        if let bucketNoun, objectNoun == nil, !everything, prefix == nil, !namesKey {
            guard clause.tokens[bucketNoun].word == "bucket" else {
                throw RouteProblem(message: "delete one bucket at a time: `delete bucket NAME`")
            }
            var bucket: String?
            if let (_, uri) = uris.first {
                guard uris.count == 1, uri.key.isEmpty else {
                    throw RouteProblem(
                        message: "delete a bucket as `delete bucket NAME`, or objects as `delete s3://BUCKET/KEY`")
                }
                bucket = uri.bucket
                clause.use(bucketNoun)
            } else {
                bucket = takeBucket(&clause)
            }
            guard let bucket else { throw RouteProblem(message: "which bucket? say `delete bucket NAME`") }
            try plan.add(S3DeleteBucket(), .init(bucket: bucket))
            try clause.finish(filler: Self.changeFiller)
            return
        }

        if !uris.isEmpty {
            if let objectNoun { clause.use(objectNoun) }
            try deleteObjects(at: uris.map(\.value), prefix: prefix, everything: everything)
            try clause.finish(filler: Self.changeFiller)
            return
        }

        guard let bucket = takeBucket(&clause) else {
            throw RouteProblem(message: "delete what? say `delete s3://BUCKET/KEY` or `delete bucket NAME`")
        }
        // Keys: the names after an object noun ("delete files a.txt b.txt from bucket x"), or names written as
        // files ("delete keep.txt from bucket x"); a bare word is a key only after a noun.
        var keys: [String] = []
        if let objectNoun {
            keys = clause.takeNames(after: objectNoun)
            clause.use(objectNoun)
        }
        while let key = clause.takeName(where: { $0.text.contains(".") || $0.text.contains("/") }) { keys.append(key) }
        if let prefix {
            guard keys.isEmpty else {
                throw RouteProblem(message: "delete either named keys or everything under a prefix")
            }
            try plan.add(S3DeleteObjects(), .init(bucket: bucket, prefix: prefix))
        } else if !keys.isEmpty {
            try Self.refuseWildcards(keys)
            try plan.add(S3DeleteObjects(), .init(bucket: bucket, keys: keys))
        } else if everything {
            try plan.add(S3DeleteObjects(), .init(bucket: bucket, prefix: ""))
        } else {
            throw RouteProblem(
                message:
                    "delete which objects? say `delete s3://\(bucket)/KEY` or `delete everything in s3://\(bucket)/`")
        }
        try clause.finish(filler: Self.changeFiller)
    }

    /// Objects named by URIs: keys (one step per bucket), prefixes ending in "/", or a whole bucket's objects when
    /// the request says "everything".
    private mutating func deleteObjects(at uris: [S3URI], prefix: String?, everything: Bool) throws {
        var buckets: [String] = []
        var keys: [String: [String]] = [:]
        var prefixes: [(bucket: String, prefix: String)] = []
        for uri in uris {
            let isFolder = uri.key.isEmpty || uri.key.hasSuffix("/")
            if let prefix {
                guard uris.count == 1, isFolder else {
                    throw RouteProblem(message: "say the folder once: `delete everything under s3://BUCKET/prefix/`")
                }
                prefixes.append((uri.bucket, uri.key + prefix))
            } else if uri.key.isEmpty {
                guard everything else {
                    throw RouteProblem(
                        message:
                            "delete the whole bucket \(uri.bucket)? say `delete everything in s3://\(uri.bucket)/` or `delete bucket \(uri.bucket)`"
                    )
                }
                prefixes.append((uri.bucket, ""))
            } else if isFolder {
                prefixes.append((uri.bucket, uri.key))
            } else {
                guard !everything else {
                    throw RouteProblem(
                        message:
                            "\(uri.description) names one object; for everything under it say `delete everything under \(uri.description)/`"
                    )
                }
                if keys[uri.bucket] == nil { buckets.append(uri.bucket) }
                keys[uri.bucket, default: []].append(uri.key)
            }
        }
        try Self.refuseWildcards(uris.map(\.key) + prefixes.map(\.prefix))
        for (bucket, prefix) in prefixes { try plan.add(S3DeleteObjects(), .init(bucket: bucket, prefix: prefix)) }
        for bucket in buckets { try plan.add(S3DeleteObjects(), .init(bucket: bucket, keys: keys[bucket]!)) }
    }

    /// A `*` in a key is a character to S3, but a wildcard to the person who wrote it: refused either way.
    private static func refuseWildcards(_ keys: [String]) throws {
        if let key = keys.first(where: { $0.contains("*") }) {
            throw RouteProblem(
                message:
                    "“\(key)” has a wildcard, and I match no patterns; name the objects, or a folder ending in / for everything under it"
            )
        }
    }

    // MARK: Transfers

    /// One end of a transfer.
    enum Location: Hashable {
        case s3(S3URI)
        case local(String)

        var description: String {
            switch self {
            case .s3(let uri): uri.description
            case .local(let path): path
            }
        }
    }

    /// Upload, download, copy, move, rename and sync: `VERB SOURCE… to DESTINATION`, or `VERB SOURCE DESTINATION`.
    mutating func transfer(_ clause: inout RequestClause, verb: Verb) throws {
        var found: [(position: Int, location: Location)] = clause.takeURIs().map { ($0.position, .s3($0.value)) }
        found += clause.takePaths().map { ($0.position, .local($0.value)) }
        found.sort { $0.position < $1.position }
        if let first = found.first { useBefore(first.position, ["from", "the"], in: &clause) }
        let introducers: Set<String> = verb == .rename ? ["to", "as", "into"] : ["to", "into", "onto", "in", "as"]
        var sources: [Location] = []
        var destination: Location?
        if let to = clause.tokens.indices.first(where: { position in
            clause.word(at: position).map(introducers.contains) == true && found.contains { $0.position < position }
        }) {
            clause.use(to)
            sources = found.filter { $0.position < to }.map(\.location)
            let after = found.filter { $0.position > to }
            guard after.count <= 1 else {
                throw RouteProblem(
                    message:
                        "one destination at a time, not \(after.map(\.location.description).joined(separator: ", "))")
            }
            if let location = after.first?.location {
                destination = location
            } else if let bucket = takeBucket(&clause) ?? takePronoun(&clause) {
                destination = .s3(S3URI(bucket: bucket))
            } else if verb == .rename, let name = clause.takeName(where: { _ in true }) {
                destination = .local(name)  // a bare new name, read against the source below
            } else {
                throw RouteProblem(
                    message: "\(verb.rawValue) to where? say `\(verb.rawValue) SOURCE to s3://BUCKET/prefix/`")
            }
        } else if found.count == 1, verb != .download, let bucket = takePronoun(&clause) {
            // "create bucket x then upload ./site there"
            sources = [found[0].location]
            destination = .s3(S3URI(bucket: bucket))
        } else if found.count == 2 {
            sources = [found[0].location]
            destination = found[1].location
        } else if verb == .download, found.count >= 1 {
            sources = found.map(\.location)
        } else {
            throw RouteProblem(message: "\(verb.rawValue) from where to where? say `\(Self.transferExample(verb))`")
        }
        guard !sources.isEmpty else {
            throw RouteProblem(message: "\(verb.rawValue) what? say `\(Self.transferExample(verb))`")
        }
        if case .s3(let uri) = destination { lastBucket = uri.bucket }
        for source in sources {
            try transferStep(verb: verb, from: source, to: destination)
        }
        try clause.finish(filler: Self.changeFiller)
    }

    private func takePronoun(_ clause: inout RequestClause) -> String? {
        guard let lastBucket, let position = clause.take(["it", "there", "them", "that", "this"]) else { return nil }
        if clause.word(at: position + 1) == "bucket" { clause.use(position + 1) }
        return lastBucket
    }

    static func transferExample(_ verb: Verb) -> String {
        switch verb {
        case .upload: "upload ./path to s3://BUCKET/prefix/"
        case .download: "download s3://BUCKET/key to ./path"
        case .move: "move s3://BUCKET/key to s3://OTHER/key"
        case .rename: "rename s3://BUCKET/old.txt to new.txt"
        case .sync: "sync ./path to s3://BUCKET/prefix/"
        default: "copy s3://BUCKET/key to s3://OTHER/key"
        }
    }

    private mutating func transferStep(verb: Verb, from source: Location, to destination: Location?) throws {
        switch (verb, source, destination) {
        case (.upload, .local(let path), .s3(let uri)), (.copy, .local(let path), .s3(let uri)):
            try plan.add(S3Upload(), .init(source: path, destination: uri.description))
        case (.sync, .local(let path), .s3(let uri)):
            try plan.add(S3Upload(), .init(source: path, destination: uri.description, sync: true))
        case (.download, .s3(let uri), .local(let path)), (.copy, .s3(let uri), .local(let path)):
            try plan.add(S3Download(), .init(source: uri.description, destination: path))
        case (.download, .s3(let uri), nil):
            try plan.add(S3Download(), .init(source: uri.description))
        case (.sync, .s3(let uri), .local(let path)):
            try plan.add(S3Download(), .init(source: uri.description, destination: path, sync: true))
        case (.copy, .s3(let from), .s3(let to)):
            try plan.add(S3Copy(), .init(source: from.description, destination: to.description))
        case (.move, .s3(let from), .s3(let to)):
            try move(from, to: to)
        case (.rename, .s3(let from), .s3(let to)):
            try move(from, to: to)
        case (.rename, .s3(let from), .local(let name)) where !name.hasPrefix("/") && !name.hasPrefix("."):
            try move(from, to: S3URI(bucket: from.bucket, key: Self.folder(of: from.key) + name))
        case (.upload, _, _):
            throw RouteProblem(
                message: "upload sends a local file or directory to S3: `\(Self.transferExample(.upload))`")
        case (.download, _, _):
            throw RouteProblem(
                message: "download fetches from S3 to this machine: `\(Self.transferExample(.download))`")
        case (.move, _, _), (.rename, _, _):
            throw RouteProblem(
                message:
                    "I move and rename only within S3 (s3://… to s3://…); for local files use upload or download, which keep the source"
            )
        case (.sync, _, _):
            throw RouteProblem(message: "sync goes between a local directory and S3: `\(Self.transferExample(.sync))`")
        default:
            throw RouteProblem(message: "one end of a copy must be an s3:// URL: `\(Self.transferExample(.copy))`")
        }
    }

    /// The folder part of a key: "a/b/c.txt" is "a/b/", "a/b/" is "a/".
    static func folder(of key: String) -> String {
        var path = key
        if path.hasSuffix("/") { path.removeLast() }
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[...slash])
    }

    /// A move is a copy and then a deletion of the source, two steps of the plan; the deletion asks like any
    /// other. A move onto itself or into its own folder is refused: the deletion would remove the copy.
    private mutating func move(_ source: S3URI, to destination: S3URI) throws {
        try Self.refuseWildcards([source.key, destination.key])
        let sourceIsFolder = source.key.isEmpty || source.key.hasSuffix("/")
        if sourceIsFolder {
            let target =
                destination.key.isEmpty || destination.key.hasSuffix("/") ? destination.key : destination.key + "/"
            if source.bucket == destination.bucket, target.hasPrefix(source.key) || source.key.hasPrefix(target) {
                throw RouteProblem(
                    message:
                        "\(destination.description) overlaps \(source.description): deleting the source after the copy would delete the copy too"
                )
            }
            try plan.add(S3Copy(), .init(source: source.description, destination: destination.description))
            try plan.add(S3DeleteObjects(), .init(bucket: source.bucket, prefix: source.key))
        } else {
            let name = source.key.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
            let target =
                destination.key.isEmpty || destination.key.hasSuffix("/") ? destination.key + name : destination.key
            if source.bucket == destination.bucket, target == source.key {
                throw RouteProblem(message: "\(source.description) is already there; nothing to move")
            }
            try plan.add(S3Copy(), .init(source: source.description, destination: destination.description))
            try plan.add(S3DeleteObjects(), .init(bucket: source.bucket, keys: [source.key]))
        }
    }

    // MARK: Presigned URLs

    mutating func presign(_ clause: inout RequestClause) throws {
        clause.takeAll(RequestLexicon.presignWords)
        _ = clause.take(phrase: ["pre", "signed"])
        let seconds = clause.takeDuration()
        var method: String?
        if let position = clause.take(["upload", "uploading", "put", "uploads"]) {
            method = "put"
            useBefore(position, ["for", "to", "an", "a"], in: &clause)
        }
        if let position = clause.take(["download", "downloading", "get", "downloads"]) {
            guard method == nil else {
                throw RouteProblem(message: "a presigned URL is for download or upload, not both")
            }
            useBefore(position, ["for", "to", "a"], in: &clause)
        }
        let uris = clause.takeURIs()
        guard uris.count == 1, let (position, uri) = uris.first, !uri.key.isEmpty, !uri.key.hasSuffix("/") else {
            throw RouteProblem(
                message: "which object? say `presign s3://BUCKET/KEY for 2 hours` (one object, not a folder)")
        }
        useBefore(position, ["for", "of", "to", "on", "at"], in: &clause)
        if let seconds {
            guard seconds >= 1, seconds <= 604_800 else {
                throw RouteProblem(
                    message: "a presigned URL lasts from 1 second to 7 days, not \(S3Presign.duration(seconds))")
            }
        }
        try plan.add(S3Presign(), .init(uri: uri.description, expiresSeconds: seconds, method: method))
        lastBucket = uri.bucket
        try clause.finish(filler: Self.changeFiller.union(["me", "us", "i", "temporary", "one"]))
    }

    // MARK: EC2

    /// Start, stop or terminate instances: by id in one step; by tag (or "all") as a listing of the instances in
    /// states the change applies to, then the change of what it found, so the approval names real instances.
    mutating func changeInstances(_ clause: inout RequestClause, _ change: EC2ChangeInstanceStates.Change) throws {
        let all = clause.takeAll(["all", "every"]) > 0
        var filter = try instanceFilter(&clause)
        let tool = EC2ChangeInstanceStates(change)
        let ids = filter.instanceIDs ?? []
        if !ids.isEmpty, filter.tags == nil, filter.states == nil, filter.filters == nil, !all {
            try plan.add(tool, .init(instanceIDs: ids))
            try clause.finish(filler: Self.changeFiller)
            return
        }
        guard filter.tags != nil || all || filter.filters != nil else {
            throw RouteProblem(
                message:
                    "which instances? name them (i-0123…) or by tag (`\(change.rawValue) the instances tagged env=dev`)"
            )
        }
        let states = filter.states.map { $0.filter(change.fromStates.contains) } ?? change.fromStates
        guard !states.isEmpty else {
            throw RouteProblem(
                message: "instances that are \(filter.states!.joined(separator: " or ")) cannot be \(change.rawValue)ed"
            )
        }
        filter.states = states
        let lookup = try plan.add(EC2DescribeInstances(), filter)
        try plan.add(
            tool, .init(instanceIDs: []), taking: EC2ChangeInstanceStates.Input.CodingKeys.instanceIDs,
            // The listing's result names the ids it found under this key.
            from: StepReference(step: lookup, path: "instance_ids"))
        try clause.finish(filler: Self.changeFiller)
    }

    // MARK: Lambda and any API

    mutating func invoke(_ clause: inout RequestClause, word: String) throws {
        let hasNoun = clause.has(["function", "lambda"])
        guard hasNoun || word == "invoke" || word == "trigger" else {
            throw RouteProblem(message: "\(word) what? say `invoke function NAME`")
        }
        var name = clause.takeName(after: ["function", "lambda"]) ?? clause.takeName(after: ["named", "called"])
        if name == nil, !hasNoun { name = clause.takeName(where: { _ in true }) }
        clause.takeAll(["function", "lambda"])
        guard let name else { throw RouteProblem(message: "which function? say `invoke function NAME`") }
        let payload = clause.takeJSON()
        if payload != nil { clause.takeAll(["with", "payload", "input", "using", "event"]) }
        try plan.add(LambdaInvoke(), .init(function: name, payload: payload))
        try clause.finish(filler: Self.changeFiller)
    }

    mutating func call(_ clause: inout RequestClause) throws {
        if clause.has(["function", "lambda"]) {
            try invoke(&clause, word: "invoke")
            return
        }
        guard let service = clause.first(where: { $0.kind == .word && Self.isService($0.word) }),
            clause.isFree(service + 1), clause.tokens[service + 1].kind == .word,
            clause.tokens[service + 1].text.range(of: "^[A-Za-z][A-Za-z0-9_-]*$", options: .regularExpression) != nil
        else {
            throw RouteProblem(
                message: "say `call SERVICE Operation {…}` with a service such as s3, ec2, iam or dynamodb")
        }
        clause.use([service, service + 1])
        let parameters = clause.takeJSON()
        if parameters != nil { clause.take(["with"]) }
        try plan.add(
            AWSCall(),
            .init(
                service: clause.tokens[service].word, operation: clause.tokens[service + 1].text, parameters: parameters
            ))
        try clause.finish(filler: Self.changeFiller)
    }
}
