import Foundation
import Synchronization

/// One paginator of `paginators-1.json`: which parameters carry the page token and the page size, and where
/// the next token and the results are in the output.
public struct PaginatorModel: Sendable {
    public let inputTokens: [String]
    public let outputTokens: [String]
    public let moreResults: String?
    public let limitKey: String?
    public let resultKeys: [String]
}

/// The service models bundled with Nimbus (botocore's `service-2.json` and `paginators-1.json`, gzipped under
/// `Resources/Models`), loaded on first use and cached for the life of the process.
public enum ModelCatalog {
    private static let cache = Mutex<[String: ServiceModel]>([:])
    private static let paginatorCache = Mutex<[String: [String: PaginatorModel]]>([:])

    /// The names of the bundled services (`s3`, `sts`, …), sorted.
    public static var services: [String] {
        guard let directory = modelsDirectory,
            let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path)
        else { return [] }
        return names.filter { !$0.hasPrefix(".") && $0 != "VERSION" }.sorted()
    }

    /// The botocore version the models were copied from.
    public static var botocoreVersion: String {
        guard let directory = modelsDirectory,
            let text = try? String(contentsOf: directory.appendingPathComponent("VERSION"), encoding: .utf8)
        else { return "unknown" }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static var modelsDirectory: URL? {
        Bundle.module.url(forResource: "Models", withExtension: nil)
    }

    /// The model of `service`, loaded once.
    public static func model(_ service: String) throws(AWSModelError) -> ServiceModel {
        let name = canonicalName(service)
        if let cached = cache.withLock({ $0[name] }) { return cached }
        let json = try load(name, file: "service-2.json.gz")
        let model = try ServiceModel(name: name, json: json)
        cache.withLock { $0[name] = model }
        return model
    }

    /// The paginators of `service`, keyed by operation name (empty when the service has none).
    public static func paginators(_ service: String) throws(AWSModelError) -> [String: PaginatorModel] {
        let name = canonicalName(service)
        if let cached = paginatorCache.withLock({ $0[name] }) { return cached }
        var result: [String: PaginatorModel] = [:]
        if let directory = modelsDirectory,
            FileManager.default.fileExists(
                atPath: directory.appendingPathComponent("\(name)/paginators-1.json.gz").path)
        {
            let json = try load(name, file: "paginators-1.json.gz")
            for (operation, spec) in json["pagination"]?.members ?? [] {
                func strings(_ key: String) -> [String] {
                    if let single = spec[key]?.stringValue { return [single] }
                    return spec[key]?.arrayValue?.compactMap(\.stringValue) ?? []
                }
                result[operation] = PaginatorModel(
                    inputTokens: strings("input_token"), outputTokens: strings("output_token"),
                    moreResults: spec["more_results"]?.stringValue, limitKey: spec["limit_key"]?.stringValue,
                    resultKeys: strings("result_key"))
            }
        }
        paginatorCache.withLock { $0[name] = result }
        return result
    }

    /// Accepts the names people use: `elbv2` and `elasticloadbalancingv2`, `cloudwatch-logs` for `logs`, any case.
    static func canonicalName(_ service: String) -> String {
        let lowered = service.lowercased()
        let aliases = [
            "elasticloadbalancingv2": "elbv2", "cloudwatchlogs": "logs", "cloudwatch-logs": "logs",
            "monitoring": "cloudwatch", "ssm-parameter-store": "ssm", "secrets-manager": "secretsmanager",
            "auto-scaling": "autoscaling", "route-53": "route53", "cfn": "cloudformation",
        ]
        return aliases[lowered] ?? lowered
    }

    private static func load(_ service: String, file: String) throws(AWSModelError) -> OrderedJSON {
        guard let directory = modelsDirectory else { throw .invalidModel("the bundled models are missing") }
        let url = directory.appendingPathComponent(service).appendingPathComponent(file)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .unknownService(service, known: services)
        }
        return try OrderedJSON(parsing: try Zlib.gunzip([UInt8](data)))
    }
}
