import Foundation
public import Logging

/// A Terraform module: every `.tf` and `.tf.json` file of one directory, read into its parts (settings,
/// providers, variables, locals, resources, data sources, module calls, outputs, moved and import blocks) with
/// the graph of which part refers to which.
public struct Module: Sendable {
    /// The `terraform` block's settings.
    public struct Settings: Sendable {
        public var requiredVersion: String?
        /// Local name → source address and version constraint.
        public var requiredProviders: [String: (source: String?, version: String?)]
        /// The backend type (`s3`, `local`…) and its configuration.
        public var backend: (type: String, body: Body)?
        public var file: String
    }

    /// A `provider` block: a provider's configuration, with its alias if it has one.
    public struct Provider: Sendable {
        public var name: String
        public var alias: String?
        public var block: Block
        public var file: String
    }

    /// A `variable` block: an input of the module.
    public struct Variable: Sendable {
        public var name: String
        public var typeExpression: HCLExpression?
        /// The type constraint, when it is valid.
        public var type: ValueType?
        public var defaultValue: HCLExpression?
        public var description: String?
        public var sensitive: Bool
        public var nullable: Bool
        /// Each validation's condition and error message.
        public var validations: [(condition: HCLExpression, message: HCLExpression?)]
        public var block: Block
        public var file: String
    }

    /// One named value of a `locals` block.
    public struct Local: Sendable {
        public var name: String
        public var value: HCLExpression
        public var attribute: Attribute
        public var file: String
    }

    /// A `resource` or `data` block.
    public struct Resource: Sendable {
        public enum Mode: String, Sendable { case managed, data }
        public var mode: Mode
        public var type: String
        public var name: String
        public var block: Block
        public var file: String
        /// `aws_s3_bucket.logs` or `data.aws_iam_policy_document.read`.
        public var address: String { mode == .data ? "data.\(type).\(name)" : "\(type).\(name)" }
        /// The provider local name the type belongs to (`aws` for `aws_s3_bucket`).
        public var providerName: String {
            if case .template(let template)? = block.body.attribute("provider")?.value.kind,
                let literal = template.literalValue
            {
                return String(literal.split(separator: ".").first ?? "")
            }
            if case .attribute(let base, _)? = block.body.attribute("provider")?.value.kind,
                case .variable(let name) = base.kind
            {
                return name
            }
            if case .variable(let name)? = block.body.attribute("provider")?.value.kind { return name }
            return String(type.split(separator: "_", maxSplits: 1).first ?? Substring(type))
        }
    }

    /// A `module` block: a call of another module.
    public struct ModuleCall: Sendable {
        public var name: String
        public var source: String?
        public var version: String?
        public var block: Block
        public var file: String
    }

    /// An `output` block: a value the module returns.
    public struct Output: Sendable {
        public var name: String
        public var value: HCLExpression?
        public var description: String?
        public var sensitive: Bool
        public var block: Block
        public var file: String
    }

    /// A `moved` block: a resource address renamed without destroying the object.
    public struct Moved: Sendable {
        public var from: HCLExpression?
        public var to: HCLExpression?
        public var block: Block
        public var file: String
    }

    /// An `import` block: an existing object brought under the module's management.
    public struct Import: Sendable {
        public var to: HCLExpression?
        public var id: HCLExpression?
        public var block: Block
        public var file: String
    }

    public var directory: String
    /// The files read, in name order.
    public var files: [String]
    /// Each file's syntax tree.
    public var configFiles: [ConfigFile]
    /// Problems found while parsing.
    public var parseDiagnostics: [Diagnostic]
    public var settings: [Settings] = []
    public var providers: [Provider] = []
    public var variables: [Variable] = []
    public var locals: [Local] = []
    public var resources: [Resource] = []
    public var moduleCalls: [ModuleCall] = []
    public var outputs: [Output] = []
    public var moved: [Moved] = []
    public var imports: [Import] = []
    /// Blocks at the top level that are not Terraform's, and attributes there.
    var strayItems: [(item: BodyItem, file: String)] = []

    public var summary: String {
        func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }
        return [
            count(variables.count, "variable"), count(locals.count, "local"),
            count(resources.filter { $0.mode == .managed }.count, "resource"),
            count(resources.filter { $0.mode == .data }.count, "data source"), count(moduleCalls.count, "module call"),
            count(outputs.count, "output"),
        ].joined(separator: ", ")
    }

    /// Reads every `.tf` and `.tf.json` file in `directory` (not its subdirectories).
    public static func load(
        directory: String, logger: Logger = Logger(label: "nimbus.hcl")
    )
        throws(HCLError) -> Module
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HCLError.unreadableFile(directory, reason: "no such directory")
        }
        let paths = SourceFiles.configurationFiles(in: directory, extensions: [".tf", ".tf.json"])
        guard !paths.isEmpty else { throw HCLError.notAModule(directory) }
        var files: [ConfigFile] = []
        var diagnostics: [Diagnostic] = []
        for path in paths {
            let (file, problems) = try SourceFiles.parse(path: path)
            files.append(file)
            diagnostics += problems
        }
        let module = Module(directory: directory, files: paths, configFiles: files, parseDiagnostics: diagnostics)
        logger.debug(
            "loaded module",
            metadata: [
                "directory": "\(directory)", "files": "\(paths.count)", "summary": "\(module.summary)",
                "syntax_errors": "\(diagnostics.filter { $0.severity == .error }.count)",
            ])
        return module
    }

    /// Builds a module from files already parsed (for generated code that is not on disk).
    public init(
        directory: String = ".", files: [String], configFiles: [ConfigFile], parseDiagnostics: [Diagnostic] = []
    ) {
        self.directory = directory
        self.files = files
        self.configFiles = configFiles
        self.parseDiagnostics = parseDiagnostics
        for file in configFiles { read(file) }
    }

    private mutating func read(_ file: ConfigFile) {
        let path = file.filename
        for item in file.body.items {
            guard case .block(let block) = item else {
                strayItems.append((item, path))
                continue
            }
            let body = block.body
            switch block.type {
            case "terraform":
                var required: [String: (String?, String?)] = [:]
                for providers in body.blocks("required_providers") {
                    for attribute in providers.body.attributes {
                        switch attribute.value.kind {
                        case .object(let items):
                            var source: String?
                            var version: String?
                            for item in items {
                                if item.literalKey == "source" { source = Self.literal(item.value) }
                                if item.literalKey == "version" { version = Self.literal(item.value) }
                            }
                            required[attribute.name] = (source, version)
                        default:
                            // The legacy form: `aws = "~> 5.0"`.
                            required[attribute.name] = (nil, Self.literal(attribute.value))
                        }
                    }
                }
                let backend = body.blocks("backend").first.map { ($0.labels.first ?? "", $0.body) }
                settings.append(
                    Settings(
                        requiredVersion: body.attribute("required_version").flatMap { Self.literal($0.value) },
                        requiredProviders: required, backend: backend, file: path))
            case "provider":
                providers.append(
                    Provider(
                        name: block.labels.first ?? "",
                        alias: body.attribute("alias").flatMap { Self.literal($0.value) },
                        block: block, file: path))
            case "variable":
                let typeExpression = body.attribute("type")?.value
                var type: ValueType?
                if let typeExpression, case .success(let parsed) = ValueType.constraint(typeExpression) {
                    type = parsed
                }
                variables.append(
                    Variable(
                        name: block.labels.first ?? "", typeExpression: typeExpression, type: type,
                        defaultValue: body.attribute("default")?.value,
                        description: body.attribute("description").flatMap { Self.literal($0.value) },
                        sensitive: Self.flag(body.attribute("sensitive")) ?? false,
                        nullable: Self.flag(body.attribute("nullable")) ?? true,
                        validations: body.blocks("validation").compactMap { validation in
                            validation.body.attribute("condition").map {
                                ($0.value, validation.body.attribute("error_message")?.value)
                            }
                        }, block: block, file: path))
            case "locals":
                for attribute in body.attributes {
                    locals.append(Local(name: attribute.name, value: attribute.value, attribute: attribute, file: path))
                }
            case "resource", "data":
                resources.append(
                    Resource(
                        mode: block.type == "data" ? .data : .managed, type: block.labels.first ?? "",
                        name: block.labels.dropFirst().first ?? "", block: block, file: path))
            case "module":
                moduleCalls.append(
                    ModuleCall(
                        name: block.labels.first ?? "",
                        source: body.attribute("source").flatMap { Self.literal($0.value) },
                        version: body.attribute("version").flatMap { Self.literal($0.value) }, block: block, file: path)
                )
            case "output":
                outputs.append(
                    Output(
                        name: block.labels.first ?? "", value: body.attribute("value")?.value,
                        description: body.attribute("description").flatMap { Self.literal($0.value) },
                        sensitive: Self.flag(body.attribute("sensitive")) ?? false, block: block, file: path))
            case "moved":
                moved.append(
                    Moved(
                        from: body.attribute("from")?.value, to: body.attribute("to")?.value, block: block, file: path))
            case "import":
                imports.append(
                    Import(to: body.attribute("to")?.value, id: body.attribute("id")?.value, block: block, file: path))
            default:
                strayItems.append((item, path))
            }
        }
    }

    static func literal(_ expression: HCLExpression) -> String? {
        if case .template(let template) = expression.kind { return template.literalValue }
        return nil
    }

    static func flag(_ attribute: Attribute?) -> Bool? {
        if case .bool(let value)? = attribute?.value.kind { return value }
        return nil
    }
}
