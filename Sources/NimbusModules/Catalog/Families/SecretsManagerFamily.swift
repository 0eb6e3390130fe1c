import NimbusHCL

extension ServiceFamily {
    /// PLACEHOLDER: being written; replaced by the real family.
    public static let secretsManager = ServiceFamily(
        id: "secrets-manager", title: "Secrets Manager secret", summary: "placeholder",
        keywords: ["placeholder-secrets-manager"],
        plan: { _ in throw ModuleRequestError.unknownFamily("secrets-manager", catalog: ModuleCatalog([])) })
}
