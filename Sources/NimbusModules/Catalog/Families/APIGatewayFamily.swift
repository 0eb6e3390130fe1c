import NimbusHCL

extension ServiceFamily {
    /// PLACEHOLDER: being written; replaced by the real family.
    public static let apiGateway = ServiceFamily(
        id: "api-gateway", title: "API Gateway HTTP API", summary: "placeholder", keywords: ["placeholder-api-gateway"],
        plan: { _ in throw ModuleRequestError.unknownFamily("api-gateway", catalog: ModuleCatalog([])) })
}
