import Foundation
import MCP
import NimbusAgents
import NimbusCore
import NimbusGraph
import NimbusHost
import NimbusInspect

/// `inspect_account`: a question about the account answered as `nimbus inspect` answers it — validated boto3
/// scripts run in bubblewrap behind the signing proxy, reads only — returned as the answer, the findings with the
/// AWS requests behind them, and the whole outcome as `structuredContent`. Scripts of the client's own are not
/// taken here: a client that wants one runs `nimbus inspect --script` itself.
struct InspectTool: Sendable {
    static let name = "inspect_account"

    let host: NimbusHost

    static let definition = MCP.Tool(
        name: name, title: "Inspect the AWS account",
        description:
            "Answer a question about the AWS account (\"which S3 buckets are public?\", \"find security groups open "
            + "to the world\") by running small read-only boto3 scripts in a sandbox. Returns the answer and each "
            + "finding with its resource ARN, evidence, recommendation and the AWS request ids behind it.",
        inputSchema: ToolSchema.object(
            [
                "question": ToolSchema.string("The question, in plain words.", minLength: 1),
                "profile": ToolSchema.string("The AWS profile (default: the server's)."),
                "region": ToolSchema.string("The AWS region (default: the profile's)."),
                "max_iterations": ToolSchema.integer("At most this many scripts (default 3).", minimum: 1, maximum: 10),
                "offline": ToolSchema.boolean("Use the grounded scripts only, even when a model is configured."),
            ], required: ["question"]
        ).mcpValue,
        annotations: MCP.Tool.Annotations(
            title: "Inspect the AWS account", readOnlyHint: true, destructiveHint: false, idempotentHint: true,
            openWorldHint: true))

    func call(arguments: JSONValue) async -> CallTool.Result {
        var input: InspectProduct.Request
        do {
            do {
                input = try arguments.decode(InspectProduct.Request.self)
            } catch {
                throw NimbusMCPError.invalidArguments(tool: Self.name, problem: JSONValueError.describe(error))
            }
            guard !input.question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw NimbusMCPError.invalidArguments(tool: Self.name, problem: "the question is empty")
            }
            guard input.script == nil, input.policy == nil else {
                throw NimbusMCPError.invalidArguments(
                    tool: Self.name, problem: "scripts of your own run with `nimbus inspect --script`, not here")
            }
        } catch {
            return ToolReply.failure(error, status: "invalid_arguments")
        }
        // Bubblewrap, and the model the host configures: nothing a client could widen.
        input.sandbox = "bubblewrap"
        input.model = nil
        do {
            let outcome = try await InspectProduct().start(input, threadID: nil, environment: host.environment())
            var lines = [outcome.answer]
            for finding in outcome.findings {
                lines.append(
                    "\(finding.resource): \(finding.recommendation) (evidence: \(finding.requests.joined(separator: ", ")))"
                )
            }
            let json = (try? JSONValue(encoding: outcome)) ?? ["thread_id": .string(outcome.threadID)]
            return ToolReply.reply(lines.joined(separator: "\n"), json: json, isError: outcome.state == .failed)
        } catch {
            return ToolReply.failure(GraphError.rootCause(of: error), status: "failed")
        }
    }
}
