import Logging
import NimbusAWS
import NimbusAgents
import NimbusCore
import NimbusLLM
import NimbusStore

extension LLMEnvironment {
    /// The model environment of the command-line tool: the store for the cache and accounting, and Bedrock requests
    /// signed with SigV4 from the AWS credential chain (environment, `~/.aws`, the Nimbus credentials file, …),
    /// each signature passing the AWS gate (policy, audit log) like every other AWS call.
    static func nimbus(configuration: NimbusConfiguration, store: (any Store)?) -> LLMEnvironment {
        LLMEnvironment(
            logger: Logger(label: "nimbus.llm"), store: store,
            bedrockSigner: { region in
                let audit: any AuditStore =
                    try store ?? SQLiteStore(configuration: configuration, logger: Logger(label: "nimbus.store"))
                let gate = AWSGate(
                    policy: try ApprovalPolicy.load(home: configuration.home), audit: audit,
                    requestID: SortableID().rawValue, tool: "model")
                let aws = try AWSClient(
                    configuration: AWSConfiguration(region: region, nimbusHome: configuration.home), callGuard: gate)
                return GatedRequestSigner(
                    signer: SigV4Signer(
                        credentials: aws.credentialProvider, options: SigningOptions(service: "bedrock", region: region)
                    ),
                    gate: gate, profile: aws.profileName, region: region)
            })
    }
}
