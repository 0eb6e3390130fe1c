import ArgumentParser
import Foundation
import Logging
import NimbusHost
import NimbusMCP

struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve Nimbus's tools over the Model Context Protocol (stdio), for MCP clients such as agents.",
        discussion: """
            Speaks MCP on standard input and output (logs go to standard error). It lists every ops tool with its \
            input schema and hints (read-only, destructive, idempotent), plus nimbus_ask (a request in plain words) \
            and generate_module (a Terraform module's files). Calls pass the same policy and audit log as \
            `nimbus ask`; a call that writes or deletes asks you first through the client (MCP elicitation), and is \
            refused when the client cannot ask. With --read-only only tools that read are listed.

            To use it from an MCP client, add this to the client's configuration (claude_desktop_config.json, \
            .mcp.json, …):

              {
                "mcpServers": {
                  "nimbus": {
                    "command": "nimbus",
                    "args": ["mcp", "--read-only", "--profile", "default"],
                    "env": { "AWS_REGION": "eu-west-1" }
                  }
                }
              }

            Drop "--read-only" to allow changes (each one still asks you); add "--working-directory", "DIR" to let \
            uploads and downloads use local files there. `nimbus audit` shows every AWS call made.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var aws: AWSOptions

    @Flag(help: "List and serve only tools that read; refuse every change.")
    var readOnly = false

    @Option(
        help: "Where relative local paths in uploads and downloads point (default: calls may not name local files).")
    var workingDirectory: String?

    func run() async throws {
        let host = try global.host()
        let directory = workingDirectory.map { URL(fileURLWithPath: $0).standardizedFileURL }
        let server = NimbusMCPServer(
            host: host,
            configuration: NimbusMCPServer.Configuration(
                readOnly: readOnly, profile: aws.profile, region: aws.region, workingDirectory: directory,
                version: NimbusVersion.current),
            logger: Logger(label: "nimbus.mcp"))
        try await server.serveStandardIO()
    }
}
