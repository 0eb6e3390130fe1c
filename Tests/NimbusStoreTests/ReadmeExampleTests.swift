import Foundation
import NimbusGraph
import NimbusStore
import Testing

/// The README's runtime example, verbatim apart from the file path, so the front page never lies.
@Suite("README example")
struct ReadmeExampleTests {
    struct Review: GraphState {
        var regions: [String] = []
        var findings: [String: Int] = [:]
        var approved = false
        static let schema = StateSchema<Review>(
            .field("regions", \.regions),
            .field("findings", \.findings, .merge),  // parallel writes merge
            .field("approved", \.approved)
        )
    }

    @Test("the README example runs, pauses and resumes")
    func readmeExample() async throws {
        let directory = try TemporaryDirectory()
        var graph = StateGraph<Review>()
        graph.addNode("plan") { _, _ in Update(\.regions, ["us-east-1", "eu-west-1"]) }
        graph.addNode("survey", retry: RetryPolicy(maxAttempts: 3), timeout: .seconds(30)) { _, context in
            let region = try context.input(String.self)
            let count = try await context.step("scan") { _ in 3 }  // recorded: never repeated after a resume
            return Update(\.findings, [region: count])
        }
        graph.addNode("approve") { state, context in
            Update(\.approved, try context.interrupt("Publish \(state.findings.count) regions?", answer: Bool.self))
        }
        graph.addEdge(from: START, to: "plan")
        graph.addConditionalEdges(from: "plan", to: ["survey"]) { state in
            try state.regions.map { try Route.send("survey", $0) }  // one parallel task per region
        }
        graph.addEdge(from: "survey", to: "approve")
        graph.addEdge(from: "approve", to: END)

        let store = try SQLiteStore(path: directory.databasePath)
        let review = try graph.compile(name: "review", checkpointer: store)
        let paused = try await review.invoke(Review())  // .interrupted, with paused.interrupts
        let done = try await review.resume(threadID: paused.threadID, answers: [paused.interrupts[0].id: true])

        #expect(paused.status == .interrupted)
        #expect(paused.interrupts[0].value == "Publish 2 regions?")
        #expect(done.status == .completed)
        #expect(done.state.findings == ["us-east-1": 3, "eu-west-1": 3])
        #expect(done.state.approved)
    }
}
