import Foundation
public import NimbusAWS

/// Names the operation a signed request calls, from the service's botocore model: `X-Amz-Target` for the JSON
/// protocols, `Action` for query and EC2, and for the REST protocols the method, path and query matched against
/// every operation's `requestUri` (the most specific match wins: literal query keys first, then literal segments).
public struct OperationRouter: Sendable {
    public let model: ServiceModel
    private let routes: [Route]

    public init(model: ServiceModel) {
        self.model = model
        routes = model.operations.values.map(Route.init).sorted { $0.name < $1.name }
    }

    /// The operation, or `nil` when the request matches none.
    public func operation(
        method: String, path: String, query: String, headers: [(name: String, value: String)], body: [UInt8]
    ) -> OperationModel? {
        switch model.wireProtocol {
        case .json:
            guard let target = headers.first(where: { $0.name.lowercased() == "x-amz-target" })?.value,
                let name = target.split(separator: ".").last
            else { return nil }
            return model.operations[String(name)]
        case .query, .ec2:
            let form = Self.formValues(query) + Self.formValues(String(decoding: body, as: UTF8.self))
            guard let action = form.first(where: { $0.0 == "Action" })?.1 else { return nil }
            return model.operations[action]
        case .restJSON, .restXML:
            let segments = Self.segments(path)
            let keys = Self.formValues(query)
            let headerNames = Set(headers.map { $0.name.lowercased() })
            var best: (route: Route, score: Int)?
            for route in routes where route.method == method.uppercased() {
                guard route.headers.isSubset(of: headerNames),
                    var score = route.match(segments: segments, query: keys)
                else { continue }
                score += route.headers.count * 1000
                if best == nil || score > best!.score { best = (route, score) }
            }
            return best.flatMap { model.operations[$0.route.name] }
        }
    }

    /// `a=1&b` as pairs, percent-decoded (`+` as space).
    static func formValues(_ text: String) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func segments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            String($0).removingPercentEncoding ?? String($0)
        }
    }

    /// One operation's `requestUri`, taken apart.
    struct Route: Sendable {
        enum Segment: Sendable {
            case literal(String)
            case label
            /// `{Key+}`: the rest of the path, at least one segment.
            case greedy
        }

        let name: String
        let method: String
        let segments: [Segment]
        /// Query keys the URI names, with the value it requires (`list-type=2`) or `nil` for any value.
        let query: [(String, String?)]
        /// Headers the operation requires (`x-amz-copy-source` tells CopyObject from PutObject).
        let headers: Set<String>

        init(_ operation: OperationModel) {
            var headers = Set<String>()
            if let input = operation.input?.shape {
                for name in input.required {
                    guard let member = input.member(named: name), member.ref.location == "header" else { continue }
                    headers.insert((member.ref.locationName ?? name).lowercased())
                }
            }
            self.headers = headers
            name = operation.name
            method = operation.method.uppercased()
            let parts = operation.requestURI.split(separator: "?", maxSplits: 1)
            let path = parts.first.map(String.init) ?? "/"
            var segments: [Segment] = []
            for piece in OperationRouter.segments(path) {
                if piece.hasPrefix("{"), piece.hasSuffix("+}") {
                    segments.append(.greedy)
                } else if piece.hasPrefix("{"), piece.hasSuffix("}") {
                    segments.append(.label)
                } else {
                    segments.append(.literal(piece))
                }
            }
            // `/` is one empty segment; `/{Bucket}` one label.
            self.segments = segments
            query =
                parts.count > 1
                ? OperationRouter.formValues(String(parts[1])).map { ($0.0, $0.1.isEmpty ? nil : $0.1) } : []
        }

        /// A score (higher is more specific) when the request fits, else `nil`.
        func match(segments given: [String], query given_query: [(String, String)]) -> Int? {
            for (key, value) in query {
                guard let found = given_query.first(where: { $0.0 == key }) else { return nil }
                if let value, found.1 != value { return nil }
            }
            var index = 0
            var literals = 0
            for (position, segment) in segments.enumerated() {
                switch segment {
                case .literal(let text):
                    // A trailing empty literal (`/` or `/{Bucket}/`) also matches a path without it.
                    if text.isEmpty, position == segments.count - 1, index == given.count { continue }
                    guard index < given.count, given[index] == text else { return nil }
                    literals += 1
                    index += 1
                case .label:
                    guard index < given.count, !given[index].isEmpty else { return nil }
                    index += 1
                case .greedy:
                    guard index < given.count else { return nil }
                    index = given.count
                }
            }
            // A path with one more empty segment (`/bucket/`) is the same as without it.
            if index == given.count - 1, given.last == "" { index += 1 }
            guard index == given.count else { return nil }
            return query.count * 100 + literals * 10 + segments.count
        }
    }
}
