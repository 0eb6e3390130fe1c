import Foundation
import NimbusAWS
import NimbusSandbox
import NimbusTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The signing proxy, reached from inside the sandbox: boto3 calls of five wire protocols go through, re-signed;
/// what the policy does not allow is refused in AWS's own error shape and never reaches moto; forged and replayed
/// requests are refused.
@Suite("Signing proxy", .serialized)
struct ProxyTests {
    @Test("boto3 in the sandbox reads through the proxy (S3, EC2, IAM, DynamoDB, Lambda); no real key leaks in")
    func readsGoThrough() async throws {
        guard let sandbox = try await TestSandbox.bubblewrap() else { return }
        let moto = try await MotoServer.shared()
        let bucket = "nimbus-proxy-\(UUID().uuidString.prefix(8).lowercased())"
        let client = try moto.client()
        _ = try await client.call("s3", "CreateBucket", .object(["Bucket": .string(bucket)]))
        let (proxy, directory) = try await TestSandbox.proxy(
            allowing: [
                "s3:ListAllMyBuckets", "ec2:DescribeSecurityGroups", "iam:ListUsers", "dynamodb:ListTables",
                "lambda:ListFunctions",
            ], moto: moto)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = """
            import json, boto3
            out = {}
            out["buckets"] = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
            out["groups"] = len(boto3.client("ec2").describe_security_groups()["SecurityGroups"])
            out["users"] = len(boto3.client("iam").list_users()["Users"])
            out["tables"] = boto3.client("dynamodb").list_tables()["TableNames"]
            out["functions"] = boto3.client("lambda").list_functions()["Functions"]
            print(json.dumps(out))
            """
        let result = try await sandbox.run(SandboxJob(script: script, aws: proxy.access))
        await proxy.stop()
        let seen = try TestSandbox.json(result)
        #expect((seen["buckets"] as? [String] ?? []).contains(bucket), "\(result.stderrText.suffix(600))")
        #expect((seen["groups"] as? Int ?? 0) >= 1)
        let calls = proxy.calls
        let refused = calls.filter { !$0.allowed }
        #expect(refused.isEmpty, "\(refused)")
        #expect(
            Set(calls.map(\.operation)).isSuperset(of: [
                "ListBuckets", "DescribeSecurityGroups", "ListUsers", "ListTables", "ListFunctions",
            ]))
        let withoutID = calls.filter { $0.requestID == nil }
        #expect(withoutID.isEmpty)
        for text in [result.stdoutText, result.stderrText] {
            #expect(!text.contains(TestSandbox.realKeyID) && !text.contains(TestSandbox.realSecret))
        }
    }

    @Test("s3:DeleteBucket with only s3:ListAllMyBuckets approved is AccessDenied, and the bucket is still there")
    func outsideThePolicy() async throws {
        guard let sandbox = try await TestSandbox.bubblewrap() else { return }
        let moto = try await MotoServer.shared()
        let bucket = "nimbus-keep-\(UUID().uuidString.prefix(8).lowercased())"
        let client = try moto.client()
        _ = try await client.call("s3", "CreateBucket", .object(["Bucket": .string(bucket)]))
        let (proxy, directory) = try await TestSandbox.proxy(allowing: ["s3:ListAllMyBuckets"], moto: moto)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = """
            import json, sys, boto3, botocore.exceptions
            s3 = boto3.client("s3")
            out = {}
            for name, call in [("delete", lambda: s3.delete_bucket(Bucket=sys.argv[1])),
                               ("put", lambda: s3.put_object(Bucket=sys.argv[1], Key="x", Body=b"x")),
                               ("list objects", lambda: s3.list_objects_v2(Bucket=sys.argv[1]))]:
                try:
                    call()
                    out[name] = "done"
                except botocore.exceptions.ClientError as error:
                    out[name] = error.response["Error"]["Code"]
            print(json.dumps(out))
            """
        let result = try await sandbox.run(SandboxJob(script: script, arguments: [bucket], aws: proxy.access))
        await proxy.stop()
        let seen = try TestSandbox.json(result)
        #expect(seen["delete"] as? String == "AccessDenied", "\(result.stdoutText) \(result.stderrText.suffix(500))")
        #expect(seen["put"] as? String == "AccessDenied")
        #expect(seen["list objects"] as? String == "AccessDenied")
        let buckets = try await client.call("s3", "ListBuckets")
        #expect("\(buckets)".contains(bucket), "the bucket is gone from moto")
        let refused = proxy.calls.filter { !$0.allowed }.map(\.operation)
        #expect(Set(refused) == ["DeleteBucket", "PutObject", "ListObjectsV2"])
    }

    @Test("a write the policy allows is still refused when the proxy is read-only")
    func readOnlyProxy() async throws {
        guard let sandbox = try await TestSandbox.bubblewrap() else { return }
        let moto = try await MotoServer.shared()
        let (proxy, directory) = try await TestSandbox.proxy(allowing: ["s3:*"], moto: moto)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bucket = "nimbus-never-\(UUID().uuidString.prefix(8).lowercased())"
        let script = """
            import json, sys, boto3, botocore.exceptions
            try:
                boto3.client("s3").create_bucket(Bucket=sys.argv[1])
                print(json.dumps({"create": "done"}))
            except botocore.exceptions.ClientError as error:
                print(json.dumps({"create": error.response["Error"]["Code"], "message": error.response["Error"]["Message"]}))
            """
        let result = try await sandbox.run(SandboxJob(script: script, arguments: [bucket], aws: proxy.access))
        await proxy.stop()
        let seen = try TestSandbox.json(result)
        #expect(seen["create"] as? String == "AccessDenied")
        #expect((seen["message"] as? String ?? "").contains("not a read"))
        let buckets = try await moto.client().call("s3", "ListBuckets")
        #expect(!"\(buckets)".contains(bucket))
    }

    @Test("forged and replayed requests to the proxy are refused")
    func forgedAndReplayed() async throws {
        guard let sandbox = try await TestSandbox.bubblewrap() else { return }
        let moto = try await MotoServer.shared()
        let (proxy, directory) = try await TestSandbox.proxy(allowing: ["s3:ListAllMyBuckets"], moto: moto)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = """
            import json, os, http.client, urllib.parse
            from botocore.auth import SigV4Auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            endpoint = urllib.parse.urlparse(os.environ["AWS_ENDPOINT_URL"])
            def send(headers):
                connection = http.client.HTTPConnection(endpoint.hostname, endpoint.port, timeout=10)
                connection.request("GET", "/", headers=headers)
                response = connection.getresponse()
                body = response.read().decode()
                connection.close()
                return [response.status, body]
            def signed(key, secret):
                request = AWSRequest(method="GET", url=os.environ["AWS_ENDPOINT_URL"] + "/")
                SigV4Auth(Credentials(key, secret), "s3", "us-east-1").add_auth(request)
                return dict(request.headers.items())
            key, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
            out = {"unsigned": send({})}
            out["other key"] = send(signed("AKIAOTHERKEY", secret))
            out["wrong secret"] = send(signed(key, "not-the-secret"))
            good = signed(key, secret)
            out["first"] = send(good)
            out["replay"] = send(good)
            print(json.dumps(out))
            """
        let result = try await sandbox.run(SandboxJob(script: script, aws: proxy.access))
        await proxy.stop()
        let seen = try TestSandbox.json(result)
        func status(_ key: String) -> Int { (seen[key] as? [Any])?.first as? Int ?? 0 }
        func body(_ key: String) -> String { (seen[key] as? [Any])?.last as? String ?? "" }
        #expect(status("unsigned") == 403 && body("unsigned").contains("MissingAuthenticationToken"))
        #expect(status("other key") == 403 && body("other key").contains("InvalidAccessKeyId"))
        #expect(status("wrong secret") == 403 && body("wrong secret").contains("SignatureDoesNotMatch"))
        #expect(status("first") == 200, "\(body("first"))")
        #expect(status("replay") == 403 && body("replay").contains("replay"))
    }

    @Test("a plain process, asked for by name, runs the same script through the same proxy")
    func plainProcess() async throws {
        let moto = try await MotoServer.shared()
        let sandbox = PlainProcessSandbox(python: try await TestSandbox.python())
        #expect(sandbox.isolation.contains("can read your files"))
        let (proxy, directory) = try await TestSandbox.proxy(allowing: ["s3:ListAllMyBuckets"], moto: moto)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await sandbox.run(
            SandboxJob(
                script:
                    "import boto3, json\nprint(json.dumps({'n': len(boto3.client('s3').list_buckets()['Buckets'])}))\n",
                aws: proxy.access))
        await proxy.stop()
        #expect(result.succeeded, "\(result.stderrText.suffix(600))")
        #expect(proxy.calls.map(\.operation) == ["ListBuckets"])
    }

    @Test("a missing bubblewrap is a clear error")
    func missingBubblewrap() async throws {
        #expect {
            try BubblewrapSandbox(
                python: SandboxPython(directory: URL(fileURLWithPath: "/nonexistent")), bwrap: "/nonexistent/bwrap")
        } throws: { error in
            "\(error)".contains("apt-get install bubblewrap")
        }
    }
}

/// The router and the policy, without a sandbox.
@Suite("Operations and policies")
struct RouterTests {
    @Test("REST requests are named by the most specific requestUri of the model")
    func s3Routes() throws {
        let router = OperationRouter(model: try ModelCatalog.model("s3"))
        func name(_ method: String, _ path: String, _ query: String = "") -> String? {
            router.operation(method: method, path: path, query: query, headers: [], body: [])?.name
        }
        #expect(name("GET", "/") == "ListBuckets")
        #expect(name("GET", "/b") == "ListObjects")
        #expect(name("GET", "/b", "list-type=2&prefix=a") == "ListObjectsV2")
        #expect(name("GET", "/b", "policy") == "GetBucketPolicy")
        #expect(name("GET", "/b", "encryption") == "GetBucketEncryption")
        #expect(name("GET", "/b/some/key.txt") == "GetObject")
        #expect(name("PUT", "/b/key") == "PutObject")
        #expect(name("DELETE", "/b") == "DeleteBucket")
        #expect(name("HEAD", "/b") == "HeadBucket")
        let lambda = OperationRouter(model: try ModelCatalog.model("lambda"))
        #expect(
            lambda.operation(method: "GET", path: "/2015-03-31/functions/", query: "", headers: [], body: [])?.name
                == "ListFunctions")
    }

    @Test("IAM globs match case-insensitively; Deny wins; NotAction is refused")
    func policies() throws {
        let policy = try SandboxPolicy(
            json: Data(
                #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","ec2:Describe*"],"Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#
                    .utf8))
        #expect(policy.allows(["s3:GetBucketPolicy"]))
        #expect(policy.allows(["EC2:DescribeInstances"]))
        #expect(!policy.allows(["s3:GetObject"]))
        #expect(!policy.allows(["s3:DeleteBucket"]))
        #expect(!policy.allows(["s3:GetBucketPolicy", "s3:PutObject"]))
        #expect(throws: SandboxPolicyError.self) {
            try SandboxPolicy(json: Data(#"{"Statement":[{"Effect":"Allow","NotAction":"s3:*"}]}"#.utf8))
        }
    }
}
