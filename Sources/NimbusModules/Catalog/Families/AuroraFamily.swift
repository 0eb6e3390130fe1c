import NimbusHCL

extension ServiceFamily {
    /// PLACEHOLDER: being written; replaced by the real family.
    public static let aurora = ServiceFamily(
        id: "aurora", title: "Aurora cluster", summary: "placeholder", keywords: ["placeholder-aurora"],
        plan: { _ in throw ModuleRequestError.unknownFamily("aurora", catalog: ModuleCatalog([])) })
}
