public import NimbusCore

/// The pages of a paginated operation as an `AsyncSequence`: each element is one response; the next request
/// carries the tokens the paginator model names, until a response has none (or says there are no more).
///
/// ```swift
/// for try await page in aws.paginate("s3", "ListObjectsV2", ["Bucket": "logs"]) {
///     for object in page["Contents"]?.arrayValue ?? [] { … }
/// }
/// ```
public struct AWSPages: AsyncSequence, Sendable {
    public typealias Element = JSONValue

    let service: String
    let operation: String
    let input: OrderedJSON
    /// Sends one page's request.
    let fetch: @Sendable (OrderedJSON) async throws -> JSONValue

    init(client: AWSClient, service: String, operation: String, input: OrderedJSON) {
        self.init(service: service, operation: operation, input: input) { input in
            try await client.call(service, operation, input)
        }
    }

    /// Pages whose requests go through `fetch` — a caller that records or audits each call — rather than straight
    /// to a client; the paginator model and the token handling are the same.
    public init(
        service: String, operation: String, input: OrderedJSON,
        fetch: @escaping @Sendable (_ input: OrderedJSON) async throws -> JSONValue
    ) {
        self.service = service
        self.operation = operation
        self.input = input
        self.fetch = fetch
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(pages: self)
    }

    /// Every item under the paginator's result keys, across all pages (`Contents` of ListObjectsV2).
    public func items() async throws -> [JSONValue] {
        let paginator = try ModelCatalog.paginators(service)[try ModelCatalog.model(service).operation(operation).name]
        var items: [JSONValue] = []
        for try await page in self {
            for key in paginator?.resultKeys ?? [] {
                items.append(contentsOf: PaginationExpression.evaluate(key, in: page)?.arrayValue ?? [])
            }
        }
        return items
    }

    /// Fetches one page at a time.
    public struct Iterator: AsyncIteratorProtocol {
        let pages: AWSPages
        var tokens: [JSONValue]?
        var finished = false
        var paginator: PaginatorModel?
        var started = false

        init(pages: AWSPages) { self.pages = pages }

        /// Whether a next page remains (true before the first).
        public var hasMore: Bool { !finished }

        public mutating func next() async throws -> JSONValue? {
            guard !finished else { return nil }
            if !started {
                started = true
                let name = try ModelCatalog.model(pages.service).operation(pages.operation).name
                paginator = try ModelCatalog.paginators(pages.service)[name]
                if paginator == nil {
                    // Not paginated: one page.
                    finished = true
                    return try await pages.fetch(pages.input)
                }
            }
            guard let paginator else { return nil }
            var input = pages.input
            if let tokens {
                var members = input.members ?? []
                for (name, value) in zip(paginator.inputTokens, tokens) where !value.isNull {
                    members.removeAll { $0.0 == name }
                    members.append((name, OrderedJSON(value)))
                }
                input = .object(members)
            }
            let page = try await pages.fetch(input)
            let next = paginator.outputTokens.map { PaginationExpression.evaluate($0, in: page) ?? .null }
            let more = paginator.moreResults.map { PaginationExpression.evaluate($0, in: page)?.boolValue ?? false }
            let hasToken = next.contains { !$0.isNull && $0 != .string("") }
            // A repeated token would loop for ever: stop instead.
            if more == false || !hasToken || (tokens != nil && next == tokens!) {
                finished = true
            }
            tokens = next
            return page
        }
    }
}

/// The small JMESPath subset paginator models use: `A.B`, `Contents[-1].Key`, `NextMarker || Contents[-1].Key`.
enum PaginationExpression {
    static func evaluate(_ expression: String, in value: JSONValue) -> JSONValue? {
        for alternative in expression.components(separatedBy: "||") {
            let path = alternative.trimmingCharacters(in: .whitespaces)
            if let result = evaluatePath(path, in: value), !result.isNull, result != .string("") { return result }
        }
        return nil
    }

    private static func evaluatePath(_ path: String, in value: JSONValue) -> JSONValue? {
        var current: JSONValue? = value
        for segment in path.split(separator: ".") {
            var name = Substring(segment)
            var index: Int?
            if let open = segment.firstIndex(of: "["), segment.hasSuffix("]") {
                name = segment[..<open]
                index = Int(segment[segment.index(after: open)..<segment.index(before: segment.endIndex)])
            }
            if !name.isEmpty { current = current?[String(name)] }
            if let index, let elements = current?.arrayValue {
                let position = index < 0 ? elements.count + index : index
                current = elements.indices.contains(position) ? elements[position] : nil
            }
        }
        return current
    }
}
