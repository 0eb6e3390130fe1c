import NimbusModules
import NimbusOps
public import NimbusProducts
import NimbusSample

/// The composition root of Nimbus: what the command line, the server, MCP and workers make once and ask for
/// everything.
public enum NimbusHost {
    /// The workflows this build knows: the sample review, modules and AWS operations.
    public static func standardCatalog() -> WorkflowCatalog {
        WorkflowCatalog([SampleReportWorkflow.registration, ModuleWorkflow.registration, OpsWorkflow.registration])
    }
}
