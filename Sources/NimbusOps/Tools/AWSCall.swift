import NimbusAWS
public import NimbusAgents
public import NimbusCore

/// `aws.call`: any operation of the bundled service models, by name, with JSON parameters. The service and
/// operation are checked against the models when the plan is made, and the parameters before sending. The
/// operation's model name decides its access (``OperationModel/access``: `list-buckets` reads like `ListBuckets`,
/// `delete-bucket` deletes), so anything but a read needs approval like every other change.
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

    public func access(for input: Input) -> ToolAccess {
        guard let operation = try? ModelCatalog.model(input.service).operation(input.operation) else { return .delete }
        return operation.access
    }

    public func actions(for input: Input) -> [String] {
        guard let model = try? ModelCatalog.model(input.service), let operation = try? model.operation(input.operation)
        else { return ["\(input.service):\(input.operation)"] }
        return [operation.action(service: model)]
    }

    public func validate(_ input: Input) throws {
        _ = try ModelCatalog.model(input.service).operation(input.operation)
        if let parameters = input.parameters, parameters.objectValue == nil {
            throw AgentError.invalidArguments(tool: name, problems: ["parameters must be a JSON object"])
        }
    }

    public func describe(_ input: Input) -> String {
        let operation = try? ModelCatalog.model(input.service).operation(input.operation)
        // The summary is printed and stored: a password, a SecureString or a secret string among the parameters
        // never shows in it (by the model's `sensitive` trait, and by key).
        let parameters = input.parameters.map { value in
            " " + SecretRedactor.redact(operation?.redactingInput(value).redacted ?? value).jsonText
        }
        return "call \(input.service) \(operation?.name ?? input.operation)\((parameters ?? "").prefix(120))"
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
