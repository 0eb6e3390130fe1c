public import NimbusCore

/// The `graph` section of the configuration: limits for graph runs.
public enum GraphSettings {
    /// The settings of the `graph` section, for checking a configuration before it is read.
    public static let configurationSchema = ConfigurationSchema(
        section: "graph", ["step_limit": .integer(minimum: 1)])
}
