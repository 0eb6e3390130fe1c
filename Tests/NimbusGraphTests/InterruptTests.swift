import Foundation
import NimbusCore
import Testing

@testable import NimbusGraph

@Suite("Human in the loop")
struct InterruptTests {
    struct Approval: Codable, Sendable {
        let approved: Bool
        let reason: String?
    }

    @Test("interrupt pauses the run; resume with an answer finishes it")
    func interruptAndResume() async throws {
        let store = InMemoryCheckpointStore()
        var graph = StateGraph<Trail>()
        graph.addNode("plan", visit("plan"))
        graph.addNode("approve") { _, context in
            let answer = try context.interrupt(["question": "Delete 3 buckets?"], answer: Approval.self)
            return Update(\.note, answer.approved ? "approved: \(answer.reason ?? "")" : "rejected")
        }
        graph.addEdge(from: START, to: "plan")
        graph.addEdge(from: "plan", to: "approve")
        graph.addEdge(from: "approve", to: END)
        let compiled = try graph.compile(name: "approval", checkpointer: store)

        let paused = try await compiled.invoke(Trail(), configuration: RunConfiguration(threadID: "t1"))
        #expect(paused.status == .interrupted)
        #expect(paused.interrupts.count == 1)
        let interrupt = try #require(paused.interrupts.first)
        #expect(interrupt.id == "2.approve#0")
        #expect(interrupt.node == "approve")
        #expect(interrupt.value["question"] == "Delete 3 buckets?")
        #expect(paused.state.visited == ["plan"])
        let record = try await store.thread("t1")
        #expect(record?.status == .interrupted)
        #expect(record?.interrupts.map(\.id) == ["2.approve#0"])

        let done = try await compiled.resume(
            threadID: "t1", answers: [interrupt.id: ["approved": true, "reason": "cleanup"]])
        #expect(done.status == .completed)
        #expect(done.state.note == "approved: cleanup")
        #expect(done.state.visited == ["plan"])
        #expect(try await store.thread("t1")?.status == .completed)
    }

    @Test("parallel nodes interrupt separately; each is answered on its own; finished siblings never re-run")
    func parallelInterrupts() async throws {
        let runs = Counter()
        let store = InMemoryCheckpointStore()
        var graph = StateGraph<Trail>()
        for name in ["left", "right"] {
            graph.addNode(name) { _, context in
                _ = runs.increment(name)
                let answer = try context.interrupt("ok to run \(name)?")
                return Update(\.visited, ["\(name)=\(answer.stringValue ?? "?")"])
            }
            graph.addEdge(from: START, to: name)
            graph.addEdge(from: name, to: END)
        }
        graph.addNode("quiet") { _, _ in
            _ = runs.increment("quiet")
            return Update(\.visited, ["quiet"])
        }
        graph.addEdge(from: START, to: "quiet")
        graph.addEdge(from: "quiet", to: END)
        let compiled = try graph.compile(name: "parallel-interrupts", checkpointer: store)

        let first = try await compiled.invoke(Trail(), configuration: RunConfiguration(threadID: "p"))
        #expect(first.status == .interrupted)
        #expect(Set(first.interrupts.map(\.id)) == ["1.left#0", "1.right#0"])

        let second = try await compiled.resume(threadID: "p", answers: ["1.left#0": "yes"])
        #expect(second.status == .interrupted)
        #expect(second.interrupts.map(\.id) == ["1.right#0"])

        let third = try await compiled.resume(threadID: "p", answers: ["1.right#0": "sure"])
        #expect(third.status == .completed)
        #expect(third.state.visited == ["left=yes", "right=sure", "quiet"])
        #expect(runs.count("quiet") == 1)
        // left: first run + the resume that answered it; right: three runs; never after finishing.
        #expect(runs.count("left") == 2)
        #expect(runs.count("right") == 3)
    }

    @Test("an answer for an interrupt that is not pending is refused with the pending list")
    func unknownInterruptAnswer() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("ask") { _, context in
            _ = try context.interrupt("?")
            return Update()
        }
        graph.addEdge(from: START, to: "ask")
        graph.addEdge(from: "ask", to: END)
        let compiled = try graph.compile(name: "ask", checkpointer: InMemoryCheckpointStore())
        _ = try await compiled.invoke(Trail(), configuration: RunConfiguration(threadID: "u"))
        let error = await expectGraphError(.unknownInterrupt) {
            _ = try await compiled.resume(threadID: "u", answers: ["1.ask#1": true])
        }
        #expect(error?.message.contains("1.ask#0") == true)
        #expect(error?.suggestion?.contains("1.ask#0") == true)
    }

    @Test("interrupts without a checkpoint store fail clearly")
    func interruptNeedsStore() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("ask") { _, context in
            _ = try context.interrupt("?")
            return Update()
        }
        graph.addEdge(from: START, to: "ask")
        graph.addEdge(from: "ask", to: END)
        let compiled = try graph.compile(name: "ask")
        await expectGraphError(.checkpointStoreRequired) { _ = try await compiled.invoke(Trail()) }
    }

    @Test("static gates pause before and after named nodes")
    func staticGates() async throws {
        let deletes = Counter()
        var graph = StateGraph<Trail>()
        graph.addNode("plan", visit("plan"))
        graph.addNode("delete") { _, _ in
            _ = deletes.increment()
            return Update(\.visited, ["delete"])
        }
        graph.addNode("report", visit("report"))
        graph.addEdge(from: START, to: "plan")
        graph.addEdge(from: "plan", to: "delete")
        graph.addEdge(from: "delete", to: "report")
        graph.addEdge(from: "report", to: END)
        let compiled = try graph.compile(
            name: "gates", checkpointer: InMemoryCheckpointStore(), interruptBefore: ["delete"],
            interruptAfter: ["delete"])

        let before = try await compiled.invoke(Trail(), configuration: RunConfiguration(threadID: "g"))
        #expect(before.status == .interrupted)
        #expect(before.interrupts.map(\.kind) == [.before])
        #expect(before.interrupts.first?.id == "2.delete#before")
        #expect(deletes.count() == 0)

        let after = try await compiled.resume(threadID: "g")
        #expect(after.status == .interrupted)
        #expect(after.interrupts.map(\.kind) == [.after])
        #expect(deletes.count() == 1)
        #expect(after.state.visited == ["plan", "delete"])

        let done = try await compiled.resume(threadID: "g")
        #expect(done.status == .completed)
        #expect(done.state.visited == ["plan", "delete", "report"])
        #expect(deletes.count() == 1)
    }

    @Test("recorded steps are not repeated when an interrupted node re-runs")
    func recordedStepsSurviveResume() async throws {
        let effects = Counter()
        var graph = StateGraph<Trail>()
        graph.addNode("upload") { _, context in
            let etag = try await context.step("put-object") { step in
                _ = effects.increment()
                return "etag-\(step.occurrence)"
            }
            let confirmed = try context.interrupt("uploaded \(etag); publish?")
            return Update(\.note, "\(etag) \(confirmed.boolValue == true ? "published" : "kept")")
        }
        graph.addEdge(from: START, to: "upload")
        graph.addEdge(from: "upload", to: END)
        let compiled = try graph.compile(name: "upload", checkpointer: InMemoryCheckpointStore())
        let paused = try await compiled.invoke(Trail(), configuration: RunConfiguration(threadID: "r"))
        #expect(paused.status == .interrupted)
        let done = try await compiled.resume(threadID: "r", answers: [paused.interrupts[0].id: true])
        #expect(done.state.note == "etag-0 published")
        #expect(effects.count() == 1)
    }

    @Test("resuming a completed or unknown thread says so")
    func nothingToResume() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("a", visit("a"))
        graph.addEdge(from: START, to: "a")
        graph.addEdge(from: "a", to: END)
        let compiled = try graph.compile(name: "done", checkpointer: InMemoryCheckpointStore())
        _ = try await compiled.invoke(Trail(), configuration: RunConfiguration(threadID: "finished"))
        await expectGraphError(.nothingToResume) { _ = try await compiled.resume(threadID: "finished") }
        let unknown = await expectGraphError(.unknownThread) { _ = try await compiled.resume(threadID: "finishd") }
        #expect(unknown?.suggestion?.contains("finished") == true)
    }
}
