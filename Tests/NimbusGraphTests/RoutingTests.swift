import Foundation
import NimbusCore
import Testing

@testable import NimbusGraph

@Suite("Edges, routers, fan-out and joins")
struct RoutingTests {
    @Test("static edges run a chain in order")
    func chain() async throws {
        var graph = StateGraph<Trail>()
        for name in ["a", "b", "c"] { graph.addNode(name, visit(name)) }
        graph.addEdge(from: START, to: "a")
        graph.addEdge(from: "a", to: "b")
        graph.addEdge(from: "b", to: "c")
        graph.addEdge(from: "c", to: END)
        let result = try await graph.compile(name: "chain").invoke(Trail())
        #expect(result.state.visited == ["a", "b", "c"])
        #expect(result.steps == 3)
    }

    @Test("a router reads the state after the step and loops until done")
    func conditionalLoop() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("inc") { state, _ in Update(\.value, state.value + 1) }
        graph.addNode("done", visit("done"))
        graph.addEdge(from: START, to: "inc")
        graph.addConditionalEdge(from: "inc", to: ["inc", "done"]) { state in
            state.value < 4 ? "inc" : "done"
        }
        graph.addEdge(from: "done", to: END)
        let result = try await graph.compile(name: "loop").invoke(Trail())
        #expect(result.state.value == 4)
        #expect(result.state.visited == ["done"])
        #expect(result.steps == 5)
    }

    @Test("a router returning several routes runs them in parallel; returning END stops")
    func multipleRoutes() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("start", visit("start"))
        for name in ["x", "y", "z"] {
            graph.addNode(name, visit(name))
            graph.addEdge(from: name, to: END)
        }
        graph.addEdge(from: START, to: "start")
        graph.addConditionalEdges(from: "start", to: ["x", "y", "z", END]) { _ in ["z", "x", .end] }
        let result = try await graph.compile(name: "multi").invoke(Trail())
        #expect(result.state.visited == ["start", "z", "x"])
        #expect(result.steps == 2)
    }

    @Test("routing to a destination the edge did not declare is an error naming both")
    func undeclaredRoute() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("a", visit("a"))
        graph.addNode("b", visit("b"))
        graph.addNode("c", visit("c"))
        graph.addEdge(from: START, to: "a")
        graph.addConditionalEdge(from: "a", to: ["b"]) { _ in "c" }
        graph.addEdge(from: "b", to: END)
        graph.addEdge(from: "c", to: END)
        graph.addEdge(from: START, to: "c")
        let compiled = try graph.compile(name: "undeclared")
        let error = await expectGraphError(.undeclaredRoute) { _ = try await compiled.invoke(Trail()) }
        #expect(error?.message.contains("'c'") == true)
        #expect(error?.message.contains("'a'") == true)
    }

    @Test("sends fan one node out over N inputs in parallel, joined by a reducer")
    func dynamicFanOut() async throws {
        struct Item: Codable, Sendable {
            let name: String
            let size: Int
        }
        let calls = Counter()
        var graph = StateGraph<Trail>()
        graph.addNode("plan", visit("plan"))
        graph.addNode("score") { _, context in
            let item = try context.input(Item.self)
            _ = calls.increment()
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...10)))
            return Update {
                $0.write(\.scores, [item.name: item.size * 10])
                $0.append(\.visited, "score:\(item.name)")
                $0.write(\.total, item.size)
            }
        }
        graph.addNode("report", visit("report"))
        graph.addEdge(from: START, to: "plan")
        graph.addConditionalEdges(from: "plan", to: ["score"]) { _ in
            try [("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5)].map {
                try Route.send("score", Item(name: $0.0, size: $0.1))
            }
        }
        graph.addEdge(from: "score", to: "report")
        graph.addEdge(from: "report", to: END)
        let result = try await graph.compile(name: "fanout").invoke(Trail())
        #expect(calls.count() == 5)
        #expect(result.state.scores == ["a": 10, "b": 20, "c": 30, "d": 40, "e": 50])
        #expect(result.state.total == 15)
        #expect(result.state.visited == ["plan", "score:a", "score:b", "score:c", "score:d", "score:e", "report"])
    }

    @Test("a join waits for all its sources, even when they finish in different steps")
    func joinWaitsForAll() async throws {
        let reportRuns = Counter()
        var graph = StateGraph<Trail>()
        graph.addNode("fork", visit("fork"))
        graph.addNode("fast", visit("fast"))
        graph.addNode("slow1", visit("slow1"))
        graph.addNode("slow2", visit("slow2"))
        graph.addNode("report") { _, _ in
            _ = reportRuns.increment()
            return Update(\.visited, ["report"])
        }
        graph.addEdge(from: START, to: "fork")
        graph.addEdge(from: "fork", to: "fast")
        graph.addEdge(from: "fork", to: "slow1")
        graph.addEdge(from: "slow1", to: "slow2")
        graph.addEdge(from: ["fast", "slow2"], to: "report")
        graph.addEdge(from: "report", to: END)
        let result = try await graph.compile(name: "join").invoke(Trail())
        #expect(reportRuns.count() == 1)
        #expect(result.state.visited == ["fork", "fast", "slow1", "slow2", "report"])
    }

    @Test("goto from a node routes to a declared destination")
    func gotoRoutes() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("supervisor", destinations: ["worker", END]) { state, _ in
            var update = Update<Trail>(\.visited, ["supervisor"])
            update.goto(state.value < 2 ? "worker" : .end)
            return update
        }
        graph.addNode("worker") { state, _ in Update(\.value, state.value + 1) }
        graph.addEdge(from: START, to: "supervisor")
        graph.addEdge(from: "worker", to: "supervisor")
        let result = try await graph.compile(name: "goto").invoke(Trail())
        #expect(result.state.value == 2)
        #expect(result.state.visited == ["supervisor", "supervisor", "supervisor"])
    }

    @Test("goto to an undeclared node fails naming it")
    func gotoUndeclared() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("a", destinations: [END]) { _, _ in
            var update = Update<Trail>()
            update.goto("b")
            return update
        }
        graph.addNode("b", visit("b"))
        graph.addEdge(from: START, to: "a")
        graph.addEdge(from: START, to: "b")
        graph.addEdge(from: "b", to: END)
        let compiled = try graph.compile(name: "bad-goto")
        let error = await expectGraphError(.undeclaredRoute) { _ = try await compiled.invoke(Trail()) }
        #expect(error?.message.contains("'b'") == true)
    }

    @Test("the step limit ends a runaway loop with an error naming the last node")
    func stepLimit() async throws {
        var graph = StateGraph<Trail>()
        graph.addNode("spin") { state, _ in Update(\.value, state.value + 1) }
        graph.addEdge(from: START, to: "spin")
        graph.addConditionalEdge(from: "spin", to: ["spin", END]) { _ in "spin" }
        let compiled = try graph.compile(name: "spin", checkpointer: InMemoryCheckpointStore())
        let error = await expectGraphError(.stepLimit) { _ = try await compiled.invoke(Trail()) }
        #expect(error?.message.contains("100") == true)
        #expect(error?.message.contains("'spin'") == true)

        let thread = "limited"
        let small = await expectGraphError(.stepLimit) {
            _ = try await compiled.invoke(Trail(), configuration: RunConfiguration(threadID: thread, stepLimit: 7))
        }
        #expect(small?.message.contains("7") == true)
        let record = try await compiled.checkpointer!.thread(thread)
        #expect(record?.status == .failed)
        #expect(record?.step == 7)
    }
}

@Suite("Graph validation and diagrams")
struct ValidationTests {
    @Test("edges to unknown nodes are named, with a suggestion")
    func unknownTargets() throws {
        var graph = StateGraph<Trail>()
        graph.addNode("search", visit("search"))
        graph.addEdge(from: START, to: "search")
        graph.addEdge(from: "search", to: "serch2")
        graph.addEdge(from: "search", to: END)
        #expect {
            try graph.compile(name: "bad")
        } throws: { error in
            guard let error = error as? GraphError else { return false }
            return error.kind == .invalidGraph && error.message.contains("'serch2'")
        }
    }

    @Test("unreachable nodes and nodes with no way to END are reported by name")
    func reachability() throws {
        var graph = StateGraph<Trail>()
        graph.addNode("a", visit("a"))
        graph.addNode("island", visit("island"))
        graph.addNode("sink", visit("sink"))
        graph.addEdge(from: START, to: "a")
        graph.addEdge(from: "a", to: END)
        graph.addEdge(from: "a", to: "sink")
        graph.addEdge(from: "island", to: END)
        do {
            _ = try graph.compile(name: "bad")
            Issue.record("expected an invalid graph")
        } catch let error as GraphError {
            #expect(error.message.contains("node 'island' is unreachable from START"))
            #expect(error.message.contains("node 'sink' has no way to END"))
            #expect(!error.message.contains("node 'a'"))
        }
    }

    @Test("a graph without an entry, with reserved names or bad gates is rejected")
    func otherProblems() throws {
        var noEntry = StateGraph<Trail>()
        noEntry.addNode("a", visit("a"))
        noEntry.addEdge(from: "a", to: END)
        #expect(throws: GraphError.self) { try noEntry.compile(name: "x") }

        var reserved = StateGraph<Trail>()
        reserved.addNode(END, visit("x"))
        reserved.addNode("a", visit("a"))
        reserved.addNode("a", visit("a"))
        reserved.addEdge(from: START, to: "a")
        reserved.addEdge(from: "a", to: END)
        do {
            _ = try reserved.compile(name: "x", interruptBefore: ["aa"])
            Issue.record("expected an invalid graph")
        } catch let error as GraphError {
            #expect(error.message.contains("reserved"))
            #expect(error.message.contains("added twice"))
            #expect(error.message.contains("interrupt gate 'aa'"))
        }
    }

    @Test("mermaid draws nodes, edges, conditional routes and joins")
    func mermaid() throws {
        var graph = StateGraph<Trail>()
        graph.addNode("plan", visit("plan"))
        graph.addNode("fetch", visit("fetch"))
        graph.addNode("check", visit("check"))
        graph.addNode("report", visit("report"))
        graph.addEdge(from: START, to: "plan")
        graph.addConditionalEdges(from: "plan", to: ["fetch", "check"]) { _ in ["fetch", "check"] }
        graph.addEdge(from: ["fetch", "check"], to: "report")
        graph.addEdge(from: "report", to: END)
        let diagram = try graph.compile(name: "demo").mermaid()
        #expect(diagram.contains("flowchart TD"))
        #expect(diagram.contains("__start__ --> n_plan"))
        #expect(diagram.contains("n_plan -.-> n_fetch"))
        #expect(diagram.contains("n_fetch & n_check --> n_report"))
        #expect(diagram.contains("n_report --> __end__"))
    }
}
