public import Foundation
public import Logging
public import MCP
import NimbusAgents
import NimbusCore
public import NimbusHost
import NimbusOps

/// Nimbus's tools over the Model Context Protocol: every ops tool (the ones the ops agent plans with), with its
/// schema and hints, plus `nimbus_ask` (a request in plain words) and `generate_module` (a Terraform module's
/// files), all from one ``NimbusHost``.
///
/// Calls go through the host exactly as the command line's do: the policy in `policy.yaml`, the AWS gate and its
/// audit log, the request history. A call that writes or deletes runs only after the person at the client said
/// yes through MCP elicitation; a client that cannot ask gets a tool error saying why and how to allow it.
/// Secrets in results never reach the client.
public struct NimbusMCPServer: Sendable {
    /// How the server behaves.
    public struct Configuration: Sendable {
        /// List and serve only tools that read; refuse anything else.
        public var readOnly: Bool
        /// The AWS profile and region calls use (nil: the usual defaults).
        public var profile: String?
        public var region: String?
        /// Where relative local paths in uploads and downloads point. Nil: calls may not name local files.
        public var workingDirectory: URL?
        /// The version the server reports to clients.
        public var version: String

        public init(
            readOnly: Bool = false, profile: String? = nil, region: String? = nil, workingDirectory: URL? = nil,
            version: String = "0.1.0"
        ) {
            self.readOnly = readOnly
            self.profile = profile
            self.region = region
            self.workingDirectory = workingDirectory
            self.version = version
        }
    }

    /// The product name MCP tool calls are recorded under in the request history.
    public static let historyProduct = "mcp"

    public let host: NimbusHost
    public let configuration: Configuration
    private let logger: Logger
    private let catalog: ToolCatalog

    public init(
        host: NimbusHost, configuration: Configuration = Configuration(), logger: Logger = Logger(label: "nimbus.mcp")
    ) {
        self.host = host
        self.configuration = configuration
        self.logger = logger
        catalog = ToolCatalog(
            registry: OpsTools.registry, readOnly: configuration.readOnly,
            localFiles: configuration.workingDirectory != nil)
    }

    /// The tools this server lists.
    public var tools: [MCP.Tool] { catalog.tools }

    /// Serves one client on standard input and output until it closes them. Standard output carries the protocol
    /// only: logs go to standard error.
    public func serveStandardIO() async throws {
        try await serve(transport: StdioTransport(logger: Logger(label: "nimbus.mcp.stdio")))
    }

    /// Serves one client over `transport` until it disconnects.
    public func serve(transport: any Transport) async throws {
        let session = ClientSession()
        let server = Server(
            name: "nimbus", version: configuration.version, title: "Nimbus", instructions: instructions,
            capabilities: Server.Capabilities(tools: Server.Capabilities.Tools(listChanged: false)))
        let person = PersonAtClient(server: server, session: session)
        await server.withMethodHandler(ListTools.self) { [catalog] _ in ListTools.Result(tools: catalog.tools) }
        await server.withMethodHandler(CallTool.self) { [self] parameters in
            try await call(parameters, person: person)
        }
        try await server.start(transport: AnsweringTransport(transport, logger: logger)) {
            [logger] info, capabilities in
            session.initialized(info: info, capabilities: capabilities)
            logger.info(
                "MCP client connected",
                metadata: [
                    "client": "\(info.name) \(info.version)",
                    "elicitation": "\(capabilities.elicitation?.form != nil)",
                ])
        }
        logger.info(
            "serving Nimbus over MCP",
            metadata: ["tools": "\(catalog.tools.count)", "read_only": "\(configuration.readOnly)"])
        await server.waitUntilCompleted()
        await server.stop()
    }

    /// One `tools/call`. Tool failures are results with `isError`; only a name no tool has is a protocol error.
    func call(_ parameters: CallTool.Parameters, person: PersonAtClient) async throws -> CallTool.Result {
        let given: [String: MCP.Value] = parameters.arguments ?? [:]
        let arguments = JSONValue.object(given.mapValues(JSONValue.init(mcp:)))
        let result: CallTool.Result
        switch catalog.lookup(parameters.name) {
        case .ops(let tool):
            result = await OpsToolCall(
                host: host, configuration: configuration, registry: catalog.registry, logger: logger
            )
            .call(tool, arguments: arguments, person: person)
        case .ask:
            result = await AskTool(host: host, configuration: configuration).call(arguments: arguments, person: person)
        case .module:
            result = await ModuleTool(host: host).call(arguments: arguments, person: person)
        case .inspect:
            result = await InspectTool(host: host).call(arguments: arguments)
        case .unknown(let suggestion):
            throw MCPError.invalidParams(
                "unknown tool '\(parameters.name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
        }
        logger.info(
            "MCP tool call", metadata: ["tool": "\(parameters.name)", "error": "\(result.isError == true)"])
        return result
    }

    private var instructions: String {
        let changes =
            configuration.readOnly
            ? "This server is read-only: it lists only tools that read, and refuses any change."
            : "Tools that write or delete ask the user for consent through MCP elicitation before anything runs; "
                + "without elicitation they are refused."
        return """
            Nimbus operates the user's AWS account (profile \(configuration.profile ?? "default"), region \
            \(configuration.region ?? "default")) with its ops tools, answers requests in plain words with \
            nimbus_ask, and generates Terraform modules with generate_module. \(changes) Every AWS call is checked \
            against the user's policy and recorded in Nimbus's audit log. Look before you change anything: use the \
            read tools to find names and ids.
            """
    }
}
