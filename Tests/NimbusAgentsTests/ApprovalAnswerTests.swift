import Foundation
import NimbusAgents
import NimbusCore
import NimbusGraph
import Testing

/// The approval question takes yes, no or step numbers; anything else is refused and the question stays pending,
/// rather than being read as a no.
@Suite("approval answers")
struct ApprovalAnswerTests {
    let plan = [
        PlannedStep(number: 1, tool: "fake.create_bucket", arguments: ["name": "new"]),
        PlannedStep(number: 2, tool: "fake.create_bucket", arguments: ["name": "other"]),
    ]

    @Test("the approval interrupt declares the answers it takes")
    func declared() async throws {
        let graph = try PlanExecutionTests().graph(cloud: FakeCloud([]))
        let paused = try await graph.invoke(.init(plan: plan))
        let interrupt = try #require(paused.interrupts.first)
        #expect(interrupt.accepts == .approval(steps: [1, 2]))
        #expect(interrupt.value["key"] == "approve")
    }

    @Test(
        "an unclear answer is refused, nothing runs, and the question can still be answered",
        arguments: [
            "maybe", "perhaps", "3", "1,7", "",
        ] as [JSONValue])
    func unclearIsRefused(answer: JSONValue) async throws {
        let cloud = FakeCloud([])
        let graph = try PlanExecutionTests().graph(cloud: cloud)
        let paused = try await graph.invoke(.init(plan: plan))
        let interrupt = try #require(paused.interrupts.first)
        let error = await #expect(throws: GraphError.self) {
            try await graph.resume(threadID: paused.threadID, answers: [interrupt.id: answer])
        }
        #expect(error?.kind == .refusedAnswer)
        #expect(error?.message.contains("'approve'") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("yes, no, or the numbers of the steps to run (1, 2)") == true)
        #expect(cloud.calls.isEmpty)

        let done = try await graph.resume(threadID: paused.threadID, answers: [interrupt.id: "2"])
        #expect(done.status == .completed)
        #expect(done.state.executed.map(\.status) == [.declined, .succeeded])
        #expect(cloud.buckets.map(\.name) == ["other"])
    }
}
