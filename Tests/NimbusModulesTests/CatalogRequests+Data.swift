@testable import NimbusModules

extension CatalogRequest {
    /// Requests for ElastiCache, Aurora, EFS, OpenSearch, Backup.
    static let data: [CatalogRequest] = [
        CatalogRequest(
            text: "a Redis cache with cluster mode, IAM authentication and slow logs", family: "elasticache",
            features: ["cluster-mode", "iam-auth", "logging"]),
        CatalogRequest(
            text: "a highly available Redis OSS replication group with an auth token in Secrets Manager",
            family: "elasticache", features: ["multi-az", "auth-token"], answers: ["cache_engine": "redis"]),
        CatalogRequest(
            text: "an ElastiCache cluster encrypted with KMS and daily snapshots", family: "elasticache",
            features: ["encryption", "snapshots"]),
        CatalogRequest(
            text: "an Aurora PostgreSQL cluster with Serverless v2 and IAM auth", family: "aurora",
            features: ["multi-az", "serverless", "iam-auth"], answers: ["engine": "postgres"]),
        CatalogRequest(
            text: "a MySQL Aurora database with backtrack and performance insights", family: "aurora",
            features: ["backtrack", "monitoring"], answers: ["engine": "mysql"]),
        CatalogRequest(
            text: "an encrypted EFS file system with an access point, IAM authorization and provisioned throughput",
            family: "efs", features: ["encryption", "access-point", "iam-enforced", "provisioned-throughput"]),
        CatalogRequest(
            text: "an NFS share with a lifecycle policy and backups", family: "efs", features: ["lifecycle", "backups"]),
        CatalogRequest(
            text: "a private OpenSearch domain with fine-grained access control and audit logs", family: "opensearch",
            features: ["private", "fine-grained-access", "logging"]),
        CatalogRequest(
            text: "an Elasticsearch cluster with dedicated masters and zone awareness", family: "opensearch",
            features: ["dedicated-masters", "zone-awareness"]),
        CatalogRequest(
            text: "an AWS Backup plan with weekly and monthly backups, cross-region copies and vault lock",
            family: "backup", features: ["long-term", "cross-region-copy", "vault-lock"]),
        CatalogRequest(
            text: "a backup vault with notifications to an SNS topic, tag-based selection and daily backups",
            family: "backup", features: ["notifications", "tag-selection", "daily"]),
    ]
}
