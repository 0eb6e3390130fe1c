import NimbusHCL

extension ServiceFamily {
    /// PLACEHOLDER: being written; replaced by the real family.
    public static let backup = ServiceFamily(
        id: "backup", title: "AWS Backup plan", summary: "placeholder", keywords: ["placeholder-backup"],
        plan: { _ in throw ModuleRequestError.unknownFamily("backup", catalog: ModuleCatalog([])) })
}
