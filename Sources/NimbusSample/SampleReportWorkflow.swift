import Foundation
public import NimbusCore
public import NimbusGraph
public import NimbusProducts
import NimbusStore

/// The built-in sample workflow: a security review of an embedded example account.
///
/// It shows the runtime end to end without a cloud account: a planner fans out one survey per region
/// (parallel tasks), each survey records its findings file as a side effect that is never repeated, a join
/// summarises, a person approves the report (an interrupt), and the report is written. Every step is
/// checkpointed, so a run can be stopped at the approval and resumed later with `nimbus runs resume`.
public enum SampleReportWorkflow {
    /// The graph name stored with each run.
    public static let name = "sample-report"

    /// The workflow's state.
    public struct State: GraphState {
        /// Where files go.
        public var outputDirectory: String
        public var regions: [String] = []
        public var findings: [String: [Finding]] = [:]
        public var log: [String] = []
        public var summary: String = ""
        public var approved: Bool?
        public var reportPath: String?

        public init(outputDirectory: String) {
            self.outputDirectory = outputDirectory
        }

        public static let schema = StateSchema<State>(
            .field("regions", \.regions),
            .field("findings", \.findings, .merge),
            .field("log", \.log, .append),
            .field("summary", \.summary),
            .field("approved", \.approved),
            .field("report_path", \.reportPath)
        )
    }

    /// One problem found in the sample account.
    public struct Finding: Codable, Sendable, Hashable {
        public let resource: String
        public let severity: String
        public let message: String
    }

    /// Compiles the workflow over `store`.
    public static func graph(
        store: (any CheckpointStore)?, eventLog: (any GraphEventLog)? = nil
    ) throws
        -> CompiledGraph<State>
    {
        var graph = StateGraph<State>()
        graph.addNode("plan") { _, context in
            context.progress("choosing regions from the sample account")
            let regions = SampleAccount.regions.map(\.name)
            return Update {
                $0.write(\.regions, regions)
                $0.append(\.log, "planned a survey of \(regions.count) regions")
            }
        }
        graph.addNode("survey", retry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(50))) { state, context in
            let regionName = try context.input(String.self)
            guard let region = SampleAccount.regions.first(where: { $0.name == regionName }) else {
                throw WorkflowError.badOutput(regionName, detail: "not a region of the sample account")
            }
            context.progress(
                "surveying \(plural(region.buckets.count, "bucket")) and \(plural(region.instances.count, "instance")) in \(region.name)"
            )
            let findings = review(region)
            let path = URL(fileURLWithPath: state.outputDirectory).appendingPathComponent(
                "findings-\(region.name).json"
            ).path
            // Written once: a resumed or retried run returns the recorded path instead of writing again.
            let written = try await context.step("write-findings") { _ in
                try write(JSONValue(encoding: findings).prettyJSONText + "\n", to: path)
                return path
            }
            return Update {
                $0.write(\.findings, [region.name: findings])
                $0.append(\.log, "\(region.name): \(plural(findings.count, "finding")) → \(written)")
            }
        }
        graph.addNode("summarize") { state, context in
            let all = state.findings.values.flatMap { $0 }
            let high = all.filter { $0.severity == "high" }.count
            let summary = "\(plural(all.count, "finding")) in \(plural(state.findings.count, "region")) (\(high) high)"
            context.progress(summary)
            return Update {
                $0.write(\.summary, summary)
                $0.append(\.log, "summarized: \(summary)")
            }
        }
        graph.addNode("approve") { state, context in
            let path = URL(fileURLWithPath: state.outputDirectory).appendingPathComponent("report.md").path
            let answer =
                try context.interrupt(
                    ["question": .string("Write the report to \(path)?"), "summary": .string(state.summary)]
                        as JSONValue,
                    accepts: .yesOrNo) == true
            return Update {
                $0.write(\.approved, answer)
                $0.append(\.log, answer ? "report approved" : "report declined")
            }
        }
        graph.addNode("publish") { state, context in
            let path = URL(fileURLWithPath: state.outputDirectory).appendingPathComponent("report.md").path
            let written = try await context.step("write-report") { _ in
                try write(report(state), to: path)
                return path
            }
            return Update {
                $0.write(\.reportPath, written)
                $0.append(\.log, "wrote \(written)")
            }
        }
        graph.addEdge(from: START, to: "plan")
        graph.addConditionalEdges(from: "plan", to: ["survey"]) { state in
            try state.regions.map { try Route.send("survey", $0) }
        }
        graph.addEdge(from: "survey", to: "summarize")
        graph.addEdge(from: "summarize", to: "approve")
        graph.addConditionalEdge(from: "approve", to: ["publish", END]) { state in
            state.approved == true ? "publish" : .end
        }
        graph.addEdge(from: "publish", to: END)
        return try graph.compile(name: name, checkpointer: store, retention: .keepLast(50), eventLog: eventLog)
    }

    // MARK: - The review itself

    static func review(_ region: SampleAccount.Region) -> [Finding] {
        var findings: [Finding] = []
        for bucket in region.buckets {
            if !bucket.encrypted {
                findings.append(
                    Finding(resource: "s3://\(bucket.name)", severity: "high", message: "default encryption is off"))
            }
            if bucket.publicRead {
                findings.append(
                    Finding(resource: "s3://\(bucket.name)", severity: "high", message: "objects are publicly readable")
                )
            }
            if !bucket.versioning {
                findings.append(
                    Finding(resource: "s3://\(bucket.name)", severity: "medium", message: "versioning is off"))
            }
        }
        for instance in region.instances {
            for port in instance.openToWorld where [22, 3389].contains(port) {
                findings.append(
                    Finding(resource: instance.id, severity: "high", message: "port \(port) is open to 0.0.0.0/0"))
            }
            if instance.state == "stopped" {
                findings.append(
                    Finding(resource: instance.id, severity: "low", message: "stopped instance still holds its volumes")
                )
            }
        }
        return findings
    }

    static func report(_ state: State) -> String {
        var lines = ["# Sample account review", "", state.summary, ""]
        for region in state.findings.keys.sorted() {
            lines.append("## \(region)")
            lines.append("")
            let findings = state.findings[region] ?? []
            if findings.isEmpty { lines.append("No findings.") }
            for finding in findings {
                lines.append("- **\(finding.severity)** `\(finding.resource)`: \(finding.message)")
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    static func plural(_ count: Int, _ noun: String) -> String {
        counted(count, noun)
    }

    static func write(_ text: String, to path: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw WorkflowError.badOutput(path, detail: FileErrorText.describe(error))
        }
    }
}

/// The embedded example account the sample workflow reviews.
enum SampleAccount {
    struct Bucket {
        let name: String
        let encrypted: Bool
        let publicRead: Bool
        let versioning: Bool
    }

    struct Instance {
        let id: String
        let state: String
        let openToWorld: [Int]
    }

    struct Region {
        let name: String
        let buckets: [Bucket]
        let instances: [Instance]
    }

    static let regions: [Region] = [
        Region(
            name: "us-east-1",
            buckets: [
                Bucket(name: "acme-logs", encrypted: true, publicRead: false, versioning: true),
                Bucket(name: "acme-website", encrypted: false, publicRead: true, versioning: false),
                Bucket(name: "acme-backups", encrypted: true, publicRead: false, versioning: false),
            ],
            instances: [
                Instance(id: "i-0a1b2c3d4e5f60718", state: "running", openToWorld: [443, 22]),
                Instance(id: "i-0b2c3d4e5f6071829", state: "stopped", openToWorld: []),
            ]),
        Region(
            name: "eu-west-1",
            buckets: [Bucket(name: "acme-eu-data", encrypted: true, publicRead: false, versioning: true)],
            instances: [Instance(id: "i-0c3d4e5f607182930", state: "running", openToWorld: [3389])]),
        Region(
            name: "ap-southeast-2",
            buckets: [Bucket(name: "acme-apac-assets", encrypted: false, publicRead: false, versioning: true)],
            instances: []),
    ]
}

/// The sample review as a product: a request names the folder the findings and report go to; the outcome says
/// what was found and where the report is.
public struct SampleProduct: Product {
    public static let name = "sample"
    public static let graph = SampleReportWorkflow.name
    public static let summary = "security review of an embedded sample account: parallel surveys, approval, report"
    public static func diagram() throws -> String { try SampleReportWorkflow.graph(store: nil).mermaid() }

    public init() {}

    /// Where the findings and the report go.
    public struct Request: Codable, Sendable, Hashable {
        public var outputDirectory: String

        public init(outputDirectory: String) {
            self.outputDirectory = outputDirectory
        }

        enum CodingKeys: String, CodingKey {
            case outputDirectory = "output_directory"
        }
    }

    /// How a review ended or where it waits.
    public struct Outcome: ProductOutcome, Hashable {
        public var threadID: String
        public var status: RunStatus
        public var steps: Int
        public var summary: String
        /// What each step did, in order.
        public var log: [String]
        public var findings: [String: [SampleReportWorkflow.Finding]]
        public var reportPath: String?
        /// The person's answer to writing the report, once given.
        public var approved: Bool?
        public var questions: [Interrupt]

        public var state: ProductState {
            switch status {
            case .completed: .done
            case .interrupted, .paused: .waiting
            case .failed, .cancelled, .running: .failed
            }
        }

        enum CodingKeys: String, CodingKey {
            case status, steps, summary, log, findings, questions, approved
            case threadID = "thread_id"
            case reportPath = "report_path"
        }

        init(_ result: RunResult<SampleReportWorkflow.State>) {
            threadID = result.threadID
            status = result.status
            steps = result.steps
            summary = result.state.summary
            log = result.state.log
            findings = result.state.findings
            reportPath = result.state.reportPath
            approved = result.state.approved
            questions = result.interrupts
        }
    }

    public func start(_ request: Request, threadID: String?, environment: ProductEnvironment) async throws -> Outcome {
        if let threadID { try GraphError.validateThreadID(threadID) }
        try FileManager.default.createDirectory(atPath: request.outputDirectory, withIntermediateDirectories: true)
        let (modes, handler) = environment.graphEvents()
        let result = try await SampleReportWorkflow.graph(store: environment.store, eventLog: environment.store).invoke(
            SampleReportWorkflow.State(outputDirectory: request.outputDirectory),
            configuration: RunConfiguration(threadID: threadID, requireNewThread: threadID != nil), modes: modes,
            onEvent: handler)
        return try await recorded(Outcome(result), environment)
    }

    public func resume(
        threadID: String, answers: [String: JSONValue], environment: ProductEnvironment
    ) async throws
        -> Outcome
    {
        let (modes, handler) = environment.graphEvents()
        let result = try await SampleReportWorkflow.graph(store: environment.store, eventLog: environment.store)
            .resume(threadID: threadID, answers: answers, modes: modes, onEvent: handler)
        return try await recorded(Outcome(result), environment)
    }

    /// The run in the request history.
    private func recorded(_ outcome: Outcome, _ environment: ProductEnvironment) async throws -> Outcome {
        try await environment.recordRequest(
            product: Self.name, threadID: outcome.threadID, text: "review of the embedded sample account",
            state: outcome.state, strategy: "offline", steps: outcome.steps,
            answer: outcome.summary.isEmpty ? nil : outcome.summary)
        return outcome
    }

    public func outcome(threadID: String, environment: ProductEnvironment) async throws -> Outcome {
        let graph = try SampleReportWorkflow.graph(store: environment.store, eventLog: environment.store)
        return Outcome(try await graph.result(threadID: threadID))
    }
}
