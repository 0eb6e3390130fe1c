import Foundation
import Testing

@testable import NimbusCore

@Suite("Streaming JSON encoder")
struct StreamingJSONEncoderTests {
    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case rectangle(width: Int, height: Int, label: String?)
        case empty
    }

    struct Empty: Codable, Equatable {}

    struct Document: Codable, Equatable {
        var title: String
        var tags: [String]
        var counts: [String: Int]
        var nested: [Document]
        var shape: Shape
        var optional: Int?
        var present: Bool?
        var when: Date
        var blob: Data
        var link: URL
        var ratio: Double
        var tiny: Float
        var big: UInt64
        var negative: Int8
        var empty: Empty
        var matrix: [[Int]]
        var json: JSONValue
    }

    class Base: Codable {
        var id = 1
    }

    final class Derived: Base {
        var name = "derived"
        enum CodingKeys: String, CodingKey { case name }
        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try super.encode(to: container.superEncoder())
        }
    }

    /// Writes to its outer container after opening a nested one: the streaming writer must hand it over.
    struct Interleaved: Encodable {
        enum Keys: String, CodingKey { case a, b, c }
        func encode(to encoder: any Encoder) throws {
            var outer = encoder.container(keyedBy: Keys.self)
            var nested = outer.nestedContainer(keyedBy: Keys.self, forKey: .a)
            try outer.encode(1, forKey: .b)
            try nested.encode(2, forKey: .c)
        }
    }

    /// Asks for its keyed container twice.
    struct TwoCalls: Encodable {
        enum Keys: String, CodingKey { case first, second }
        func encode(to encoder: any Encoder) throws {
            var one = encoder.container(keyedBy: Keys.self)
            try one.encode("x", forKey: .first)
            var two = encoder.container(keyedBy: Keys.self)
            try two.encode("y", forKey: .second)
        }
    }

    func reference(_ value: some Encodable) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try JSONValue(parsing: try encoder.encode(value))
    }

    func streamed(_ value: some Encodable) throws -> JSONValue {
        try JSONValue(parsing: try StreamingJSONEncoder.encode(value))
    }

    @Test("matches JSONEncoder on nested structs, enums, optionals, dates, data, URLs and numbers")
    func matchesJSONEncoder() throws {
        let child = Document(
            title: "child \"quoted\"\n\ttab \u{1} ünïcode 🚀", tags: [], counts: [:], nested: [],
            shape: .rectangle(width: 2, height: 3, label: nil), optional: nil, present: false,
            when: Date(timeIntervalSince1970: 0), blob: Data(), link: URL(string: "https://example.com/a?b=c")!,
            ratio: -0.000123, tiny: 1.5, big: UInt64.max, negative: -8, empty: Empty(), matrix: [[]], json: nil)
        let document = Document(
            title: "root", tags: ["a", "b"], counts: ["x": 1, "y": -2], nested: [child, child],
            shape: .circle(radius: 2.5),
            optional: 7, present: true, when: Date(timeIntervalSince1970: 1_700_000_000), blob: Data([0, 1, 2, 255]),
            link: URL(string: "file:///tmp/x")!, ratio: 1e300, tiny: .infinity, big: 42, negative: 8, empty: Empty(),
            matrix: [[1, 2], [3]], json: ["k": [1, "two", nil, true]])
        #expect(try streamed(document) == reference(document))
        #expect(try streamed([Shape.empty, .circle(radius: 1)]) == reference([Shape.empty, .circle(radius: 1)]))
        #expect(try streamed(Double.nan) == reference(Double.nan))
        #expect(try streamed(["only"]) == reference(["only"]))
        #expect(try streamed(Empty()) == reference(Empty()))
        #expect(try streamed(Derived()) == reference(Derived()))
        #expect(try streamed(TwoCalls()) == reference(TwoCalls()))
        #expect(String(decoding: try StreamingJSONEncoder.encode(Empty()), as: UTF8.self) == "{}")
    }

    @Test("an encoding that interleaves containers falls back to JSONEncoder")
    func interleavingFallsBack() throws {
        #expect(try streamed(Interleaved()) == reference(Interleaved()))
        #expect(try streamed(Interleaved()) == ["a": ["c": 2], "b": 1])
    }

    @Test("round-trips through JSONDecoder")
    func roundTrip() throws {
        let value = ["a": [1.25, 2], "b": []]
        let decoded = try JSONDecoder().decode([String: [Double]].self, from: try StreamingJSONEncoder.encode(value))
        #expect(decoded == value)
    }
}
