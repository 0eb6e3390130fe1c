@testable import NimbusModules

extension CatalogRequest {
    /// Requests for Route 53, ACM, Secrets Manager, Cognito, WAF.
    static let edge: [CatalogRequest] = []
}
