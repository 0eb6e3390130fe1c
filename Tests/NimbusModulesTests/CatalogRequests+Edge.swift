@testable import NimbusModules

extension CatalogRequest {
    /// Requests for Route 53, ACM, Secrets Manager, Cognito, WAF.
    static let edge: [CatalogRequest] = [
        CatalogRequest(
            text: "a public Route 53 hosted zone with DNSSEC and query logging", family: "route53",
            features: ["dnssec", "query-logging"], answers: ["zone": "public"]),
        CatalogRequest(
            text: "a private hosted zone with a health check", family: "route53", features: ["health-check"],
            answers: ["zone": "private"]),
        CatalogRequest(
            text: "an internal DNS zone with failover", family: "route53", features: ["health-check"],
            answers: ["zone": "private"]),
        CatalogRequest(
            text: "an ACM certificate for CloudFront with a wildcard and DNS validation", family: "acm",
            features: ["cloudfront", "wildcard", "dns-validation"]),
        CatalogRequest(
            text: "a TLS certificate validated in Route 53", family: "acm", features: ["dns-validation"]),
        CatalogRequest(
            text: "a Secrets Manager secret with rotation and a random password, replicated cross-region",
            family: "secrets-manager", features: ["rotation", "generated-password", "replicas"]),
        CatalogRequest(
            text: "a secret shared with another account", family: "secrets-manager", features: ["cross-account"]),
        CatalogRequest(
            text: "a Cognito user pool with optional MFA, a hosted UI and self sign-up", family: "cognito",
            features: ["mfa", "optional-mfa", "hosted-ui", "self-signup"]),
        CatalogRequest(
            text: "a user pool with a client secret and threat protection", family: "cognito",
            features: ["client-secret", "threat-protection"]),
        CatalogRequest(
            text: "a global web ACL with sqli, rate limiting and logging", family: "waf",
            features: ["sqli", "rate-limit", "logging"], answers: ["scope": "cloudfront"]),
        CatalogRequest(
            text: "a regional WAF with AWS managed rules, Log4j and an association", family: "waf",
            features: ["managed-rules", "association"], answers: ["scope": "regional"]),
    ]
}
