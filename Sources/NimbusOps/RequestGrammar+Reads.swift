import NimbusCore

/// Reads: what a read is about decides its form ("list objects in bucket x": objects, in a bucket), and the
/// form says which other words it takes.
extension RequestGrammar {
    /// What a read is about: its first resource noun, or the first thing it names (a URI, an instance id).
    struct Subject {
        var resource: Resource
        var plural: Bool
    }

    static let readFiller = RequestLexicon.readFiller.union(RequestLexicon.serviceAdjectives.keys)

    static func subject(of clause: RequestClause) -> Subject? {
        for position in clause.tokens.indices where clause.isFree(position) {
            let token = clause.tokens[position]
            switch token.kind {
            case .word:
                if let next = clause.word(at: position + 1),
                    let phrase = RequestLexicon.phrases.first(where: {
                        $0.first == token.word && $0.second.contains(next)
                    })
                {
                    return Subject(resource: phrase.resource, plural: phrase.plural ?? false)
                }
                if let (resource, plural) = RequestLexicon.nouns[token.word] {
                    return Subject(resource: resource, plural: plural)
                }
            case .s3URI: return Subject(resource: .object, plural: true)
            case .instanceID: return Subject(resource: .instance, plural: false)
            case .resourceID:
                if token.word.hasPrefix("vpc-") { return Subject(resource: .vpc, plural: false) }
                if token.word.hasPrefix("subnet-") { return Subject(resource: .subnet, plural: false) }
                return Subject(resource: .securityGroup, plural: false)
            case .arn: return Subject(resource: .policy, plural: false)
            default: continue
            }
        }
        for position in clause.tokens.indices {
            if let word = clause.word(at: position), let resource = RequestLexicon.serviceAdjectives[word] ?? nil {
                return Subject(resource: resource, plural: true)
            }
        }
        return nil
    }

    mutating func read(_ clause: inout RequestClause, verb: Verb) throws {
        if verb == .count { counts = true }
        let subject = verb == .identity ? Subject(resource: .identity, plural: false) : Self.subject(of: clause)
        guard let subject else {
            try clause.finish(filler: Self.readFiller)
            throw RouteProblem(message: "it does not say what to \(verb == .count ? "count" : "show")")
        }
        if verb == .query || verb == .scan {
            guard subject.resource == .table || subject.resource == .item else {
                throw RouteProblem(
                    message: "only DynamoDB tables can be queried or scanned (`\(verb.rawValue) table NAME`)")
            }
            try items(&clause, verb: verb, plural: true)
            try clause.finish(filler: Self.readFiller)
            return
        }
        switch subject.resource {
        case .bucket: try buckets(&clause, verb: verb, plural: subject.plural)
        case .object: try objects(&clause, verb: verb)
        case .instance: try instances(&clause)
        case .vpc: try vpcs(&clause)
        case .subnet: try subnets(&clause)
        case .securityGroup: try securityGroups(&clause)
        case .function: try functions(&clause, plural: subject.plural)
        case .user:
            clause.takeAll(["user", "users", "iam"])
            try plan.add(IAMListUsers(), .init())
        case .role:
            clause.takeAll(["role", "roles", "iam"])
            try plan.add(IAMListRoles(), .init())
        case .policy: try policies(&clause, plural: subject.plural)
        case .table: try tables(&clause, plural: subject.plural)
        case .item: try items(&clause, verb: verb, plural: subject.plural)
        case .stack, .stackResource: try stacks(&clause, subject: subject)
        case .logs: try logs(&clause)
        case .logGroup:
            _ = clause.take(phrase: ["log", "groups"]) || clause.take(phrase: ["log", "group"])
            try plan.add(AWSCall(), .init(service: "logs", operation: "DescribeLogGroups"))
        case .queue:
            clause.takeAll(["queue", "queues", "sqs"])
            let prefix = clause.takeName(after: ["prefix"])
            if prefix != nil { clause.take(["with"]) }
            try plan.add(SQSListQueues(), .init(prefix: prefix))
        case .identity:
            _ = clause.take(phrase: ["caller", "identity"])
            clause.takeAll(["identity", "account", "caller", "am", "i", "using", "logged", "as", "in"])
            try plan.add(STSCallerIdentity(), .init())
        }
        try clause.finish(filler: Self.readFiller)
    }

    // MARK: S3

    private mutating func buckets(_ clause: inout RequestClause, verb: Verb, plural: Bool) throws {
        if !plural, let bucket = takeBucket(&clause) {
            try listObjects(&clause, bucket: bucket, prefix: takePrefix(&clause) ?? "")
            return
        }
        clause.takeAll(["bucket", "buckets"])
        var includeTags: Bool?
        if let position = clause.take(["tags", "tag"]) {
            useBefore(position, ["with", "their", "its", "including", "plus", "and", "the"], in: &clause)
            includeTags = true
        }
        try plan.add(S3ListBuckets(), .init(includeTags: includeTags))
    }

    private static let objectNouns: Set<String> = [
        "object", "objects", "file", "files", "key", "keys", "content", "contents", "folders",
    ]
    private static let infoWords: Set<String> = [
        "info", "information", "details", "detail", "metadata", "size", "properties", "stat", "stats", "head",
    ]

    private mutating func objects(_ clause: inout RequestClause, verb: Verb) throws {
        let folders =
            clause.first(["folders"]) != nil || clause.take(phrase: ["top", "level"])
            || clause.take(["top-level", "non-recursive"]) != nil
        // "show object KEY in bucket B": a key after a singular noun.
        var key: String?
        if let noun = clause.first(["object", "file", "key"]) {
            key = clause.takeName(after: [clause.tokens[noun].word])
        }
        let pluralNoun = clause.has(["objects", "files", "keys", "contents", "folders"])
        clause.takeAll(Self.objectNouns)
        let wantsInfo = clause.has(Self.infoWords)
        while let info = clause.take(Self.infoWords) {
            if let after = clause.word(at: info + 1), ["of", "for", "about", "on"].contains(after) {
                clause.use(info + 1)
            }
        }
        let uris = clause.takeURIs()
        for (position, _) in uris {
            useBefore(position, ["in", "of", "from", "under", "inside", "within", "at", "for", "the"], in: &clause)
        }
        guard !uris.isEmpty else {
            guard let bucket = takeBucket(&clause) else {
                throw RouteProblem(
                    message: "which bucket? say `list objects in bucket NAME` or `list s3://NAME/prefix/`")
            }
            if let key {
                try plan.add(S3ObjectInfo(), .init(uri: S3URI(bucket: bucket, key: key).description))
                return
            }
            try listObjects(&clause, bucket: bucket, prefix: takePrefix(&clause) ?? "", folders: folders)
            return
        }
        if key != nil { throw RouteProblem(message: "name the object once, as s3://BUCKET/KEY") }
        let prefix = takePrefix(&clause)
        for (_, uri) in uris {
            lastBucket = uri.bucket
            let isObject = !uri.key.isEmpty && !uri.key.hasSuffix("/")
            if let prefix {
                guard !isObject else {
                    throw RouteProblem(message: "\(uri.description) is an object, not a folder to look under")
                }
                try listObjects(&clause, bucket: uri.bucket, prefix: uri.key + prefix, folders: folders)
            } else if isObject, wantsInfo || verb != .list && verb != .count && !pluralNoun && !folders {
                try plan.add(S3ObjectInfo(), .init(uri: uri.description))
            } else {
                try listObjects(&clause, bucket: uri.bucket, prefix: uri.key, folders: folders)
            }
        }
    }

    private mutating func listObjects(
        _ clause: inout RequestClause, bucket: String, prefix: String, folders: Bool = false
    ) throws {
        let limit = try Self.check(
            clause.takeNumber(after: ["limit", "first", "top", "max", "most"]), atMost: 100_000, "the number of keys")
        let folders = folders || clause.take(["folders"]) != nil
        try plan.add(
            S3ListObjects(),
            .init(
                bucket: bucket, prefix: prefix.isEmpty ? nil : prefix, recursive: folders ? false : nil, maxKeys: limit)
        )
    }

    // MARK: EC2

    private static let instanceNouns: Set<String> = [
        "instance", "instances", "server", "servers", "vm", "vms", "machine", "machines", "ec2",
    ]

    /// The instance filter a clause names: ids, tags, states, a VPC.
    mutating func instanceFilter(_ clause: inout RequestClause) throws -> EC2DescribeInstances.Input {
        clause.takeAll(Self.instanceNouns)
        let ids = clause.take(kind: .instanceID)
        let tags = try Self.tagMap(
            clause.takePairs(introducedBy: ["tagged", "tag", "tags", "with", "where", "having", "whose", "and"]))
        var states: [String] = []
        while let position = clause.take(RequestLexicon.instanceStates) {
            states.append(clause.tokens[position].word)
            useBefore(position, ["in", "state", "status", "are", "is", "that", "which", "currently"], in: &clause)
        }
        let vpcs = takeVPCs(&clause)
        return .init(
            instanceIDs: ids.isEmpty ? nil : ids, tags: tags, states: states.isEmpty ? nil : states,
            filters: vpcs.isEmpty ? nil : ["vpc-id": vpcs])
    }

    private mutating func instances(_ clause: inout RequestClause) throws {
        try plan.add(EC2DescribeInstances(), try instanceFilter(&clause))
    }

    private func takeVPCs(_ clause: inout RequestClause) -> [String] {
        let vpcs = clause.takeEach { $0.kind == .resourceID && $0.word.hasPrefix("vpc-") ? $0.word : nil }
        for (position, _) in vpcs {
            useBefore(position, ["in", "of", "for", "vpc", "inside", "within", "from", "the"], in: &clause)
        }
        return vpcs.map(\.value)
    }

    private mutating func vpcs(_ clause: inout RequestClause) throws {
        clause.takeAll(["vpc", "vpcs", "network", "networks"])
        let ids = takeVPCs(&clause)
        let tags = try Self.tagMap(clause.takePairs(introducedBy: ["tagged", "tag", "with", "where", "and"]))
        try plan.add(EC2DescribeVPCs(), .init(vpcIDs: ids.isEmpty ? nil : ids, tags: tags))
    }

    private mutating func subnets(_ clause: inout RequestClause) throws {
        clause.takeAll(["subnet", "subnets"])
        let vpcs = takeVPCs(&clause)
        guard vpcs.count <= 1 else { throw RouteProblem(message: "name one VPC for the subnets, not \(vpcs.count)") }
        let ids = clause.takeIDs(prefix: "subnet-")
        try plan.add(EC2DescribeSubnets(), .init(vpcID: vpcs.first, subnetIDs: ids.isEmpty ? nil : ids))
    }

    private mutating func securityGroups(_ clause: inout RequestClause) throws {
        _ = clause.take(phrase: ["security", "groups"]) || clause.take(phrase: ["security", "group"])
        clause.takeAll(["sg", "sgs", "firewall", "firewalls"])
        let vpcs = takeVPCs(&clause)
        guard vpcs.count <= 1 else {
            throw RouteProblem(message: "name one VPC for the security groups, not \(vpcs.count)")
        }
        let ids = clause.takeIDs(prefix: "sg-")
        let name = clause.takeName(after: ["named", "called"])
        try plan.add(
            EC2DescribeSecurityGroups(),
            .init(vpcID: vpcs.first, groupIDs: ids.isEmpty ? nil : ids, names: name.map { [$0] }))
    }

    // MARK: Lambda, IAM

    private mutating func functions(_ clause: inout RequestClause, plural: Bool) throws {
        let name = clause.takeName(after: ["function", "lambda"]) ?? clause.takeName(after: ["named", "called"])
        clause.takeAll(["function", "functions", "lambda", "lambdas"])
        if let info = clause.take(["configuration", "config", "settings", "details"]) {
            if let after = clause.word(at: info + 1), ["of", "for"].contains(after) { clause.use(info + 1) }
        }
        guard let name, !plural else {
            if name != nil { throw RouteProblem(message: "name one function: `show function NAME`") }
            try plan.add(LambdaListFunctions(), .init())
            return
        }
        try plan.add(LambdaGetConfiguration(), .init(function: name))
    }

    private mutating func policies(_ clause: inout RequestClause, plural: Bool) throws {
        let places: Set<String> = ["of", "for", "on", "attached", "to", "the", "by", "iam"]
        var role: String?
        if let (name, keyword) = clause.takeNameAndKeyword(after: ["role"]) {
            useBefore(keyword, places, in: &clause)
            role = name
        }
        var user: String?
        if let (name, keyword) = clause.takeNameAndKeyword(after: ["user"]) {
            useBefore(keyword, places, in: &clause)
            user = name
        }
        let arn = clause.takeEach { $0.kind == .arn ? $0.text : nil }.first?.value
        let named =
            arn ?? clause.takeName(after: ["policy", "document"]) ?? clause.takeName(after: ["named", "called"])
        clause.takeAll(["policy", "policies", "document", "attached", "iam"])
        if plural, named == nil {
            guard (role == nil) != (user == nil) else {
                throw RouteProblem(message: "whose policies? say `list policies of role NAME` or `of user NAME`")
            }
            try plan.add(IAMListAttachedPolicies(), .init(role: role, user: user))
            return
        }
        guard let named, !plural else {
            throw RouteProblem(message: "which policy? say `show policy ARN-or-NAME`")
        }
        guard user == nil else {
            throw RouteProblem(message: "a policy is shown by name or with its role: `show policy NAME of role ROLE`")
        }
        try plan.add(IAMGetPolicyDocument(), .init(policy: named, role: role))
    }

    // MARK: DynamoDB

    /// The table a clause names: `[from|in|of] table NAME`.
    private func takeTable(_ clause: inout RequestClause) -> String? {
        guard let (name, keyword) = clause.takeNameAndKeyword(after: ["table"], nouns: true) else {
            return clause.takeName(after: ["named", "called"])
        }
        useBefore(keyword, ["from", "in", "of", "on", "the", "dynamodb", "dynamo"], in: &clause)
        return name
    }

    private mutating func tables(_ clause: inout RequestClause, plural: Bool) throws {
        let table = plural ? nil : takeTable(&clause)
        clause.takeAll(["table", "tables", "dynamodb", "dynamo"])
        clause.take(["schema", "details", "info", "description"]).map { info in
            if let after = clause.word(at: info + 1), ["of", "for"].contains(after) { clause.use(info + 1) }
        }
        guard let table else {
            try plan.add(DynamoDBListTables(), .init())
            return
        }
        try plan.add(DynamoDBDescribeTable(), .init(table: table))
    }

    private mutating func items(_ clause: inout RequestClause, verb: Verb, plural: Bool) throws {
        let singular = clause.has(["item", "record", "row"]) && verb != .query && verb != .scan
        guard let table = takeTable(&clause) else {
            throw RouteProblem(message: "which table? say `get item id=42 from table NAME` or `scan table NAME`")
        }
        clause.takeAll(["item", "items", "record", "records", "row", "rows", "dynamodb", "dynamo"])
        let pairs = clause.takePairs(introducedBy: ["for", "where", "with", "whose", "having", "key", "and", "by"])
        let limit = try Self.check(
            clause.takeNumber(after: ["limit", "first", "top", "max", "most"]), atMost: 100, "the number of items")
        if verb == .query || !singular && !pairs.isEmpty {
            guard pairs.count == 1, let (_, value) = pairs.first else {
                throw RouteProblem(message: "query for one partition key: `query table \(table) for id=42`")
            }
            try plan.add(DynamoDBQuery(), .init(table: table, partitionKey: RequestWords.scalar(value), limit: limit))
        } else if singular {
            guard !pairs.isEmpty else {
                throw RouteProblem(message: "which item? say `get item id=42 from table \(table)`")
            }
            var key: [String: JSONValue] = [:]
            for (name, value) in pairs {
                guard key[name] == nil else { throw RouteProblem(message: "the key \(name) is named twice") }
                key[name] = RequestWords.scalar(value)
            }
            try plan.add(DynamoDBGetItem(), .init(table: table, key: key))
        } else {
            try plan.add(DynamoDBScan(), .init(table: table, limit: limit))
        }
    }

    // MARK: CloudFormation, Logs

    private mutating func stacks(_ clause: inout RequestClause, subject: Subject) throws {
        var stack: String?
        if let (name, keyword) = clause.takeNameAndKeyword(after: ["stack"], nouns: true) {
            useBefore(keyword, ["of", "in", "for", "the", "from", "cloudformation", "cfn"], in: &clause)
            stack = name
        }
        stack = stack ?? clause.takeName(after: ["named", "called"])
        clause.takeAll(["stack", "stacks", "resource", "resources", "cloudformation", "cfn"])
        if subject.resource == .stackResource || stack != nil && !subject.plural {
            guard let stack else { throw RouteProblem(message: "which stack? say `list resources of stack NAME`") }
            try plan.add(CloudFormationListStackResources(), .init(stack: stack))
            return
        }
        guard stack == nil else { throw RouteProblem(message: "name one stack: `list resources of stack NAME`") }
        try plan.add(CloudFormationListStacks(), .init())
    }

    private mutating func logs(_ clause: inout RequestClause) throws {
        let seconds = clause.takeDuration()
        var group: String?
        if let (name, keyword) = clause.takeNameAndKeyword(after: ["group"], nouns: true, paths: true) {
            useBefore(keyword, ["of", "for", "from", "in", "the", "log"], in: &clause)
            group = name
        }
        if group == nil,
            let (name, _) = clause.takeNameAndKeyword(after: ["of", "for", "from", "in"], nouns: false, paths: true)
        {
            group = name
        }
        _ =
            clause.take(phrase: ["log", "events"]) || clause.take(phrase: ["log", "entries"])
            || clause.take(phrase: ["log", "lines"]) || clause.take(phrase: ["log", "messages"])
        clause.takeAll(["log", "logs", "events", "entries", "lines", "messages", "recent", "latest", "cloudwatch"])
        guard let group else { throw RouteProblem(message: "which log group? say `show logs of group NAME`") }
        let limit = try Self.check(
            clause.takeNumber(after: ["limit", "first", "top", "max", "most", "last"]), atMost: 500,
            "the number of events")
        var filter: String?
        if let filtered = clause.first(["filtered"]), clause.word(at: filtered + 1) == "by" {
            clause.use(filtered)
            filter = clause.takeName(after: ["by"], nouns: true)
        }
        filter = filter ?? clause.takeName(after: ["matching", "containing", "filter", "grep"], nouns: true)
        let minutes = try Self.check(seconds.map { max(1, $0 / 60) }, atMost: 43_200, "the minutes to look back")
        try plan.add(LogsRecentEvents(), .init(group: group, minutes: minutes, limit: limit, filter: filter))
    }
}
