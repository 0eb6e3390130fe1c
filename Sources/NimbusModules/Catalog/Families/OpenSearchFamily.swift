import NimbusHCL

extension ServiceFamily {
    /// PLACEHOLDER: being written; replaced by the real family.
    public static let opensearch = ServiceFamily(
        id: "opensearch", title: "OpenSearch domain", summary: "placeholder", keywords: ["placeholder-opensearch"],
        plan: { _ in throw ModuleRequestError.unknownFamily("opensearch", catalog: ModuleCatalog([])) })
}
