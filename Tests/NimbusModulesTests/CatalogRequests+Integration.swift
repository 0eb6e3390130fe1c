@testable import NimbusModules

extension CatalogRequest {
    /// Requests for API Gateway, Step Functions, EventBridge, Kinesis, ECR.
    static let integration: [CatalogRequest] = [
        CatalogRequest(
            text: "an HTTP API with a JWT authorizer, CORS and a custom domain", family: "api-gateway",
            features: ["jwt-authorizer", "cors", "custom-domain"]),
        CatalogRequest(
            text: "a production API Gateway with access logs and throttling", family: "api-gateway",
            features: ["access-logs", "throttling"]),
        CatalogRequest(
            text: "a Step Functions express workflow with X-Ray tracing and logging", family: "step-functions",
            features: ["express", "tracing", "logging"]),
        CatalogRequest(
            text: "a standard state machine with KMS encryption", family: "step-functions", features: ["encryption"]),
        CatalogRequest(
            text: "an EventBridge event bus with an archive, a schedule and a dead-letter queue",
            family: "eventbridge", features: ["archive", "schedule", "dlq"]),
        CatalogRequest(
            text: "a cross-account event bus with retries and logging", family: "eventbridge",
            features: ["cross-account", "retries", "logging"]),
        CatalogRequest(
            text: "a provisioned Kinesis data stream with enhanced monitoring and enhanced fan-out consumers",
            family: "kinesis", features: ["provisioned", "enhanced-monitoring", "consumer"]),
        CatalogRequest(
            text: "a provisioned Kinesis stream with four shards", family: "kinesis", features: ["provisioned"]),
        CatalogRequest(
            text: "an ECR repository with cross-account pull, replication and enhanced scanning", family: "ecr",
            features: ["cross-account", "replication", "enhanced-scanning"]),
        CatalogRequest(
            text: "a container registry with immutable tags, scan on push and a lifecycle policy", family: "ecr",
            features: ["immutable-tags", "scan-on-push", "lifecycle"]),
    ]
}
