public import Logging

/// A model that answers with a second model when the first fails for reasons a different model may not share:
/// unreachable, rate limited, overloaded, timed out, unknown model, a broken answer. Bad requests and answers that
/// fail their schema are not retried elsewhere. A stream falls back only before its first piece of the answer.
public struct FallbackChatModel: ChatModel {
    public let primary: any ChatModel
    public let fallback: any ChatModel
    let logger: Logger

    public init(primary: any ChatModel, fallback: any ChatModel, logger: Logger = Logger(label: "nimbus.llm")) {
        self.primary = primary
        self.fallback = fallback
        self.logger = logger
    }

    public var name: String { primary.name }

    public func respond(to request: ChatRequest) async throws -> ChatResponse {
        do {
            return try await primary.respond(to: request)
        } catch let error where Self.shouldFallBack(error) {
            logger.info(
                "model failed; asking the fallback",
                metadata: ["model": "\(primary.name)", "fallback": "\(fallback.name)", "error": "\(error)"])
            return try await fallback.respond(to: request)
        }
    }

    public func stream(_ request: ChatRequest) -> ChatStream {
        let primary = self.primary
        let fallback = self.fallback
        let logger = self.logger
        return ChatStream {
            FallbackSource(
                current: primary.stream(request).makeAsyncIterator(), fallback: fallback.stream(request),
                names: (primary.name, fallback.name), logger: logger)
        }
    }

    static func shouldFallBack(_ error: any Error) -> Bool {
        guard let error = error as? LLMError else { return false }
        switch error.kind {
        case .connection, .timeout, .malformedResponse, .streamError: return true
        case .httpStatus:
            guard let status = error.status else { return false }
            return status == 404 || status == 408 || status == 429 || status >= 500
        default: return false
        }
    }
}

struct FallbackSource: ChatDeltaSource {
    var current: ChatStream.AsyncIterator
    var fallback: ChatStream?
    let names: (primary: String, fallback: String)
    let logger: Logger
    var answered = false

    mutating func next() async throws -> ChatDelta? {
        do {
            let delta = try await current.next()
            if let delta, case .metadata = delta {
            } else {
                answered = true
            }
            return delta
        } catch let error where !answered && fallback != nil && FallbackChatModel.shouldFallBack(error) {
            logger.info(
                "model failed; streaming from the fallback",
                metadata: ["model": "\(names.primary)", "fallback": "\(names.fallback)", "error": "\(error)"])
            current = fallback!.makeAsyncIterator()
            fallback = nil
            return try await next()
        }
    }
}
