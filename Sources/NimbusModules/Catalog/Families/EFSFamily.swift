import NimbusHCL

extension ServiceFamily {
    /// PLACEHOLDER: being written; replaced by the real family.
    public static let efs = ServiceFamily(
        id: "efs", title: "EFS file system", summary: "placeholder", keywords: ["placeholder-efs"],
        plan: { _ in throw ModuleRequestError.unknownFamily("efs", catalog: ModuleCatalog([])) })
}
