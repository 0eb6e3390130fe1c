import Logging
import NimbusAWS
import NimbusCore
import NimbusLLM
import NimbusStore

extension LLMEnvironment {
    /// The model environment of the command-line tool: the store for the cache and accounting, and Bedrock requests
    /// signed with SigV4 from the AWS credential chain (environment, `~/.aws`, the Nimbus credentials file, …).
    static func nimbus(configuration: NimbusConfiguration, store: (any Store)?) -> LLMEnvironment {
        LLMEnvironment(
            logger: Logger(label: "nimbus.llm"), store: store,
            bedrockSigner: { region in
                let aws = try AWSClient(configuration: AWSConfiguration(region: region, nimbusHome: configuration.home))
                return SigV4Signer(
                    credentials: aws.credentialProvider, options: SigningOptions(service: "bedrock", region: region))
            })
    }
}
