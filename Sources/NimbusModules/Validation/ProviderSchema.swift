import Foundation
public import NimbusCore
public import NimbusHCL

/// The AWS provider's schema as Nimbus bundles it (extracted from the provider's prebuilt jsii package by
/// `scripts/update-provider-schema.sh`): every resource and data source, its arguments (required, optional,
/// computed) and nested blocks. What an offline `terraform validate` checks against.
public struct ProviderSchema: Sendable, Decodable {
    public let provider: String
    public let providerVersion: String
    public let source: String
    public let metaArguments: [String]
    public let resources: [String: SchemaBlock]
    public let dataSources: [String: SchemaBlock]

    enum CodingKeys: String, CodingKey {
        case provider, providerVersion = "provider_version", source, metaArguments = "meta_arguments", resources
        case dataSources = "data_sources"
    }

    /// The bundled AWS provider schema, read once.
    public static let aws: Result<ProviderSchema, GzipError> = {
        guard
            let url = Bundle.module.url(forResource: "ProviderSchemas", withExtension: nil)?.appendingPathComponent(
                "aws.json.gz"),
            let data = try? Data(contentsOf: url)
        else { return .failure(GzipError(message: "the bundled AWS provider schema is missing")) }
        do {
            let json = try Gzip.decompress([UInt8](data))
            return .success(try JSONDecoder().decode(ProviderSchema.self, from: Data(json)))
        } catch let error as GzipError {
            return .failure(error)
        } catch {
            return .failure(GzipError(message: "the bundled AWS provider schema does not decode: \(error)"))
        }
    }()

    /// `hashicorp/aws 6.25.0`
    public var description: String { "\(provider) \(providerVersion)" }
}

/// A resource's, data source's or nested block's arguments and blocks.
public struct SchemaBlock: Sendable, Decodable {
    /// Name → `r` (required), `o`/`oc` (optional), `c` (computed: exported, cannot be set).
    public let attributes: [String: String]
    public let blocks: [String: NestedSchemaBlock]

    enum CodingKeys: String, CodingKey { case attributes, blocks }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        attributes = try container.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:]
        blocks = try container.decodeIfPresent([String: NestedSchemaBlock].self, forKey: .blocks) ?? [:]
    }

    /// A block the schema could not describe (typed `any` in the package): its contents are not checked.
    var isOpaque: Bool { attributes.isEmpty && blocks.isEmpty }
}

/// A nested block: how often it may appear and what it holds.
public struct NestedSchemaBlock: Sendable, Decodable {
    /// `single` (at most one) or `list`.
    public let nesting: String
    /// 1 when the block is required.
    public let min: Int
    public let block: SchemaBlock
}

/// Checks every `resource` and `data` block of a module against a provider schema: unknown resource types,
/// unknown arguments and blocks (with the provider's own name when one is close), missing required arguments
/// and blocks, a block written as an argument or an argument as a block, computed attributes set, and references
/// to attributes a resource does not export.
public enum ProviderSchemaCheck {
    /// The problems, as diagnostics with file and line, like `nimbus hcl validate`'s.
    public static func check(_ files: [ConfigFile], schema: ProviderSchema) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var declared: [String: String] = [:]  // `aws_lb.this` / `data.aws_region.current` → type
        for file in files {
            for block in file.body.blocks where block.labels.count == 2 && block.labels[0].hasPrefix("aws_") {
                if block.type == "resource" { declared["\(block.labels[0]).\(block.labels[1])"] = block.labels[0] }
                if block.type == "data" { declared["data.\(block.labels[0]).\(block.labels[1])"] = block.labels[0] }
            }
        }
        for file in files {
            for block in file.body.blocks where block.labels.count == 2 && block.labels[0].hasPrefix("aws_") {
                let isData = block.type == "data"
                guard block.type == "resource" || isData else { continue }
                let kind = isData ? "data source" : "resource type"
                let known = isData ? schema.dataSources : schema.resources
                guard let blockSchema = known[block.labels[0]] else {
                    diagnostics.append(
                        problem(
                            "Unknown \(kind)",
                            "\(schema.description) has no \(kind) \"\(block.labels[0])\""
                                + hint(block.labels[0], among: known.keys),
                            file: file, range: block.range))
                    continue
                }
                let address = (isData ? "data." : "") + block.labels.joined(separator: ".")
                diagnostics += check(
                    block.body, against: blockSchema, path: address, file: file, topLevel: true, schema: schema)
            }
            // References to attributes the resource does not have.
            for reference in references(in: file.body) {
                guard let names = reference.names, names.count >= 3 else { continue }
                let isData = names[0] == "data"
                guard !isData || names.count >= 4 else { continue }
                let key = isData ? names[0...2].joined(separator: ".") : names[0...1].joined(separator: ".")
                guard let type = declared[key],
                    let blockSchema = (isData ? schema.dataSources : schema.resources)[type]
                else { continue }
                let attribute = names[isData ? 3 : 2]
                if attribute == "id" || blockSchema.attributes[attribute] != nil || blockSchema.blocks[attribute] != nil
                {
                    continue
                }
                diagnostics.append(
                    problem(
                        "Unsupported attribute",
                        "\(key) has no attribute \"\(attribute)\""
                            + hint(
                                attribute, among: Array(blockSchema.attributes.keys) + Array(blockSchema.blocks.keys)),
                        file: file, range: reference.range))
            }
        }
        return diagnostics
    }

    static func check(
        _ body: Body, against schema: SchemaBlock, path: String, file: ConfigFile, topLevel: Bool,
        schema provider: ProviderSchema
    ) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        let meta: Set<String> = topLevel ? Set(provider.metaArguments) : []
        var present: Set<String> = []
        for attribute in body.attributes {
            present.insert(attribute.name)
            if meta.contains(attribute.name) { continue }
            if let flags = schema.attributes[attribute.name] {
                if flags == "c" {
                    diagnostics.append(
                        problem(
                            "Value for unconfigurable attribute",
                            "\(path): \"\(attribute.name)\" is computed by the provider and cannot be set",
                            file: file, range: attribute.range))
                }
            } else if schema.blocks[attribute.name] != nil {
                diagnostics.append(
                    problem(
                        "Unsupported argument",
                        "\(path): \"\(attribute.name)\" is a block, not an argument: write \(attribute.name) { … }",
                        file: file, range: attribute.range))
            } else {
                diagnostics.append(
                    problem(
                        "Unsupported argument",
                        "\(path): an argument named \"\(attribute.name)\" is not expected here"
                            + hint(attribute.name, among: settable(schema)),
                        file: file, range: attribute.range))
            }
        }
        for block in body.blocks {
            if topLevel, ["lifecycle", "provisioner", "connection"].contains(block.type) { continue }
            let name = block.type == "dynamic" ? (block.labels.first ?? "") : block.type
            let content = block.type == "dynamic" ? block.body.blocks("content").first?.body : block.body
            present.insert(name)
            if let nested = schema.blocks[name] {
                if let content, !nested.block.isOpaque {
                    diagnostics += check(
                        content, against: nested.block, path: "\(path).\(name)", file: file, topLevel: false,
                        schema: provider)
                }
            } else if schema.attributes[name] != nil {
                diagnostics.append(
                    problem(
                        "Unsupported block type",
                        "\(path): \"\(name)\" is an argument, not a block: write \(name) = …", file: file,
                        range: block.range))
            } else {
                diagnostics.append(
                    problem(
                        "Unsupported block type",
                        "\(path): blocks of type \"\(name)\" are not expected here"
                            + hint(name, among: Array(schema.blocks.keys)),
                        file: file, range: block.range))
            }
        }
        for (name, flags) in schema.attributes.sorted(by: { $0.key < $1.key })
        where flags == "r" && !present.contains(name) {
            diagnostics.append(
                problem(
                    "Missing required argument",
                    "\(path): the argument \"\(name)\" is required, but no definition was found",
                    file: file, range: body.range))
        }
        for (name, nested) in schema.blocks.sorted(by: { $0.key < $1.key })
        where nested.min > 0 && !present.contains(name) {
            diagnostics.append(
                problem(
                    "Missing required block", "\(path): at least one \"\(name)\" block is required", file: file,
                    range: body.range))
        }
        return diagnostics
    }

    static func settable(_ schema: SchemaBlock) -> [String] {
        schema.attributes.filter { $0.value != "c" }.map(\.key) + schema.blocks.keys
    }

    static func hint(_ name: String, among candidates: some Sequence<String>) -> String {
        closestMatch(to: name, in: candidates.sorted()).map { "; did you mean \"\($0)\"?" } ?? ""
    }

    static func problem(_ summary: String, _ detail: String, file: ConfigFile, range: SourceRange) -> Diagnostic {
        Diagnostic(.error, summary: summary, detail: detail, filename: file.filename, range: range)
    }

    /// Every plain chain of names in the body's expressions (`aws_lb.this.arn`), with where it is.
    static func references(in body: Body) -> [(names: [String]?, range: SourceRange)] {
        var found: [(names: [String]?, range: SourceRange)] = []
        _ = body.rewritten { expression in
            if let names = expression.traversalNames, names.count > 1 {
                found.append((names, expression.range))
                return expression
            }
            return nil
        }
        return found
    }
}
