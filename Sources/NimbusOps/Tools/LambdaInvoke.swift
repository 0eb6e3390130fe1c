import Foundation
public import NimbusAgents
public import NimbusCore

/// `lambda.invoke`: runs a function once with a JSON payload and returns what it answered. Running code can
/// change anything the function's role allows, so it counts as a write and asks first.
public struct LambdaInvoke: OpsTool {
    public struct Input: ToolInput {
        public var function: String
        public var payload: JSONValue?

        public static let schema = ToolSchema.object(
            [
                "function": ToolSchema.string("The function's name or ARN.", minLength: 1),
                "payload": ToolSchema.any("The event to send, as JSON (default {})."),
            ], required: ["function"])
    }

    public let name = "lambda.invoke"
    public let summary = "Invoke a Lambda function once with a JSON payload and return its answer"
    public let access = ToolAccess.write
    public let actions = ["lambda:InvokeFunction"]

    public init() {}

    public func describe(_ input: Input) -> String {
        "invoke Lambda function \(input.function)" + (input.payload.map { " with \($0.jsonText.prefix(80))" } ?? "")
    }

    public func run(_ input: Input, environment: OpsToolEnvironment, context: ToolRunContext) async throws -> JSONValue
    {
        // Blob parameters are text whose UTF-8 bytes are the blob.
        let output = try await environment.aws(context).call(
            "lambda", "Invoke",
            ["FunctionName": .string(input.function), "Payload": .string((input.payload ?? .object([:])).jsonText)])
        let bytes = output["Payload"]?.stringValue.flatMap { Data(base64Encoded: $0) } ?? Data()
        let text = String(decoding: bytes, as: UTF8.self)
        return [
            "function": .string(input.function), "status_code": output["StatusCode"] ?? .null,
            "function_error": output["FunctionError"] ?? .null,
            "response": (try? JSONValue(parsing: text)) ?? .string(text),
        ]
    }

    public func report(_ result: JSONValue, input: Input) -> String {
        let response = result["response"].map { $0.stringValue ?? $0.jsonText } ?? ""
        if let error = result["function_error"]?.stringValue {
            return "Lambda function \(input.function) failed (\(error)): \(response)"
        }
        return
            "Lambda function \(input.function) answered (status \(result["status_code"]?.intValue ?? 0)): \(response)"
    }
}
