import Foundation
import NimbusAgents
import NimbusCore
import NimbusGraph
import Synchronization

/// A tiny in-memory "cloud" the test tools act on, counting every call so tests can prove what ran.
final class FakeCloud: Sendable {
    struct Bucket: Sendable, Hashable {
        var name: String
        var tags: [String: String]
    }

    private let state: Mutex<(buckets: [Bucket], calls: [String])>

    init(_ buckets: [Bucket]) {
        state = Mutex((buckets, []))
    }

    var buckets: [Bucket] { state.withLock { $0.buckets } }
    var calls: [String] { state.withLock { $0.calls } }

    func list() -> [Bucket] {
        state.withLock { state in
            state.calls.append("ListBuckets")
            return state.buckets
        }
    }

    func delete(_ name: String) throws {
        try state.withLock { state in
            state.calls.append("DeleteBucket \(name)")
            guard state.buckets.contains(where: { $0.name == name }) else {
                throw FakeError(message: "no bucket \(name)")
            }
            state.buckets.removeAll { $0.name == name }
        }
    }

    func create(_ name: String) {
        state.withLock { state in
            state.calls.append("CreateBucket \(name)")
            state.buckets.append(Bucket(name: name, tags: [:]))
        }
    }
}

struct FakeError: NimbusError {
    let message: String
    var errorCode: ErrorCode { ErrorCode("fake", "failure", .upstream) }
}

struct ListBuckets: Tool {
    struct Input: ToolInput {
        static let schema = ToolSchema.empty
    }
    let name = "fake.list_buckets"
    let summary = "List buckets with their tags"
    let access = ToolAccess.read
    let actions = ["fake:ListBuckets"]
    func describe(_ input: Input) -> String { "list buckets" }
    func run(_ input: Input, environment: FakeCloud, context: ToolRunContext) async throws -> JSONValue {
        let buckets = environment.list().map { bucket -> JSONValue in
            ["name": .string(bucket.name), "tags": .object(bucket.tags.mapValues(JSONValue.string))]
        }
        return [
            "count": .int(buckets.count), "buckets": .array(buckets),
            "names": .array(buckets.compactMap { $0["name"] }),
        ]
    }
    func report(_ result: JSONValue, input: Input) -> String { "\(result["count"]?.intValue ?? 0) buckets" }
}

struct DeleteBucket: Tool {
    struct Input: ToolInput {
        var name: String
        static let schema = ToolSchema.object(
            ["name": ToolSchema.string("The bucket.", minLength: 1)], required: ["name"])
    }
    let name = "fake.delete_bucket"
    let summary = "Delete a bucket"
    let access = ToolAccess.delete
    let actions = ["fake:DeleteBucket"]
    func describe(_ input: Input) -> String { "delete bucket \(input.name)" }
    func run(_ input: Input, environment: FakeCloud, context: ToolRunContext) async throws -> JSONValue {
        try environment.delete(input.name)
        return ["deleted": .string(input.name)]
    }
}

struct DeleteBuckets: Tool {
    struct Input: ToolInput {
        var names: [String]
        static let schema = ToolSchema.object(
            ["names": ToolSchema.array("Buckets.", of: ToolSchema.string("A bucket."), minItems: 1)],
            required: ["names"])
    }
    let name = "fake.delete_buckets"
    let summary = "Delete several buckets"
    let access = ToolAccess.delete
    let actions = ["fake:DeleteBucket"]
    func describe(_ input: Input) -> String { "delete buckets \(input.names.joined(separator: ", "))" }
    func run(_ input: Input, environment: FakeCloud, context: ToolRunContext) async throws -> JSONValue {
        for name in input.names { try environment.delete(name) }
        return ["deleted": .array(input.names.map(JSONValue.string))]
    }
}

struct CreateBucket: Tool {
    struct Input: ToolInput {
        var name: String
        static let schema = ToolSchema.object(
            ["name": ToolSchema.string("The bucket.", minLength: 1)], required: ["name"])
    }
    let name = "fake.create_bucket"
    let summary = "Create a bucket"
    let access = ToolAccess.write
    let actions = ["fake:CreateBucket"]
    func describe(_ input: Input) -> String { "create bucket \(input.name)" }
    func run(_ input: Input, environment: FakeCloud, context: ToolRunContext) async throws -> JSONValue {
        environment.create(input.name)
        return ["created": .string(input.name)]
    }
}

func fakeRegistry() -> ToolRegistry<FakeCloud> {
    var registry = ToolRegistry<FakeCloud>()
    registry.register(ListBuckets())
    registry.register(DeleteBucket())
    registry.register(DeleteBuckets())
    registry.register(CreateBucket())
    return registry
}
