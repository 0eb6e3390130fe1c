import NimbusHCL

extension ServiceFamily {
    /// PLACEHOLDER: being written; replaced by the real family.
    public static let acm = ServiceFamily(
        id: "acm", title: "ACM certificate", summary: "placeholder", keywords: ["placeholder-acm"],
        plan: { _ in throw ModuleRequestError.unknownFamily("acm", catalog: ModuleCatalog([])) })
}
