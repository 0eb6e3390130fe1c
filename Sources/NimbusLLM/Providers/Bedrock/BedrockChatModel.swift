public import Foundation
public import Logging
public import NimbusCore

/// Where to reach Amazon Bedrock's runtime and which model to run.
public struct BedrockConfiguration: Sendable, Hashable {
    public var region: String
    /// The model id or inference-profile id (`anthropic.claude-3-5-sonnet-20240620-v1:0`, `us.amazon.nova-pro-v1:0`).
    public var modelID: String
    /// `https://bedrock-runtime.REGION.amazonaws.com` unless overridden (`AWS_ENDPOINT_URL_BEDROCK_RUNTIME`).
    public var endpoint: URL
    public var structuredOutput: StructuredOutputStrategy

    public init(
        region: String, modelID: String, endpoint: URL? = nil, structuredOutput: StructuredOutputStrategy = .forcedTool
    ) {
        self.region = region
        self.modelID = modelID
        self.endpoint = endpoint ?? URL(string: "https://bedrock-runtime.\(region).amazonaws.com")!
        self.structuredOutput = structuredOutput == .native ? .forcedTool : structuredOutput
    }
}

/// A model on Amazon Bedrock through the Converse and ConverseStream APIs. Requests are signed by the
/// ``HTTPRequestSigner`` it is given (NimbusAWS's SigV4 signer for the `bedrock` service); streamed answers arrive
/// in the binary AWS event-stream encoding.
public struct BedrockChatModel: ChatModel {
    let core: ProviderChatModel<BedrockCodec>

    public var name: String { core.name }

    public init(
        configuration: BedrockConfiguration, signer: any HTTPRequestSigner, name: String? = nil,
        http: LLMHTTPClient = .shared, logger: Logger = Logger(label: "nimbus.llm")
    ) {
        core = ProviderChatModel(
            name: name ?? "bedrock:\(configuration.modelID)", codec: BedrockCodec(configuration: configuration),
            http: http, signer: signer, logger: logger)
    }

    public func respond(to request: ChatRequest) async throws -> ChatResponse {
        try await core.respond(to: request)
    }

    public func stream(_ request: ChatRequest) -> ChatStream {
        core.stream(request)
    }
}
