import NimbusHCL

extension ServiceFamily {
    /// PLACEHOLDER: being written; replaced by the real family.
    public static let eventbridge = ServiceFamily(
        id: "eventbridge", title: "EventBridge bus and rules", summary: "placeholder",
        keywords: ["placeholder-eventbridge"],
        plan: { _ in throw ModuleRequestError.unknownFamily("eventbridge", catalog: ModuleCatalog([])) })
}
