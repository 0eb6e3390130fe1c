import Foundation
import NimbusCore
import Testing

@testable import NimbusGraph

/// Interrupts that declare their answers: a wrong answer is refused before anything is stored, and the question
/// stays pending for a good one.
@Suite("Accepted answers")
struct AnswerValidationTests {
    static let engines = AcceptedAnswers.oneOf(["postgres", "mysql"], synonyms: ["postgresql": "postgres"])
    static let approval = AcceptedAnswers.approval(steps: [2, 3])

    static let readings: [(AcceptedAnswers, JSONValue, JSONValue?)] = [
        (engines, "postgres", "postgres"),
        (engines, " MySQL ", "mysql"),
        (engines, "PostgreSQL", "postgres"),
        (engines, "redis", nil),
        (engines, "", nil),
        (engines, true, nil),
        (engines, ["postgres"], nil),
        (.yesOrNo, true, true),
        (.yesOrNo, "yes", true),
        (.yesOrNo, "Y", true),
        (.yesOrNo, "no", false),
        (.yesOrNo, false, false),
        (.yesOrNo, "maybe", nil),
        (.yesOrNo, 1, nil),
        (.yesOrNo, "", nil),
        (approval, "yes", true),
        (approval, "approve", true),
        (approval, "false", false),
        (approval, 2, [2]),
        (approval, "3, 2", [2, 3]),
        (approval, "2 3", [2, 3]),
        (approval, [3], [3]),
        (approval, ["approve": "no"], false),
        (approval, "maybe", nil),
        (approval, 5, nil),
        (approval, [2, 5], nil),
        (approval, "2,x", nil),
        (approval, [], nil),
        (approval, .null, nil),
    ]

    @Test("an answer is read in its canonical form, or not at all", arguments: readings)
    func reading(accepts: AcceptedAnswers, answer: JSONValue, expected: JSONValue?) {
        #expect(accepts.reading(answer) == expected, "\(accepts) reading \(answer.jsonText)")
        #expect(accepts.accepts(answer) == (expected != nil))
    }

    @Test("accepted answers survive a store: they are part of the interrupt's JSON")
    func coding() throws {
        let interrupt = Interrupt(
            id: "1.ask#0", kind: .node, node: "ask", taskID: "1.ask", namespace: [], value: ["key": "engine"],
            accepts: Self.engines)
        let decoded = try JSONDecoder().decode(Interrupt.self, from: JSONEncoder().encode(interrupt))
        #expect(decoded == interrupt)
        // Interrupts stored before answers were declared still read, and take any answer.
        let old = try JSONDecoder().decode(
            Interrupt.self,
            from: Data(#"{"id":"x","kind":"node","node":"n","task_id":"t","namespace":[],"value":"?"}"#.utf8))
        #expect(old.accepts == nil && old.refusal(of: "anything") == nil)
    }

    func engineGraph(_ store: InMemoryCheckpointStore) throws -> CompiledGraph<Trail> {
        var graph = StateGraph<Trail>()
        graph.addNode("ask") { _, context in
            let engine = try context.interrupt(
                ["key": "engine", "question": "Which engine?"] as JSONValue, accepts: Self.engines)
            return Update(\.note, engine.stringValue ?? "?")
        }
        graph.addEdge(from: START, to: "ask")
        graph.addEdge(from: "ask", to: END)
        return try graph.compile(name: "engine", checkpointer: store)
    }

    @Test("a wrong answer is refused, naming the question and its answers; nothing stored changes; a good one works")
    func refusedThenAnswered() async throws {
        let store = InMemoryCheckpointStore()
        let graph = try engineGraph(store)
        let paused = try await graph.invoke(Trail(), configuration: RunConfiguration(threadID: "t"))
        let interrupt = try #require(paused.interrupts.first)
        #expect(interrupt.accepts == Self.engines)
        let before = try #require(try await store.thread("t"))
        let checkpoint = try #require(before.checkpointID)
        let writesBefore = try await store.writes(threadID: "t", checkpointID: checkpoint)

        for wrong: JSONValue in ["redis", "postgress", true] {
            let error = await #expect(throws: GraphError.self) {
                try await graph.resume(threadID: "t", answers: [interrupt.id: wrong])
            }
            #expect(error?.kind == .refusedAnswer)
            #expect(error?.message.contains("'engine'") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("Which engine?") == true)
            #expect(error?.message.contains("postgres, mysql") == true)
            #expect(try await store.thread("t") == before, "the refused answer changed the thread")
            #expect(try await store.writes(threadID: "t", checkpointID: checkpoint) == writesBefore)
        }
        let typo = await #expect(throws: GraphError.self) {
            try await graph.resume(threadID: "t", answers: [interrupt.id: "mysq"])
        }
        #expect(typo?.suggestion?.contains("did you mean 'mysql'?") == true)

        let done = try await graph.resume(threadID: "t", answers: [interrupt.id: "PostgreSQL"])
        #expect(done.status == .completed)
        #expect(done.state.note == "postgres", "the node reads the canonical choice")
    }

    @Test("an answer stored without the check (an older run) asks the question again instead of reaching the node")
    func staleAnswerAsksAgain() async throws {
        let store = InMemoryCheckpointStore()
        let graph = try engineGraph(store)
        let paused = try await graph.invoke(Trail(), configuration: RunConfiguration(threadID: "s"))
        let interrupt = try #require(paused.interrupts.first)
        let checkpoint = try #require(try await store.thread("s")?.checkpointID)
        try await store.saveWrites(
            [PendingWrite(taskID: interrupt.taskID, kind: .resume, key: interrupt.id, value: Data(#""redis""#.utf8))],
            threadID: "s", checkpointID: checkpoint)
        let again = try await graph.resume(threadID: "s")
        #expect(again.status == .interrupted)
        #expect(again.interrupts.map(\.id) == [interrupt.id])
        #expect(try await graph.resume(threadID: "s", answers: [interrupt.id: "mysql"]).state.note == "mysql")
    }

    @Test("a question asked inside a subgraph is checked when the parent run is resumed")
    func subgraph() async throws {
        let store = InMemoryCheckpointStore()
        var inner = StateGraph<Trail>()
        inner.addNode("confirm") { _, context in
            Update(\.note, try context.interrupt("Go on?", accepts: .yesOrNo) == true ? "went on" : "stopped")
        }
        inner.addEdge(from: START, to: "confirm")
        inner.addEdge(from: "confirm", to: END)
        var outer = StateGraph<Trail>()
        outer.addSubgraph(
            "child", try inner.compile(name: "inner", checkpointer: store), input: { _ in Trail() },
            output: { Update(\.note, $0.note) })
        outer.addEdge(from: START, to: "child")
        outer.addEdge(from: "child", to: END)
        let graph = try outer.compile(name: "outer", checkpointer: store)
        let paused = try await graph.invoke(Trail(), configuration: RunConfiguration(threadID: "o"))
        let interrupt = try #require(paused.interrupts.first)
        #expect(interrupt.namespace.isEmpty == false)
        await #expect(throws: GraphError.self) {
            try await graph.resume(threadID: "o", answers: [interrupt.id: "perhaps"])
        }
        #expect(try await store.thread("o")?.status == .interrupted)
        let done = try await graph.resume(threadID: "o", answers: [interrupt.id: "no"])
        #expect(done.state.note == "stopped")
    }
}
