import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NimbusAWS
import NimbusAgents
import NimbusCore
import NimbusHost

/// `--profile` and `--region`, for every command that talks to AWS.
struct AWSOptions: ParsableArguments {
    @Option(help: "The AWS profile (default: AWS_PROFILE, else 'default').")
    var profile: String?

    @Option(help: "The AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, else the profile's region).")
    var region: String?

}

/// The gate for a command that calls AWS itself (`aws`, `transfer`, `validate`), from the host: the policy in
/// policy.yaml, approvals from `--yes` or the terminal, the audit log, under a request id of the command's own.
struct CommandGate {
    let host: NimbusHost
    let gate: AWSGate

    init(_ global: GlobalOptions, tool: String, yes: Bool) throws {
        host = try global.host()
        gate = try host.gate(
            tool: tool, grant: yes ? .everything(approvedBy: "--yes") : .readsOnly,
            approver: Console.standardInputIsTerminal && !yes ? TerminalApprover() : nil)
    }

    var configuration: NimbusConfiguration { host.configuration }

    /// A client whose every call passes this gate.
    func client(_ aws: AWSOptions, httpClient: HTTPClient = .shared) throws -> AWSClient {
        try host.awsClient(profile: aws.profile, region: aws.region, gate: gate, httpClient: httpClient)
    }
}

/// Asks at the terminal before a call that writes or deletes: `Run s3 DeleteBucket {"Bucket":"logs"}, which
/// deletes? [y/N]`.
struct TerminalApprover: CallApprover {
    func approve(_ call: AWSOperationCall) async -> Bool {
        let parameters = call.redactedInput.jsonText
        let reply = Console.ask(
            "Run \(call.service) \(call.operation) \(parameters.prefix(200)), which \(call.access.rawValue)s? [y/N] ")
        return ["y", "yes"].contains((reply ?? "").trimmingCharacters(in: .whitespaces).lowercased())
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
                nimbusFile: NimbusCredentialsFile(home: configuration.home), region: "us-east-1",
                callGuard: NoAWSCallsAllowed())
            let summaries = try chain.summaries()
            let active = chain.profileName
            switch output {
            case .json:
                Console.json(
                    JSONValue.array(
                        summaries.map {
                            [
                                "name": .string($0.name), "sources": .array($0.sources.map(JSONValue.string)),
                                "region": $0.region.map(JSONValue.string) ?? .null, "credentials": .string($0.kind),
                                "active": .bool($0.name == active),
                            ]
                        }
                    ))
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
            if Console.standardInputIsTerminal { Console.prompt("secret access key: ") }
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
        let gate = try CommandGate(global, tool: "nimbus validate", yes: false)
        let client = try gate.client(aws)
        let identity = try await client.call("sts", "GetCallerIdentity")
        let credentials = try await client.credentialProvider.credentials()
        switch output {
        case .json:
            Console.json(
                JSONValue.object([
                    "account": identity["Account"] ?? .null, "arn": identity["Arn"] ?? .null,
                    "user_id": identity["UserId"] ?? .null, "profile": .string(client.profileName),
                    "region": client.region.map(JSONValue.string) ?? .null, "credentials": .string(credentials.source),
                ]))
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
            Parameters are checked against the service model before anything is sent. Like every AWS call Nimbus
            makes, the call passes the policy ($NIMBUS_HOME/policy.yaml; deny wins, --yes included), and one that
            writes or deletes asks first: at a terminal, or with --yes; with neither, nothing is changed (exit 2).
            Every call is in `nimbus audit`.
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

    @Flag(name: .shortAndLong, help: "Run a call that writes or deletes without asking (policy denials still apply).")
    var yes = false

    @Option(help: "Print as text (indented JSON) or JSON (one compact document).")
    var output: OutputFormat = .text

    func run() async throws {
        let input = try JSONValue(parsing: parameters)
        let gate = try CommandGate(global, tool: "nimbus aws", yes: yes)
        let client = try gate.client(aws)
        let result: JSONValue
        if all {
            var pages: [JSONValue] = []
            for try await page in client.paginate(service, operation, input) { pages.append(page) }
            result = .array(pages)
        } else {
            result = try await client.call(service, operation, input)
        }
        switch output {
        case .json: Console.outVerbatim(result.jsonText + "\n")
        case .text: Console.json(result)
        }
    }
}

struct TransferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Copy files and objects: local ↔ S3 and S3 → S3, whole directories and prefixes, in parallel.",
        discussion: """
            Large objects move in parallel parts; an interrupted upload resumes when run again (its state is kept
            under $NIMBUS_HOME/transfers). Uploads and copies change the bucket, so they ask first (at a terminal,
            or --yes; with neither, nothing is sent and the exit status is 2); every call is audited and the policy
            applies. Downloads write only inside the destination: an object whose key would leave it (`../x`) is
            skipped and reported (exit 1). A link given by name is followed; links inside a directory are skipped
            and counted unless --follow-symlinks. Examples:
              nimbus transfer ./data s3://bucket/data/ --yes
              nimbus transfer s3://bucket/data/ ./copy --include '*.csv'
              nimbus transfer ./site s3://bucket/site/ --sync --yes
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

    @Flag(help: "Move only what is missing or changed (size, or newer), as `aws s3 sync` does.")
    var sync = false

    @Flag(help: "Follow symbolic links inside a directory being uploaded (default: skip and count them).")
    var followSymlinks = false

    @Flag(help: "Print what would be transferred, and transfer nothing.")
    var dryRun = false

    @Flag(name: .shortAndLong, help: "Upload or copy without asking (policy denials still apply).")
    var yes = false

    @Option(help: "Print as text or JSON.")
    var output: OutputFormat = .text

    func run() async throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard partSize >= 5 else { throw ValidationError("--part-size must be at least 5 (MiB)") }
        let source = try TransferLocation.parse(source)
        let destination = try TransferLocation.parse(destination)
        let gate = try CommandGate(global, tool: "nimbus transfer", yes: yes)
        try await AWSClient.withHTTPClient(connections: concurrency) { httpClient in
            let options = TransferOptions(
                concurrency: concurrency, partSize: partSize << 20, multipartThreshold: partSize << 20,
                filter: TransferFilter(include: include, exclude: exclude), dryRun: dryRun,
                stateDirectory: gate.configuration.home.appendingPathComponent("transfers"), sync: sync,
                followSymlinks: followSymlinks)
            let client = try gate.client(aws, httpClient: httpClient)
            let plan = try await TransferManager(
                client: client, options: options, logger: Logger(label: "nimbus.transfer")
            )
            .plan(from: source, to: destination)
            if dryRun {
                printPlan(plan)
                return
            }
            // Uploads and copies write to S3: asked once for the whole plan, then each call is checked against
            // that approval (and the policy) by the gate.
            var approved = client
            if destination.isS3, !plan.items.isEmpty {
                let grant: AccessGrant
                do {
                    grant = try approval(for: plan, to: destination)
                } catch let error as TransferApproval {
                    // Nothing was sent, and the audit log says what was not done, as for every other refusal.
                    await gate.gate.recordUnsent(
                        service: "s3", operation: plan.items.first?.kind == .copy ? "CopyObject" : "PutObject",
                        parameters: [
                            "destination": .string(destination.description), "files": .int(plan.items.count),
                        ], outcome: .declined, reason: error.message, profile: client.profileName,
                        region: client.region)
                    throw error
                }
                approved = client.guarded(by: gate.gate.scoped(tool: "nimbus transfer", grant: grant))
            }
            let manager = TransferManager(client: approved, options: options, logger: Logger(label: "nimbus.transfer"))
            let bar = ProgressBar(terminal: Console.standardErrorIsTerminal, quiet: output == .json)
            let summary = try await manager.run(plan) { progress in bar.update(progress) }
            bar.finish()
            printSummary(summary)
            if summary.plan.skipped.contains(where: \.reason.isRefusal) { throw ExitCode(1) }
        }
    }

    /// What the person approves for a transfer into S3: `--yes`, a yes at the terminal, or nothing (an error
    /// that says how to approve, exit 2).
    private func approval(for plan: TransferPlan, to destination: TransferLocation) throws -> AccessGrant {
        let actions = ["s3:PutObject"]
        if yes { return AccessGrant(access: .write, actions: actions, approvedBy: "--yes") }
        let verb = plan.items.first?.kind == .copy ? "Copy" : "Upload"
        let question =
            "\(verb) \(plan.items.count) file\(plan.items.count == 1 ? "" : "s") (\(ByteCount.text(plan.totalBytes))) to \(destination)?"
        guard Console.standardInputIsTerminal, output == .text else { throw TransferApproval.notApproved(question) }
        let reply = Console.ask(question + " [y/N] ")
        guard ["y", "yes"].contains((reply ?? "").trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw TransferApproval.declined(question)
        }
        return AccessGrant(access: .write, actions: actions, approvedBy: "you")
    }

    private func printPlan(_ plan: TransferPlan) {
        switch output {
        case .json:
            Console.json(
                JSONValue.object([
                    "dry_run": true, "files": .int(plan.items.count), "bytes": .int(plan.totalBytes),
                    "items": .array(
                        plan.items.map {
                            [
                                "kind": .string($0.kind.rawValue), "from": .string($0.source.description),
                                "to": .string($0.destination.description), "bytes": .int($0.size),
                            ]
                        }),
                    "skipped": Self.skippedJSON(plan), "unchanged": .int(plan.unchanged),
                ]))
        case .text:
            for item in plan.items {
                Console.out(
                    "(dry run) \(item.kind.rawValue): \(item.source) → \(item.destination) (\(ByteCount.text(item.size)))"
                )
            }
            printSkipped(plan)
            Console.out("(dry run) \(plan.items.count) files, \(ByteCount.text(plan.totalBytes))")
        }
    }

    private func printSummary(_ summary: TransferSummary) {
        let rate = summary.seconds > 0 ? Double(summary.bytes) / summary.seconds : 0
        switch output {
        case .json:
            Console.json(
                JSONValue.object([
                    "files": .int(summary.plan.items.count), "bytes": .int(summary.bytes),
                    "seconds": .double(summary.seconds), "resumed_parts": .int(summary.resumedParts),
                    "skipped": Self.skippedJSON(summary.plan), "unchanged": .int(summary.plan.unchanged),
                ]))
        case .text:
            printSkipped(summary.plan)
            let resumed = summary.resumedParts > 0 ? ", \(summary.resumedParts) parts resumed" : ""
            let unchanged = summary.plan.unchanged > 0 ? ", \(summary.plan.unchanged) already up to date" : ""
            Console.out(
                "transferred \(summary.plan.items.count) files, \(ByteCount.text(summary.bytes)) in "
                    + String(format: "%.1f s (%@/s)", summary.seconds, ByteCount.text(Int(rate))) + resumed + unchanged)
        }
    }

    private func printSkipped(_ plan: TransferPlan) {
        guard !plan.skipped.isEmpty else { return }
        let refused = plan.skipped.filter(\.reason.isRefusal)
        let links = plan.skipped.count - refused.count
        for skip in refused.prefix(50) { Console.progress("skipped \(skip)") }
        if refused.count > 50 { Console.progress("… and \(refused.count - 50) more objects skipped") }
        if !refused.isEmpty {
            Console.progress(
                "\(refused.count) object\(refused.count == 1 ? " was" : "s were") not written: their keys cannot be files inside \(destination)"
            )
        }
        if links > 0 {
            Console.progress("skipped \(links) link\(links == 1 ? "" : "s") and special files (see --follow-symlinks)")
        }
    }

    static func skippedJSON(_ plan: TransferPlan) -> JSONValue {
        .array(
            plan.skipped.map { ["from": .string($0.source.description), "reason": .string($0.reason.description)] })
    }
}

/// A transfer into S3 that nobody approved (no terminal, no `--yes`), or that the person declined.
struct TransferApproval: NimbusError {
    enum Code: String { case notApproved = "not_approved", declined }
    let code: Code
    let message: String
    var suggestion: String? {
        code == .declined ? "nothing was sent" : "nothing was sent; answer yes at a terminal, or pass --yes"
    }

    static func notApproved(_ question: String) -> TransferApproval {
        TransferApproval(code: .notApproved, message: "not approved: \(question.dropLast())")
    }

    static func declined(_ question: String) -> TransferApproval {
        TransferApproval(code: .declined, message: "declined: \(question.dropLast())")
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

extension TransferApproval {
    var errorCode: ErrorCode {
        let kind: ErrorKind =
            switch code {
            case .notApproved: .approvalRequired
            default: .forbidden
            }
        return ErrorCode("transfer_approval", code.rawValue, kind)
    }
}
