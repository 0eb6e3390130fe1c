import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Whether a configured model can be used: its settings resolve (keys present) and its server answers.
public struct ModelAvailability: Sendable, Hashable, Codable {
    /// The model as configured.
    public var model: String
    /// What uses it: `default`, `fallback`, `agent planner`.
    public var role: String
    /// Whether a provider could be made from the settings (keys, region, signer present).
    public var configured: Bool
    /// Whether the provider's server answered; `nil` when not checked.
    public var reachable: Bool?
    /// What went wrong, or what answered.
    public var detail: String
}

extension ModelRegistry {
    /// Every model the settings name (default, fallback, per agent), each checked: its settings resolve and
    /// its server answers a cheap listing request (`GET /models`, Ollama's `/api/tags`). Nothing is generated.
    public func availability(
        checkReachable: Bool = true, timeout: Duration = .seconds(15)
    ) async
        -> [ModelAvailability]
    {
        var named: [(role: String, model: String)] = []
        if let model = settings.model { named.append(("default", model)) }
        if let fallback = settings.fallback { named.append(("fallback", fallback)) }
        for agent in settings.agents.keys.sorted() {
            if let model = settings.agents[agent]?.model { named.append(("agent \(agent)", model)) }
            if let fallback = settings.agents[agent]?.fallback { named.append(("agent \(agent) fallback", fallback)) }
        }
        var results: [ModelAvailability] = []
        for (role, name) in named {
            results.append(await probe(name, role: role, checkReachable: checkReachable, timeout: timeout))
        }
        return results
    }

    /// Checks one model name. `timeout` bounds the listing request: a small local server that serves one
    /// request at a time answers it only after the generation in front of it.
    public func probe(
        _ name: String, role: String = "requested", checkReachable: Bool = true, timeout: Duration = .seconds(15)
    ) async
        -> ModelAvailability
    {
        let spec: ModelSpec
        do {
            spec = try ModelSpec(parsing: name)
            _ = try provider(spec)
        } catch {
            return ModelAvailability(
                model: name, role: role, configured: false, reachable: nil, detail: String(describing: error))
        }
        guard checkReachable, let url = listingURL(spec) else {
            return ModelAvailability(
                model: spec.description, role: role, configured: true, reachable: nil, detail: "not checked")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .GET
        do {
            let response = try await environment.http.client.execute(
                request, timeout: .seconds(max(1, timeout.components.seconds)))
            _ = try? await response.body.collect(upTo: 1 << 20)
            let status = response.status.code
            let detail =
                (200..<300).contains(status)
                ? "answered at \(url.absoluteString)"
                : "answered HTTP \(status) at \(url.absoluteString) (a key may be needed)"
            return ModelAvailability(
                model: spec.description, role: role, configured: true, reachable: true, detail: detail)
        } catch {
            return ModelAvailability(
                model: spec.description, role: role, configured: true, reachable: false,
                detail: "cannot reach \(url.absoluteString): \(error)")
        }
    }

    private func listingURL(_ spec: ModelSpec) -> URL? {
        let providers = settings.providers
        switch spec.provider {
        case .openAICompatible: return spec.baseURL?.appendingPathComponent("models")
        case .openAI:
            let base =
                providers.openAI?.baseURL ?? environment.variable("OPENAI_BASE_URL") ?? "https://api.openai.com/v1"
            return URL(string: base)?.appendingPathComponent("models")
        case .anthropic:
            let base = providers.anthropic?.baseURL ?? "https://api.anthropic.com/v1"
            return URL(string: base)?.appendingPathComponent("models")
        case .ollama:
            return OllamaConfiguration.host(
                fromEnvironment: providers.ollama?.baseURL ?? environment.variable("OLLAMA_HOST")
            )
            .appendingPathComponent("api/tags")
        case .azure, .bedrock:
            return nil
        }
    }
}
