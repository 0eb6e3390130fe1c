import NimbusHCL

extension ServiceFamily {
    /// PLACEHOLDER: being written; replaced by the real family.
    public static let ecr = ServiceFamily(
        id: "ecr", title: "ECR repository", summary: "placeholder", keywords: ["placeholder-ecr"],
        plan: { _ in throw ModuleRequestError.unknownFamily("ecr", catalog: ModuleCatalog([])) })
}
