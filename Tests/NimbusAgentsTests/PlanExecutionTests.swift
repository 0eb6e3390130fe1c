import Foundation
import NimbusAgents
import NimbusCore
import NimbusGraph
import Testing

/// Plans made without a model: references between steps, previews before approval, all-or-nothing refusals.
@Suite("plans and execution")
struct PlanExecutionTests {
    struct Run: GraphState {
        var plan: [PlannedStep]
        var executed: [ExecutedStep] = []
        static let schema = StateSchema<Run>(.field("plan", \.plan), .field("executed", \.executed))
    }

    func graph(
        cloud: FakeCloud, policy: ApprovalPolicy = .standard, readOnly: Bool = false
    ) throws -> CompiledGraph<Run> {
        let executor = StepExecutor(
            reviewer: PlanReviewer(
                registry: fakeRegistry(), policy: policy, scope: RequestScope(maxAccess: .delete), readOnly: readOnly),
            environment: { _ in cloud })
        var graph = StateGraph<Run>()
        graph.addNode("plan") { state, context in
            let previewed = try await executor.preview(
                executor.reviewer.review(state.plan), after: [], context: context)
            return Update {
                $0.write(\.plan, previewed.plan)
                $0.write(\.executed, previewed.executed)
            }
        }
        graph.addNode("approve") { state, context in
            Update(\.plan, try ApprovalGate.decide(state.plan, approvedBy: nil, context: context))
        }
        graph.addNode("execute") { state, context in
            Update(\.executed, try await executor.execute(state.plan, after: state.executed, context: context))
        }
        graph.addEdge(from: START, to: "plan")
        graph.addEdge(from: "plan", to: "approve")
        graph.addEdge(from: "approve", to: "execute")
        graph.addEdge(from: "execute", to: END)
        return try graph.compile(name: "plan-test", checkpointer: InMemoryCheckpointStore())
    }

    let twoSteps = [
        PlannedStep(number: 1, tool: "fake.list_buckets"),
        PlannedStep(
            number: 2, tool: "fake.delete_buckets",
            arguments: ["names": StepReference(step: 1, path: "names").json]),
    ]

    @Test("a later step uses an earlier result; the read it needs runs first, so the question names real buckets")
    func referencesAndPreview() async throws {
        let cloud = FakeCloud([.init(name: "a", tags: [:]), .init(name: "b", tags: [:])])
        let graph = try graph(cloud: cloud)
        let paused = try await graph.invoke(Run(plan: twoSteps))
        #expect(paused.status == .interrupted)
        let question = try paused.interrupts[0].value.decode(ApprovalQuestion.self)
        #expect(question.question.contains("delete buckets a, b"))
        #expect(question.steps == [2])
        #expect(cloud.calls == ["ListBuckets"])
        let done = try await graph.resume(threadID: paused.threadID, answers: [paused.interrupts[0].id: true])
        #expect(done.state.executed.map(\.status) == [.succeeded, .succeeded])
        #expect(cloud.buckets.isEmpty)
        // The read ran once, before the question; the resumed run used its recorded result.
        #expect(cloud.calls == ["ListBuckets", "DeleteBucket a", "DeleteBucket b"])
    }

    @Test("an empty result leaves the dependent step nothing to do, and nothing is asked")
    func nothingToDo() async throws {
        let cloud = FakeCloud([])
        let result = try await graph(cloud: cloud).invoke(Run(plan: twoSteps))
        #expect(result.status == .completed)
        #expect(result.state.executed.map(\.status) == [.succeeded, .skipped])
        #expect(result.state.executed[1].reason == "step 1 found nothing to act on")
    }

    @Test("one refused step keeps the whole plan from running")
    func allOrNothing() async throws {
        let cloud = FakeCloud([.init(name: "a", tags: [:])])
        let plan = [
            PlannedStep(number: 1, tool: "fake.create_bucket", arguments: ["name": "new"]),
            PlannedStep(number: 2, tool: "fake.delete_bucket", arguments: ["name": "a"]),
        ]
        let result = try await graph(cloud: cloud, policy: ApprovalPolicy(deny: ["fake:DeleteBucket"])).invoke(
            Run(plan: plan))
        #expect(result.status == .completed)
        #expect(result.state.executed.map(\.status) == [.skipped, .refused])
        #expect(result.state.executed[0].reason?.contains("step 2 was refused") == true)
        #expect(cloud.calls.isEmpty)
    }

    @Test("a failure stops the plan and says which step failed")
    func failureStops() async throws {
        let cloud = FakeCloud([])
        let plan = [
            PlannedStep(number: 1, tool: "fake.delete_bucket", arguments: ["name": "missing"]),
            PlannedStep(number: 2, tool: "fake.create_bucket", arguments: ["name": "new"]),
        ]
        let graph = try graph(cloud: cloud)
        let paused = try await graph.invoke(Run(plan: plan))
        let done = try await graph.resume(threadID: paused.threadID, answers: [paused.interrupts[0].id: "yes"])
        #expect(done.state.executed.map(\.status) == [.failed, .skipped])
        #expect(done.state.executed[0].failure?.message == "no bucket missing")
        #expect(done.state.executed[1].reason == "not run: step 1 failed")
        #expect(!cloud.buckets.contains { $0.name == "new" })
    }

    @Test("approval answers: yes, no, or the step numbers to approve")
    func answers() {
        #expect(ApprovalGate.approvedSteps(true, waiting: [1, 2]) == [1, 2])
        #expect(ApprovalGate.approvedSteps(false, waiting: [1, 2]) == [])
        #expect(ApprovalGate.approvedSteps("yes", waiting: [1, 2]) == [1, 2])
        #expect(ApprovalGate.approvedSteps("2", waiting: [1, 2]) == [2])
        #expect(ApprovalGate.approvedSteps([2, 5], waiting: [1, 2]) == [2])
        #expect(ApprovalGate.approvedSteps("maybe", waiting: [1, 2]) == [])
    }
}
