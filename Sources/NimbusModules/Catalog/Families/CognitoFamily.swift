import NimbusHCL

extension ServiceFamily {
    /// PLACEHOLDER: being written; replaced by the real family.
    public static let cognito = ServiceFamily(
        id: "cognito", title: "Cognito user pool", summary: "placeholder", keywords: ["placeholder-cognito"],
        plan: { _ in throw ModuleRequestError.unknownFamily("cognito", catalog: ModuleCatalog([])) })
}
