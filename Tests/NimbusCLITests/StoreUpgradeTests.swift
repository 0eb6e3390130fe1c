import Foundation
import NimbusAWS
import NimbusCore
import NimbusStore
import NimbusTesting
import Testing

/// A store written by the previous schema (migrations v1–v3, made by the `nimbus` of commit dde5885) opens with
/// today's binary, is migrated in place, and its paused runs resume: a demo waiting at its question and an ops
/// request waiting for approval of a bucket creation.
@Suite("a store from the previous schema", .serialized)
struct StoreUpgradeTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/store-v3.sqlite")

    @Test("opens, lists and resumes its paused runs; history gains the product")
    func upgradeAndResume() async throws {
        let cli = try CLI()
        try FileManager.default.copyItem(at: Self.fixture, to: cli.home.appendingPathComponent("nimbus.sqlite"))
        let moto = try await MotoServer.shared()
        let environment = moto.isolatedEnvironment
        let aws = try moto.client()
        _ = try? await aws.call("s3", "DeleteBucket", ["Bucket": "fixture-bucket"])

        let runs = try await cli.run(["runs", "list", "--output", "json"], environment: environment)
        #expect(runs.status == 0, "\(runs.err)")
        let listed = try JSONValue(parsing: runs.out).arrayValue ?? []
        let ids = Set(listed.compactMap { $0["thread_id"]?.stringValue })
        #expect(ids.isSuperset(of: ["fixture-demo", "fixture-ops"]), "\(ids)")

        let history = try await cli.json(["history"])
        let ops = history.arrayValue?.first { $0["id"] == "fixture-ops" }
        #expect(ops?["product"] == "ops", "rows from before v4 are ops requests")
        #expect(ops?["status"] == "awaiting_approval")

        let approved = try await cli.run(
            ["runs", "resume", "fixture-ops", "--answer", "approve=true"], environment: environment)
        #expect(approved.status == 0, "\(approved.out)\(approved.err)")
        let buckets = try await aws.call("s3", "ListBuckets", [:])
        let names = buckets["Buckets"]?.arrayValue?.compactMap { $0["Name"]?.stringValue } ?? []
        #expect(names.contains("fixture-bucket"), "the approved creation ran")
        _ = try? await aws.call("s3", "DeleteBucket", ["Bucket": "fixture-bucket"])

        let declined = try await cli.json(["runs", "resume", "fixture-demo", "--answer", "4.approve#0=false"])
        #expect(declined["status"] == "completed")

        let store = try SQLiteStore(path: cli.home.appendingPathComponent("nimbus.sqlite").path)
        #expect(
            try store.appliedMigrations() == [
                "v1-core", "v2-llm-cache", "v3-audit", "v4-request-product", "v5-api-keys", "v6-workflows",
                "v7-checkpoint-heads",
            ])
        let done = try await store.requests(limit: 10).first { $0.id == "fixture-ops" }
        #expect(done?.status == .completed)
        #expect(done?.product == "ops")
    }
}
