import NimbusHCL

extension ServiceFamily {
    /// PLACEHOLDER: being written; replaced by the real family.
    public static let waf = ServiceFamily(
        id: "waf", title: "WAF web ACL", summary: "placeholder", keywords: ["placeholder-waf"],
        plan: { _ in throw ModuleRequestError.unknownFamily("waf", catalog: ModuleCatalog([])) })
}
