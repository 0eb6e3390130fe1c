import Foundation
import NimbusCore
import Testing

@testable import NimbusGraph

@Suite("State and reducers")
struct StateAndReducerTests {
    @Test("each reducer combines writes from parallel nodes")
    func reducersCombineParallelWrites() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("a") { _, _ in
            Update {
                $0.write(\.visited, ["a"])
                $0.write(\.scores, ["x": 1, "y": 1])
                $0.write(\.total, 5)
                $0.write(to: \.tally, "word")
                $0.write(\.value, 7)
            }
        }
        graph.addNode("b") { _, _ in
            Update {
                $0.append(\.visited, "b")
                $0.write(\.scores, ["y": 2])
                $0.write(\.total, 10)
                $0.write(to: \.tally, "word")
            }
        }
        graph.addEdge(from: START, to: "a")
        graph.addEdge(from: START, to: "b")
        graph.addEdge(from: "a", to: END)
        graph.addEdge(from: "b", to: END)
        let result = try await graph.compile(name: "reducers").invoke(Trail(total: 1))
        #expect(result.status == .completed)
        #expect(result.state.visited == ["a", "b"])
        #expect(result.state.scores == ["x": 1, "y": 2])
        #expect(result.state.total == 16)
        #expect(result.state.tally == ["word": 2])
        #expect(result.state.value == 7)
    }

    @Test("two writes to a last-value field in one step name both nodes")
    func lastValueConflict() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("left") { _, _ in Update(\.note, "left") }
        graph.addNode("right") { _, _ in Update(\.note, "right") }
        graph.addEdge(from: START, to: "left")
        graph.addEdge(from: START, to: "right")
        graph.addEdge(from: "left", to: END)
        graph.addEdge(from: "right", to: END)
        let compiled = try graph.compile(name: "conflict")
        let error = await expectGraphError(.conflictingWrites) { _ = try await compiled.invoke(Trail()) }
        #expect(error?.message.contains("'left'") == true)
        #expect(error?.message.contains("'right'") == true)
        #expect(error?.message.contains("'note'") == true)
    }

    @Test("a node writing a field the schema does not declare fails clearly")
    func undeclaredField() async throws {
        struct Loose: GraphState {
            var declared = 0
            var hidden = 0
            static let schema = StateSchema<Loose>(.field("declared", \.declared))
        }
        var graph = StateGraph<Loose>()
        graph.addNode("writer") { _, _ in Update(\.hidden, 1) }
        graph.addEdge(from: START, to: "writer")
        graph.addEdge(from: "writer", to: END)
        let compiled = try graph.compile(name: "loose")
        let error = await expectGraphError(.undeclaredField) { _ = try await compiled.invoke(Loose()) }
        #expect(error?.message.contains("writer") == true)
    }

    @Test("a write of the wrong type for a field's reducer fails naming the field")
    func wrongWriteType() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("counter") { _, _ in
            var update = Update<Trail>()
            update.write(to: \.tally, 5)
            return update
        }
        graph.addEdge(from: START, to: "counter")
        graph.addEdge(from: "counter", to: END)
        let compiled = try graph.compile(name: "wrong-type")
        let error = await expectGraphError(.wrongWriteType) { _ = try await compiled.invoke(Trail()) }
        #expect(error?.message.contains("'tally'") == true)
        #expect(error?.message.contains("String") == true)
    }

    @Test("writes are applied in task order whatever order the nodes finish in")
    func deterministicOrder() async throws {
        var graph = StateGraph<Trail>()
        let names = ["n1", "n2", "n3", "n4", "n5"]
        for name in names {
            graph.addNode(name) { _, _ in
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...15)))
                return Update(\.visited, [name])
            }
            graph.addEdge(from: START, to: name)
            graph.addEdge(from: name, to: END)
        }
        let compiled = try graph.compile(name: "order")
        for _ in 0..<5 {
            let result = try await compiled.invoke(Trail())
            #expect(result.state.visited == names)
        }
    }

    @Test("the nodes of a step run at the same time")
    func concurrentSuperstep() async throws {
        let started = Counter()
        var graph = StateGraph<Trail>()
        for name in ["a", "b"] {
            graph.addNode(name) { _, _ in
                _ = started.increment()
                // Each waits for the other to have started: sequential execution could never finish.
                try await waitUntil { started.count() == 2 }
                return Update(\.visited, [name])
            }
            graph.addEdge(from: START, to: name)
            graph.addEdge(from: name, to: END)
        }
        let result = try await graph.compile(name: "parallel").invoke(Trail())
        #expect(result.state.visited == ["a", "b"])
    }

    @Test("a node's update may write nothing")
    func emptyUpdate() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("noop") { _, _ in Update() }
        graph.addEdge(from: START, to: "noop")
        graph.addEdge(from: "noop", to: END)
        let result = try await graph.compile(name: "noop").invoke(Trail(value: 3))
        #expect(result.state == Trail(value: 3))
        #expect(result.steps == 1)
    }
}
