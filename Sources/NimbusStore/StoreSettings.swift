public import NimbusCore

/// The `store` section of the configuration: where runs, events and the audit log are kept.
public enum StoreSettings {
    /// The settings of the `store` section (`path` of the SQLite file, `url` of a PostgreSQL server), for checking a
    /// configuration before it is read.
    public static let configurationSchema = ConfigurationSchema(
        section: "store", ["path": .string, "url": .string])
}
