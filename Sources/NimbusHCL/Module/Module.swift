/// A Terraform module: every configuration file of one directory, read into its parts.
public struct Module: Sendable {
    public var directory: String
    public var files: [String]
    public var summary: String { "" }

    public static func load(directory: String) throws(HCLError) -> Module {
        Module(directory: directory, files: [])
    }

    public func check() -> [Diagnostic] { [] }
}
