public import NimbusAgents
public import NimbusCore

/// `lambda.get_configuration`: one function's settings. Environment variables are listed by name only: their
/// values are often secrets.
public struct LambdaGetConfiguration: OpsTool {
    public struct Input: ToolInput {
        public var function: String

        public static let schema = ToolSchema.object(
            ["function": ToolSchema.string("The function's name or ARN.", minLength: 1)], required: ["function"])
    }

    public let name = "lambda.get_configuration"
    public let summary = "Show a Lambda function's configuration (environment variable names only, never values)"
    public let access = ToolAccess.read
    public let actions = ["lambda:GetFunctionConfiguration"]

    public init() {}

    public func describe(_ input: Input) -> String { "show the configuration of Lambda function \(input.function)" }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let config = try await environment.aws(context).call(
            "lambda", "GetFunctionConfiguration", ["FunctionName": .string(input.function)])
        let variables = config["Environment"]?["Variables"]?.objectValue?.keys.sorted() ?? []
        return [
            "name": config["FunctionName"] ?? .null, "arn": config["FunctionArn"] ?? .null,
            "runtime": config["Runtime"] ?? .null, "handler": config["Handler"] ?? .null,
            "role": config["Role"] ?? .null, "memory_mb": config["MemorySize"] ?? .null,
            "timeout_seconds": config["Timeout"] ?? .null, "modified": config["LastModified"] ?? .null,
            "state": config["State"] ?? .null, "code_size": config["CodeSize"] ?? .null,
            "environment_variables": .array(variables.map(JSONValue.string)),
            "vpc": config["VpcConfig"]?["VpcId"] ?? .null,
            "subnets": config["VpcConfig"]?["SubnetIds"] ?? .array([]),
            "security_groups": config["VpcConfig"]?["SecurityGroupIds"] ?? .array([]),
        ]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        var lines = [
            "runtime: \(result["runtime"]?.stringValue ?? "-")  handler: \(result["handler"]?.stringValue ?? "-")",
            "memory: \(result["memory_mb"]?.intValue ?? 0) MB  timeout: \(result["timeout_seconds"]?.intValue ?? 0) s",
            "role: \(result["role"]?.stringValue ?? "-")",
            "modified: \(result["modified"]?.stringValue ?? "-")",
        ]
        let names = result["environment_variables"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if !names.isEmpty { lines.append("environment variables: " + names.joined(separator: ", ")) }
        if let vpc = result["vpc"]?.stringValue, !vpc.isEmpty { lines.append("vpc: \(vpc)") }
        return Report.list("Lambda function \(result["name"]?.stringValue ?? input.function):", lines)
    }
}
