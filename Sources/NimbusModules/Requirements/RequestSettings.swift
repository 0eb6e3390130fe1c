import NimbusHCL

/// A size or count a request gives ("db.r6g.large", "100 GB", "512 MB", "three nodes"): read by the grammar, set
/// as the default of the part's variable that takes it.
public struct RequestSetting: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// An instance class or type: `db.r6g.large`, `t3.micro`, `cache.r7g.large`, `r6g.large.search`.
        case instanceClass
        /// Storage in GiB (`100 GB`, `1 TB`).
        case storage
        /// Memory in MiB (`512 MB`).
        case memory
        /// How many of something (`three nodes`, `2 tasks`); ``RequestSetting/unit`` says what.
        case count
        /// A Lambda runtime (`python3.12`).
        case runtime
    }

    public var kind: Kind
    /// The value as a variable takes it: `db.r6g.large`, `100`, `3`.
    public var value: String
    /// What is counted (`node`), for counts.
    public var unit: String?
    /// The request's words for it (`three nodes`).
    public var text: String
}

/// The grammar of sizes and counts, and the variables each sets.
enum SettingGrammar {
    static let numberWords: [String: Int] = [
        "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
        "eleven": 11, "twelve": 12,
    ]

    /// What a count counts (singular), and the variables that take it, preferred first.
    static let countVariables: [String: [String]] = [
        "instance": ["instance_count", "desired_count", "node_desired_size"],
        "node": ["node_desired_size", "num_cache_clusters", "instance_count", "node_count", "data_node_count"],
        "task": ["desired_count"],
        "container": ["desired_count"],
        "replica": ["num_cache_clusters", "replica_count", "read_replica_count"],
        "shard": ["shard_count", "num_node_groups"],
    ]

    /// The variables a size sets, preferred first: a module takes it in the first it has.
    static func variables(for setting: RequestSetting) -> [String] {
        switch setting.kind {
        case .instanceClass: ["instance_class", "instance_type", "node_type", "node_instance_types"]
        case .storage:
            [
                "allocated_storage", "data_volume_size", "node_disk_size", "volume_size", "ebs_volume_size",
                "root_volume_size",
            ]
        case .memory: ["memory_size", "memory"]
        case .count: countVariables[setting.unit ?? ""] ?? []
        case .runtime: ["runtime"]
        }
    }

    static let sizes: Set<String> = ["nano", "micro", "small", "medium", "large", "metal"]

    /// `r6g`, `t3`, `m7i-flex`: a letter first, a digit somewhere, short.
    static func isInstanceFamily(_ text: Substring) -> Bool {
        guard let first = text.first, first.isLetter, text.count <= 10, text.contains(where: \.isNumber) else {
            return false
        }
        return text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
    }

    static func isInstanceSize(_ text: Substring) -> Bool {
        sizes.contains(String(text)) || (text.hasSuffix("xlarge") && text.dropLast(6).allSatisfy(\.isNumber))
    }

    /// `db.r6g.large`, `cache.t4g.micro`, `t3.micro`, `r6g.large.search`.
    static func isInstanceClass(_ word: String) -> Bool {
        let pieces = word.split(separator: ".", omittingEmptySubsequences: false)
        switch pieces.count {
        case 2: return isInstanceFamily(pieces[0]) && isInstanceSize(pieces[1])
        case 3:
            if ["db", "cache"].contains(pieces[0]) { return isInstanceFamily(pieces[1]) && isInstanceSize(pieces[2]) }
            return pieces[2] == "search" && isInstanceFamily(pieces[0]) && isInstanceSize(pieces[1])
        default: return false
        }
    }

    /// The count a word gives: `3`, `three`.
    static func number(_ word: String) -> Int? {
        if let value = Int(word), value > 0, value < 100_000 { return value }
        return numberWords[word]
    }

    /// A size unit and what it multiplies to (GiB for storage, MiB for memory).
    static func unit(_ word: String) -> (kind: RequestSetting.Kind, factor: Int)? {
        switch word {
        case "gb", "gib", "gigabytes", "gigabyte": (.storage, 1)
        case "tb", "tib", "terabytes", "terabyte": (.storage, 1024)
        case "mb", "mib", "megabytes", "megabyte": (.memory, 1)
        default: nil
        }
    }

    static func singular(_ word: String) -> String {
        if countVariables[word] != nil { return word }
        if word.hasSuffix("s"), countVariables[String(word.dropLast())] != nil { return String(word.dropLast()) }
        return word
    }

    /// The settings among the words not yet read, marking the words they use.
    static func read(
        _ words: [String], consumed: inout [Bool], runtimes: Set<String>
    ) -> [(setting: RequestSetting, positions: [Int])] {
        var settings: [(setting: RequestSetting, positions: [Int])] = []
        var index = 0
        while index < words.count {
            defer { index += 1 }
            guard !consumed[index] else { continue }
            let word = words[index]
            if isInstanceClass(word) {
                settings.append((RequestSetting(kind: .instanceClass, value: word, text: word), [index]))
                consumed[index] = true
                continue
            }
            if runtimes.contains(word) {
                settings.append((RequestSetting(kind: .runtime, value: word, text: word), [index]))
                consumed[index] = true
                continue
            }
            // `100gb`, `512mb`: the number and its unit as one word.
            if let split = word.firstIndex(where: { !$0.isNumber }), split != word.startIndex,
                let value = Int(word[..<split]), let (kind, factor) = unit(String(word[split...]))
            {
                settings.append((RequestSetting(kind: kind, value: String(value * factor), text: word), [index]))
                consumed[index] = true
                continue
            }
            guard let value = number(word), index + 1 < words.count else { continue }
            let next = words[index + 1]
            if !consumed[index + 1], let (kind, factor) = unit(next) {
                let setting = RequestSetting(kind: kind, value: String(value * factor), text: "\(word) \(next)")
                settings.append((setting, [index, index + 1]))
                consumed[index + 1] = true
            } else if countVariables[singular(next)] != nil {
                // What is counted may also be a feature's word ("three nodes" of a node group): it stays that too.
                let setting = RequestSetting(
                    kind: .count, value: String(value), unit: singular(next), text: "\(word) \(next)")
                settings.append((setting, consumed[index + 1] ? [index] : [index, index + 1]))
                consumed[index + 1] = true
            } else {
                continue
            }
            consumed[index] = true
            index += 1
        }
        return settings
    }

    /// The value as the variable's type takes it: a number, a string, or a one-element list.
    static func expression(_ value: String, type: String) -> HCLExpression {
        if type == "number", let number = Int(value) { return .number(number) }
        if type.hasPrefix("list(") || type.hasPrefix("set(") { return .list([.string(value)]) }
        return .string(value)
    }

    /// Whether the variable's validations accept the value (true when they cannot be evaluated here).
    static func accepts(_ variable: VariableSpec, value: String) -> Bool {
        let evaluator = Evaluator(variables: [:], unknownForUndefined: false)
        guard let typed = try? evaluator.evaluate(expression(value, type: variable.type)) else { return false }
        let scoped = Evaluator(variables: ["var": .object([variable.name: typed])], unknownForUndefined: true)
        return variable.validations.allSatisfy { validation in
            guard let result = try? scoped.evaluate(validation.condition) else { return true }
            if case .bool(let accepted) = result { return accepted }
            return true
        }
    }
}

extension ModulePlan {
    /// The plan with each setting (variable → value) as its variable's default.
    func applying(_ settings: [String: String], family: String) throws -> ModulePlan {
        var plan = self
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) {
            guard let index = plan.variables.firstIndex(where: { $0.name == name }) else {
                throw ModuleRequestError.badSetting(
                    name, value: value, family: family, reason: "it has no such variable")
            }
            guard SettingGrammar.accepts(plan.variables[index], value: value) else {
                throw ModuleRequestError.badSetting(
                    name, value: value, family: family,
                    reason: plan.variables[index].validations.map(\.message).joined(separator: " "))
            }
            plan.variables[index].defaultValue = SettingGrammar.expression(value, type: plan.variables[index].type)
        }
        return plan
    }
}
