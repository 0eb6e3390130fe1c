import NimbusHCL

extension ServiceFamily {
    /// PLACEHOLDER: being written; replaced by the real family.
    public static let kinesis = ServiceFamily(
        id: "kinesis", title: "Kinesis data stream", summary: "placeholder", keywords: ["placeholder-kinesis"],
        plan: { _ in throw ModuleRequestError.unknownFamily("kinesis", catalog: ModuleCatalog([])) })
}
