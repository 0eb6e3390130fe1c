import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NimbusCore

/// What a provider contributes: how a request looks on its wire, how its answers, streams and errors read.
/// The shared ``ProviderChatModel`` does the sending, retrying, timing and structured-output handling.
protocol ProviderCodec: Sendable {
    associatedtype StreamDecoder: ProviderStreamDecoder
    /// `openai`, `anthropic`, … for errors and accounting.
    var provider: String { get }
    /// How this provider is asked for schema-shaped JSON.
    var structuredOutput: StructuredOutputStrategy { get }
    func encode(_ request: ChatRequest, stream: Bool) throws -> ProviderHTTPRequest
    func decodeResponse(_ body: [UInt8]) throws -> ChatResponse
    /// The provider's own message in an error body.
    func errorMessage(_ body: [UInt8]) -> String?
    func makeStreamDecoder() -> StreamDecoder
}

/// Turns the bytes of a streamed response into deltas, whatever the chunking.
protocol ProviderStreamDecoder {
    mutating func decode(_ bytes: [UInt8]) throws -> [ChatDelta]
    /// The stream's end: the last deltas, or an error when the answer was cut off.
    mutating func finish() throws -> [ChatDelta]
}

/// A provider behind ``ChatModel``: sends through ``LLMHTTPClient``, decodes with the provider's codec.
struct ProviderChatModel<Codec: ProviderCodec>: Sendable {
    let name: String
    let codec: Codec
    let http: LLMHTTPClient
    let signer: (any HTTPRequestSigner)?
    let logger: Logger

    func respond(to request: ChatRequest) async throws -> ChatResponse {
        let (prepared, forcedTool) = StructuredOutput.prepare(request, strategy: codec.structuredOutput)
        let httpRequest = try codec.encode(prepared, stream: false)
        let codec = self.codec
        let http = self.http
        let signer = self.signer
        let logger = self.logger
        return try await withTimeLimit(http.timeouts.request, provider: codec.provider) {
            let response = try await http.send(
                httpRequest, provider: codec.provider, signer: signer, errorMessage: codec.errorMessage,
                logger: logger)
            let requestID = LLMHTTPClient.requestID(response.headers.map { (name: $0.name, value: $0.value) })
            var body: [UInt8] = []
            do {
                for try await chunk in response.body { body += chunk.readableBytesView }
            } catch {
                throw LLMHTTPClient.transportError(
                    error, provider: codec.provider, url: httpRequest.url, timeouts: http.timeouts, answering: true)
            }
            var decoded: ChatResponse
            do {
                decoded = try codec.decodeResponse(body)
            } catch let error as LLMError {
                throw error
            } catch {
                throw LLMError.malformedResponse(
                    provider: codec.provider, detail: JSONValueError.describe(error), requestID: requestID)
            }
            decoded.requestID = decoded.requestID ?? requestID
            return StructuredOutput.unwrap(decoded, forcedTool: forcedTool)
        }
    }

    func stream(_ request: ChatRequest) -> ChatStream {
        let (prepared, forcedTool) = StructuredOutput.prepare(request, strategy: codec.structuredOutput)
        let codec = self.codec
        let http = self.http
        let signer = self.signer
        let logger = self.logger
        return ChatStream {
            let source = HTTPStreamSource(
                provider: codec.provider, http: http, decoder: codec.makeStreamDecoder(),
                start: {
                    let httpRequest = try codec.encode(prepared, stream: true)
                    return (
                        try await http.send(
                            httpRequest, provider: codec.provider, signer: signer, errorMessage: codec.errorMessage,
                            logger: logger), httpRequest.url
                    )
                })
            if let forcedTool { return ForcedToolUnwrapSource(base: source, tool: forcedTool) }
            return source
        }
    }
}

/// Pulls a streamed HTTP response through a provider's stream decoder. The request is sent on the first `next()`.
struct HTTPStreamSource<Decoder: ProviderStreamDecoder>: ChatDeltaSource {
    let provider: String
    let http: LLMHTTPClient
    var decoder: Decoder
    let start: @Sendable () async throws -> (HTTPClientResponse, URL)

    private var iterator: HTTPClientResponse.Body.AsyncIterator?
    private var url: URL?
    private var pending: [ChatDelta] = []
    private var position = 0
    private var started = false
    private var ended = false

    init(
        provider: String, http: LLMHTTPClient, decoder: Decoder,
        start: @escaping @Sendable () async throws -> (HTTPClientResponse, URL)
    ) {
        self.provider = provider
        self.http = http
        self.decoder = decoder
        self.start = start
    }

    mutating func next() async throws -> ChatDelta? {
        while true {
            if position < pending.count {
                defer { position += 1 }
                return pending[position]
            }
            pending.removeAll(keepingCapacity: true)
            position = 0
            if ended { return nil }
            if !started {
                started = true
                let (response, url) = try await start()
                self.url = url
                let requestID = LLMHTTPClient.requestID(response.headers.map { (name: $0.name, value: $0.value) })
                pending.append(.metadata(ChatResponseMetadata(model: nil, requestID: requestID)))
                iterator = response.body.makeAsyncIterator()
                continue
            }
            let chunk: ByteBuffer?
            do {
                chunk = try await iterator!.next()
            } catch {
                iterator = nil
                ended = true
                throw LLMHTTPClient.transportError(
                    error, provider: provider, url: url ?? URL(fileURLWithPath: "/"), timeouts: http.timeouts,
                    answering: true)
            }
            if let chunk {
                pending = try decoder.decode(Array(chunk.readableBytesView))
            } else {
                iterator = nil
                ended = true
                pending = try decoder.finish()
            }
        }
    }
}
