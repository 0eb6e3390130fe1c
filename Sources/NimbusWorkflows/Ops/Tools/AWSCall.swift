import NimbusAWS
public import NimbusAgents
public import NimbusCore

/// `aws.call`: any operation of the bundled service models, by name, with JSON parameters. The service and
/// operation are checked against the models when the plan is made, and the parameters before sending. The
/// operation's name decides its access (`Describe…` reads, `Delete…` deletes, anything else writes), so anything
/// but a read needs approval like every other change.
public struct AWSCall: OpsTool {
    public struct Input: ToolInput {
        public var service: String
        public var operation: String
        public var parameters: JSONValue?

        public static let schema = ToolSchema.object(
            [
                "service": ToolSchema.string(
                    "The service: \(ModelCatalog.services.joined(separator: ", ")).", minLength: 1),
                "operation": ToolSchema.string(
                    "The operation, as in the API reference (DescribeRegions).", minLength: 1),
                "parameters": [
                    "type": "object", "description": "The operation's parameters, as in the API reference.",
                ],
            ], required: ["service", "operation"])
    }

    public let name = "aws.call"
    public let summary = "Call any operation of a supported AWS service with JSON parameters (reads run; changes ask)"
    public let access = ToolAccess.delete
    public let minimumAccess = ToolAccess.read
    public let actions = ["*:*"]

    public init() {}

    /// Name prefixes of operations that only read.
    static let readPrefixes = [
        "Describe", "List", "Get", "Head", "Search", "Lookup", "Query", "Scan", "BatchGet", "Select", "Check",
        "Validate", "Estimate", "Preview", "Simulate", "Test", "Filter", "Detect", "Discover", "View",
    ]
    /// Name prefixes of operations that delete.
    static let deletePrefixes = [
        "Delete", "Terminate", "Remove", "Deregister", "Purge", "Detach", "Disassociate", "Revoke", "Destroy",
        "Release", "Empty",
    ]

    public func access(for input: Input) -> ToolAccess { Self.access(of: input.operation) }

    static func access(of operation: String) -> ToolAccess {
        if readPrefixes.contains(where: { operation.hasPrefix($0) }) { return .read }
        if deletePrefixes.contains(where: { operation.hasPrefix($0) }) { return .delete }
        return .write
    }

    public func actions(for input: Input) -> [String] {
        let service = (try? ModelCatalog.model(input.service).name) ?? input.service
        let operation = (try? ModelCatalog.model(input.service).operation(input.operation).name) ?? input.operation
        return ["\(service):\(operation)"]
    }

    public func validate(_ input: Input) throws {
        _ = try ModelCatalog.model(input.service).operation(input.operation)
        if let parameters = input.parameters, parameters.objectValue == nil {
            throw AgentError.invalidArguments(tool: name, problems: ["parameters must be a JSON object"])
        }
    }

    public func describe(_ input: Input) -> String {
        let operation = (try? ModelCatalog.model(input.service).operation(input.operation).name) ?? input.operation
        // The summary is printed and stored: a password or secret string among the parameters never shows in it.
        let parameters = input.parameters.map { " " + SecretRedactor.redact($0).jsonText } ?? ""
        return "call \(input.service) \(operation)\(parameters.prefix(120))"
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let operation = try ModelCatalog.model(input.service).operation(input.operation).name
        return try await environment.aws(context).call(input.service, operation, input.parameters ?? .object([:]))
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        "\(input.service) \(input.operation) answered:\n" + result.prettyJSONText
    }
}
