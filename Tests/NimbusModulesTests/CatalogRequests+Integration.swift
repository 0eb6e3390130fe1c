@testable import NimbusModules

extension CatalogRequest {
    /// Requests for API Gateway, Step Functions, EventBridge, Kinesis, ECR.
    static let integration: [CatalogRequest] = []
}
