public import Foundation
import NimbusAWS
public import NimbusAgents
import NimbusCore

/// A request the offline router understood: the plan's steps (not yet reviewed), and what to say about them.
public struct RoutedRequest: Sendable, Hashable, Codable {
    public var steps: [PlannedStep]
    /// "How many …" / "count …": answer with numbers.
    public var counts: Bool
    /// The profile and region the words named (`with profile dev`, `in eu-west-1`).
    public var profile: String?
    public var region: String?
}

/// What the offline router made of a request.
public enum RouteOutcome: Sendable, Hashable {
    case plan(RoutedRequest)
    /// Not a request the grammar knows: what it can do instead, never a guess.
    case unsupported(String)
}

/// The offline understanding of requests: a small grammar over verbs, resource nouns and the things requests
/// name (`s3://` URIs, local paths, instance ids, `key=value` tags, regions, profiles, bucket/table/function/stack
/// names). No model, no network; a request it does not know gets an answer that says what it can do.
///
/// Several requests joined by "and", "then" or ";" become one plan in order; "it" and "there" refer to the last
/// bucket named ("create bucket X and upload ./site to it").
public struct OpsRouter: Sendable {
    /// Where relative paths in requests point.
    public var workingDirectory: URL

    public init(workingDirectory: URL) {
        self.workingDirectory = workingDirectory
    }

    /// Requests the router understands, one per form: shown when a request is not understood.
    public static let examples = [
        "list all S3 buckets", "list buckets with tags", "list objects in bucket NAME under logs/",
        "list s3://BUCKET/prefix/", "count objects in bucket NAME", "show s3://BUCKET/key",
        "upload ./data to s3://BUCKET/prefix/", "download s3://BUCKET/key to ./here",
        "copy s3://A/key to s3://B/key", "create bucket NAME [in REGION]", "delete s3://BUCKET/key",
        "delete everything under s3://BUCKET/prefix/", "presign s3://BUCKET/key for 2 hours",
        "list instances [tagged env=dev] [running|stopped]", "stop the instances tagged env=dev",
        "start instance i-0123456789abcdef0", "list vpcs | subnets | security groups",
        "list functions", "show function NAME", "invoke function NAME with {\"key\": \"value\"}",
        "list users | roles", "list policies of role NAME", "show policy ARN-or-NAME", "list tables",
        "describe table NAME", "get item id=42 from table NAME", "query table NAME for id=42", "scan table NAME",
        "list stacks", "list resources of stack NAME", "show logs of group NAME for the last 30 minutes",
        "whoami", "call SERVICE Operation {\"Param\": \"value\"}",
    ]

    /// Routes a request.
    public func route(_ text: String) -> RouteOutcome {
        var words = RequestWords(text)
        guard !words.tokens.isEmpty else { return .unsupported(Self.help(for: text, problem: "the request is empty")) }
        let profile = words.take(after: ["profile"])
        var region = words.take(after: ["region"])
        if region == nil, let index = words.tokens.firstIndex(where: { RequestWords.isRegion($0.word) }) {
            region = words.tokens[index].word
            words.remove(at: index, precededBy: ["in", "into", "at", "from"])
        }
        var state = ClauseState(region: region)
        for clause in words.clauses() {
            switch parse(clause, state: &state) {
            case .success(let steps): state.steps += steps
            case .failure(let problem): return .unsupported(Self.help(for: clause.text, problem: problem.message))
            }
        }
        guard !state.steps.isEmpty else {
            return .unsupported(Self.help(for: text, problem: "it asks for nothing I can do"))
        }
        return .plan(RoutedRequest(steps: state.steps, counts: state.counts, profile: profile, region: region))
    }

    /// The profile and region a request names, without routing it (the model path uses them too).
    public static func target(of text: String) -> (profile: String?, region: String?) {
        var words = RequestWords(text)
        let profile = words.take(after: ["profile"])
        let region = words.take(after: ["region"]) ?? words.tokens.first { RequestWords.isRegion($0.word) }?.word
        return (profile, region)
    }

    // MARK: Clauses

    struct Problem: Error { let message: String }

    struct ClauseState {
        var region: String?
        var steps: [PlannedStep] = []
        var counts = false
        /// The last bucket named, for "it" and "there".
        var lastBucket: String?

        var nextNumber: Int { steps.count + 1 }
    }

    private func parse(_ clause: RequestWords, state: inout ClauseState) -> Result<[PlannedStep], Problem> {
        do {
            return .success(try steps(for: clause, state: &state))
        } catch let problem as Problem {
            return .failure(problem)
        } catch {
            return .failure(Problem(message: "\(error)"))
        }
    }

    private func steps(for clause: RequestWords, state: inout ClauseState) throws -> [PlannedStep] {
        let verb = clause.verb
        let first = state.nextNumber
        func step(_ tool: String, _ arguments: [String: JSONValue], offset: Int = 0) -> PlannedStep {
            PlannedStep(number: first + offset, tool: tool, arguments: .object(arguments))
        }
        if let bucket = clause.s3URIs.first?.bucket ?? clause.name(after: ["bucket"]) { state.lastBucket = bucket }

        if clause.has("whoami") || clause.hasPhrase("who am i") || verb == .identity {
            return [step("sts.get_caller_identity", [:])]
        }
        switch verb {
        case .generic:
            return [try genericCall(clause, step: step)]
        case .create:
            guard clause.hasNoun(.bucket) || clause.has("bucket") else {
                throw Problem(
                    message:
                        "the only thing I create offline is an S3 bucket (`create bucket NAME`); for anything else use `call SERVICE Operation {…}`"
                )
            }
            guard let bucket = clause.name(after: ["bucket", "named", "called"]) ?? clause.s3URIs.first?.bucket else {
                throw Problem(message: "which bucket? say `create bucket NAME`")
            }
            state.lastBucket = bucket
            var arguments: [String: JSONValue] = ["bucket": .string(bucket)]
            if let region = state.region { arguments["region"] = .string(region) }
            return [step("s3.create_bucket", arguments)]
        case .delete:
            return try deleteSteps(clause, state: &state, step: step)
        case .upload, .download, .copy:
            return [try transferStep(clause, verb: verb!, state: &state, step: step)]
        case .start, .stop:
            return try instanceStateSteps(clause, start: verb == .start, state: &state, step: step)
        case .invoke:
            guard let function = clause.name(after: ["function", "lambda", "invoke", "run", "trigger", "call"]) else {
                throw Problem(message: "which function? say `invoke function NAME`")
            }
            var arguments: [String: JSONValue] = ["function": .string(function)]
            if let payload = clause.json { arguments["payload"] = payload }
            return [step("lambda.invoke", arguments)]
        case .presign:
            guard let uri = clause.s3URIs.first, !uri.key.isEmpty else {
                throw Problem(message: "which object? say `presign s3://BUCKET/KEY`")
            }
            var arguments: [String: JSONValue] = ["uri": .string(uri.description)]
            if let seconds = clause.duration() { arguments["expires_seconds"] = .int(min(seconds, 604_800)) }
            if clause.has("upload") || clause.has("put") { arguments["method"] = "put" }
            return [step("s3.presign", arguments)]
        case .count:
            state.counts = true
            return try readSteps(clause, state: &state, step: step)
        case .show, .scan, .query, nil:
            return try readSteps(clause, state: &state, step: step)
        case .identity:
            return [step("sts.get_caller_identity", [:])]
        }
    }

    private func readSteps(
        _ clause: RequestWords, state: inout ClauseState,
        step: (String, [String: JSONValue], Int) -> PlannedStep
    ) throws -> [PlannedStep] {
        func one(_ tool: String, _ arguments: [String: JSONValue] = [:]) -> [PlannedStep] {
            [step(tool, arguments, 0)]
        }
        let verb = clause.verb
        if clause.hasPhrase("log group") && clause.has("groups") || clause.hasPhrase("log groups") {
            return one("aws.call", ["service": "logs", "operation": "DescribeLogGroups"])
        }
        if clause.hasNoun(.logs) {
            guard let group = clause.name(after: ["group", "of", "for", "from", "in"], skippingNouns: true) else {
                throw Problem(message: "which log group? say `show logs of group NAME`")
            }
            var arguments: [String: JSONValue] = ["group": .string(group)]
            if let seconds = clause.duration() { arguments["minutes"] = .int(max(1, seconds / 60)) }
            if let limit = clause.limit() { arguments["limit"] = .int(min(limit, 500)) }
            if let filter = clause.name(after: ["matching", "containing"]) { arguments["filter"] = .string(filter) }
            return one("logs.recent_events", arguments)
        }
        if clause.hasNoun(.identity) { return one("sts.get_caller_identity") }
        if clause.hasNoun(.table) || verb == .scan || verb == .query || clause.hasNoun(.item) {
            return try tableSteps(clause, one: one)
        }
        if clause.hasNoun(.stack) {
            let name = clause.name(after: ["stack", "of", "in"], skippingNouns: true)
            if let name, clause.has("resources") || clause.hasNoun(.stack) && !clause.isPlural(.stack) {
                return one("cloudformation.list_stack_resources", ["stack": .string(name)])
            }
            return one("cloudformation.list_stacks")
        }
        if clause.hasNoun(.policy) {
            if let principal = clause.name(after: ["role"]) ?? clause.name(after: ["user"]) {
                let kind = clause.name(after: ["role"]) != nil ? "role" : "user"
                if let policy = clause.name(after: ["policy"]), !clause.isPlural(.policy), kind == "role" {
                    return one("iam.get_policy_document", ["policy": .string(policy), "role": .string(principal)])
                }
                return one("iam.list_attached_policies", [kind: .string(principal)])
            }
            guard let policy = clause.arn ?? clause.name(after: ["policy", "document"], skippingNouns: true) else {
                throw Problem(message: "which policy? say `show policy ARN` or `list policies of role NAME`")
            }
            return one("iam.get_policy_document", ["policy": .string(policy)])
        }
        if clause.hasNoun(.role) { return one("iam.list_roles") }
        if clause.hasNoun(.user) { return one("iam.list_users") }
        if clause.hasNoun(.function) {
            if !clause.isPlural(.function), let name = clause.name(after: ["function", "lambda"]) {
                return one("lambda.get_configuration", ["function": .string(name)])
            }
            return one("lambda.list_functions")
        }
        if clause.hasNoun(.securityGroup) {
            var arguments: [String: JSONValue] = [:]
            if let vpc = clause.token(prefix: "vpc-") { arguments["vpc_id"] = .string(vpc) }
            let ids = clause.tokens(prefix: "sg-")
            if !ids.isEmpty { arguments["group_ids"] = .array(ids.map(JSONValue.string)) }
            return one("ec2.describe_security_groups", arguments)
        }
        if clause.hasNoun(.subnet) {
            var arguments: [String: JSONValue] = [:]
            if let vpc = clause.token(prefix: "vpc-") { arguments["vpc_id"] = .string(vpc) }
            return one("ec2.describe_subnets", arguments)
        }
        if clause.hasNoun(.vpc) {
            let ids = clause.tokens(prefix: "vpc-")
            return one("ec2.describe_vpcs", ids.isEmpty ? [:] : ["vpc_ids": .array(ids.map(JSONValue.string))])
        }
        if clause.hasNoun(.instance) || !clause.instanceIDs.isEmpty {
            return one("ec2.describe_instances", instanceFilter(clause))
        }
        if let uri = clause.s3URIs.first {
            let wantsInfo = ["info", "details", "metadata", "tags", "size"].contains(where: clause.has)
            if !uri.key.isEmpty, !uri.key.hasSuffix("/"), wantsInfo || !clause.hasNoun(.object) {
                return one("s3.object_info", ["uri": .string(uri.description)])
            }
            return one("s3.list_objects", listArguments(bucket: uri.bucket, prefix: uri.key, clause))
        }
        if clause.hasNoun(.object) {
            guard let bucket = clause.bucketName(pronounFallback: state.lastBucket) else {
                throw Problem(message: "which bucket? say `list objects in bucket NAME` or `list s3://NAME/prefix/`")
            }
            if !clause.isPlural(.object), let key = clause.name(after: ["object", "file", "key"]), key != bucket {
                return one("s3.object_info", ["uri": .string("s3://\(bucket)/\(key)")])
            }
            return one("s3.list_objects", listArguments(bucket: bucket, prefix: clause.prefix() ?? "", clause))
        }
        if clause.hasNoun(.bucket) {
            if !clause.isPlural(.bucket), let bucket = clause.bucketName(pronounFallback: nil) {
                return one("s3.list_objects", listArguments(bucket: bucket, prefix: clause.prefix() ?? "", clause))
            }
            return one("s3.list_buckets", clause.has("tag") || clause.has("tags") ? ["include_tags": true] : [:])
        }
        throw Problem(message: "I don't know what to \(clause.verbWord ?? "do") there")
    }

    private func listArguments(bucket: String, prefix: String, _ clause: RequestWords) -> [String: JSONValue] {
        var arguments: [String: JSONValue] = ["bucket": .string(bucket)]
        if !prefix.isEmpty { arguments["prefix"] = .string(prefix) }
        if clause.has("folders") || clause.hasPhrase("top level") || clause.hasPhrase("top-level") {
            arguments["recursive"] = false
        }
        if let limit = clause.limit() { arguments["max_keys"] = .int(limit) }
        return arguments
    }

    private func tableSteps(
        _ clause: RequestWords, one: (String, [String: JSONValue]) -> [PlannedStep]
    ) throws -> [PlannedStep] {
        let table = clause.name(after: ["table"]) ?? clause.name(after: ["from", "in", "of"], skippingNouns: true)
        let pairs = clause.pairs
        if clause.isPlural(.table) || table == nil && !clause.hasNoun(.item) && clause.verb != .scan {
            return one("dynamodb.list_tables", [:])
        }
        guard let table else { throw Problem(message: "which table? say `describe table NAME`") }
        if clause.verb == .query || clause.has("where") && !pairs.isEmpty
            || clause.has("for") && !pairs.isEmpty
                && clause.isPlural(.item)
        {
            guard let (_, value) = pairs.first else {
                throw Problem(message: "query for which partition key? say `query table \(table) for id=42`")
            }
            var arguments: [String: JSONValue] = ["table": .string(table), "partition_key": RequestWords.scalar(value)]
            if let limit = clause.limit() { arguments["limit"] = .int(min(limit, 100)) }
            return one("dynamodb.query", arguments)
        }
        if clause.hasNoun(.item) && !clause.isPlural(.item) {
            guard !pairs.isEmpty else { throw Problem(message: "which item? say `get item id=42 from table \(table)`") }
            var key: [String: JSONValue] = [:]
            for (name, value) in pairs { key[name] = RequestWords.scalar(value) }
            return one("dynamodb.get_item", ["table": .string(table), "key": .object(key)])
        }
        if clause.verb == .scan || clause.hasNoun(.item) {
            var arguments: [String: JSONValue] = ["table": .string(table)]
            if let limit = clause.limit() { arguments["limit"] = .int(min(limit, 100)) }
            return one("dynamodb.scan", arguments)
        }
        return one("dynamodb.describe_table", ["table": .string(table)])
    }

    private func instanceFilter(_ clause: RequestWords) -> [String: JSONValue] {
        var arguments: [String: JSONValue] = [:]
        if !clause.instanceIDs.isEmpty { arguments["instance_ids"] = .array(clause.instanceIDs.map(JSONValue.string)) }
        let tags = clause.pairs
        if !tags.isEmpty {
            arguments["tags"] = .object(
                Dictionary(tags, uniquingKeysWith: { _, last in last }).mapValues(JSONValue.string))
        }
        let states = ["running", "stopped", "pending", "stopping", "terminated"].filter(clause.has)
        if !states.isEmpty { arguments["states"] = .array(states.map(JSONValue.string)) }
        return arguments
    }

    private func instanceStateSteps(
        _ clause: RequestWords, start: Bool, state: inout ClauseState,
        step: (String, [String: JSONValue], Int) -> PlannedStep
    ) throws -> [PlannedStep] {
        let tool = start ? "ec2.start_instances" : "ec2.stop_instances"
        if !clause.instanceIDs.isEmpty {
            return [step(tool, ["instance_ids": .array(clause.instanceIDs.map(JSONValue.string))], 0)]
        }
        var filter = instanceFilter(clause)
        guard filter["tags"] != nil || clause.has("all") else {
            throw Problem(
                message:
                    "which instances? name them (i-0123…) or by tag (`\(start ? "start" : "stop") the instances tagged env=dev`)"
            )
        }
        // Only instances that can make the change: stopping a stopped instance does nothing.
        filter["states"] = start ? ["stopped"] : ["running", "pending"]
        let lookup = step("ec2.describe_instances", filter, 0)
        let change = step(tool, ["instance_ids": StepReference(step: lookup.number, path: "instance_ids").json], 1)
        return [lookup, change]
    }

    private func transferStep(
        _ clause: RequestWords, verb: RequestWords.Verb, state: inout ClauseState,
        step: (String, [String: JSONValue], Int) -> PlannedStep
    ) throws -> PlannedStep {
        let uris = clause.s3URIs
        let paths = clause.localPaths
        // "to it" / "there" / "to bucket X": the destination bucket.
        var destinationBucket: S3URI?
        if let bucket = clause.name(after: ["bucket"]), uris.allSatisfy({ $0.bucket != bucket }) {
            destinationBucket = S3URI(bucket: bucket)
        } else if clause.has("it") || clause.has("there"), let last = state.lastBucket {
            destinationBucket = S3URI(bucket: last)
        }
        let sourceIsLocal =
            !paths.isEmpty && (uris.isEmpty || clause.position(of: paths[0]) < clause.position(of: uris[0].description))
        if verb == .upload || verb == .copy && sourceIsLocal {
            guard let source = paths.first else {
                throw Problem(message: "upload what? say `upload ./path to s3://BUCKET/prefix/`")
            }
            guard let destination = uris.first ?? destinationBucket else {
                throw Problem(message: "upload to where? say `upload \(source) to s3://BUCKET/prefix/`")
            }
            state.lastBucket = destination.bucket
            var target = destination.description
            if destination.key.isEmpty, !target.hasSuffix("/") { target += "/" }
            return step("s3.upload", ["source": .string(source), "destination": .string(target)], 0)
        }
        if verb == .download || verb == .copy && uris.count == 1 {
            guard let source = uris.first else {
                throw Problem(message: "download what? say `download s3://BUCKET/key to ./path`")
            }
            var arguments: [String: JSONValue] = ["source": .string(source.description)]
            if let path = paths.first { arguments["destination"] = .string(path) }
            return step("s3.download", arguments, 0)
        }
        guard let source = uris.first, let destination = uris.dropFirst().first ?? destinationBucket else {
            throw Problem(message: "copy from where to where? say `copy s3://A/key s3://B/key`")
        }
        state.lastBucket = destination.bucket
        var target = destination.description
        if destination.key.isEmpty, !target.hasSuffix("/") { target += "/" }
        return step("s3.copy", ["source": .string(source.description), "destination": .string(target)], 0)
    }

    private func deleteSteps(
        _ clause: RequestWords, state: inout ClauseState,
        step: (String, [String: JSONValue], Int) -> PlannedStep
    ) throws -> [PlannedStep] {
        let uris = clause.s3URIs
        let everything = ["everything", "all"].contains(where: clause.has) || clause.verbWord == "empty"
        if clause.hasNoun(.bucket), !clause.hasNoun(.object), !everything, uris.allSatisfy({ $0.key.isEmpty }),
            let bucket = clause.bucketName(pronounFallback: state.lastBucket)
        {
            return [step("s3.delete_bucket", ["bucket": .string(bucket)], 0)]
        }
        if !uris.isEmpty {
            var steps: [PlannedStep] = []
            var buckets: [String] = []
            var keys: [String: [String]] = [:]
            for uri in uris {
                if uri.key.isEmpty || uri.key.hasSuffix("/") {
                    guard everything || !uri.key.isEmpty else {
                        throw Problem(
                            message:
                                "delete the whole bucket \(uri.bucket)? say `delete everything in s3://\(uri.bucket)/` or `delete bucket \(uri.bucket)`"
                        )
                    }
                    steps.append(
                        step(
                            "s3.delete_objects", ["bucket": .string(uri.bucket), "prefix": .string(uri.key)],
                            steps.count))
                } else {
                    if keys[uri.bucket] == nil { buckets.append(uri.bucket) }
                    keys[uri.bucket, default: []].append(uri.key)
                }
            }
            for bucket in buckets {
                steps.append(
                    step(
                        "s3.delete_objects",
                        ["bucket": .string(bucket), "keys": .array(keys[bucket]!.map(JSONValue.string))], steps.count))
            }
            return steps
        }
        guard let bucket = clause.bucketName(pronounFallback: state.lastBucket) else {
            throw Problem(message: "delete what? say `delete s3://BUCKET/key` or `delete bucket NAME`")
        }
        if let prefix = clause.prefix() {
            return [step("s3.delete_objects", ["bucket": .string(bucket), "prefix": .string(prefix)], 0)]
        }
        if everything {
            return [step("s3.delete_objects", ["bucket": .string(bucket), "prefix": ""], 0)]
        }
        let keys = clause.names(after: ["object", "objects", "file", "files", "key", "keys", "delete", "remove", "rm"])
            .filter { $0 != bucket }
        guard !keys.isEmpty else {
            throw Problem(message: "delete which objects? say `delete s3://\(bucket)/KEY`")
        }
        return [step("s3.delete_objects", ["bucket": .string(bucket), "keys": .array(keys.map(JSONValue.string))], 0)]
    }

    private func genericCall(
        _ clause: RequestWords, step: (String, [String: JSONValue], Int) -> PlannedStep
    ) throws -> PlannedStep {
        let words = clause.tokens.map(\.text)
        guard let index = words.firstIndex(where: { ModelCatalog.services.contains($0.lowercased()) }),
            index + 1 < words.count
        else {
            throw Problem(
                message:
                    "say `call SERVICE Operation {…}` with a service of \(ModelCatalog.services.joined(separator: ", "))"
            )
        }
        var arguments: [String: JSONValue] = [
            "service": .string(words[index].lowercased()), "operation": .string(words[index + 1]),
        ]
        if let json = clause.json { arguments["parameters"] = json }
        return step("aws.call", arguments, 0)
    }

    // MARK: Help

    static func help(for text: String, problem: String) -> String {
        var lines = ["I can't do \"\(text.trimmingCharacters(in: .whitespaces))\" offline: \(problem)."]
        let first = RequestWords(text).tokens.first?.word ?? ""
        if RequestWords.Verb(first) == nil, let close = closestMatch(to: first, in: RequestWords.Verb.words.keys) {
            lines.append("Did you mean '\(close)'?")
        }
        lines.append("Requests I understand without a model:")
        lines += examples.map { "  " + $0 }
        lines.append("Configure a model (NIMBUS_LLM=provider:model) for anything else.")
        return lines.joined(separator: "\n")
    }
}
