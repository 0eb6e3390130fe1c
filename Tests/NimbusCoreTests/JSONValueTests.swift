import Foundation
import Testing

@testable import NimbusCore

@Suite("JSONValue")
struct JSONValueTests {
    @Test("parses and prints JSON with sorted keys, keeping integers exact")
    func parseAndPrint() throws {
        let value = try JSONValue(parsing: #"{"b": [1, 2.5, true, null, "x\n\"y\""], "a": {"id": 9007199254740993}}"#)
        #expect(value["a"]?["id"] == .int(9_007_199_254_740_993))
        #expect(value["b"]?[1] == .double(2.5))
        #expect(value["b"]?[2] == true)
        #expect(value["b"]?[3] == .null)
        #expect(value.jsonText == #"{"a":{"id":9007199254740993},"b":[1,2.5,true,null,"x\n\"y\""]}"#)
        #expect(try JSONValue(parsing: value.jsonText) == value)
        #expect(try JSONValue(parsing: value.prettyJSONText) == value)
    }

    @Test("integers and doubles that denote the same number are equal and hash alike")
    func numericEquality() {
        #expect(JSONValue.int(1) == .double(1.0))
        #expect(JSONValue.int(1) != .double(1.5))
        #expect(Set<JSONValue>([.int(3), .double(3.0)]).count == 1)
        #expect(JSONValue.double(4.0).intValue == 4)
        #expect(JSONValue.double(4.5).intValue == nil)
    }

    @Test("invalid JSON is an error that says so")
    func invalid() {
        #expect(throws: JSONValueError.self) { try JSONValue(parsing: "{nope") }
    }

    @Test("paths reach into objects and arrays; merging is recursive")
    func pathsAndMerge() {
        let value: JSONValue = [
            "llm": ["model": "openai:gpt-4o-mini", "fallbacks": ["a", "b"]], "log": ["level": "info"],
        ]
        #expect(value.value(atPath: "llm.model") == "openai:gpt-4o-mini")
        #expect(value.value(atPath: "llm.fallbacks.1") == "b")
        #expect(value.value(atPath: "llm.missing") == nil)
        let merged = value.merging(["log": ["format": "json"], "llm": "none"])
        #expect(merged.value(atPath: "log.level") == "info")
        #expect(merged.value(atPath: "log.format") == "json")
        #expect(merged["llm"] == "none")
    }

    struct Profile: Codable, Equatable {
        enum Kind: String, Codable { case user, role }
        var name: String
        var kind: Kind
        var regions: [String]
        var limits: [String: Int]
        var weight: Double
        var nickname: String?
        var created: Date
        var nested: [Profile]?
    }

    @Test("any Codable value converts to and from JSONValue without text")
    func codableBridge() throws {
        let profile = Profile(
            name: "ops", kind: .role, regions: ["us-east-1"], limits: ["calls": 5], weight: 0.5, nickname: nil,
            created: Date(timeIntervalSince1970: 1_700_000_000),
            nested: [
                Profile(
                    name: "child", kind: .user, regions: [], limits: [:], weight: 1,
                    created: Date(timeIntervalSince1970: 0))
            ])
        let json = try JSONValue(encoding: profile)
        #expect(json["name"] == "ops")
        #expect(json["kind"] == "role")
        #expect(json["nickname"] == nil)
        #expect(json["created"] == "2023-11-14T22:13:20Z")
        #expect(try json.decode(Profile.self) == profile)
    }

    @Test("decoding errors name the path of the bad value")
    func decodingErrors() throws {
        let json: JSONValue = [
            "name": "ops", "kind": "role", "regions": ["a", 5], "limits": [:], "weight": 1,
            "created": "2023-11-14T22:13:20Z",
        ]
        do {
            _ = try json.decode(Profile.self)
            Issue.record("expected a decoding error")
        } catch let error as JSONValueError {
            #expect(error.message.contains("'regions.1'"))
        }
        let missing: JSONValue = ["kind": "role"]
        do {
            _ = try missing.decode(Profile.self)
            Issue.record("expected a decoding error")
        } catch let error as JSONValueError {
            #expect(error.message.contains("'name'"))
        }
    }

    @Test("lenient decoding reads strings as numbers and booleans")
    func lenient() throws {
        struct Settings: Decodable {
            var retries: Int
            var verbose: Bool
            var ratio: Double
            var name: String
        }
        let json: JSONValue = ["retries": "3", "verbose": "yes", "ratio": "0.25", "name": 42]
        let settings = try json.decode(Settings.self, lenient: true)
        #expect(settings.retries == 3 && settings.verbose && settings.ratio == 0.25 && settings.name == "42")
        #expect(throws: JSONValueError.self) { try json.decode(Settings.self) }
        #expect(throws: JSONValueError.self) {
            try (["retries": "many", "verbose": true, "ratio": 1, "name": "x"] as JSONValue).decode(
                Settings.self, lenient: true)
        }
    }
}

@Suite("Identifiers and suggestions")
struct IdentifierTests {
    @Test("sortable ids are 26 characters, unique and in creation order")
    func sortableIDs() {
        let ids = (0..<5000).map { _ in SortableID() }
        #expect(ids.allSatisfy { $0.rawValue.count == 26 })
        #expect(Set(ids).count == ids.count)
        #expect(ids.map(\.rawValue) == ids.map(\.rawValue).sorted())
        let date = Date(timeIntervalSince1970: 1_800_000_000.123)
        let id = SortableID(date: date)
        #expect(abs(id.date.timeIntervalSince(date)) < 0.002)
        #expect(SortableID(id.rawValue) == id)
        #expect(SortableID("not-an-id") == nil)
        #expect(SortableID("ILOU" + String(repeating: "0", count: 22)) == nil)
    }

    @Test("close misspellings are suggested, distant words are not")
    func suggestions() {
        #expect(closestMatch(to: "lsit", in: ["list", "show", "resume"]) == "list")
        #expect(closestMatch(to: "resme", in: ["list", "show", "resume"]) == "resume")
        #expect(closestMatch(to: "delete", in: ["list", "show"]) == nil)
        #expect(editDistance("kitten", "sitting") == 3)
    }
}
