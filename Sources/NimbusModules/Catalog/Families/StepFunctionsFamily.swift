import NimbusHCL

extension ServiceFamily {
    /// PLACEHOLDER: being written; replaced by the real family.
    public static let stepFunctions = ServiceFamily(
        id: "step-functions", title: "Step Functions state machine", summary: "placeholder",
        keywords: ["placeholder-step-functions"],
        plan: { _ in throw ModuleRequestError.unknownFamily("step-functions", catalog: ModuleCatalog([])) })
}
