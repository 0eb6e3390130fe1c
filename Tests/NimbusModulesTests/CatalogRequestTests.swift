import Testing

@testable import NimbusModules

/// A request in people's words and what the grammar must read from it.
struct CatalogRequest: Sendable, CustomTestStringConvertible {
    let text: String
    let family: String
    let features: [String]
    var answers: [String: String] = [:]

    var testDescription: String { text }

    static let all: [CatalogRequest] = first + integration + data + edge

    static let first: [CatalogRequest] = [
        CatalogRequest(
            text: "an enterprise S3 bucket with replication and object lock", family: "s3",
            features: ["replication", "object-lock"]),
        CatalogRequest(
            text: "VPC with three AZs, NAT per AZ and flow logs", family: "vpc",
            features: ["three-azs", "nat-per-az", "flow-logs"]),
        CatalogRequest(text: "a VPC in 2 AZs with a NAT gateway", family: "vpc", features: ["two-azs", "nat"]),
        CatalogRequest(
            text: "an EC2 instance with a data volume and termination protection", family: "ec2",
            features: ["data-volume", "termination-protection"]),
        CatalogRequest(
            text: "an IAM role with an instance profile and a permissions boundary", family: "iam-role",
            features: ["instance-profile", "permissions-boundary"]),
        CatalogRequest(
            text: "a cross-account IAM role with least privilege", family: "iam-role",
            features: ["cross-account", "least-privilege"]),
        CatalogRequest(
            text: "a Lambda function in a VPC with X-Ray tracing, a DLQ and code signing", family: "lambda",
            features: ["vpc", "tracing", "dlq", "code-signing"]),
        CatalogRequest(
            text: "a FIFO SQS queue with a dead-letter queue", family: "sqs", features: ["fifo", "dlq"]),
        CatalogRequest(
            text: "an encrypted SNS topic with email subscriptions", family: "sns", features: ["encryption", "email"]),
        CatalogRequest(
            text: "a DynamoDB table with a sort key, TTL and streams", family: "dynamodb",
            features: ["sort-key", "ttl", "streams"]),
        CatalogRequest(
            text: "a DynamoDB global table", family: "dynamodb", features: ["global-table"]),
        CatalogRequest(
            text: "a multi-AZ postgres database with read replicas", family: "rds",
            features: ["multi-az", "read-replica"], answers: ["engine": "postgres"]),
        CatalogRequest(
            text: "a production MySQL RDS instance with backups", family: "rds", features: ["backups"],
            answers: ["engine": "mysql"]),
        CatalogRequest(
            text: "an ECS Fargate service behind a load balancer with autoscaling", family: "ecs-fargate",
            features: ["load-balancer", "autoscaling"]),
        CatalogRequest(
            text: "a private EKS cluster with pod identity and control plane logging", family: "eks",
            features: ["private-endpoint", "pod-identity", "control-plane-logging"]),
        CatalogRequest(
            text: "a Kubernetes cluster with a public endpoint", family: "eks", features: ["public-endpoint"]),
        CatalogRequest(
            text: "CloudFront static website on S3", family: "cloudfront-site", features: []),
        CatalogRequest(
            text: "a public website on S3 with WAF for a single page app", family: "cloudfront-site",
            features: ["public-website", "waf", "spa"]),
        CatalogRequest(text: "a KMS key for multi-region use", family: "kms", features: ["multi-region"]),
        CatalogRequest(
            text: "a public application load balancer with WAF", family: "alb", features: ["public", "waf"]),
        CatalogRequest(
            text: "CloudWatch alarms with email notifications", family: "cloudwatch-alarms",
            features: ["email", "notifications"]),
        CatalogRequest(
            text: "an encrypted EFS file system with an access point and backups", family: "efs",
            features: ["encryption", "access-point", "backups"]),
        CatalogRequest(
            text: "NFS shared storage with lifecycle to infrequent access", family: "efs", features: ["lifecycle"]),
    ]
}

@Suite("Catalog requests")
struct CatalogRequestTests {
    let analyzer = RequestAnalyzer()

    @Test(
        "a natural request selects its family and features and leaves no word unexplained",
        arguments: CatalogRequest.all)
    func natural(_ request: CatalogRequest) {
        let analysis = analyzer.analyse(request.text)
        #expect(analysis.family == request.family, "candidates: \(analysis.candidates)")
        #expect(analysis.features == request.features.sorted())
        #expect(analysis.answers == request.answers)
        #expect(analysis.unknownWords == [])
    }

    @Test("every family is asked for by a request")
    func everyFamilyCovered() {
        #expect(Set(CatalogRequest.all.map(\.family)) == Set(ModuleCatalog.standard.ids))
    }

    @Test("an unknown word is reported, not ignored")
    func unknownWord() {
        let analysis = analyzer.analyse("an S3 bucket with blockchain")
        #expect(analysis.family == "s3")
        #expect(analysis.unknownWords == ["blockchain"])
        #expect(analyzer.analyse("a postgres database with quantum sharding").unknownWords == ["quantum", "sharding"])
    }

    @Test("every keyword of every feature turns it on", arguments: ModuleCatalog.standard.families.map(\.id))
    func everyFeatureKeyword(_ familyID: String) throws {
        let family = try #require(ModuleCatalog.standard.family(familyID))
        // The family's longest keyword outweighs any other family's keyword among the feature's words.
        let name = try #require(family.keywords.max { $0.split(separator: " ").count < $1.split(separator: " ").count })
        for feature in family.features {
            for keyword in feature.keywords {
                let analysis = analyzer.analyse("\(name) with \(keyword)")
                #expect(analysis.family == family.id, "'\(name) with \(keyword)' chose \(analysis.candidates)")
                #expect(analysis.features.contains(feature.id), "'\(keyword)' did not turn on \(feature.id)")
                #expect(analysis.unknownWords == [], "'\(name) with \(keyword)'")
            }
        }
    }

    @Test("every keyword of every family selects it", arguments: ModuleCatalog.standard.families.map(\.id))
    func everyFamilyKeyword(_ familyID: String) throws {
        let family = try #require(ModuleCatalog.standard.family(familyID))
        for keyword in family.keywords {
            let analysis = analyzer.analyse("a \(keyword)")
            #expect(
                analysis.family == family.id,
                "'\(keyword)' chose \(analysis.family ?? "nothing") \(analysis.candidates)")
        }
    }
}

/// Requests that name several services, or a service and a part of it, and what they must come to.
@Suite("Composed requests")
struct ComposedRequestTests {
    let analyzer = RequestAnalyzer()

    @Test(
        "the requests users tried come to one module each, with the parts they named",
        arguments: [
            // A Lambda module always has its role and log group: one family, not a question.
            ("Lambda function with an IAM role, X-Ray tracing and a log group", ["lambda"]),
            ("ECS Fargate service behind an application load balancer", ["ecs-fargate", "alb"]),
            ("RDS database in a new VPC", ["rds", "vpc"]),
            ("a Lambda function in a VPC", ["lambda"]),
            ("iam-role module with cross-account", ["iam-role"]),
            ("an ecs-fargate service", ["ecs-fargate"]),
            ("a cloudfront-site module for production", ["cloudfront-site"]),
            ("cloudwatch-alarms with email", ["cloudwatch-alarms"]),
            ("s3 with kms, versioning, replication", ["s3"]),
            ("an S3 bucket and a DynamoDB table", ["s3", "dynamodb"]),
            ("an EKS cluster in its own VPC with a NAT gateway", ["eks", "vpc"]),
            ("S3 bucket with an SQS queue for its events", ["s3", "sqs"]),
            ("an S3 bucket whose events trigger a Lambda function", ["s3", "lambda"]),
            ("an S3 bucket with event notifications to an SNS topic", ["s3", "sns"]),
            ("API behind API Gateway and Lambda", ["api-gateway", "lambda"]),
            ("a WAF web ACL in front of a public application load balancer", ["waf", "alb"]),
            ("a postgres RDS database with its secret in Secrets Manager", ["rds"]),
            ("a Step Functions state machine with an IAM role and a KMS key", ["step-functions"]),
            ("an ECR repository encrypted with a KMS key", ["ecr"]),
            ("an Aurora PostgreSQL database", ["aurora"]),
            ("an Aurora cluster in a new VPC", ["aurora", "vpc"]),
            (
                "an ECS Fargate service with a Valkey cache and an Aurora MySQL database in a new VPC",
                ["ecs-fargate", "elasticache", "aurora", "vpc"]
            ),
            ("an ACM certificate validated in a new Route 53 hosted zone", ["acm", "route53"]),
            ("a Lambda function behind an HTTP API with a JWT authorizer", ["lambda", "api-gateway"]),
        ])
    func composed(_ request: String, _ parts: [String]) {
        let analysis = analyzer.analyse(request)
        #expect(analysis.parts.map(\.family) == parts, "candidates \(analysis.candidates)")
        #expect(analysis.candidates == [])
        #expect(analysis.unknownWords == [])
    }

    @Test("each part reads its own features; a feature word is never a family")
    func features() throws {
        let analysis = analyzer.analyse(
            "ECS Fargate service with autoscaling behind a public application load balancer")
        let ecs = try #require(analysis.parts.first { $0.family == "ecs-fargate" })
        let alb = try #require(analysis.parts.first { $0.family == "alb" })
        #expect(ecs.features.contains("autoscaling"))
        #expect(alb.features.contains("public"))
        let lambda = analyzer.analyse("a Lambda function in a VPC with code signing")
        #expect(lambda.parts.map(\.family) == ["lambda"])
        #expect(lambda.features.contains("vpc") && lambda.features.contains("code-signing"))
        let vpc = try #require(analyzer.analyse("an EKS cluster in its own VPC with a NAT gateway").parts.last)
        #expect(vpc.features.contains("nat"))
    }

    @Test("a choice between services is the one question about families")
    func choice() {
        let analysis = analyzer.analyse("a queue or a topic")
        #expect(analysis.parts.isEmpty)
        #expect(Set(analysis.candidates) == ["sqs", "sns"])
    }
}
