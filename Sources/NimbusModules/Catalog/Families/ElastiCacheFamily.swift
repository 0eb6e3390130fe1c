import NimbusHCL

extension ServiceFamily {
    /// PLACEHOLDER: being written; replaced by the real family.
    public static let elasticache = ServiceFamily(
        id: "elasticache", title: "ElastiCache replication group", summary: "placeholder",
        keywords: ["placeholder-elasticache"],
        plan: { _ in throw ModuleRequestError.unknownFamily("elasticache", catalog: ModuleCatalog([])) })
}
