import ArgumentParser
import NimbusCore

@main
struct NimbusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nimbus",
        abstract: "An agentic cloud-operations assistant: Terraform modules, AWS operations, inspection, clusters.",
        discussion: """
            Runs are checkpointed under $NIMBUS_HOME (default ~/.nimbus): list them with `nimbus runs list`,
            continue a paused or crashed one with `nimbus runs resume THREAD`.
            """,
        version: NimbusVersion.current,
        subcommands: [
            ModuleCommand.self, DemoCommand.self, RunsCommand.self, ConfigCommand.self, HCLCommand.self,
            ProfilesCommand.self,
            ValidateCommand.self, TransferCommand.self, AWSCallCommand.self, LLMCommand.self,
            AskCommand.self, ChatCommand.self, HistoryCommand.self, AuditCommand.self,
        ]
    )
}
