public import NimbusCore

/// The service families the module generator knows, by id.
public struct ModuleCatalog: Sendable {
    public let families: [ServiceFamily]

    public init(_ families: [ServiceFamily]) {
        self.families = families
    }

    /// Every family Nimbus ships.
    public static let standard = ModuleCatalog([
        .s3,
        .vpc,
        .ec2,
        .iamRole,
        .lambda,
        .sqs,
        .sns,
        .dynamodb,
        .rds,
        .ecsFargate,
        .eks,
        .cloudfrontSite,
        .kms,
        .alb,
        .cloudwatchAlarms,
        .apiGateway,
        .elasticache,
        .aurora,
        .route53,
        .acm,
        .secretsManager,
        .efs,
        .stepFunctions,
        .eventbridge,
        .ecr,
        .cognito,
        .kinesis,
        .opensearch,
        .waf,
        .backup,
    ])

    public func family(_ id: String) -> ServiceFamily? { families.first { $0.id == id } }

    /// The family ids, for messages that list what is supported.
    public var ids: [String] { families.map(\.id) }
}

/// A problem with a module request: an unknown family, a missing answer.
public struct ModuleRequestError: NimbusError {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case unknownFamily, ambiguousFamily, badAnswer, unknownFeature, notUnderstood, badSetting
    }
    public let code: Code
    public let message: String
    public let suggestion: String?

    public static func unknownFamily(_ request: String, catalog: ModuleCatalog) -> ModuleRequestError {
        ModuleRequestError(
            code: .unknownFamily,
            message: "nimbus cannot tell which kind of infrastructure '\(request)' asks for",
            suggestion: "name one of the supported families: "
                + catalog.families.map { "\($0.id) (\($0.title))" }.joined(separator: ", ")
                + "; or configure a model (--llm) to go beyond the catalog")
    }

    public static func badAnswer(_ key: String, value: String, choices: [String]) -> ModuleRequestError {
        ModuleRequestError(
            code: .badAnswer, message: "'\(value)' is not an answer to '\(key)'",
            suggestion: "answer one of: \(choices.joined(separator: ", "))")
    }

    public static func badSetting(
        _ variable: String, value: String, family: String, reason: String
    ) -> ModuleRequestError {
        ModuleRequestError(
            code: .badSetting, message: "the \(family) module cannot take '\(value)' for \(variable): \(reason)",
            suggestion:
                "give a value the variable accepts (`nimbus module catalog \(family)`), or leave it out for the default"
        )
    }

    public static func notUnderstood(_ words: [String], family: ServiceFamily) -> ModuleRequestError {
        ModuleRequestError(
            code: .notUnderstood,
            message: "nothing was written: the request asks for \"\(words.joined(separator: " "))\", which the "
                + "\(family.id) family does not understand",
            suggestion: "say it with the family's features (`nimbus module catalog \(family.id)`: "
                + family.features.map(\.id).joined(separator: ", ") + "), or answer yes to write the module without it")
    }

    public static func unknownFeature(_ feature: String, family: ServiceFamily) -> ModuleRequestError {
        ModuleRequestError(
            code: .unknownFeature, message: "the \(family.id) family has no feature '\(feature)'",
            suggestion: "its features: \(family.features.map(\.id).joined(separator: ", "))")
    }
}

extension ModuleRequestError {
    public var errorCode: ErrorCode {
        ErrorCode("module_request", code.rawValue, .invalidInput)
    }
}
