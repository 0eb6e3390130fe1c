import NimbusHCL

extension ServiceFamily {
    /// PLACEHOLDER: being written; replaced by the real family.
    public static let route53 = ServiceFamily(
        id: "route53", title: "Route 53 hosted zone", summary: "placeholder", keywords: ["placeholder-route53"],
        plan: { _ in throw ModuleRequestError.unknownFamily("route53", catalog: ModuleCatalog([])) })
}
