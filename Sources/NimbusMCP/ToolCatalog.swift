import MCP
import NimbusAgents
import NimbusCore
import NimbusOps

/// The tools a Nimbus MCP server lists: every ops tool it serves, with its JSON input schema and hints, then
/// `nimbus_ask`, `generate_module` and `inspect_account`. A read-only server serves only the tools that can read; for the generic
/// ones (`aws.call`, `s3.presign`) it allows only inputs that read, so they are listed as read-only there. Uploads
/// and downloads are served only when the server has a directory for local files.
struct ToolCatalog: Sendable {
    let registry: ToolRegistry<OpsToolEnvironment>
    let readOnly: Bool
    /// Whether calls may name local files (the server has a working directory).
    let localFiles: Bool

    /// The ops tools that read or write local files: served only by a server with a working directory.
    static let localFileTools: Set<String> = ["s3.upload", "s3.download"]

    /// The ops tools this server serves.
    var served: [RegisteredTool<OpsToolEnvironment>] {
        registry.all.filter { tool in
            (!readOnly || tool.minimumAccess == .read) && (localFiles || !Self.localFileTools.contains(tool.name))
        }
    }

    /// Everything listed, ops tools first.
    var tools: [MCP.Tool] {
        served.map { Self.definition($0, readOnly: readOnly) } + [
            AskTool.definition(readOnly: readOnly), ModuleTool.definition, InspectTool.definition,
        ]
    }

    /// What a name a client calls means here.
    enum Lookup {
        /// An ops tool. One this server does not list is still reviewed when called, and refused.
        case ops(RegisteredTool<OpsToolEnvironment>)
        case ask
        case module
        case inspect
        case unknown(suggestion: String?)
    }

    func lookup(_ name: String) -> Lookup {
        if name == AskTool.name { return .ask }
        if name == ModuleTool.name { return .module }
        if name == InspectTool.name { return .inspect }
        guard let tool = registry.tool(named: name) else {
            let names = tools.map(\.name)
            return .unknown(suggestion: closestMatch(to: name, in: names))
        }
        return .ops(tool)
    }

    /// An ops tool as MCP lists it: the name models see (`s3_list_buckets`), a title, what it does and may do, its
    /// schema, and hints that follow its access on this server.
    static func definition(_ tool: RegisteredTool<OpsToolEnvironment>, readOnly: Bool) -> MCP.Tool {
        let access = readOnly ? ToolAccess.read : tool.access
        var description = "\(tool.summary). Access: \(access.rawValue)"
        if !tool.actions.isEmpty, tool.actions != ["*:*"] {
            description += "; AWS actions: \(tool.actions.joined(separator: ", "))"
        }
        description += "."
        if readOnly, tool.access != .read {
            description += " This server is read-only: only inputs that read are allowed."
        } else if tool.access != .read {
            description += " Nimbus asks you before anything that writes or deletes runs (MCP elicitation)."
        }
        return MCP.Tool(
            name: tool.modelName, title: ToolHints.title(tool.name), description: description,
            inputSchema: tool.schema.mcpValue, annotations: ToolHints.annotations(tool.name, access: access))
    }
}

/// The MCP hints of an ops tool, from its access and what is known of its writes. They are hints for clients, not
/// the safety: every call is reviewed, asked about and gated whatever they say.
enum ToolHints {
    /// Writes that only add (a new bucket, a started instance): every other write may overwrite or disrupt
    /// something, so it is marked destructive, as MCP assumes by default.
    static let additiveWrites: Set<String> = ["s3.create_bucket", "ec2.start_instances"]

    /// Changes that have no further effect when repeated with the same arguments.
    static let idempotentChanges: Set<String> = [
        "s3.upload", "s3.download", "s3.copy", "s3.create_bucket", "s3.delete_objects", "s3.delete_bucket",
        "ec2.start_instances", "ec2.stop_instances", "ec2.terminate_instances",
    ]

    static func annotations(_ name: String, access: ToolAccess) -> MCP.Tool.Annotations {
        let reads = access == .read
        return MCP.Tool.Annotations(
            title: title(name), readOnlyHint: reads,
            destructiveHint: !reads && (access == .delete || !additiveWrites.contains(name)),
            idempotentHint: reads || idempotentChanges.contains(name), openWorldHint: true)
    }

    /// `s3.list_buckets` → `S3: list buckets`.
    static func title(_ name: String) -> String {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return name }
        let service = services[parts[0]] ?? parts[0].uppercased()
        return "\(service): \(parts[1].replacingOccurrences(of: "_", with: " "))"
    }

    private static let services = [
        "s3": "S3", "ec2": "EC2", "iam": "IAM", "sts": "STS", "lambda": "Lambda", "dynamodb": "DynamoDB",
        "cloudformation": "CloudFormation", "logs": "CloudWatch Logs", "sqs": "SQS", "aws": "AWS",
    ]
}
