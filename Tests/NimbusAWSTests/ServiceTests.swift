import Foundation
import NimbusAWS
import NimbusCore
import NimbusTesting
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// End to end against a real moto server, through each service's own wire protocol.
@Suite("AWS services against moto")
struct ServiceTests {
    @Test("STS GetCallerIdentity and AssumeRole (query protocol)")
    func sts() async throws {
        let aws = try motoClient(try await MotoServer.shared())
        let identity = try await aws.call("sts", "GetCallerIdentity")
        #expect(identity["Account"]?.stringValue?.count == 12)
        #expect(identity["Arn"]?.stringValue?.hasPrefix("arn:aws:") == true)
        let role = try await aws.call(
            "sts", "AssumeRole",
            ["RoleArn": "arn:aws:iam::123456789012:role/deployer", "RoleSessionName": "nimbus-test"])
        #expect(role["Credentials"]?["AccessKeyId"]?.stringValue?.isEmpty == false)
        #expect(role["Credentials"]?["Expiration"]?.stringValue?.hasSuffix("Z") == true)
        #expect(role["AssumedRoleUser"]?["Arn"]?.stringValue?.contains("deployer/nimbus-test") == true)
    }

    @Test("S3 bucket and object operations (rest-xml)")
    func s3() async throws {
        let aws = try motoClient(try await MotoServer.shared())
        let bucket = uniqueName("nimbus-s3")
        _ = try await aws.call("s3", "CreateBucket", ["Bucket": .string(bucket)])
        let buckets = try await aws.call("s3", "ListBuckets")
        #expect(buckets["Buckets"]?.arrayValue?.contains { $0["Name"]?.stringValue == bucket } == true)

        _ = try await aws.call(
            "s3", "PutObject",
            ["Bucket": .string(bucket), "Key": "dir/hello.txt", "Body": "hello, moto", "ContentType": "text/plain"])
        let object = try await aws.call("s3", "GetObject", ["Bucket": .string(bucket), "Key": "dir/hello.txt"])
        #expect(object["Body"]?.stringValue.flatMap { Data(base64Encoded: $0) } == Data("hello, moto".utf8))
        #expect(object["ContentType"]?.stringValue == "text/plain")
        let head = try await aws.call("s3", "HeadObject", ["Bucket": .string(bucket), "Key": "dir/hello.txt"])
        #expect(head["ContentLength"]?.intValue == 11)

        _ = try await aws.call(
            "s3", "CopyObject",
            ["Bucket": .string(bucket), "Key": "copy.txt", "CopySource": .string("\(bucket)/dir/hello.txt")])
        let copied = try await aws.call("s3", "HeadObject", ["Bucket": .string(bucket), "Key": "copy.txt"])
        #expect(copied["ETag"] == head["ETag"])

        // Presigned GET works without any signing headers.
        let url = try await aws.presign(
            "s3", "GetObject", ["Bucket": .string(bucket), "Key": "dir/hello.txt"], expires: 300)
        #expect(url.query?.contains("X-Amz-Signature=") == true)
        let (data, response) = try await URLSession.shared.data(from: url)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(data == Data("hello, moto".utf8))

        // Batch delete, then the bucket is empty.
        let deleted = try await aws.call(
            "s3", "DeleteObjects",
            ["Bucket": .string(bucket), "Delete": ["Objects": [["Key": "dir/hello.txt"], ["Key": "copy.txt"]]]])
        #expect(deleted["Deleted"]?.arrayValue?.count == 2)
        let listing = try await aws.call("s3", "ListObjectsV2", ["Bucket": .string(bucket)])
        #expect(listing["KeyCount"]?.intValue == 0)

        // A missing key is a typed error naming service, operation, code and status.
        do {
            _ = try await aws.call("s3", "GetObject", ["Bucket": .string(bucket), "Key": "missing"])
            Issue.record("expected NoSuchKey")
        } catch let error as AWSError {
            #expect(error.code == "NoSuchKey")
            #expect(error.statusCode == 404)
            #expect(error.service == "s3" && error.operation == "GetObject")
        }
        _ = try await aws.call("s3", "DeleteBucket", ["Bucket": .string(bucket)])
    }

    @Test("S3 multipart upload through the generic client")
    func multipart() async throws {
        let aws = try motoClient(try await MotoServer.shared())
        let bucket = uniqueName("nimbus-mpu")
        _ = try await aws.call("s3", "CreateBucket", ["Bucket": .string(bucket)])
        let upload = try await aws.call("s3", "CreateMultipartUpload", ["Bucket": .string(bucket), "Key": "big"])
        let uploadID = try #require(upload["UploadId"]?.stringValue)
        var parts: [JSONValue] = []
        for number in 1...2 {
            let body = String(repeating: number == 1 ? "a" : "b", count: number == 1 ? 5 << 20 : 1000)
            let etag = try await aws.execute(
                "s3", "UploadPart",
                OrderedJSON([
                    "Bucket": .string(bucket), "Key": "big", "UploadId": .string(uploadID), "PartNumber": .int(number),
                ]),
                payload: .init(string: body)
            ) { head, _, _ in head.header("ETag") }
            parts.append(["ETag": .string(try #require(etag)), "PartNumber": .int(number)])
        }
        _ = try await aws.call(
            "s3", "CompleteMultipartUpload",
            [
                "Bucket": .string(bucket), "Key": "big", "UploadId": .string(uploadID),
                "MultipartUpload": ["Parts": .array(parts)],
            ])
        let head = try await aws.call("s3", "HeadObject", ["Bucket": .string(bucket), "Key": "big"])
        #expect(head["ContentLength"]?.intValue == (5 << 20) + 1000)
        #expect(head["ETag"]?.stringValue?.hasSuffix("-2\"") == true)
    }

    @Test("Pagination follows tokens over more than one page")
    func pagination() async throws {
        let aws = try motoClient(try await MotoServer.shared())
        let bucket = uniqueName("nimbus-pages")
        _ = try await aws.call("s3", "CreateBucket", ["Bucket": .string(bucket)])
        for index in 0..<7 {
            _ = try await aws.call(
                "s3", "PutObject", ["Bucket": .string(bucket), "Key": .string("k\(index)"), "Body": "x"])
        }
        var pages = 0
        var keys: [String] = []
        for try await page in aws.paginate("s3", "ListObjectsV2", ["Bucket": .string(bucket), "MaxKeys": 3]) {
            pages += 1
            keys += page["Contents"]?.arrayValue?.compactMap { $0["Key"]?.stringValue } ?? []
        }
        #expect(pages == 3)
        #expect(keys == (0..<7).map { "k\($0)" })
        let items = try await aws.paginate("s3", "ListObjectsV2", ["Bucket": .string(bucket), "MaxKeys": 2]).items()
        #expect(items.count == 7)
    }

    @Test("EC2 describe, run and stop instances (ec2 protocol)")
    func ec2() async throws {
        let aws = try motoClient(try await MotoServer.shared())
        let images = try await aws.call("ec2", "DescribeImages", ["Owners": ["amazon"]])
        let image = try #require(images["Images"]?.arrayValue?.first?["ImageId"]?.stringValue)
        let run = try await aws.call(
            "ec2", "RunInstances",
            ["ImageId": .string(image), "MinCount": 2, "MaxCount": 2, "InstanceType": "t3.micro"])
        let ids = run["Instances"]?.arrayValue?.compactMap { $0["InstanceId"]?.stringValue } ?? []
        #expect(ids.count == 2)
        let described = try await aws.call(
            "ec2", "DescribeInstances", ["InstanceIds": .array(ids.map(JSONValue.string))])
        let states = described["Reservations"]?.arrayValue?.flatMap { $0["Instances"]?.arrayValue ?? [] }.compactMap {
            $0["State"]?["Name"]?.stringValue
        }
        #expect(states == ["running", "running"])
        let stopped = try await aws.call("ec2", "StopInstances", ["InstanceIds": .array(ids.map(JSONValue.string))])
        #expect(
            stopped["StoppingInstances"]?.arrayValue?.allSatisfy {
                $0["CurrentState"]?["Name"]?.stringValue == "stopping"
                    || $0["CurrentState"]?["Name"]?.stringValue == "stopped"
            } == true)
    }

    @Test("IAM roles and policies")
    func iam() async throws {
        let aws = try motoClient(try await MotoServer.shared())
        let name = uniqueName("nimbus-role")
        let trust =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        let created = try await aws.call(
            "iam", "CreateRole", ["RoleName": .string(name), "AssumeRolePolicyDocument": .string(trust)])
        #expect(created["Role"]?["Arn"]?.stringValue?.hasSuffix("role/\(name)") == true)
        let policy =
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
        _ = try await aws.call(
            "iam", "PutRolePolicy",
            ["RoleName": .string(name), "PolicyName": "read", "PolicyDocument": .string(policy)])
        let policies = try await aws.call("iam", "ListRolePolicies", ["RoleName": .string(name)])
        #expect(policies["PolicyNames"] == ["read"])
        let managed = try await aws.call(
            "iam", "CreatePolicy", ["PolicyName": .string(name + "-managed"), "PolicyDocument": .string(policy)])
        let arn = try #require(managed["Policy"]?["Arn"]?.stringValue)
        _ = try await aws.call("iam", "AttachRolePolicy", ["RoleName": .string(name), "PolicyArn": .string(arn)])
        let attached = try await aws.call("iam", "ListAttachedRolePolicies", ["RoleName": .string(name)])
        #expect(attached["AttachedPolicies"]?.arrayValue?.first?["PolicyArn"]?.stringValue == arn)
    }

    @Test("Lambda list functions (rest-json)")
    func lambda() async throws {
        let aws = try motoClient(try await MotoServer.shared())
        let functions = try await aws.call("lambda", "ListFunctions")
        #expect(functions["Functions"]?.arrayValue != nil)
    }

    @Test("DynamoDB create table, put and query (json 1.0)")
    func dynamodb() async throws {
        let aws = try motoClient(try await MotoServer.shared())
        let table = uniqueName("nimbus-table")
        _ = try await aws.call(
            "dynamodb", "CreateTable",
            [
                "TableName": .string(table), "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [
                    ["AttributeName": "pk", "AttributeType": "S"], ["AttributeName": "sk", "AttributeType": "N"],
                ],
                "KeySchema": [
                    ["AttributeName": "pk", "KeyType": "HASH"], ["AttributeName": "sk", "KeyType": "RANGE"],
                ],
            ])
        for index in 1...3 {
            _ = try await aws.call(
                "dynamodb", "PutItem",
                [
                    "TableName": .string(table),
                    "Item": [
                        "pk": ["S": "user#1"], "sk": ["N": .string("\(index)")], "note": ["S": .string("n\(index)")],
                    ],
                ])
        }
        let result = try await aws.call(
            "dynamodb", "Query",
            [
                "TableName": .string(table), "KeyConditionExpression": "pk = :pk AND sk >= :from",
                "ExpressionAttributeValues": [":pk": ["S": "user#1"], ":from": ["N": "2"]],
            ])
        #expect(result["Count"]?.intValue == 2)
        #expect(result["Items"]?.arrayValue?.compactMap { $0["note"]?["S"]?.stringValue } == ["n2", "n3"])
    }

    @Test("SQS send and receive")
    func sqs() async throws {
        let aws = try motoClient(try await MotoServer.shared())
        let queue = try await aws.call("sqs", "CreateQueue", ["QueueName": .string(uniqueName("nimbus-queue"))])
        let url = try #require(queue["QueueUrl"]?.stringValue)
        let sent = try await aws.call("sqs", "SendMessage", ["QueueUrl": .string(url), "MessageBody": "hello queue"])
        #expect(sent["MessageId"]?.stringValue?.isEmpty == false)
        let received = try await aws.call(
            "sqs", "ReceiveMessage", ["QueueUrl": .string(url), "MaxNumberOfMessages": 1])
        #expect(received["Messages"]?[0]?["Body"]?.stringValue == "hello queue")
    }

    @Test("CloudFormation list stacks")
    func cloudformation() async throws {
        let aws = try motoClient(try await MotoServer.shared())
        let stacks = try await aws.call("cloudformation", "ListStacks")
        #expect(stacks.objectValue != nil)
        #expect(stacks["StackSummaries"]?.arrayValue != nil || stacks.objectValue?.isEmpty == true)
    }

    @Test("CloudWatch Logs groups, streams and events (json 1.1)")
    func logs() async throws {
        let aws = try motoClient(try await MotoServer.shared())
        let group = "/nimbus/\(uniqueName("group"))"
        _ = try await aws.call("logs", "CreateLogGroup", ["logGroupName": .string(group)])
        _ = try await aws.call("logs", "CreateLogStream", ["logGroupName": .string(group), "logStreamName": "s1"])
        let now = Int(Date().timeIntervalSince1970 * 1000)
        _ = try await aws.call(
            "logs", "PutLogEvents",
            [
                "logGroupName": .string(group), "logStreamName": "s1",
                "logEvents": [
                    ["timestamp": .int(now), "message": "first"], ["timestamp": .int(now + 1), "message": "second"],
                ],
            ])
        let events = try await aws.call(
            "logs", "GetLogEvents", ["logGroupName": .string(group), "logStreamName": "s1", "startFromHead": true])
        #expect(events["events"]?.arrayValue?.compactMap { $0["message"]?.stringValue } == ["first", "second"])
    }

    @Test("Parameters are validated before sending, with suggestions")
    func validation() async throws {
        let aws = try motoClient(try await MotoServer.shared())
        await #expect(throws: AWSModelError.self) { _ = try await aws.call("s3", "ListBukets") }
        do {
            _ = try await aws.call("s3", "ListBukets")
        } catch let error as AWSModelError {
            #expect(error.kind == .unknownOperation)
            #expect(error.suggestion == "did you mean 'ListBuckets'?")
        }
        do {
            _ = try await aws.call("s3", "ListObjectsV2", ["Bucket": "b", "Prefx": "a"])
        } catch let error as AWSModelError {
            #expect(error.kind == .unknownParameter)
            #expect(error.message.contains("'Prefx'"))
            #expect(error.suggestion == "did you mean 'Prefix'?")
        }
        do {
            _ = try await aws.call("s3", "GetObject", ["Bucket": "b"])
        } catch let error as AWSModelError {
            #expect(error.kind == .missingParameter)
            #expect(error.message.contains("'Key'"))
        }
        do {
            _ = try await aws.call(
                "dynamodb", "CreateTable", ["TableName": 5, "KeySchema": [], "AttributeDefinitions": []])
        } catch let error as AWSModelError {
            #expect(error.kind == .wrongType)
            #expect(error.message.contains("'TableName' should be a string but is the number 5"))
        }
        do {
            _ = try await aws.call("s3x", "ListBuckets")
        } catch let error as AWSModelError {
            #expect(error.kind == .unknownService)
            #expect(error.suggestion == "did you mean 's3'?")
        }
    }

    @Test(
        "Every bundled service model loads, with paginators",
        arguments: [
            "sts", "s3", "ec2", "iam", "lambda", "dynamodb", "sqs", "sns", "cloudformation", "logs", "cloudwatch",
            "rds",
            "kms", "ssm", "secretsmanager", "ecs", "eks", "elbv2", "autoscaling", "route53",
        ])
    func models(_ service: String) throws {
        let model = try ModelCatalog.model(service)
        #expect(model.operations.count > 5)
        // STS has nothing to paginate; every other service has paginators.
        #expect(try ModelCatalog.paginators(service).isEmpty == (service == "sts"))
    }
}
