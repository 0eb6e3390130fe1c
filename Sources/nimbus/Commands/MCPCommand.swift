import ArgumentParser

struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mcp", abstract: "Serve Nimbus's tools over MCP.")
    @OptionGroup var global: GlobalOptions
    func run() async throws {}
}
