import ArgumentParser
import Foundation
import Logging
import NimbusAWS
import NimbusCore

/// `--profile` and `--region`, for every command that talks to AWS.
struct AWSOptions: ParsableArguments {
    @Option(help: "The AWS profile (default: AWS_PROFILE, else 'default').")
    var profile: String?

    @Option(help: "The AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, else the profile's region).")
    var region: String?

    func client(_ configuration: NimbusConfiguration, logger: Logger) throws -> AWSClient {
        try AWSClient(
            configuration: AWSConfiguration(profile: profile, region: region, nimbusHome: configuration.home),
            logger: logger)
    }
}

struct ProfilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "List AWS profiles: where each is defined, how it gets credentials, its region.",
        discussion: """
            Reads ~/.aws/credentials and ~/.aws/config (or AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE) and the
            Nimbus credentials file ($NIMBUS_HOME/credentials.yaml, secrets encrypted). Secrets are never printed.
            """,
        subcommands: [List.self, Add.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the profiles.")

        @OptionGroup var global: GlobalOptions

        @Option(help: "Print as text or JSON.")
        var output: OutputFormat = .text

        func run() async throws {
            let configuration = try global.configuration()
            let environment = ProcessInfo.processInfo.environment
            let chain = DefaultCredentialChain(
                explicitProfile: nil, environment: environment,
                files: try SharedConfigFiles.load(environment: environment),
                nimbusFile: NimbusCredentialsFile(home: configuration.home), region: "us-east-1")
            let summaries = try chain.summaries()
            let active = chain.profileName
            switch output {
            case .json:
                Console.out(
                    JSONValue.array(
                        summaries.map {
                            [
                                "name": .string($0.name), "sources": .array($0.sources.map(JSONValue.string)),
                                "region": $0.region.map(JSONValue.string) ?? .null, "credentials": .string($0.kind),
                                "active": .bool($0.name == active),
                            ]
                        }
                    ).prettyJSONText)
            case .text:
                if summaries.isEmpty {
                    Console.out("no AWS profiles; add one with `nimbus profiles add NAME` or `aws configure`")
                    return
                }
                Console.table(
                    ["PROFILE", "REGION", "CREDENTIALS", "FROM"],
                    summaries.map {
                        [
                            ($0.name == active ? "* " : "  ") + $0.name, $0.region ?? "-", $0.kind,
                            $0.sources.joined(separator: ", "),
                        ]
                    })
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a profile in the Nimbus credentials file, its secret encrypted.",
            discussion: "The secret access key is read from standard input (one line), never from the command line.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The profile name.")
        var name: String

        @Option(help: "The access key id.")
        var accessKeyId: String

        @Option(help: "The profile's region.")
        var region: String?

        func run() async throws {
            let configuration = try global.configuration()
            if Console.standardInputIsTerminal { FileHandle.standardError.write(Data("secret access key: ".utf8)) }
            guard let secret = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces), !secret.isEmpty
            else {
                throw ValidationError("no secret access key on standard input")
            }
            SecretRedactor.register(secret)
            var settings = ["aws_access_key_id": accessKeyId, "aws_secret_access_key": secret]
            if let region { settings["region"] = region }
            let file = NimbusCredentialsFile(home: configuration.home)
            try file.store(profile: name, settings: settings)
            Console.out("stored profile \(name) in \(file.path.path) (secret encrypted)")
        }
    }
}

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check AWS credentials: call STS GetCallerIdentity and print the account and ARN.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var aws: AWSOptions

    @Option(help: "Print as text or JSON.")
    var output: OutputFormat = .text

    func run() async throws {
        let configuration = try global.configuration()
        let client = try aws.client(configuration, logger: Logger(label: "nimbus.aws"))
        let identity = try await client.call("sts", "GetCallerIdentity")
        let credentials = try await client.credentialProvider.credentials()
        switch output {
        case .json:
            Console.out(
                JSONValue.object([
                    "account": identity["Account"] ?? .null, "arn": identity["Arn"] ?? .null,
                    "user_id": identity["UserId"] ?? .null, "profile": .string(client.profileName),
                    "region": client.region.map(JSONValue.string) ?? .null, "credentials": .string(credentials.source),
                ]).prettyJSONText)
        case .text:
            Console.out("account      \(identity["Account"]?.stringValue ?? "?")")
            Console.out("arn          \(identity["Arn"]?.stringValue ?? "?")")
            Console.out("user id      \(identity["UserId"]?.stringValue ?? "?")")
            Console.out("credentials  \(credentials.source)")
            Console.out("region       \(client.region ?? "(none)") (\(client.regionSource))")
        }
    }
}

struct AWSCallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aws",
        abstract: "Call any operation of a bundled AWS service by name with JSON parameters.",
        discussion: """
            Example: nimbus aws s3 ListObjectsV2 '{"Bucket": "logs"}' --all
            Parameters are checked against the service model before anything is sent.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var aws: AWSOptions

    @Argument(help: "The service (s3, ec2, dynamodb, …).")
    var service: String

    @Argument(help: "The operation (ListBuckets, or list-buckets).")
    var operation: String

    @Argument(help: "The parameters as a JSON object.")
    var parameters: String = "{}"

    @Flag(help: "Follow pagination and print every page.")
    var all = false

    func run() async throws {
        let configuration = try global.configuration()
        let client = try aws.client(configuration, logger: Logger(label: "nimbus.aws"))
        let input = try JSONValue(parsing: parameters)
        if all {
            var pages: [JSONValue] = []
            for try await page in client.paginate(service, operation, input) { pages.append(page) }
            Console.out(JSONValue.array(pages).prettyJSONText)
        } else {
            Console.out(try await client.call(service, operation, input).prettyJSONText)
        }
    }
}

struct TransferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Copy files and objects: local ↔ S3 and S3 → S3, whole directories and prefixes, in parallel.",
        discussion: """
            Large objects move in parallel parts; an interrupted upload resumes when run again (its state is kept
            under $NIMBUS_HOME/transfers). Examples:
              nimbus transfer ./data s3://bucket/data/
              nimbus transfer s3://bucket/data/ ./copy --include '*.csv'
              AWS_ENDPOINT_URL=http://127.0.0.1:5000 nimbus transfer ./dir s3://bucket/prefix/
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var aws: AWSOptions

    @Argument(help: "Where from: a local path or s3://bucket/key.")
    var source: String

    @Argument(help: "Where to: a local path or s3://bucket/key (end with / for a folder).")
    var destination: String

    @Option(help: ArgumentHelp("Transfer only matching paths (repeatable).", valueName: "glob"))
    var include: [String] = []

    @Option(help: ArgumentHelp("Skip matching paths (repeatable).", valueName: "glob"))
    var exclude: [String] = []

    @Option(help: "Requests in flight at once.")
    var concurrency: Int = 10

    @Option(help: "Part size in MiB for multipart transfers (at least 5).")
    var partSize: Int = 8

    @Flag(help: "Print what would be transferred, and transfer nothing.")
    var dryRun = false

    @Option(help: "Print as text or JSON.")
    var output: OutputFormat = .text

    func run() async throws {
        let configuration = try global.configuration()
        let logger = Logger(label: "nimbus.transfer")
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard partSize >= 5 else { throw ValidationError("--part-size must be at least 5 (MiB)") }
        let source = try TransferLocation.parse(source)
        let destination = try TransferLocation.parse(destination)
        try await AWSClient.withHTTPClient(connections: concurrency) { httpClient in
            let client = try AWSClient(
                configuration: AWSConfiguration(
                    profile: aws.profile, region: aws.region, nimbusHome: configuration.home),
                httpClient: httpClient, logger: Logger(label: "nimbus.aws"))
            let manager = TransferManager(
                client: client,
                options: TransferOptions(
                    concurrency: concurrency, partSize: partSize << 20, multipartThreshold: partSize << 20,
                    filter: TransferFilter(include: include, exclude: exclude), dryRun: dryRun,
                    stateDirectory: configuration.home.appendingPathComponent("transfers")),
                logger: logger)
            let plan = try await manager.plan(from: source, to: destination)
            if dryRun {
                printPlan(plan)
                return
            }
            let bar = ProgressBar(terminal: Console.standardErrorIsTerminal, quiet: output == .json)
            let summary = try await manager.run(plan) { progress in bar.update(progress) }
            bar.finish()
            printSummary(summary)
        }
    }

    private func printPlan(_ plan: TransferPlan) {
        switch output {
        case .json:
            Console.out(
                JSONValue.object([
                    "dry_run": true, "files": .int(plan.items.count), "bytes": .int(plan.totalBytes),
                    "items": .array(
                        plan.items.map {
                            [
                                "kind": .string($0.kind.rawValue), "from": .string($0.source.description),
                                "to": .string($0.destination.description), "bytes": .int($0.size),
                            ]
                        }),
                ]).prettyJSONText)
        case .text:
            for item in plan.items {
                Console.out(
                    "(dry run) \(item.kind.rawValue): \(item.source) → \(item.destination) (\(ByteCount.text(item.size)))"
                )
            }
            Console.out("(dry run) \(plan.items.count) files, \(ByteCount.text(plan.totalBytes))")
        }
    }

    private func printSummary(_ summary: TransferSummary) {
        let rate = summary.seconds > 0 ? Double(summary.bytes) / summary.seconds : 0
        switch output {
        case .json:
            Console.out(
                JSONValue.object([
                    "files": .int(summary.plan.items.count), "bytes": .int(summary.bytes),
                    "seconds": .double(summary.seconds),
                    "resumed_parts": .int(summary.resumedParts),
                ]).prettyJSONText)
        case .text:
            let resumed = summary.resumedParts > 0 ? ", \(summary.resumedParts) parts resumed" : ""
            Console.out(
                "transferred \(summary.plan.items.count) files, \(ByteCount.text(summary.bytes)) in "
                    + String(format: "%.1f s (%@/s)", summary.seconds, ByteCount.text(Int(rate))) + resumed)
        }
    }
}

/// Human byte counts: `12.3 MiB`.
enum ByteCount {
    static func text(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
