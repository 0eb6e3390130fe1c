public import Logging
public import NimbusCore

/// What a tool may do to the systems it reaches (``AccessLevel``). Reads run freely; writes and deletes need
/// approval unless a policy allows them.
public typealias ToolAccess = AccessLevel

/// A tool's typed input: decoded from the JSON a model wrote, after that JSON was checked against ``schema``, the
/// same schema models are shown. The offline router builds inputs as values and encodes them
/// (``PlannedStep/init(number:tool:input:)``), so the same checks apply to both.
public protocol ToolInput: Codable, Sendable {
    /// A JSON Schema of type `object` describing the input (see ``ToolSchema``).
    static var schema: JSONValue { get }
}

/// One capability an agent can use: typed input with a JSON Schema, a declared access level, the
/// `service:Operation` actions it performs (for policy matching), and a JSON result.
///
/// Tools are usable by the offline router and by models alike: both produce the tool's JSON input, which is
/// validated against ``ToolInput/schema`` and decoded before anything runs. `Environment` is what the tools of
/// one family share at run time (an AWS client, a sandbox), so this protocol stays free of any cloud.
public protocol Tool<Environment>: Sendable {
    associatedtype Input: ToolInput
    associatedtype Environment: Sendable

    /// A stable, dotted name: `s3.list_buckets`. Models see it with dots as underscores (`s3_list_buckets`).
    var name: String { get }
    /// What the tool does, in one sentence a model and a person can both use.
    var summary: String { get }
    /// The most the tool can do.
    var access: ToolAccess { get }
    /// The least any input needs: a generic API tool that can also read says `.read`, so read-only runs still
    /// offer it and judge each call by ``access(for:)``.
    var minimumAccess: ToolAccess { get }
    /// The `service:Operation` actions the tool may perform, for policy matching and documentation. The gate
    /// lets a call that writes or deletes through only when the approved step's actions name it.
    var actions: [String] { get }

    /// The access this input needs; a tool whose input decides (a generic API call) narrows ``access`` here.
    func access(for input: Input) -> ToolAccess
    /// The actions this input performs.
    func actions(for input: Input) -> [String]
    /// Checks what the schema cannot (an `s3://` URI's shape, a file that must exist), naming the bad field.
    func validate(_ input: Input) throws
    /// The step in a person's words, for plans and approval questions: `delete 2 objects from s3://logs`.
    func describe(_ input: Input) -> String
    /// Does the work.
    func run(_ input: Input, environment: Environment, context: ToolRunContext) async throws -> JSONValue
    /// The result in a person's words, for answers that need no model.
    func report(_ result: JSONValue, input: Input) -> String
}

extension Tool {
    public var minimumAccess: ToolAccess { access }
    public func access(for input: Input) -> ToolAccess { access }
    public func actions(for input: Input) -> [String] { actions }
    public func validate(_ input: Input) throws {}
    public func report(_ result: JSONValue, input: Input) -> String { result.prettyJSONText }
}

/// What a running tool gets besides its input and environment.
public struct ToolRunContext: Sendable {
    /// The tool's name, for records such as an audit log.
    public let tool: String
    /// The plan step this call belongs to (1 for the first).
    public let step: Int
    /// The same on every re-run of this step; for work that wants to be idempotent on its own.
    public let idempotencyKey: String
    /// Whether an earlier run of this step may have done the work already (the process died mid-step): check
    /// before acting twice.
    public let mayHaveRunBefore: Bool
    public let logger: Logger
    /// Reports progress: a message and, when known, the fraction done.
    public let progress: @Sendable (String, Double?) -> Void
    /// What was approved for this step: the calls the tool may make beyond reads. The gate checks every call
    /// against it (and against the policy, again).
    public let grant: AccessGrant

    public init(
        tool: String, step: Int, idempotencyKey: String, mayHaveRunBefore: Bool = false, logger: Logger,
        grant: AccessGrant = .readsOnly, progress: @escaping @Sendable (String, Double?) -> Void = { _, _ in }
    ) {
        self.grant = grant
        self.tool = tool
        self.step = step
        self.idempotencyKey = idempotencyKey
        self.mayHaveRunBefore = mayHaveRunBefore
        self.logger = logger
        self.progress = progress
    }
}
