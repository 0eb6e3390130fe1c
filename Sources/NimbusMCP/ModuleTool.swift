import Foundation
import Logging
import MCP
import NimbusAgents
import NimbusCore
import NimbusGraph
import NimbusHost
import NimbusModules

/// `generate_module`: a Terraform module from a request in plain words, as `nimbus module` makes it, returned as
/// its files' contents. The module is written into a private directory of the Nimbus home
/// (`mcp/modules/<thread>/`), never to a path a client names: the client gets the files and decides where they go.
struct ModuleTool: Sendable {
    static let name = "generate_module"

    let host: NimbusHost

    struct Input: Decodable {
        var request: String
        var answers: [String: String]?
        var backend: String?
        var offline: Bool?
    }

    static let definition = MCP.Tool(
        name: name, title: "Generate a Terraform module",
        description:
            "Generate a validated Terraform module for AWS from a request in plain words (\"enterprise S3 bucket with "
            + "versioning and KMS encryption\"), with secure defaults, a README and an example. Returns every file's "
            + "contents; nothing is written where the client could name it. Questions the request leaves open (a "
            + "database engine) are asked through the client, or answered up front with `answers`.",
        inputSchema: ToolSchema.object(
            [
                "request": ToolSchema.string("What the module is for, in plain words.", minLength: 1),
                "answers": ToolSchema.map(
                    "Answers to the questions a request may leave open, by key (\"engine\": \"postgres\").",
                    of: ToolSchema.string("The answer.")),
                "backend": ToolSchema.string(
                    "The Terraform state backend (default s3).", oneOf: BackendChoice.allCases.map(\.rawValue)),
                "offline": ToolSchema.boolean("Use the built-in catalog only, even when a model is configured."),
            ], required: ["request"]
        ).mcpValue,
        annotations: MCP.Tool.Annotations(
            title: "Generate a Terraform module", readOnlyHint: true, destructiveHint: false, idempotentHint: false,
            openWorldHint: false))

    func call(arguments: JSONValue, person: PersonAtClient) async -> CallTool.Result {
        let input: Input
        let backend: BackendChoice
        do {
            do {
                input = try arguments.decode(Input.self)
            } catch {
                throw NimbusMCPError.invalidArguments(tool: Self.name, problem: JSONValueError.describe(error))
            }
            guard !input.request.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw NimbusMCPError.invalidArguments(tool: Self.name, problem: "the request is empty")
            }
            guard let choice = BackendChoice(rawValue: input.backend ?? BackendChoice.s3.rawValue) else {
                throw NimbusMCPError.invalidArguments(
                    tool: Self.name, problem: "backend is s3 or local, not '\(input.backend ?? "")'")
            }
            backend = choice
        } catch {
            return ToolReply.failure(error, status: "invalid_arguments")
        }
        let threadID = SortableID().rawValue
        let directory = host.configuration.home.appendingPathComponent("mcp/modules/\(threadID)")
        let environment = host.environment()
        let product = ModulesProduct()
        do {
            try FileManager.default.createDirectory(
                at: directory.deletingLastPathComponent(), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            let options = ModuleWorkflow.Options(
                backend: backend, answers: input.answers ?? [:], overwrite: false,
                model: input.offline == true ? nil : host.modelName(agent: "module"), askAboutUnknownWords: false)
            var outcome = try await product.start(
                ModulesProduct.Request(input.request, outputDirectory: directory.path, options: options),
                threadID: threadID, environment: environment)
            while outcome.state == .waiting, !outcome.questions.isEmpty {
                let questions = OpenQuestions(interrupts: outcome.questions)
                guard person.canBeAsked else {
                    return ToolReply.failure(
                        NimbusMCPError.questionsOpen(questions.lines, example: questions.example),
                        status: "waiting", extra: ["outcome": Self.json(outcome)])
                }
                guard let answers = try await person.answers(to: questions), !answers.isEmpty else {
                    return ToolReply.failure(
                        NimbusMCPError.unanswered(), status: "declined",
                        extra: ["outcome": Self.json(outcome)])
                }
                outcome = try await product.resume(threadID: threadID, answers: answers, environment: environment)
            }
            guard let written = outcome.written else {
                let text =
                    outcome.summary.isEmpty
                    ? "The module was not written (\(outcome.status.rawValue))." : outcome.summary
                return ToolReply.reply(text, json: Self.json(outcome), isError: true)
            }
            return Self.reply(outcome, files: try ModuleFiles.read(URL(fileURLWithPath: written.directory)))
        } catch {
            return ToolReply.failure(GraphError.rootCause(of: error), status: "failed")
        }
    }

    /// The summary first, then one text block per file (`==> main.tf <==` and its contents); the outcome with the
    /// files by path as `structuredContent`.
    static func reply(_ outcome: ModulesProduct.Outcome, files: [(path: String, text: String)]) -> CallTool.Result {
        let listing = files.map { "  " + $0.path }.joined(separator: "\n")
        var content: [MCP.Tool.Content] = [
            .text(
                text: "\(outcome.summary)\nFiles (\(files.count)):\n\(listing)", annotations: nil, _meta: nil)
        ]
        content += files.map { .text(text: "==> \($0.path) <==\n\($0.text)", annotations: nil, _meta: nil) }
        var json = Self.json(outcome).objectValue ?? [:]
        json["files"] = .object(Dictionary(files.map { ($0.path, JSONValue.string($0.text)) }) { first, _ in first })
        let structured: MCP.Value? = JSONValue.object(json).mcpValue
        return CallTool.Result(content: content, structuredContent: structured, isError: false)
    }

    static func json(_ outcome: ModulesProduct.Outcome) -> JSONValue {
        (try? JSONValue(encoding: outcome)) ?? ["thread_id": .string(outcome.threadID)]
    }
}

/// The files of a written module, by path relative to its directory, hidden ones (backups) left out.
enum ModuleFiles {
    static func read(_ directory: URL) throws -> [(path: String, text: String)] {
        let manager = FileManager.default
        guard let paths = manager.enumerator(atPath: directory.path)?.allObjects as? [String] else { return [] }
        var files: [(path: String, text: String)] = []
        for path in paths.sorted() where !path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
            let url = directory.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                continue
            }
            files.append((path, try String(contentsOf: url, encoding: .utf8)))
        }
        return files
    }
}
