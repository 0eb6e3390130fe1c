public import NimbusCore
public import NimbusLLM

/// The tools an agent may use, by name: what models are shown, and the one place a proposed call is checked
/// (the tool exists, its input matches the schema and the tool's own checks) before anything runs.
public struct ToolRegistry<Environment: Sendable>: Sendable {
    private var tools: [String: RegisteredTool<Environment>] = [:]
    /// Tool names in registration order.
    public private(set) var names: [String] = []

    public init() {}

    /// Registers a tool; a second tool with the same name replaces the first.
    public mutating func register<T: Tool>(_ tool: T) where T.Environment == Environment {
        if tools[tool.name] == nil { names.append(tool.name) }
        tools[tool.name] = RegisteredTool(tool)
    }

    /// Every registered tool, in registration order.
    public var all: [RegisteredTool<Environment>] { names.compactMap { tools[$0] } }

    /// The tool called `name`, written with dots (`s3.list_buckets`) or as models see it (`s3_list_buckets`).
    public func tool(named name: String) -> RegisteredTool<Environment>? {
        if let tool = tools[name] { return tool }
        return all.first { $0.modelName == name }
    }

    /// The tools as models see them; `maxAccess` leaves out tools that could never be allowed (read-only runs).
    public func definitions(maxAccess: ToolAccess = .delete) -> [ToolDefinition] {
        all.filter { $0.minimumAccess <= maxAccess }.map(\.definition)
    }

    /// Checks a call and readies it to run: the tool must exist, the arguments must match its schema and pass
    /// its own checks. Errors name the tool and every problem, with a "did you mean" for unknown names.
    public func prepare(_ name: String, arguments: JSONValue) throws -> PreparedToolCall<Environment> {
        guard let tool = tool(named: name) else {
            let candidates = names + names.map { $0.replacingOccurrences(of: ".", with: "_") }
            throw AgentError.unknownTool(name, suggestion: closestMatch(to: name, in: candidates), known: names)
        }
        return try tool.prepare(arguments)
    }
}

/// A tool in a registry, its input type erased: what the registry shows models and how it readies calls.
public struct RegisteredTool<Environment: Sendable>: Sendable {
    public let name: String
    public let summary: String
    public let access: ToolAccess
    public let actions: [String]
    public let schema: JSONValue
    /// The least access any input of the tool needs: a generic API tool may read, so it stays offered to
    /// read-only runs even though it can write.
    public let minimumAccess: ToolAccess
    let prepareCall: @Sendable (JSONValue) throws -> PreparedToolCall<Environment>

    init<T: Tool>(_ tool: T) where T.Environment == Environment {
        name = tool.name
        summary = tool.summary
        access = tool.access
        actions = tool.actions
        schema = T.Input.schema
        minimumAccess = tool.minimumAccess
        prepareCall = { arguments in try PreparedToolCall(tool: tool, arguments: arguments) }
    }

    /// The name models see: dots become underscores, as most providers allow only `[A-Za-z0-9_-]`.
    public var modelName: String { name.replacingOccurrences(of: ".", with: "_") }

    /// The tool as a model sees it.
    public var definition: ToolDefinition {
        ToolDefinition(name: modelName, description: "\(summary) (\(access.rawValue))", parameters: schema)
    }

    /// Validates `arguments` and readies the call.
    public func prepare(_ arguments: JSONValue) throws -> PreparedToolCall<Environment> {
        try prepareCall(arguments)
    }
}

/// A checked call, ready to run: the tool, its validated arguments, the access and actions this input needs,
/// and a description for plans.
public struct PreparedToolCall<Environment: Sendable>: Sendable {
    public let tool: String
    public let arguments: JSONValue
    public let access: ToolAccess
    public let actions: [String]
    public let summary: String
    let runCall: @Sendable (Environment, ToolRunContext) async throws -> JSONValue
    let reportResult: @Sendable (JSONValue) -> String

    init<T: Tool>(tool: T, arguments: JSONValue) throws where T.Environment == Environment {
        let violations = JSONSchemaValidator(schema: T.Input.schema).violations(of: arguments)
        guard violations.isEmpty else {
            throw AgentError.invalidArguments(tool: tool.name, problems: violations.map(\.description))
        }
        let input: T.Input
        do {
            input = try arguments.decode(T.Input.self)
        } catch {
            throw AgentError.invalidArguments(tool: tool.name, problems: [JSONValueError.describe(error)])
        }
        try tool.validate(input)
        self.tool = tool.name
        self.arguments = arguments
        access = tool.access(for: input)
        actions = tool.actions(for: input)
        summary = tool.describe(input)
        runCall = { environment, context in try await tool.run(input, environment: environment, context: context) }
        reportResult = { result in tool.report(result, input: input) }
    }

    /// Runs the call.
    public func run(environment: Environment, context: ToolRunContext) async throws -> JSONValue {
        try await runCall(environment, context)
    }

    /// The result in a person's words.
    public func report(_ result: JSONValue) -> String { reportResult(result) }
}
