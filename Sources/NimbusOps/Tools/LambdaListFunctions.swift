public import NimbusAgents
public import NimbusCore

/// `lambda.list_functions`: every Lambda function with its runtime, memory and timeout.
public struct LambdaListFunctions: OpsTool {
    public struct Input: ToolInput {
        public static let schema = ToolSchema.empty
    }

    public let name = "lambda.list_functions"
    public let summary = "List Lambda functions with their runtime, memory, timeout and last change"
    public let access = ToolAccess.read
    public let actions = ["lambda:ListFunctions"]

    public init() {}

    public func describe(_ input: Input) -> String { "list Lambda functions" }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        let (pages, truncated) = try await environment.aws(context).pages("lambda", "ListFunctions")
        let functions: [JSONValue] = pages.flatMap { $0["Functions"]?.arrayValue ?? [] }.map { function in
            [
                "name": function["FunctionName"] ?? .null, "runtime": function["Runtime"] ?? .null,
                "memory_mb": function["MemorySize"] ?? .null, "timeout_seconds": function["Timeout"] ?? .null,
                "handler": function["Handler"] ?? .null, "modified": function["LastModified"] ?? .null,
            ]
        }
        return ["count": .int(functions.count), "functions": .array(functions), "truncated": .bool(truncated)]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let functions = result["functions"]?.arrayValue ?? []
        return Report.list(
            "\(Report.plural(functions.count, "Lambda function")):",
            functions.map { function in
                "\(function["name"]?.stringValue ?? "?")  \(function["runtime"]?.stringValue ?? "-")  "
                    + "\(function["memory_mb"]?.intValue ?? 0) MB  \(function["timeout_seconds"]?.intValue ?? 0) s"
            })
    }
}
