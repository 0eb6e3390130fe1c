@testable import NimbusModules

extension CatalogRequest {
    /// Requests for ElastiCache, Aurora, EFS, OpenSearch, Backup.
    static let data: [CatalogRequest] = []
}
