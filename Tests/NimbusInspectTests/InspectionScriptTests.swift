import Foundation
import NimbusAWS
import NimbusCore
import NimbusInspect
import NimbusSandbox
import NimbusTesting
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The grounded scripts: each passes the validator with its own minimal policy, and against a moto account seeded
/// with deliberate misconfigurations beside correct resources, each finds the misconfigured ones and none of the
/// correct ones — run for real, in bubblewrap, through the signing proxy.
@Suite("Inspection scripts", .serialized)
struct InspectionScriptTests {
    static let cache = URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/nimbus")
    private static let prepared = Mutex<Task<(SandboxPython, SandboxPython), any Error>?>(nil)

    static func environments() async throws -> (runtime: SandboxPython, checkers: SandboxPython) {
        let task = prepared.withLock { current in
            if let current { return current }
            let made = Task<(SandboxPython, SandboxPython), any Error> {
                let runtime = SandboxPython.location(home: cache)
                let checkers = SandboxPython.checkers(home: cache)
                try await runtime.prepare()
                try await checkers.prepare()
                return (runtime, checkers)
            }
            current = made
            return made
        }
        return try await task.value
    }

    @Test("the library: unique ids, titles, keywords and read-only policies")
    func library() throws {
        let scripts = InspectionLibrary.all
        #expect(scripts.count >= 25)
        #expect(Set(scripts.map(\.id)).count == scripts.count)
        for script in scripts {
            #expect(!script.title.isEmpty && !script.keywords.isEmpty && !script.actions.isEmpty, "\(script.id)")
            for next in script.followUps { #expect(InspectionLibrary.script(next) != nil, "\(script.id) → \(next)") }
        }
        #expect(
            InspectionLibrary.script("s3-public-buckets")?.followUps == ["s3-unencrypted-buckets", "s3-bucket-logging"])
        #expect(InspectionLibrary.matching("which S3 buckets are public?").map(\.id) == ["s3-public-buckets"])
        #expect(
            InspectionLibrary.matching("which S3 buckets are public or unencrypted?").map(\.id).sorted()
                == ["s3-public-buckets", "s3-unencrypted-buckets"])
        #expect(
            InspectionLibrary.matching("why can't my Lambda reach the RDS database?").first?.id
                == "lambda-vpc-rds-reachability")
        let s3 = InspectionLibrary.all.filter { $0.id.hasPrefix("s3-") }.map(\.id)
        #expect(InspectionLibrary.matching("check my S3 buckets").map(\.id).sorted() == s3.sorted())
        #expect(InspectionLibrary.matching("is CloudTrail logging?").first?.id == "cloudtrail-trails")
        // Parameters come from the question where it names them.
        let keys = try #require(InspectionLibrary.script("iam-old-access-keys"))
        #expect(ScriptPackage(grounded: keys, question: "access keys older than 30 days").arguments == ["30"])
        #expect(ScriptPackage(grounded: keys, question: "old access keys").arguments == ["90"])
        #expect(InspectionLibrary.matching("IAM access keys older than 30 days").first?.id == "iam-old-access-keys")
        #expect(
            InspectionLibrary.matching("find security groups open to the world").map(\.id)
                == ["ec2-open-security-groups"])
        #expect(InspectionLibrary.matching("what is the weather").isEmpty)
    }

    @Test("every script passes validation with its own policy, and its policy is minimal")
    func validation() async throws {
        let (runtime, checkers) = try await Self.environments()
        let validator = ScriptValidator(runtime: runtime, checkers: checkers)
        for script in InspectionLibrary.all {
            let validation = try await validator.validate(script: script.source, policy: script.policy)
            #expect(validation.passed, "\(script.id): \(validation.errorSummary)")
            let unused = validation.findings.filter { $0.check == "policy" }
            #expect(unused.isEmpty, "\(script.id): \(unused.map(\.message))")
            #expect(
                Set(validation.requiredActions) == Set(script.actions), "\(script.id): \(validation.requiredActions)")
        }
    }

    @Test("against a seeded account, each script finds the misconfigured resources and no correct one")
    func seededAccount() async throws {
        guard BubblewrapSandbox.findBubblewrap() != nil else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("bubblewrap is not installed") }
            return
        }
        let (runtime, _) = try await Self.environments()
        let sandbox = try BubblewrapSandbox(python: runtime)
        // A moto of its own: the shared one holds every other test's buckets, and S3 scripts read them all.
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let aws = try moto.client()
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let seeded = try await Self.seed(aws, tag: tag)
        let names = Mirror(reflecting: seeded).children.compactMap { $0.value as? String }
        #expect(names.count == 29 && names.allSatisfy { !$0.isEmpty }, "every seeded resource has its id: \(names)")

        func run(_ id: String, arguments: [String] = []) async throws -> ScriptReport {
            let script = try #require(InspectionLibrary.script(id))
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-inspect-\(tag)-\(id)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let proxy = try await SigningProxy.start(
                socketPath: directory.appendingPathComponent("aws.sock").path, region: "us-east-1",
                settings: SigningProxy.Settings(
                    policy: script.policy,
                    credentials: StaticCredentialProvider(accessKeyID: "testing", secretAccessKey: "testing"),
                    endpoints: EndpointResolver(environment: ["AWS_ENDPOINT_URL": moto.url.absoluteString]),
                    socketOwner: getuid() == 0 ? 65534 : nil))
            let result = try await sandbox.run(
                SandboxJob(script: script.source, arguments: arguments, aws: proxy.access))
            await proxy.stop()
            let refused = proxy.calls.filter { !$0.allowed }
            #expect(refused.isEmpty, "\(id) was refused \(refused.map(\.operation))")
            #expect(result.succeeded, "\(id): \(result.summary) \(result.stderrText.suffix(800))")
            return try JSONDecoder().decode(ScriptReport.self, from: Data(result.stdoutText.utf8))
        }
        func check(_ report: ScriptReport, finds bad: [String], spares good: [String], _ id: String) {
            let resources = report.findings.map(\.resource)
            for name in bad {
                #expect(resources.contains { $0.contains(name) }, "\(id) missed \(name): \(resources)")
            }
            for name in good {
                #expect(!resources.contains { $0.contains(name) }, "\(id) flagged the correct \(name)")
            }
        }

        let publicBuckets = try await run("s3-public-buckets")
        check(
            publicBuckets, finds: [seeded.publicBucket, seeded.aclBucket], spares: [seeded.privateBucket],
            "s3-public-buckets")
        let unencrypted = try await run("s3-unencrypted-buckets")
        check(unencrypted, finds: [seeded.unencryptedBucket], spares: [seeded.privateBucket], "s3-unencrypted-buckets")
        let groups = try await run("ec2-open-security-groups")
        check(groups, finds: [seeded.openGroup], spares: [seeded.closedGroup], "ec2-open-security-groups")
        let titles = groups.findings.filter { $0.resource.contains(seeded.openGroup) }.map(\.title).joined()
        #expect(titles.contains("22 (SSH)") && titles.contains("3389 (RDP)"))
        let mfa = try await run("iam-users-without-mfa")
        check(mfa, finds: [seeded.consoleUser], spares: [seeded.apiUser], "iam-users-without-mfa")
        // moto's keys are new; a limit below zero days makes every active key too old, which tests the plumbing.
        let keys = try await run("iam-old-access-keys", arguments: ["-1"])
        check(keys, finds: [seeded.apiUser], spares: [seeded.consoleUser], "iam-old-access-keys")
        let volumes = try await run("ec2-unencrypted-volumes")
        check(volumes, finds: [seeded.plainVolume], spares: [seeded.encryptedVolume], "ec2-unencrypted-volumes")
        let snapshots = try await run("ec2-public-snapshots")
        check(snapshots, finds: [seeded.publicSnapshot], spares: [seeded.privateSnapshot], "ec2-public-snapshots")
        let tables = try await run("dynamodb-point-in-time-recovery")
        check(tables, finds: [seeded.plainTable], spares: [seeded.recoverableTable], "dynamodb-point-in-time-recovery")
        let rotation = try await run("kms-key-rotation")
        check(rotation, finds: [seeded.staticKey], spares: [seeded.rotatingKey], "kms-key-rotation")
        let databases = try await run("rds-instance-exposure")
        check(databases, finds: [seeded.publicDatabase], spares: [seeded.privateDatabase], "rds-instance-exposure")
        let reachability = try await run("lambda-vpc-rds-reachability")
        check(
            reachability, finds: [seeded.blockedFunction], spares: [seeded.reachingFunction],
            "lambda-vpc-rds-reachability")
        let blocked = reachability.findings.filter { $0.resource.contains(seeded.blockedFunction) }
        #expect(blocked.map(\.title) == ["cannot reach the database \(seeded.appDatabase) on port 5432"])
        let versioning = try await run("s3-bucket-versioning")
        check(
            versioning, finds: [seeded.unversionedBucket], spares: [seeded.versionedBucket], "s3-bucket-versioning")
        let queues = try await run("sqs-unencrypted-queues")
        check(queues, finds: [seeded.plainQueue], spares: [seeded.encryptedQueue], "sqs-unencrypted-queues")
        let topics = try await run("sns-unencrypted-topics")
        check(topics, finds: [seeded.plainTopic], spares: [seeded.encryptedTopic], "sns-unencrypted-topics")
        let retention = try await run("logs-retention")
        check(retention, finds: [seeded.foreverLogGroup], spares: [seeded.retainedLogGroup], "logs-retention")
    }

    struct Seeded {
        var publicBucket = "", aclBucket = "", privateBucket = "", unencryptedBucket = ""
        var openGroup = "", closedGroup = "", consoleUser = "", apiUser = ""
        var plainVolume = "", encryptedVolume = "", publicSnapshot = "", privateSnapshot = ""
        var plainTable = "", recoverableTable = "", staticKey = "", rotatingKey = ""
        var publicDatabase = "", privateDatabase = ""
        var unversionedBucket = "", versionedBucket = "", plainQueue = "", encryptedQueue = ""
        var plainTopic = "", encryptedTopic = "", foreverLogGroup = "", retainedLogGroup = ""
        var reachingFunction = "", blockedFunction = "", appDatabase = ""
    }

    /// Misconfigured resources and correct ones beside them, named with `tag`.
    static func seed(_ aws: AWSClient, tag: String) async throws -> Seeded {
        var seeded = Seeded()
        seeded.publicBucket = "insp-public-\(tag)"
        seeded.aclBucket = "insp-acl-\(tag)"
        seeded.privateBucket = "insp-private-\(tag)"
        seeded.unencryptedBucket = "insp-plain-\(tag)"
        for bucket in [seeded.publicBucket, seeded.aclBucket, seeded.privateBucket, seeded.unencryptedBucket] {
            _ = try await aws.call("s3", "CreateBucket", .object(["Bucket": .string(bucket)]))
        }
        let policy =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::\#(seeded.publicBucket)/*"}]}"#
        _ = try await aws.call(
            "s3", "PutBucketPolicy", .object(["Bucket": .string(seeded.publicBucket), "Policy": .string(policy)]))
        _ = try await aws.call(
            "s3", "PutBucketAcl", .object(["Bucket": .string(seeded.aclBucket), "ACL": "public-read"]))
        for bucket in [seeded.privateBucket, seeded.publicBucket, seeded.aclBucket] {
            _ = try await aws.call(
                "s3", "PutBucketEncryption",
                .object([
                    "Bucket": .string(bucket),
                    "ServerSideEncryptionConfiguration": [
                        "Rules": [["ApplyServerSideEncryptionByDefault": ["SSEAlgorithm": "aws:kms"]]]
                    ],
                ]))
        }
        _ = try await aws.call(
            "s3", "PutPublicAccessBlock",
            .object([
                "Bucket": .string(seeded.privateBucket),
                "PublicAccessBlockConfiguration": [
                    "BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true,
                    "RestrictPublicBuckets": true,
                ],
            ]))
        _ = try? await aws.call("s3", "DeleteBucketEncryption", .object(["Bucket": .string(seeded.unencryptedBucket)]))

        let open = try await aws.call(
            "ec2", "CreateSecurityGroup",
            .object(["GroupName": .string("insp-open-\(tag)"), "Description": "open to the world"]))
        seeded.openGroup = open["GroupId"]?.stringValue ?? ""
        _ = try await aws.call(
            "ec2", "AuthorizeSecurityGroupIngress",
            .object([
                "GroupId": .string(seeded.openGroup),
                "IpPermissions": [
                    ["IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [["CidrIp": "0.0.0.0/0"]]],
                    ["IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [["CidrIp": "0.0.0.0/0"]]],
                ],
            ]))
        let closed = try await aws.call(
            "ec2", "CreateSecurityGroup",
            .object(["GroupName": .string("insp-closed-\(tag)"), "Description": "internal https"]))
        seeded.closedGroup = closed["GroupId"]?.stringValue ?? ""
        _ = try await aws.call(
            "ec2", "AuthorizeSecurityGroupIngress",
            .object([
                "GroupId": .string(seeded.closedGroup),
                "IpPermissions": [
                    ["IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [["CidrIp": "10.0.0.0/8"]]]
                ],
            ]))

        seeded.consoleUser = "insp-console-\(tag)"
        seeded.apiUser = "insp-api-\(tag)"
        for user in [seeded.consoleUser, seeded.apiUser] {
            _ = try await aws.call("iam", "CreateUser", .object(["UserName": .string(user)]))
        }
        _ = try await aws.call(
            "iam", "CreateLoginProfile",
            .object(["UserName": .string(seeded.consoleUser), "Password": "Insp-Passw0rd-1234"]))
        _ = try await aws.call("iam", "CreateAccessKey", .object(["UserName": .string(seeded.apiUser)]))

        let plain = try await aws.call(
            "ec2", "CreateVolume", .object(["AvailabilityZone": "us-east-1a", "Size": 8, "Encrypted": false]))
        seeded.plainVolume = plain["VolumeId"]?.stringValue ?? ""
        let encrypted = try await aws.call(
            "ec2", "CreateVolume", .object(["AvailabilityZone": "us-east-1a", "Size": 8, "Encrypted": true]))
        seeded.encryptedVolume = encrypted["VolumeId"]?.stringValue ?? ""
        let shared = try await aws.call("ec2", "CreateSnapshot", .object(["VolumeId": .string(seeded.encryptedVolume)]))
        seeded.publicSnapshot = shared["SnapshotId"]?.stringValue ?? ""
        _ = try await aws.call(
            "ec2", "ModifySnapshotAttribute",
            .object([
                "SnapshotId": .string(seeded.publicSnapshot), "Attribute": "createVolumePermission",
                "OperationType": "add", "GroupNames": ["all"],
            ]))
        let kept = try await aws.call("ec2", "CreateSnapshot", .object(["VolumeId": .string(seeded.encryptedVolume)]))
        seeded.privateSnapshot = kept["SnapshotId"]?.stringValue ?? ""

        seeded.plainTable = "insp-plain-\(tag)"
        seeded.recoverableTable = "insp-pitr-\(tag)"
        for table in [seeded.plainTable, seeded.recoverableTable] {
            _ = try await aws.call(
                "dynamodb", "CreateTable",
                .object([
                    "TableName": .string(table), "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [["AttributeName": "id", "AttributeType": "S"]],
                    "KeySchema": [["AttributeName": "id", "KeyType": "HASH"]],
                ]))
        }
        _ = try await aws.call(
            "dynamodb", "UpdateContinuousBackups",
            .object([
                "TableName": .string(seeded.recoverableTable),
                "PointInTimeRecoverySpecification": ["PointInTimeRecoveryEnabled": true],
            ]))

        let staticKey = try await aws.call("kms", "CreateKey", .object(["Description": .string("insp-static-\(tag)")]))
        seeded.staticKey = staticKey["KeyMetadata"]?["KeyId"]?.stringValue ?? ""
        let rotating = try await aws.call("kms", "CreateKey", .object(["Description": .string("insp-rotating-\(tag)")]))
        seeded.rotatingKey = rotating["KeyMetadata"]?["KeyId"]?.stringValue ?? ""
        _ = try await aws.call("kms", "EnableKeyRotation", .object(["KeyId": .string(seeded.rotatingKey)]))

        seeded.publicDatabase = "insp-public-\(tag)"
        seeded.privateDatabase = "insp-private-\(tag)"
        for (name, exposed) in [(seeded.publicDatabase, true), (seeded.privateDatabase, false)] {
            _ = try await aws.call(
                "rds", "CreateDBInstance",
                .object([
                    "DBInstanceIdentifier": .string(name), "Engine": "postgres", "DBInstanceClass": "db.t3.micro",
                    "MasterUsername": "inspector", "MasterUserPassword": "Insp-Passw0rd-1234", "AllocatedStorage": 20,
                    "PubliclyAccessible": .bool(exposed), "StorageEncrypted": .bool(!exposed),
                    "BackupRetentionPeriod": exposed ? 0 : 7,
                ]))
        }
        seeded.unversionedBucket = "insp-unversioned-\(tag)"
        seeded.versionedBucket = "insp-versioned-\(tag)"
        for bucket in [seeded.unversionedBucket, seeded.versionedBucket] {
            _ = try await aws.call("s3", "CreateBucket", .object(["Bucket": .string(bucket)]))
        }
        _ = try await aws.call(
            "s3", "PutBucketVersioning",
            .object(["Bucket": .string(seeded.versionedBucket), "VersioningConfiguration": ["Status": "Enabled"]]))

        // moto, like AWS, turns SSE-SQS on for a new queue unless told not to.
        seeded.plainQueue = "insp-plain-queue-\(tag)"
        seeded.encryptedQueue = "insp-kms-queue-\(tag)"
        _ = try await aws.call(
            "sqs", "CreateQueue",
            .object(["QueueName": .string(seeded.plainQueue), "Attributes": ["SqsManagedSseEnabled": "false"]]))
        _ = try await aws.call(
            "sqs", "CreateQueue",
            .object(["QueueName": .string(seeded.encryptedQueue), "Attributes": ["KmsMasterKeyId": "alias/aws/sqs"]]))

        seeded.plainTopic = "insp-plain-topic-\(tag)"
        seeded.encryptedTopic = "insp-kms-topic-\(tag)"
        _ = try await aws.call("sns", "CreateTopic", .object(["Name": .string(seeded.plainTopic)]))
        _ = try await aws.call(
            "sns", "CreateTopic",
            .object(["Name": .string(seeded.encryptedTopic), "Attributes": ["KmsMasterKeyId": "alias/aws/sns"]]))

        seeded.foreverLogGroup = "/insp/forever-\(tag)"
        seeded.retainedLogGroup = "/insp/retained-\(tag)"
        for group in [seeded.foreverLogGroup, seeded.retainedLogGroup] {
            _ = try await aws.call("logs", "CreateLogGroup", .object(["logGroupName": .string(group)]))
        }
        _ = try await aws.call(
            "logs", "PutRetentionPolicy",
            .object(["logGroupName": .string(seeded.retainedLogGroup), "retentionInDays": 30]))

        // Two Lambda functions in one VPC beside a PostgreSQL database whose group lets 5432 in from the first
        // function's group only; both function groups keep the default allow-all egress, so the second function is
        // blocked by the database's ingress.
        let vpc = try await aws.call("ec2", "CreateVpc", .object(["CidrBlock": "10.30.0.0/16"]))
        let vpcID = vpc["Vpc"]?["VpcId"]?.stringValue ?? ""
        var subnets: [JSONValue] = []
        for (cidr, zone) in [("10.30.1.0/24", "us-east-1a"), ("10.30.2.0/24", "us-east-1b")] {
            let subnet = try await aws.call(
                "ec2", "CreateSubnet",
                .object(["VpcId": .string(vpcID), "CidrBlock": .string(cidr), "AvailabilityZone": .string(zone)]))
            subnets.append(.string(subnet["Subnet"]?["SubnetId"]?.stringValue ?? ""))
        }
        var groups: [String] = []
        for name in ["insp-fn-reaches-\(tag)", "insp-fn-blocked-\(tag)", "insp-appdb-\(tag)"] {
            let group = try await aws.call(
                "ec2", "CreateSecurityGroup",
                .object(["GroupName": .string(name), "Description": "lambda to rds", "VpcId": .string(vpcID)]))
            groups.append(group["GroupId"]?.stringValue ?? "")
        }
        _ = try await aws.call(
            "ec2", "AuthorizeSecurityGroupIngress",
            .object([
                "GroupId": .string(groups[2]),
                "IpPermissions": [
                    [
                        "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                        "UserIdGroupPairs": [["GroupId": .string(groups[0])]],
                    ]
                ],
            ]))
        _ = try await aws.call(
            "rds", "CreateDBSubnetGroup",
            .object([
                "DBSubnetGroupName": .string("insp-subnets-\(tag)"), "DBSubnetGroupDescription": "lambda to rds",
                "SubnetIds": .array(subnets),
            ]))
        seeded.appDatabase = "insp-appdb-\(tag)"
        _ = try await aws.call(
            "rds", "CreateDBInstance",
            .object([
                "DBInstanceIdentifier": .string(seeded.appDatabase), "Engine": "postgres",
                "DBInstanceClass": "db.t3.micro", "MasterUsername": "inspector",
                "MasterUserPassword": "Insp-Passw0rd-1234", "AllocatedStorage": 20,
                "PubliclyAccessible": false, "StorageEncrypted": true, "BackupRetentionPeriod": 7,
                "VpcSecurityGroupIds": [.string(groups[2])], "DBSubnetGroupName": .string("insp-subnets-\(tag)"),
            ]))
        let trust =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        let role = try await aws.call(
            "iam", "CreateRole",
            .object(["RoleName": .string("insp-fn-\(tag)"), "AssumeRolePolicyDocument": .string(trust)]))
        // The client sends a blob as the UTF-8 bytes of its string, so this zip (one stored file, index.py, with a
        // handler) was made so that every byte of it is ASCII.
        let zip = String(
            decoding: Data(
                base64Encoded:
                    "UEsDBBQAAAAAAAAAIQBTHgIWMAAAADAAAAAIAAAAaW5kZXgucHlkZWYgaGFuZGxlcihldmVudCwgY29udGV4dCk6CiAgICBy"
                    + "ZXR1cm4ge30gICMgNgpQSwECFAAUAAAAAAAAACEAUx4CFjAAAAAwAAAACAAAAAAAAAAAAAAAAAAAAAAAaW5kZXgucHlQSwUG"
                    + "AAAAAAEAAQA2AAAAVgAAAAAA"
            ) ?? Data(), as: UTF8.self)
        seeded.reachingFunction = "insp-reaches-\(tag)"
        seeded.blockedFunction = "insp-blocked-\(tag)"
        for (function, group) in [(seeded.reachingFunction, groups[0]), (seeded.blockedFunction, groups[1])] {
            _ = try await aws.call(
                "lambda", "CreateFunction",
                .object([
                    "FunctionName": .string(function), "Runtime": "python3.12", "Handler": "index.handler",
                    "Role": .string(role["Role"]?["Arn"]?.stringValue ?? ""), "Code": ["ZipFile": .string(zip)],
                    "VpcConfig": ["SubnetIds": [subnets[0]], "SecurityGroupIds": [.string(group)]],
                ]))
        }
        return seeded
    }
}
