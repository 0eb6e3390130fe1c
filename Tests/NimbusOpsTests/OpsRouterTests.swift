import Foundation
import NimbusAgents
import Testing

@testable import NimbusCore
@testable import NimbusOps

/// The offline router as the pure function it is: tables of phrasings in, typed steps or a refusal out. No
/// emulator, no model.
@Suite("OpsRouter: a request's words to typed tool inputs, or a refusal")
struct OpsRouterTests {
    static let router = OpsRouter()

    /// One expected step: the tool and the arguments that must be among its arguments.
    struct Step: Sendable, CustomStringConvertible {
        var tool: String
        var arguments: [String: JSONValue]

        init(_ tool: String, _ arguments: [String: JSONValue] = [:]) {
            self.tool = tool
            self.arguments = arguments
        }

        var description: String { "\(tool) \(JSONValue.object(arguments).jsonText)" }
    }

    /// A request and the steps it must plan, in order.
    struct Case: Sendable, CustomTestStringConvertible {
        var request: String
        var steps: [Step]
        var counts = false

        init(_ request: String, _ steps: Step..., counts: Bool = false) {
            self.request = request
            self.steps = steps
            self.counts = counts
        }

        var testDescription: String { request }
    }

    static func plan(_ request: String) -> RoutedRequest? {
        if case .plan(let routed) = router.route(request) { return routed }
        return nil
    }

    static func refusal(_ request: String) -> String? {
        if case .unsupported(let message) = router.route(request) { return message }
        return nil
    }

    /// The planned steps that would read nothing but change something, judged by the registry: the access the
    /// step's input needs, or the tool's most when the input refers to an earlier step's result.
    static func changingSteps(_ outcome: RouteOutcome) -> [PlannedStep] {
        guard case .plan(let routed) = outcome else { return [] }
        return routed.steps.filter { step in
            if let call = try? OpsTools.registry.prepare(step.tool, arguments: step.arguments) {
                return call.access != .read
            }
            return OpsTools.registry.tool(named: step.tool).map { $0.access != .read } ?? true
        }
    }

    static func matches(_ routed: RoutedRequest, _ expected: [Step]) -> Bool {
        guard routed.steps.count == expected.count else { return false }
        return zip(routed.steps, expected).allSatisfy { step, want in
            step.tool == want.tool && want.arguments.allSatisfy { step.arguments[$0.key] == $0.value }
        }
    }

    // MARK: (a) Supported phrasings

    static let ref1: JSONValue = ["$from": 1, "path": "instance_ids"]
    static let i0 = "i-0123456789abcdef0"
    static let i1 = "i-0123456789abcdef1"

    static let reads: [Case] = [
        // S3 buckets
        Case("list all S3 buckets", Step("s3.list_buckets")),
        Case("list buckets", Step("s3.list_buckets")),
        Case("show my buckets", Step("s3.list_buckets")),
        Case("what buckets do I have?", Step("s3.list_buckets")),
        Case("which buckets exist", Step("s3.list_buckets")),
        Case("are there any buckets?", Step("s3.list_buckets")),
        Case("can you list my buckets?", Step("s3.list_buckets")),
        Case("ls buckets", Step("s3.list_buckets")),
        Case("LIST ALL S3 BUCKETS", Step("s3.list_buckets")),
        Case("list buckets with tags", Step("s3.list_buckets", ["include_tags": true])),
        Case("list all buckets with their tags", Step("s3.list_buckets", ["include_tags": true])),
        Case("list the S3 buckets including tags", Step("s3.list_buckets", ["include_tags": true])),
        Case("how many buckets do I have", Step("s3.list_buckets"), counts: true),
        Case("count buckets", Step("s3.list_buckets"), counts: true),
        // S3 objects
        Case(
            "list objects in bucket logs-b under logs/",
            Step("s3.list_objects", ["bucket": "logs-b", "prefix": "logs/"])),
        Case("list objects in bucket logs-b", Step("s3.list_objects", ["bucket": "logs-b"])),
        Case(
            "list the objects in bucket logs-b under logs/",
            Step("s3.list_objects", ["bucket": "logs-b", "prefix": "logs/"])),
        Case(
            "list files in bucket logs-b with prefix 2026/",
            Step("s3.list_objects", ["bucket": "logs-b", "prefix": "2026/"])),
        Case("list objects in logs-b", Step("s3.list_objects", ["bucket": "logs-b"])),
        Case("list first 10 objects in bucket logs-b", Step("s3.list_objects", ["bucket": "logs-b", "max_keys": 10])),
        Case("list objects in bucket logs-b limit 5", Step("s3.list_objects", ["bucket": "logs-b", "max_keys": 5])),
        Case("list folders in bucket logs-b", Step("s3.list_objects", ["bucket": "logs-b", "recursive": false])),
        Case(
            "list top level objects in bucket logs-b",
            Step("s3.list_objects", ["bucket": "logs-b", "recursive": false])),
        Case("what's in bucket logs-b", Step("s3.list_objects", ["bucket": "logs-b"])),
        Case("show bucket logs-b", Step("s3.list_objects", ["bucket": "logs-b"])),
        Case("list the logs-b bucket", Step("s3.list_objects", ["bucket": "logs-b"])),
        Case("count objects in bucket logs-b", Step("s3.list_objects", ["bucket": "logs-b"]), counts: true),
        Case("how many objects are in bucket logs-b", Step("s3.list_objects", ["bucket": "logs-b"]), counts: true),
        Case("how many objects are in bucket run-logs?", Step("s3.list_objects", ["bucket": "run-logs"]), counts: true),
        Case(
            "how many files are in s3://logs-b/2026/",
            Step("s3.list_objects", ["bucket": "logs-b", "prefix": "2026/"]), counts: true),
        Case("list s3://logs-b/", Step("s3.list_objects", ["bucket": "logs-b"])),
        Case("list s3://logs-b/logs/", Step("s3.list_objects", ["bucket": "logs-b", "prefix": "logs/"])),
        Case("ls s3://logs-b/2026/", Step("s3.list_objects", ["bucket": "logs-b", "prefix": "2026/"])),
        Case("list s3://logs-b", Step("s3.list_objects", ["bucket": "logs-b"])),
        Case("show s3://logs-b/2026/", Step("s3.list_objects", ["bucket": "logs-b", "prefix": "2026/"])),
        Case("what is in s3://logs-b/2026/?", Step("s3.list_objects", ["bucket": "logs-b", "prefix": "2026/"])),
        Case("list objects in bucket keep", Step("s3.list_objects", ["bucket": "keep"])),
        Case("show s3://logs-b/keep.txt", Step("s3.object_info", ["uri": "s3://logs-b/keep.txt"])),
        Case("show the size of s3://logs-b/a.txt", Step("s3.object_info", ["uri": "s3://logs-b/a.txt"])),
        Case("describe s3://logs-b/a.txt", Step("s3.object_info", ["uri": "s3://logs-b/a.txt"])),
        Case("get details of s3://logs-b/a.txt", Step("s3.object_info", ["uri": "s3://logs-b/a.txt"])),
        Case("show metadata for s3://logs-b/a.txt", Step("s3.object_info", ["uri": "s3://logs-b/a.txt"])),
        Case("show object a.txt in bucket logs-b", Step("s3.object_info", ["uri": "s3://logs-b/a.txt"])),
        Case(
            "show s3://a-b/x.txt and s3://a-b/y.txt", Step("s3.object_info", ["uri": "s3://a-b/x.txt"]),
            Step("s3.object_info", ["uri": "s3://a-b/y.txt"])),
        // EC2
        Case("list instances", Step("ec2.describe_instances")),
        Case("list ec2 instances", Step("ec2.describe_instances")),
        Case("list servers", Step("ec2.describe_instances")),
        Case("show running instances", Step("ec2.describe_instances", ["states": ["running"]])),
        Case("which instances are running?", Step("ec2.describe_instances", ["states": ["running"]])),
        Case("list instances tagged env=dev", Step("ec2.describe_instances", ["tags": ["env": "dev"]])),
        Case(
            "list stopped instances tagged env=dev",
            Step("ec2.describe_instances", ["states": ["stopped"], "tags": ["env": "dev"]])),
        Case(
            "list instances tagged env=dev team=web",
            Step("ec2.describe_instances", ["tags": ["env": "dev", "team": "web"]])),
        Case(
            "list instances tagged env=dev and team=web",
            Step("ec2.describe_instances", ["tags": ["env": "dev", "team": "web"]])),
        Case("list instances with tag env=dev", Step("ec2.describe_instances", ["tags": ["env": "dev"]])),
        Case("show instance \(i0)", Step("ec2.describe_instances", ["instance_ids": [.string(i0)]])),
        Case("describe \(i0)", Step("ec2.describe_instances", ["instance_ids": [.string(i0)]])),
        Case(
            "list instances in vpc-0123456789abcdef0",
            Step("ec2.describe_instances", ["filters": ["vpc-id": ["vpc-0123456789abcdef0"]]])),
        Case("list vpcs", Step("ec2.describe_vpcs")),
        Case(
            "list vpcs, subnets and security groups", Step("ec2.describe_vpcs"), Step("ec2.describe_subnets"),
            Step("ec2.describe_security_groups")),
        Case("list networks", Step("ec2.describe_vpcs")),
        Case("show vpc vpc-0123456789abcdef0", Step("ec2.describe_vpcs", ["vpc_ids": ["vpc-0123456789abcdef0"]])),
        Case("list subnets", Step("ec2.describe_subnets")),
        Case(
            "list subnets in vpc-0123456789abcdef0", Step("ec2.describe_subnets", ["vpc_id": "vpc-0123456789abcdef0"])),
        Case(
            "list subnets of vpc vpc-0123456789abcdef0",
            Step("ec2.describe_subnets", ["vpc_id": "vpc-0123456789abcdef0"])),
        Case("list security groups", Step("ec2.describe_security_groups")),
        Case(
            "list sgs in vpc-0123456789abcdef0",
            Step("ec2.describe_security_groups", ["vpc_id": "vpc-0123456789abcdef0"])),
        Case(
            "show security group sg-0123456789abcdef0",
            Step("ec2.describe_security_groups", ["group_ids": ["sg-0123456789abcdef0"]])),
        // Lambda, IAM
        Case("list functions", Step("lambda.list_functions")),
        Case("list lambda functions", Step("lambda.list_functions")),
        Case("list lambdas", Step("lambda.list_functions")),
        Case("show function f1", Step("lambda.get_configuration", ["function": "f1"])),
        Case("describe lambda f1", Step("lambda.get_configuration", ["function": "f1"])),
        Case("show the configuration of function f1", Step("lambda.get_configuration", ["function": "f1"])),
        Case("list users", Step("iam.list_users")),
        Case("list iam users", Step("iam.list_users")),
        Case("list roles", Step("iam.list_roles")),
        Case("list policies of role r1", Step("iam.list_attached_policies", ["role": "r1"])),
        Case("list attached policies of role r1", Step("iam.list_attached_policies", ["role": "r1"])),
        Case("list policies for user u1", Step("iam.list_attached_policies", ["user": "u1"])),
        Case("show policy r1-read", Step("iam.get_policy_document", ["policy": "r1-read"])),
        Case("show policy p1 of role r1", Step("iam.get_policy_document", ["policy": "p1", "role": "r1"])),
        Case(
            "show policy arn:aws:iam::123456789012:policy/p1",
            Step("iam.get_policy_document", ["policy": "arn:aws:iam::123456789012:policy/p1"])),
        // DynamoDB
        Case("list tables", Step("dynamodb.list_tables")),
        Case("list dynamodb tables", Step("dynamodb.list_tables")),
        Case("how many tables", Step("dynamodb.list_tables"), counts: true),
        Case("describe table t1", Step("dynamodb.describe_table", ["table": "t1"])),
        Case("show table t1", Step("dynamodb.describe_table", ["table": "t1"])),
        Case("get item id=42 from table t1", Step("dynamodb.get_item", ["table": "t1", "key": ["id": 42]])),
        Case(
            "get item id=42 sk=a from table t1",
            Step("dynamodb.get_item", ["table": "t1", "key": ["id": 42, "sk": "a"]])),
        Case("get record id=abc from table t1", Step("dynamodb.get_item", ["table": "t1", "key": ["id": "abc"]])),
        Case("query table t1 for id=42", Step("dynamodb.query", ["table": "t1", "partition_key": 42])),
        Case(
            "query table t1 for id=42 limit 10",
            Step("dynamodb.query", ["table": "t1", "partition_key": 42, "limit": 10])),
        Case("list items in table t1 where id=42", Step("dynamodb.query", ["table": "t1", "partition_key": 42])),
        Case("scan table t1", Step("dynamodb.scan", ["table": "t1"])),
        Case("scan table t1 limit 20", Step("dynamodb.scan", ["table": "t1", "limit": 20])),
        Case("list items in table t1", Step("dynamodb.scan", ["table": "t1"])),
        Case("count items in table t1", Step("dynamodb.scan", ["table": "t1"]), counts: true),
        // CloudFormation, Logs, SQS, STS
        Case("list stacks", Step("cloudformation.list_stacks")),
        Case("list cloudformation stacks", Step("cloudformation.list_stacks")),
        Case("show stack s1", Step("cloudformation.list_stack_resources", ["stack": "s1"])),
        Case("list resources of stack s1", Step("cloudformation.list_stack_resources", ["stack": "s1"])),
        Case("list the resources in stack s1", Step("cloudformation.list_stack_resources", ["stack": "s1"])),
        Case("show logs of group g1", Step("logs.recent_events", ["group": "g1"])),
        Case(
            "show logs of group g1 for the last 30 minutes", Step("logs.recent_events", ["group": "g1", "minutes": 30])),
        Case(
            "show logs for group /aws/lambda/f1 from the last hour",
            Step("logs.recent_events", ["group": "/aws/lambda/f1", "minutes": 60])),
        Case("show the last 50 log events of group g1", Step("logs.recent_events", ["group": "g1", "limit": 50])),
        Case(
            "show logs of group g1 for the past 2 hours matching ERROR",
            Step("logs.recent_events", ["group": "g1", "minutes": 120, "filter": "ERROR"])),
        Case(
            "show logs of group g1 containing \"timeout error\"",
            Step("logs.recent_events", ["group": "g1", "filter": "timeout error"])),
        Case("show recent logs of group g1 limit 20", Step("logs.recent_events", ["group": "g1", "limit": 20])),
        Case("list log groups", Step("aws.call", ["service": "logs", "operation": "DescribeLogGroups"])),
        Case("list queues", Step("sqs.list_queues")),
        Case("list sqs queues with prefix jobs", Step("sqs.list_queues", ["prefix": "jobs"])),
        Case("whoami", Step("sts.get_caller_identity")),
        Case("who am i", Step("sts.get_caller_identity")),
        Case("show my identity", Step("sts.get_caller_identity")),
        Case("show caller identity", Step("sts.get_caller_identity")),
        Case(
            "call s3 ListBuckets {}",
            Step("aws.call", ["service": "s3", "operation": "ListBuckets", "parameters": [:]])),
        Case("call s3 ListBuckets", Step("aws.call", ["service": "s3", "operation": "ListBuckets"])),
        Case("aws s3 ListBuckets", Step("aws.call", ["service": "s3", "operation": "ListBuckets"])),
        Case("call sts GetCallerIdentity", Step("aws.call", ["service": "sts", "operation": "GetCallerIdentity"])),
    ]

    static let changes: [Case] = [
        // Transfers
        Case(
            "upload ./data to s3://b-1/2026/", Step("s3.upload", ["source": "./data", "destination": "s3://b-1/2026/"])),
        Case("upload ./data to s3://b-1", Step("s3.upload", ["source": "./data", "destination": "s3://b-1/"])),
        Case(
            "upload ./a.txt into s3://b-1/docs/",
            Step("s3.upload", ["source": "./a.txt", "destination": "s3://b-1/docs/"])),
        Case(
            "put ./a.txt in s3://b-1/docs/", Step("s3.upload", ["source": "./a.txt", "destination": "s3://b-1/docs/"])),
        Case(
            "upload ./a.txt ./b.txt to s3://b-1/docs/", Step("s3.upload", ["source": "./a.txt"]),
            Step("s3.upload", ["source": "./b.txt"])),
        Case("upload ./site to bucket b-1", Step("s3.upload", ["source": "./site", "destination": "s3://b-1/"])),
        Case("please upload ./data to s3://b-1/2026/", Step("s3.upload", ["source": "./data"])),
        Case("upload ./data to s3://b-1/2026/, thanks", Step("s3.upload", ["source": "./data"])),
        Case(
            "download s3://b-1/2026/a.txt to ./back/a.txt",
            Step("s3.download", ["source": "s3://b-1/2026/a.txt", "destination": "./back/a.txt"])),
        Case("download s3://b-1/k.txt", Step("s3.download", ["source": "s3://b-1/k.txt"])),
        Case(
            "download s3://b-1/dir/ into ./dir",
            Step("s3.download", ["source": "s3://b-1/dir/", "destination": "./dir"])),
        Case(
            "fetch s3://b-1/k.txt to ./k.txt",
            Step("s3.download", ["source": "s3://b-1/k.txt", "destination": "./k.txt"])),
        Case("save s3://b-1/k.txt to ./k.txt", Step("s3.download", ["destination": "./k.txt"])),
        Case("copy s3://a-1/k to s3://b-1/k", Step("s3.copy", ["source": "s3://a-1/k", "destination": "s3://b-1/k"])),
        Case("cp s3://a-1/k s3://b-1/k", Step("s3.copy", ["source": "s3://a-1/k", "destination": "s3://b-1/k"])),
        Case("copy s3://a-1/dir/ to s3://b-1/dir/", Step("s3.copy", ["source": "s3://a-1/dir/"])),
        Case(
            "copy ./a.txt to s3://b-1/a.txt", Step("s3.upload", ["source": "./a.txt", "destination": "s3://b-1/a.txt"])),
        Case("copy s3://a-1/k to ./k", Step("s3.download", ["source": "s3://a-1/k", "destination": "./k"])),
        Case("copy s3://a-1/k to bucket b-1", Step("s3.copy", ["source": "s3://a-1/k", "destination": "s3://b-1/"])),
        Case(
            "move s3://a-1/k to s3://b-1/k", Step("s3.copy", ["source": "s3://a-1/k", "destination": "s3://b-1/k"]),
            Step("s3.delete_objects", ["bucket": "a-1", "keys": ["k"]])),
        Case(
            "mv s3://a-1/dir/ s3://b-1/dir/", Step("s3.copy", ["source": "s3://a-1/dir/"]),
            Step("s3.delete_objects", ["bucket": "a-1", "prefix": "dir/"])),
        Case(
            "move s3://a-1/k.txt to s3://a-1/archive/", Step("s3.copy", ["destination": "s3://a-1/archive/"]),
            Step("s3.delete_objects", ["bucket": "a-1", "keys": ["k.txt"]])),
        Case(
            "rename s3://b-1/old.txt to s3://b-1/new.txt", Step("s3.copy", ["destination": "s3://b-1/new.txt"]),
            Step("s3.delete_objects", ["keys": ["old.txt"]])),
        Case(
            "rename s3://b-1/dir/old.txt to new.txt", Step("s3.copy", ["destination": "s3://b-1/dir/new.txt"]),
            Step("s3.delete_objects", ["bucket": "b-1", "keys": ["dir/old.txt"]])),
        Case(
            "rename s3://b-1/dir/old.txt as new.txt", Step("s3.copy", ["destination": "s3://b-1/dir/new.txt"]),
            Step("s3.delete_objects", ["keys": ["dir/old.txt"]])),
        Case(
            "sync ./site to s3://b-1/site/",
            Step("s3.upload", ["source": "./site", "destination": "s3://b-1/site/", "sync": true])),
        Case("sync ./data to s3://b-1/data/", Step("s3.upload", ["sync": true])),
        Case(
            "sync s3://b-1/site/ to ./site",
            Step("s3.download", ["source": "s3://b-1/site/", "destination": "./site", "sync": true])),
        Case("sync ./site s3://b-1/site/", Step("s3.upload", ["sync": true])),
        Case("mirror ./site to s3://b-1/site/", Step("s3.upload", ["sync": true])),
        // Buckets and objects
        Case("create bucket b-new", Step("s3.create_bucket", ["bucket": "b-new"])),
        Case("create a bucket called b-new", Step("s3.create_bucket", ["bucket": "b-new"])),
        Case("create bucket b-new in eu-west-1", Step("s3.create_bucket", ["bucket": "b-new", "region": "eu-west-1"])),
        Case(
            "create a new bucket named b-new in eu-west-1",
            Step("s3.create_bucket", ["bucket": "b-new", "region": "eu-west-1"])),
        Case("make bucket b-new", Step("s3.create_bucket", ["bucket": "b-new"])),
        Case("mb s3://b-new", Step("s3.create_bucket", ["bucket": "b-new"])),
        Case("delete s3://b-1/keep.txt", Step("s3.delete_objects", ["bucket": "b-1", "keys": ["keep.txt"]])),
        Case(
            "delete s3://b-1/a.txt s3://b-1/b.txt s3://c-1/c.txt",
            Step("s3.delete_objects", ["bucket": "b-1", "keys": ["a.txt", "b.txt"]]),
            Step("s3.delete_objects", ["bucket": "c-1", "keys": ["c.txt"]])),
        Case("delete s3://b-1/a.txt and s3://b-1/b.txt", Step("s3.delete_objects", ["keys": ["a.txt", "b.txt"]])),
        Case("remove s3://b-1/k.txt", Step("s3.delete_objects", ["bucket": "b-1", "keys": ["k.txt"]])),
        Case("rm s3://b-1/k.txt", Step("s3.delete_objects", ["keys": ["k.txt"]])),
        Case(
            "delete everything under s3://b-1/logs/", Step("s3.delete_objects", ["bucket": "b-1", "prefix": "logs/"])),
        Case("delete all objects under s3://b-1/logs/", Step("s3.delete_objects", ["prefix": "logs/"])),
        Case("delete s3://b-1/logs/", Step("s3.delete_objects", ["prefix": "logs/"])),
        Case("delete everything in s3://b-1/", Step("s3.delete_objects", ["bucket": "b-1", "prefix": ""])),
        Case("empty bucket b-1", Step("s3.delete_objects", ["bucket": "b-1", "prefix": ""])),
        Case("delete all objects in bucket b-1", Step("s3.delete_objects", ["bucket": "b-1", "prefix": ""])),
        Case("delete the contents of bucket b-1", Step("s3.delete_objects", ["bucket": "b-1", "prefix": ""])),
        Case(
            "delete everything under logs/ in bucket b-1",
            Step("s3.delete_objects", ["bucket": "b-1", "prefix": "logs/"])),
        Case("delete bucket b-1", Step("s3.delete_bucket", ["bucket": "b-1"])),
        Case("remove the bucket b-1", Step("s3.delete_bucket", ["bucket": "b-1"])),
        Case("delete the b-1 bucket", Step("s3.delete_bucket", ["bucket": "b-1"])),
        Case("delete bucket s3://b-1", Step("s3.delete_bucket", ["bucket": "b-1"])),
        Case("delete bucket my.bucket.name", Step("s3.delete_bucket", ["bucket": "my.bucket.name"])),
        Case("delete keep.txt from bucket b-1", Step("s3.delete_objects", ["bucket": "b-1", "keys": ["keep.txt"]])),
        Case("delete files a.txt b.txt from bucket b-1", Step("s3.delete_objects", ["keys": ["a.txt", "b.txt"]])),
        Case("delete object README from bucket b-1", Step("s3.delete_objects", ["bucket": "b-1", "keys": ["README"]])),
        // Presigned URLs
        Case(
            "presign s3://b-1/keep.txt for 2 hours",
            Step("s3.presign", ["uri": "s3://b-1/keep.txt", "expires_seconds": 7200])),
        Case("presign s3://b-1/k.txt", Step("s3.presign", ["uri": "s3://b-1/k.txt"])),
        Case("presign s3://b-1/k.txt for 15m", Step("s3.presign", ["expires_seconds": 900])),
        Case(
            "give me a download link for s3://b-1/k.txt valid 10 minutes",
            Step("s3.presign", ["uri": "s3://b-1/k.txt", "expires_seconds": 600])),
        Case(
            "give me a link to s3://b-1/k.txt that expires in 3 days", Step("s3.presign", ["expires_seconds": 259_200])),
        Case(
            "share s3://b-1/k.txt for 2 days",
            Step("s3.presign", ["uri": "s3://b-1/k.txt", "expires_seconds": 172_800])),
        Case("share s3://b-1/k.txt for a week", Step("s3.presign", ["expires_seconds": 604_800])),
        Case("presigned url for s3://b-1/k.txt expiring in 1 hour", Step("s3.presign", ["expires_seconds": 3600])),
        Case(
            "generate a presigned upload url for s3://b-1/k.txt valid for 15 minutes",
            Step("s3.presign", ["method": "put", "expires_seconds": 900])),
        Case("create a presigned url for s3://b-1/k.txt", Step("s3.presign", ["uri": "s3://b-1/k.txt"])),
        Case(
            "make a pre-signed link for s3://b-1/k.txt lasting one hour", Step("s3.presign", ["expires_seconds": 3600])),
        Case("give me an upload link for s3://b-1/in/k.txt", Step("s3.presign", ["method": "put"])),
        // EC2
        Case("stop instance \(i0)", Step("ec2.stop_instances", ["instance_ids": [.string(i0)]])),
        Case("stop \(i0) \(i1)", Step("ec2.stop_instances", ["instance_ids": [.string(i0), .string(i1)]])),
        Case(
            "stop instance \(i0) and \(i1)", Step("ec2.stop_instances", ["instance_ids": [.string(i0), .string(i1)]])),
        Case(
            "stop the instances tagged env=dev",
            Step("ec2.describe_instances", ["tags": ["env": "dev"], "states": ["running", "pending"]]),
            Step("ec2.stop_instances", ["instance_ids": ref1])),
        Case(
            "stop all instances tagged env=dev and team=web",
            Step("ec2.describe_instances", ["tags": ["env": "dev", "team": "web"]]),
            Step("ec2.stop_instances", ["instance_ids": ref1])),
        Case(
            "stop all instances", Step("ec2.describe_instances", ["states": ["running", "pending"]]),
            Step("ec2.stop_instances", ["instance_ids": ref1])),
        Case(
            "halt the servers tagged env=dev", Step("ec2.describe_instances", ["tags": ["env": "dev"]]),
            Step("ec2.stop_instances")),
        Case("shutdown instance \(i0)", Step("ec2.stop_instances", ["instance_ids": [.string(i0)]])),
        Case("start instance \(i0)", Step("ec2.start_instances", ["instance_ids": [.string(i0)]])),
        Case("boot instance \(i0)", Step("ec2.start_instances", ["instance_ids": [.string(i0)]])),
        Case(
            "start the instances tagged env=dev",
            Step("ec2.describe_instances", ["tags": ["env": "dev"], "states": ["stopped"]]),
            Step("ec2.start_instances", ["instance_ids": ref1])),
        Case("terminate instance \(i0)", Step("ec2.terminate_instances", ["instance_ids": [.string(i0)]])),
        Case("terminate \(i0) please", Step("ec2.terminate_instances", ["instance_ids": [.string(i0)]])),
        Case(
            "terminate the instances tagged env=dev",
            Step(
                "ec2.describe_instances",
                ["tags": ["env": "dev"], "states": ["running", "pending", "stopping", "stopped"]]),
            Step("ec2.terminate_instances", ["instance_ids": ref1])),
        // Lambda and any API
        Case("invoke function f1", Step("lambda.invoke", ["function": "f1"])),
        Case("invoke f1", Step("lambda.invoke", ["function": "f1"])),
        Case("invoke function f1 with {\"a\": 1}", Step("lambda.invoke", ["function": "f1", "payload": ["a": 1]])),
        Case(
            "run function f1 with payload {\"a\": 1}", Step("lambda.invoke", ["function": "f1", "payload": ["a": 1]])),
        Case("trigger lambda f1", Step("lambda.invoke", ["function": "f1"])),
        Case("call function f1", Step("lambda.invoke", ["function": "f1"])),
        Case(
            #"call secretsmanager CreateSecret {"Name": "n", "SecretString": "s"}"#,
            Step("aws.call", ["service": "secretsmanager", "operation": "CreateSecret"])),
        // Several steps
        Case(
            "create bucket b-site and upload ./site to it", Step("s3.create_bucket", ["bucket": "b-site"]),
            Step("s3.upload", ["source": "./site", "destination": "s3://b-site/"])),
        Case(
            "create bucket b-site then upload ./site there", Step("s3.create_bucket", ["bucket": "b-site"]),
            Step("s3.upload", ["destination": "s3://b-site/"])),
        Case(
            "delete bucket aa-1 and bb-1", Step("s3.delete_bucket", ["bucket": "aa-1"]),
            Step("s3.delete_bucket", ["bucket": "bb-1"])),
    ]

    @Test("every supported phrasing plans exactly its tools and arguments", arguments: reads + changes)
    func supported(_ example: Case) throws {
        let outcome = Self.router.route(example.request)
        guard case .plan(let routed) = outcome else {
            Issue.record("refused: \(outcome)")
            return
        }
        #expect(
            Self.matches(routed, example.steps),
            "planned \(routed.steps.map { "\($0.tool) \($0.arguments.jsonText)" }), wanted \(example.steps)")
        #expect(routed.counts == example.counts)
    }

    @Test("the table holds at least 150 phrasings")
    func enoughPhrasings() {
        #expect(Self.reads.count + Self.changes.count >= 150)
    }

    @Test("reads plan only reads; changes plan a write or delete, or a presigned URL: the tables are what they say")
    func tableAccess() {
        for example in Self.reads {
            #expect(Self.changingSteps(Self.router.route(example.request)).isEmpty, "\(example.request)")
        }
        for example in Self.changes {
            let outcome = Self.router.route(example.request)
            let presigns = Self.plan(example.request)?.steps.allSatisfy { $0.tool == S3Presign().name } == true
            #expect(presigns || !Self.changingSteps(outcome).isEmpty, "\(example.request)")
        }
    }

    @Test("profiles and regions are read at the request level and leave nothing behind")
    func profileAndRegion() throws {
        let routed = try #require(Self.plan("list buckets using profile dev in region eu-west-1"))
        #expect(routed.profile == "dev")
        #expect(routed.region == "eu-west-1")
        let flags = try #require(Self.plan("list instances --region eu-west-1 --profile prod"))
        #expect(flags.profile == "prod" && flags.region == "eu-west-1")
        #expect(Self.plan("list buckets with profile dev")?.profile == "dev")
        #expect(OpsRouter.target(of: "delete bucket x with profile ops in us-west-2") == ("ops", "us-west-2"))
        let two = try #require(Self.refusal("list buckets in us-east-1 and delete bucket xx-1 in eu-west-1"))
        #expect(two.contains("2 regions"))
    }

    @Test("steps come from typed inputs: every planned step passes the registry, and a move's deletion asks")
    func typedSteps() throws {
        for example in Self.reads + Self.changes {
            for step in Self.plan(example.request)?.steps ?? [] where step.references.isEmpty {
                #expect(
                    (try? OpsTools.registry.prepare(step.tool, arguments: step.arguments)) != nil,
                    "\(example.request): \(step.tool)")
            }
        }
        let move = try #require(Self.plan("move s3://a-1/k to s3://b-1/k"))
        let delete = try OpsTools.registry.prepare(move.steps[1].tool, arguments: move.steps[1].arguments)
        #expect(delete.access == .delete)
        let terminate = try #require(Self.plan("terminate instance \(Self.i0)"))
        let call = try OpsTools.registry.prepare(terminate.steps[0].tool, arguments: terminate.steps[0].arguments)
        #expect(call.access == .delete && call.actions == ["ec2:TerminateInstances"])
        let sync = try #require(Self.plan("sync ./site to s3://b-1/site/"))
        let upload = try OpsTools.registry.prepare(sync.steps[0].tool, arguments: sync.steps[0].arguments)
        #expect(upload.summary == "sync ./site to s3://b-1/site/")
    }

    // MARK: (b) Negated, questioned and conditioned changes

    /// A request and the verb the refusal must name.
    struct Refused: Sendable, CustomTestStringConvertible {
        var request: String
        var verb: String
        init(_ request: String, _ verb: String = "delete") {
            self.request = request
            self.verb = verb
        }
        var testDescription: String { request }
    }

    static let negated: [Refused] = [
        // Negations, however written
        Refused("don't delete s3://victim/keep/important.txt"),
        Refused("dont delete s3://b-1/k"),
        Refused("do not delete s3://b-1/k"),
        Refused("do n't delete s3://b-1/k"),
        Refused("DO NOT DELETE s3://b-1/k"),
        Refused("Don\u{2019}t delete s3://b-1/k"),
        Refused("Don\u{2018}t delete s3://b-1/k"),
        Refused("don`t delete s3://b-1/k"),
        Refused("don\u{00B4}t delete s3://b-1/k"),
        Refused("dOn'T dElEtE s3://b-1/k"),
        Refused("\u{FF44}\u{FF4F}\u{FF4E}'\u{FF54} delete s3://b-1/k"),
        Refused("do\u{200B} not delete s3://b-1/k"),
        Refused("do\u{200B}not delete s3://b-1/k"),
        Refused("n\u{043E}t delete s3://b-1/k"),
        Refused("delete bucket n\u{043E}t"),
        Refused("delete s3://b-1/k,don't"),
        Refused("delete s3://b-1/k?no"),
        Refused("delete s3://b-1/k!never"),
        Refused("delete s3://b-1/k\u{0007}not"),
        Refused("don\u{00AD}'t delete s3://b-1/k"),
        Refused("don't-delete s3://b-1/k"),
        Refused("DON'T-DELETE s3://b-1/k"),
        Refused("don't_delete s3://b-1/k"),
        Refused("do-not-delete s3://b-1/k"),
        Refused("never delete s3://b-1/k"),
        Refused("Never, ever delete s3://b-1/k"),
        Refused("not delete s3://b-1/k"),
        Refused("delete s3://b-1/k not"),
        Refused("no delete s3://b-1/k"),
        Refused("delete nothing in s3://b-1/"),
        Refused("delete none of s3://b-1/x/"),
        Refused("remove none of the files in s3://b-1/x/"),
        Refused("remove nothing from bucket victim-1"),
        Refused("please do not delete anything in s3://b-1/keep/"),
        Refused("nobody should delete s3://b-1/k"),
        Refused("neither delete s3://b-1/k nor s3://b-1/j"),
        Refused("delete s3://b-1/k without asking"),
        Refused("avoid deleting s3://b-1/k"),
        Refused("refrain from deleting s3://b-1/k"),
        Refused("stop deleting s3://b-1/k"),
        Refused("cancel the delete of s3://b-1/k"),
        Refused("under no circumstances delete s3://b-1/k"),
        Refused("I don't want to delete s3://b-1/k"),
        Refused("make sure not to delete s3://b-1/k"),
        Refused("keep s3://b-1/k and delete s3://b-1/j"),
        Refused("delete everything in s3://b-1/ but keep s3://b-1/k"),
        Refused("no deleting s3://b-1/k"),
        Refused("it isn't ok to delete s3://b-1/k"),
        Refused("you shouldn't delete s3://b-1/k"),
        Refused("you mustn't delete s3://b-1/k"),
        Refused("you can't delete s3://b-1/k"),
        Refused("I won't delete s3://b-1/k"),
        Refused("delete s3://b-1/k, just kidding"),
        Refused("delete s3://b-1/k \"not\""),
        Refused("\"don't\" delete s3://b-1/k"),
        Refused("delete s3://b-1/k!!! ...not"),
        Refused("delete s3://b-1/k wait no"),
        Refused("delete s3://b-1/k. nevermind"),
        Refused("delete s3://b-1/k, never mind"),
        Refused("delete s3://b-1/k \u{2014} no"),
        Refused("delete bucket b-1 or not"),
        Refused("delete bucket dont"),
        Refused("list buckets and don't delete bucket b-1"),
        Refused("list objects in bucket dont and delete s3://b-1/k"),
        // Questions
        Refused("delete s3://b-1/k?"),
        Refused("should I delete s3://b-1/k"),
        Refused("should I delete s3://b-1/k?"),
        Refused("can you delete s3://b-1/k"),
        Refused("could you delete s3://b-1/k"),
        Refused("would you delete s3://b-1/k"),
        Refused("is it safe to delete s3://b-1/k"),
        Refused("what happens if I delete s3://b-1/k"),
        Refused("what if I delete s3://b-1/k"),
        Refused("how do I delete s3://b-1/k"),
        Refused("delete s3://b-1/k \u{00BF}"),
        Refused("\u{00BF}delete s3://b-1/k?"),
        Refused("delete s3://b-1/k\u{FF1F}"),
        Refused("--plan should I delete bucket b-1"),
        // Conditions
        Refused("if s3://b-1/k exists delete it"),
        Refused("delete s3://b-1/k if it is old"),
        Refused("delete s3://b-1/k unless it is new"),
        Refused("when it's done delete s3://b-1/k"),
        Refused("whenever you can, delete s3://b-1/k"),
        Refused("once the copy ends delete s3://b-1/k"),
        Refused("delete s3://b-1/k after the backup"),
        Refused("before anything delete s3://b-1/k"),
        Refused("in case it exists delete s3://b-1/k"),
        Refused("only if needed delete s3://b-1/k"),
        Refused("delete s3://b-1/k provided that it is old"),
        Refused("assuming it is old delete s3://b-1/k"),
        Refused("delete s3://b-1/k as long as it is old"),
        Refused("delete s3://b-1/k maybe"),
        Refused("perhaps delete s3://b-1/k"),
        Refused("hypothetically, delete s3://b-1/k"),
        Refused("delete s3://b-1/k later"),
        Refused("list buckets || delete bucket b-1"),
        Refused("list buckets, then if ok delete bucket b-1"),
        // Other changes
        Refused("don't upload ./data to s3://b-1/", "upload"),
        Refused("should I upload ./data to s3://b-1/?", "upload"),
        Refused("upload ./data to s3://b-1/ if it fits", "upload"),
        Refused("never download s3://b-1/k to ./k", "download"),
        Refused("don't copy s3://a-1/k to s3://b-1/k", "copy"),
        Refused("never stop instance \(i0)", "stop"),
        Refused("don't stop the instances tagged env=prod", "stop"),
        Refused("should I stop instance \(i0)?", "stop"),
        Refused("don't start instance \(i0)", "start"),
        Refused("don't terminate instance \(i0)", "terminate"),
        Refused("terminate instance \(i0)?", "terminate"),
        Refused("can you terminate \(i0)", "terminate"),
        Refused("what if I terminate the instances tagged env=prod", "terminate"),
        Refused("don't create bucket b-new", "create"),
        Refused("should I create bucket b-new?", "create"),
        Refused("don't move s3://a-1/k to s3://b-1/k", "move"),
        Refused("could you move s3://a-1/k to s3://b-1/k?", "move"),
        Refused("don't rename s3://b-1/a.txt to b.txt", "rename"),
        Refused("don't sync ./site to s3://b-1/site/", "sync"),
        Refused("sync ./site to s3://b-1/site/ when ready", "sync"),
        Refused("don't share s3://b-1/k", "presign"),
        Refused("is it safe to share s3://b-1/k for 2 days?", "presign"),
        Refused("never give me a download link for s3://b-1/k", "presign"),
        Refused("don't invoke function f1", "invoke"),
        Refused("don't call s3 DeleteBucket {\"Bucket\": \"b-1\"}", "call"),
    ]

    @Test("a negated, questioned or conditioned change plans nothing and says what it won't do", arguments: negated)
    func negatedChanges(_ example: Refused) throws {
        let outcome = Self.router.route(example.request)
        #expect(Self.changingSteps(outcome).isEmpty)
        guard case .unsupported(let answer) = outcome else {
            Issue.record("planned: \(outcome)")
            return
        }
        let first = answer.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("I won't ") && first.contains(example.verb), "\(answer)")
        #expect(answer.contains("Nothing was changed."))
    }

    @Test("the table holds at least 100 refusals")
    func enoughRefusals() {
        #expect(Self.negated.count >= 100)
    }

    @Test("the refusal names the target, the reason and the plain request that would do it")
    func refusalWording() throws {
        let answer = try #require(Self.refusal("don't delete s3://victim/keep/important.txt"))
        #expect(
            answer == """
                I won't delete s3://victim/keep/important.txt: your request says not to (“don't”). Nothing was changed.
                To delete it, say `delete s3://victim/keep/important.txt`.
                """)
        let question = try #require(Self.refusal("should I terminate instance \(Self.i0)?"))
        #expect(question.contains("asks about it (“should”)"))
        #expect(question.contains("say `terminate instance \(Self.i0)`"))
        let condition = try #require(Self.refusal("delete bucket b-1 if it is empty"))
        #expect(condition.contains("depend on something I can't check (“if”)"))
        #expect(!condition.contains("say `"), "no plain form is offered when the condition follows the change")
        let nothing = try #require(Self.refusal("remove nothing from bucket victim-1"))
        #expect(nothing.hasPrefix("I won't delete anything from bucket victim-1"))
    }

    @Test("names a read takes are data: a change word there asks for nothing, a negating word still counts")
    func namesAreData() {
        #expect(Self.plan("how many objects are in bucket run-logs?") != nil)
        #expect(Self.plan("list objects in bucket keep") != nil)
        #expect(Self.plan("delete s3://b-1/dont/keep.txt") != nil, "a key inside a URI is data")
        #expect(Self.plan("stop the instances tagged note=do-not-touch") != nil, "a tag value is data")
        #expect(Self.refusal("list objects in bucket dont and delete s3://b-1/k") != nil)
    }

    // MARK: (c) Unknown words and guesses

    /// A request and the words its refusal must name.
    struct Unknown: Sendable, CustomTestStringConvertible {
        var request: String
        var words: [String]
        init(_ request: String, _ words: String...) {
            self.request = request
            self.words = words
        }
        var testDescription: String { request }
    }

    static let unknown: [Unknown] = [
        Unknown("list buckets and frobnicate", "frobnicate"),
        Unknown("delete bucket b-1 please kindly with sugar", "kindly", "with", "sugar"),
        Unknown("list buckets please with sprinkles", "with", "sprinkles"),
        Unknown("make me a sandwich", "create offline is an S3 bucket"),
        Unknown("reboot instance \(i0)", "reboot"),
        Unknown("tag bucket b-1 env=dev", "tag", "env=dev"),
        Unknown("list buckets sorted by size", "sorted", "by", "size"),
        Unknown("show s3://b-1/k as json", "as", "json"),
        Unknown("frobnicate s3://b-1/k", "frobnicate"),
        Unknown("archive s3://b-1/k", "archive"),
        Unknown("encrypt bucket b-1", "encrypt"),
        Unknown("restore s3://b-1/k", "restore"),
        Unknown("delete s3://b-1/k --force", "--force"),
        Unknown("list buckets then frobnicate the rest", "frobnicate", "rest"),
        Unknown("show me the money", "money"),
        Unknown("delete s3://b-1/k and then list it", "it"),
        Unknown("lsit buckets", "lsit", "Did you mean 'list'"),
        Unknown("delte s3://b-1/k", "delte", "Did you mean 'delete'"),
        Unknown("list buckets delete bucket b-1", "delete"),
        Unknown("delete bucket b-1 list buckets", "list"),
        Unknown("stop the upload ./a to s3://b-1/ now"),
    ]

    @Test("a word the grammar does not know is named, and nothing else is planned instead", arguments: unknown)
    func unknownWords(_ example: Unknown) throws {
        let outcome = Self.router.route(example.request)
        guard case .unsupported(let answer) = outcome else {
            Issue.record("planned: \(outcome)")
            return
        }
        for word in example.words {
            #expect(answer.contains(word), "\(answer)")
        }
    }

    /// Requests the old router turned into something else ("show details", "list objects"): now either what they
    /// say or a refusal, never a read of something else.
    static let formerGuesses: [(request: String, tools: [String])] = [
        ("move s3://a-1/k to s3://b-1/k", ["s3.copy", "s3.delete_objects"]),
        ("rename s3://b-1/old.txt to s3://b-1/new.txt", ["s3.copy", "s3.delete_objects"]),
        ("give me a download link for s3://b-1/k valid 10 minutes", ["s3.presign"]),
        ("sync ./data to s3://b-1/data/", ["s3.upload"]),
        ("terminate instance \(i0)", ["ec2.terminate_instances"]),
        ("list all S3 buckets && delete bucket reports", ["s3.list_buckets", "s3.delete_bucket"]),
        ("move s3://b-1/logs/ to s3://b-1/logs/old/", []),
        ("move s3://b-1/k to s3://b-1/k", []),
        ("move ./a to s3://b-1/", []),
        ("sync s3://a-1/x/ to s3://b-1/x/", []),
        ("share s3://b-1/k for 30 days", []),
        ("delete s3://b-1/*.log", []),
        ("delete s3://b-1/", []),
        ("delete everything under s3://b-1/logs", []),
        ("copy s3://a-1/x", []),
        ("upload ./a to s3://b-1/ and s3://c-1/", []),
        ("list instances tagged env=dev env=prod", []),
        ("rename bucket a-1 to b-1", []),
        ("list policies", []),
        ("stop instances", []),
        ("run something", []),
        ("list", []),
        ("call s3 FooBar", []),
    ]

    @Test("former guesses: planned as asked, or refused with what the router can do")
    func formerGuessesAreExact() throws {
        for (request, tools) in Self.formerGuesses {
            let outcome = Self.router.route(request)
            switch outcome {
            case .plan(let routed):
                #expect(routed.steps.map(\.tool) == tools, "\(request)")
            case .unsupported(let answer):
                #expect(tools.isEmpty, "\(request): \(answer)")
                #expect(answer.contains("list all S3 buckets"), "\(request): the answer shows what it can do")
            }
        }
    }

    // MARK: (d) Chains

    static let separators = [
        " and ", " then ", " and then ", "; ", ", ", ", then ", " && ", " & ", " | ", ";", "&&", " also ", ". ",
    ]
    static let chainParts: [(request: String, tools: [String])] = [
        ("list all S3 buckets", ["s3.list_buckets"]),
        ("delete bucket reports", ["s3.delete_bucket"]),
        ("upload ./site to s3://b-1/site/", ["s3.upload"]),
        ("stop the instances tagged env=dev", ["ec2.describe_instances", "ec2.stop_instances"]),
        ("list vpcs", ["ec2.describe_vpcs"]),
        ("move s3://a-1/k to s3://b-1/k", ["s3.copy", "s3.delete_objects"]),
    ]

    @Test("every separator: all parts planned in order, their references renumbered", arguments: separators)
    func chains(_ separator: String) throws {
        for first in Self.chainParts {
            for second in Self.chainParts where second.request != first.request {
                let request = first.request + separator + second.request
                let routed = try #require(Self.plan(request), "\(request): \(Self.router.route(request))")
                #expect(routed.steps.map(\.tool) == first.tools + second.tools, "\(request)")
                #expect(routed.steps.map(\.number) == Array(1...routed.steps.count))
                for step in routed.steps {
                    #expect(step.references.allSatisfy { $0 < step.number }, "\(request)")
                }
            }
        }
    }

    @Test("a chain with a part it cannot read is refused whole; a dangling or conditional join too")
    func brokenChains() {
        for separator in Self.separators {
            for part in ["frobnicate the rest", "delete bucket b-1 with sugar", "make me a sandwich"] {
                let request = "list all S3 buckets\(separator)\(part)"
                #expect(Self.refusal(request) != nil, "\(request)")
                #expect(Self.changingSteps(Self.router.route(request)).isEmpty)
            }
        }
        #expect(Self.refusal("list buckets and") != nil)
        #expect(Self.refusal("list buckets &&") != nil)
        #expect(Self.refusal("&& list buckets") != nil)
        #expect(Self.refusal("list buckets || delete bucket b-1")?.contains("“||”") == true)
        #expect(Self.plan("list buckets || list vpcs")?.steps.count == 2, "only reads: both are planned")
        #expect(
            Self.plan("list buckets&&delete bucket reports")?.steps.map(\.tool) == [
                "s3.list_buckets", "s3.delete_bucket",
            ])
    }

    // MARK: (e) Inserted negations, questions and conditions never plan a change

    static let mutating = [
        "delete s3://b-1/keep/important.txt", "delete everything under s3://b-1/logs/", "delete bucket reports-1",
        "remove keep.txt from bucket b-1", "empty bucket b-1", "upload ./data to s3://b-1/2026/",
        "download s3://b-1/k.txt to ./k.txt", "copy s3://a-1/k to s3://b-1/k", "move s3://a-1/k to s3://b-1/k",
        "rename s3://b-1/old.txt to new.txt", "sync ./site to s3://b-1/site/", "create bucket b-new in eu-west-1",
        "stop the instances tagged env=dev", "start instance \(i0)", "terminate instance \(i0)",
        "terminate the instances tagged env=prod", "invoke function f1 with {\"a\": 1}",
        "share s3://b-1/k.txt for 2 days", "give me a download link for s3://b-1/k.txt valid 10 minutes",
        "list all S3 buckets && delete bucket reports-1", "create bucket b-site and upload ./site to it",
        "call s3 DeleteBucket {\"Bucket\": \"b-1\"}",
    ]
    static let markers = [
        "don't", "dont", "do not", "do n't", "DO NOT", "never", "not", "no", "nothing", "none", "nobody", "neither",
        "nor", "without", "avoid", "refrain from", "cancel", "under no circumstances", "I don't want to",
        "make sure not to", "keep", "isn't", "shouldn't", "mustn't", "can't", "won't", "?", "should I", "can you",
        "could you", "would you", "is it safe to", "what happens if", "what if", "how do I", "if", "unless", "when",
        "whenever", "once", "after", "before", "in case", "only if", "provided that", "assuming", "just kidding",
        "don\u{2019}t", "don\u{2018}t", "\"not\"", "'never'", "NOT!", "never?", "maybe", "perhaps", "||", "stop",
        "wait", "nevermind", "but",
    ]

    @Test("property: a marker inserted anywhere, in any case, joined or not, never plans a write or delete")
    func insertedMarkersNeverPlanChanges() {
        // NimbusCore's fixed-seed generator, so a failure can be replayed.
        var random = SplitMix64(seed: 0x5EED_2026)
        var tried = 0
        for _ in 0..<4000 {
            var words = Self.mutating.randomElement(using: &random)!.split(separator: " ").map(String.init)
            var marker = Self.markers.randomElement(using: &random)!
            switch Int.random(in: 0..<4, using: &random) {
            case 0: marker = marker.uppercased()
            case 1: marker = marker.capitalized
            default: break
            }
            let position = Int.random(in: 0...words.count, using: &random)
            if Bool.random(using: &random), position > 0, !words[position - 1].contains("://"),
                !words[position - 1].contains("="),
                !words[position - 1].hasPrefix("."), !marker.contains(" ")
            {
                // Joined to the word before by punctuation: "delete-don't", "bucket,never".
                words[position - 1] += ["-", ",", "_", "…"].randomElement(using: &random)! + marker
            } else {
                words.insert(marker, at: position)
            }
            let request = words.joined(separator: " ")
            let outcome = Self.router.route(request)
            #expect(Self.changingSteps(outcome).isEmpty, "\(request) planned a change")
            if case .plan = outcome { Issue.record("\(request) was planned") }
            tried += 1
        }
        #expect(tried == 4000)
    }

    @Test("the unmarked phrasings the property starts from are all planned, so its refusals are the markers' doing")
    func propertyBaseIsPlanned() {
        for request in Self.mutating {
            #expect(Self.plan(request) != nil, "\(request)")
        }
    }
}
