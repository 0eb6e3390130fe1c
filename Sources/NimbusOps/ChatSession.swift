/// A conversation with the ops agent: its profile and region, whether it only plans, and what was asked in it.
/// A value: the command line keeps one per `nimbus chat`, a server one per WebSocket.
public struct ChatSession: Sendable, Hashable {
    public var profile: String?
    public var region: String?
    /// Plan requests without running them (`/plan`).
    public var planning = false
    /// `/exit` was given.
    public var finished = false
    /// The earlier exchanges, for a model's context.
    public var turns: [OpsTurn] = []
    /// What was asked: the request, how it ended, its thread.
    public var asked: [Asked] = []

    public struct Asked: Sendable, Hashable, Codable {
        public var text: String
        public var status: String
        public var threadID: String?
    }

    public init(profile: String? = nil, region: String? = nil) {
        self.profile = profile
        self.region = region
    }

    /// `nimbus:dev:eu-west-1:plan> `.
    public var prompt: String {
        var parts = ["nimbus"]
        if let profile { parts.append(profile) }
        if let region { parts.append(region) }
        if planning { parts.append("plan") }
        return parts.joined(separator: ":") + "> "
    }

    /// The request this session sends for `text`: its profile, region, planning switch and recent turns.
    public func request(
        _ text: String, planOnly: Bool? = nil, readOnly: Bool = false, approveAll: Bool = false, offline: Bool = false,
        model: String? = nil, workingDirectory: String?
    ) -> OpsRequest {
        OpsRequest(
            text, profile: profile, region: region, readOnly: readOnly, planOnly: planOnly ?? planning,
            approveAll: approveAll, offline: offline, model: model, workingDirectory: workingDirectory,
            history: Array(turns.suffix(6)))
    }

    /// Notes how a request ended (nil: it failed before an outcome).
    public mutating func record(_ text: String, _ outcome: OpsOutcome?) {
        asked.append(Asked(text: text, status: outcome?.status.rawValue ?? "error", threadID: outcome?.threadID))
        if let answer = outcome?.answer { turns.append(OpsTurn(request: text, answer: answer)) }
    }

    /// What a slash command does.
    public enum CommandResult: Sendable, Hashable {
        /// Say this.
        case reply(String)
        /// Plan this request (`/plan REQUEST`).
        case plan(String)
        /// Leave.
        case exit
    }

    /// Runs a slash command (`/profile dev`, `/plan`, `/history`, `/help`, `/exit`).
    public mutating func command(_ input: String) -> CommandResult {
        let parts = input.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : nil
        switch parts.first?.lowercased() ?? "" {
        case "/exit", "/quit":
            finished = true
            return .exit
        case "/profile":
            profile = argument
            return .reply("profile: \(profile ?? "(default)")")
        case "/region":
            region = argument
            return .reply("region: \(region ?? "(default)")")
        case "/plan":
            if let argument { return .plan(argument) }
            planning.toggle()
            return .reply(
                planning
                    ? "planning only: requests are planned, not run (/plan again to stop)" : "running requests again")
        case "/history":
            if asked.isEmpty { return .reply("nothing asked yet") }
            return .reply(
                asked.enumerated().map { index, entry in
                    "\(index + 1). [\(entry.status)] \(entry.text)" + (entry.threadID.map { "  (\($0))" } ?? "")
                }.joined(separator: "\n"))
        case "/help":
            return .reply(
                """
                Ask in plain words, one request per line ("list all S3 buckets").
                /profile NAME   use another AWS profile      /region NAME   use another region
                /plan           plan without running (toggle) /plan REQUEST  plan just that request
                /history        this session's requests       /exit          leave
                """)
        default:
            return .reply("unknown command \(parts.first ?? input); /help lists them")
        }
    }
}
