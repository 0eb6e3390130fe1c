public import Foundation
import NimbusCore

/// A model named the way configuration and `NIMBUS_LLM` name it: `provider:model`.
///
/// `openai:gpt-4o-mini`, `anthropic:claude-sonnet-4-5`, `ollama:llama3.1`, `azure:my-deployment`,
/// `bedrock:anthropic.claude-3-5-sonnet-20240620-v1:0`, and `openai-compatible:http://127.0.0.1:8080/v1` for any
/// compatible server (append `#name` to ask for a model by name: `openai-compatible:http://host:8000/v1#qwen2.5`).
public struct ModelSpec: Sendable, Hashable, CustomStringConvertible {
    /// The protocols Nimbus speaks.
    public enum Provider: String, Sendable, Hashable, CaseIterable {
        case openAI = "openai"
        case azure = "azure"
        case openAICompatible = "openai-compatible"
        case anthropic = "anthropic"
        case ollama = "ollama"
        case bedrock = "bedrock"
    }

    public var provider: Provider
    /// The model (for Azure, the deployment; for a compatible server, the name to ask for).
    public var model: String
    /// The API root of a compatible server.
    public var baseURL: URL?

    public init(provider: Provider, model: String, baseURL: URL? = nil) {
        self.provider = provider
        self.model = model
        self.baseURL = baseURL
    }

    /// Parses `provider:model`.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let colon = trimmed.firstIndex(of: ":") else {
            throw LLMError.configuration(
                "'\(trimmed)' does not name a provider",
                suggestion: "write provider:model, such as openai:gpt-4o-mini or ollama:\(trimmed)")
        }
        let name = trimmed[..<colon].lowercased()
        let rest = String(trimmed[trimmed.index(after: colon)...])
        let aliases: [String: Provider] = [
            "azure-openai": .azure, "compatible": .openAICompatible, "openai_compatible": .openAICompatible,
            "llamacpp": .openAICompatible, "claude": .anthropic,
        ]
        guard let provider = Provider(rawValue: name) ?? aliases[name] else {
            let known = Provider.allCases.map(\.rawValue)
            throw LLMError.configuration(
                "'\(name)' in '\(trimmed)' is not a model provider; known: \(known.joined(separator: ", "))",
                suggestion: closestMatch(to: String(name), in: known).map { "did you mean '\($0):\(rest)'?" })
        }
        guard !rest.isEmpty else {
            throw LLMError.configuration("'\(trimmed)' names no model after '\(name):'")
        }
        if provider == .openAICompatible {
            let parts = rest.split(separator: "#", maxSplits: 1).map(String.init)
            guard let url = URL(string: parts[0]), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https", url.host != nil
            else {
                throw LLMError.configuration(
                    "'\(rest)' in '\(trimmed)' is not an http(s) URL",
                    suggestion: "write openai-compatible:http://127.0.0.1:8080/v1")
            }
            self.init(provider: provider, model: parts.count > 1 ? parts[1] : "default", baseURL: url)
        } else {
            self.init(provider: provider, model: rest)
        }
    }

    public var description: String {
        if provider == .openAICompatible, let baseURL {
            return "openai-compatible:\(baseURL.absoluteString)" + (model == "default" ? "" : "#\(model)")
        }
        return "\(provider.rawValue):\(model)"
    }
}
