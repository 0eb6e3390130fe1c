import Foundation
import Logging
import MCP
import NimbusAgents
import NimbusCore
import NimbusGraph
import NimbusHost
import NimbusOps

/// `nimbus_ask`: an AWS request in plain words, run by the ops product exactly as `nimbus ask` runs it (route,
/// plan, approve, execute, respond). Its approval question goes to the person through the client; without
/// elicitation the run is left waiting, and a terminal can approve it.
struct AskTool: Sendable {
    static let name = "nimbus_ask"

    let host: NimbusHost
    let configuration: NimbusMCPServer.Configuration

    struct Input: Decodable {
        var request: String
        var planOnly: Bool?
        var offline: Bool?

        enum CodingKeys: String, CodingKey {
            case request, offline
            case planOnly = "plan_only"
        }
    }

    static func definition(readOnly: Bool) -> MCP.Tool {
        let schema = ToolSchema.object(
            [
                "request": ToolSchema.string(
                    "What to do, in plain words: \"list all S3 buckets\", \"stop the instances tagged env=dev\".",
                    minLength: 1),
                "plan_only": ToolSchema.boolean("Only plan: show the steps and run nothing (default false)."),
                "offline": ToolSchema.boolean(
                    "Use Nimbus's offline request grammar even when a model is configured (default false)."),
            ], required: ["request"])
        let changes =
            readOnly
            ? "This server is read-only: steps that write or delete are refused."
            : "Steps that write or delete ask you first (MCP elicitation); reads run at once."
        return MCP.Tool(
            name: name, title: "Ask Nimbus (AWS in plain words)",
            description:
                "Operate AWS with a request in plain words: Nimbus plans it with its ops tools, checks every step "
                + "against the policy, runs it and answers. \(changes) Returns the answer and the outcome as JSON.",
            inputSchema: schema.mcpValue,
            annotations: MCP.Tool.Annotations(
                title: "Ask Nimbus (AWS in plain words)", readOnlyHint: readOnly, destructiveHint: !readOnly,
                idempotentHint: false, openWorldHint: true))
    }

    func call(arguments: JSONValue, person: PersonAtClient) async -> CallTool.Result {
        let input: Input
        do {
            input = try arguments.decode(Input.self)
            guard !input.request.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw NimbusMCPError.invalidArguments(tool: Self.name, problem: "the request is empty")
            }
        } catch let error as NimbusMCPError {
            return ToolReply.failure(error, status: "invalid_arguments")
        } catch {
            return ToolReply.failure(
                NimbusMCPError.invalidArguments(tool: Self.name, problem: JSONValueError.describe(error)),
                status: "invalid_arguments")
        }
        let environment = host.environment()
        let product = OpsProduct()
        do {
            var outcome = try await product.start(
                OpsRequest(
                    input.request, profile: configuration.profile, region: configuration.region,
                    readOnly: configuration.readOnly, planOnly: input.planOnly == true, approveAll: false,
                    offline: input.offline == true, workingDirectory: configuration.workingDirectory?.path),
                threadID: nil, environment: environment)
            while let pending = outcome.approval {
                guard person.canBeAsked else {
                    let error = NimbusMCPError.consentUnavailable(
                        pending.question.question.trimmingCharacters(in: CharacterSet(charactersIn: "?")),
                        actions: pending.question.actions, client: person.clientName, thread: outcome.threadID)
                    return ToolReply.failure(
                        error, status: "awaiting_approval", extra: ["outcome": Self.json(outcome)])
                }
                let answer: ConsentAnswer
                do {
                    answer = try await person.consent(.plan(pending.question))
                } catch {
                    answer = .cancelled
                }
                outcome = try await product.resume(
                    threadID: outcome.threadID, answers: [pending.interruptID: .bool(answer == .approved)],
                    environment: environment)
            }
            var text = outcome.answer ?? "Request \(outcome.threadID) is \(outcome.status.rawValue)."
            if !outcome.revealed.isEmpty {
                text +=
                    "\n(\(outcome.revealed.count) secret value(s) in the results were withheld: MCP results go to a"
                    + " model. Run the request with `nimbus ask` at a terminal to see them once.)"
            }
            let failed = outcome.state == .failed || outcome.state == .refused
            return ToolReply.reply(text, json: Self.json(outcome), isError: failed)
        } catch {
            return ToolReply.failure(GraphError.rootCause(of: error), status: "failed")
        }
    }

    /// The outcome as `nimbus ask --output json` prints it, less the secrets it holds for the person.
    static func json(_ outcome: OpsOutcome) -> JSONValue {
        var outcome = outcome
        outcome.revealed = []
        return (try? JSONValue(encoding: outcome)) ?? ["thread_id": .string(outcome.threadID)]
    }
}
