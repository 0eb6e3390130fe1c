import Foundation
import NimbusAWS
import NimbusCore
import NimbusTesting
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Keys that would leave the destination, and their many shapes: none may ever become a path outside it.
let unsafeKeys = [
    "..", "../victim.txt", "../../victim.txt", "a/../../x", "ok/../../../x", "./x", "a/./b", "a/..", "x/../y",
    "a/b/../../../c", "/../x", "//..//x", "..//x", "deep/er/../../..", ".", "a/b/.", "dir/\u{0}x",
    String(repeating: "n", count: 256), "a/" + String(repeating: "é", count: 200),
    "../" + String(repeating: "a/", count: 40),
]

@Suite("Downloads stay inside their destination")
struct ConfinedDirectoryTests {
    @Test("Unsafe keys never map to a path", arguments: unsafeKeys)
    func unsafe(_ key: String) throws {
        let temporary = try TemporaryDirectory()
        let folder = ConfinedDirectory(temporary.path("dl"))
        guard case .failure = folder.path(for: key) else {
            Issue.record("'\(key.debugDescription)' mapped to \(folder.path(for: key))")
            return
        }
    }

    @Test(
        "Safe keys map below the destination",
        arguments: [
            ("a.txt", "a.txt"), ("a/b/c.txt", "a/b/c.txt"), ("a//b", "a/b"), ("/lead", "lead"), ("a b/c d", "a b/c d"),
            ("..hidden", "..hidden"), ("x..y/z", "x..y/z"), ("tab\tkey", "tab\tkey"), ("ünï/çødé", "ünï/çødé"),
            ("...", "..."),
        ])
    func safe(_ key: String, _ expected: String) throws {
        let temporary = try TemporaryDirectory()
        let root = temporary.path("dl")
        #expect(try ConfinedDirectory(root).path(for: key).get() == root + "/" + expected)
    }

    @Test("A link inside the destination may lead inside it, never outside; files and folders do not swap")
    func links() throws {
        let temporary = try TemporaryDirectory()
        let root = temporary.path("dl")
        try FileManager.default.createDirectory(atPath: root + "/inner", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: temporary.path("outside"), withIntermediateDirectories: true)
        #expect(symlink(temporary.path("outside"), root + "/out") == 0)
        #expect(symlink(root + "/inner", root + "/in") == 0)
        #expect(symlink("/etc/passwd", root + "/passwd") == 0)
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/file"))
        let folder = ConfinedDirectory(root)
        guard case .failure(.conflict) = folder.path(for: "out/victim.txt") else {
            Issue.record("a link to outside was followed")
            return
        }
        guard case .failure(.conflict) = folder.path(for: "passwd") else {
            Issue.record("a link to a file outside was written through")
            return
        }
        #expect(try folder.path(for: "in/x.txt").get() == root + "/in/x.txt")
        guard case .failure(.conflict) = folder.path(for: "file/x") else {
            Issue.record("a file was treated as a folder")
            return
        }
        guard case .failure(.conflict) = folder.path(for: "inner") else {
            Issue.record("a folder was treated as a file")
            return
        }
    }

    @Test("A bucket of hostile keys: the rest downloads, nothing lands outside, nothing partial is left")
    func hostileBucket() async throws {
        let moto = try await MotoServer.shared()
        let aws = try motoClient(moto)
        let bucket = uniqueName("nimbus-hostile")
        _ = try await aws.call("s3", "CreateBucket", ["Bucket": .string(bucket)])
        let hostile = unsafeKeys.filter { !$0.contains("\u{0}") && $0.utf8.count < 1000 && !$0.hasPrefix("/") }
        for key in hostile + ["good.txt", "dir/ok.txt", "a", "a/b", "ctl\u{1}key.txt", "victim.txt"] {
            _ = try await aws.call(
                "s3", "PutObject", ["Bucket": .string(bucket), "Key": .string(key), "Body": "ZXZpbA=="])
        }
        let temporary = try TemporaryDirectory()
        let work = temporary.path("work")
        try FileManager.default.createDirectory(atPath: work + "/dl", withIntermediateDirectories: true)
        try Data("original".utf8).write(to: URL(fileURLWithPath: temporary.path("victim.txt")))
        try Data("original".utf8).write(to: URL(fileURLWithPath: work + "/victim.txt"))
        let before = try listing(temporary.url.path)

        let manager = TransferManager(client: aws)
        let summary = try await manager.transfer(from: .s3(bucket: bucket, key: ""), to: .local(work + "/dl"))
        let written = Set(
            summary.plan.items.compactMap { item -> String? in
                guard case .local(let path) = item.destination else { return nil }
                return path
            })
        #expect(written.allSatisfy { $0.hasPrefix(work + "/dl/") }, "\(written)")
        #expect(written.contains(work + "/dl/a/b") && written.contains(work + "/dl/ctl\u{1}key.txt"))
        #expect(summary.plan.skipped.filter(\.reason.isRefusal).count >= hostile.count)
        #expect(try String(contentsOfFile: temporary.path("victim.txt"), encoding: .utf8) == "original")
        #expect(try String(contentsOfFile: work + "/victim.txt", encoding: .utf8) == "original")
        let after = try listing(temporary.url.path)
        let new = after.subtracting(before)
        #expect(
            new.allSatisfy { $0.hasPrefix(work + "/dl") },
            "written outside: \(new.filter { !$0.hasPrefix(work + "/dl") })")
        #expect(!after.contains { $0.hasSuffix(".nimbus-partial") })

        // A single object named by a key that is not a file name, into a folder: an error, nothing written.
        await #expect(throws: AWSTransferError.self) {
            _ = try await manager.transfer(from: .s3(bucket: bucket, key: ".."), to: .local(work + "/dl/"))
        }
        // A key that does not exist is an error naming it, not "0 files".
        do {
            _ = try await manager.transfer(from: .s3(bucket: bucket, key: "missing.txt"), to: .local(work + "/dl/"))
            Issue.record("a missing key downloaded nothing without an error")
        } catch let error as AWSTransferError {
            #expect(error.message.contains("s3://\(bucket)/missing.txt does not exist"))
            #expect(error.code == .missingObject)
            #expect(ErrorCode.of(error).rawValue == "aws_transfer.missing_object")
            #expect(ErrorCode.of(error).kind == .notFound)
        }
    }

    @Test("Links: a link given by name uploads what it points at, links in a tree are skipped or followed, loops end")
    func symlinks() async throws {
        let moto = try await MotoServer.shared()
        let aws = try motoClient(moto)
        let bucket = uniqueName("nimbus-links")
        _ = try await aws.call("s3", "CreateBucket", ["Bucket": .string(bucket)])
        let temporary = try TemporaryDirectory()
        let big = temporary.path("x/big.txt")
        try FileManager.default.createDirectory(atPath: temporary.path("x"), withIntermediateDirectories: true)
        try Data(repeating: 65, count: 100).write(to: URL(fileURLWithPath: big))
        #expect(symlink(big, temporary.path("bl")) == 0)
        let manager = TransferManager(client: aws)
        _ = try await manager.transfer(from: .local(temporary.path("bl")), to: .s3(bucket: bucket, key: ""))
        let head = try await aws.call("s3", "HeadObject", ["Bucket": .string(bucket), "Key": "bl"])
        #expect(head["ContentLength"]?.intValue == 100, "a link given by name uploads the file, not the link text")

        let tree = temporary.path("tree")
        try FileManager.default.createDirectory(atPath: tree + "/sub", withIntermediateDirectories: true)
        try Data("one".utf8).write(to: URL(fileURLWithPath: tree + "/one.txt"))
        #expect(symlink(big, tree + "/linked.txt") == 0)
        #expect(symlink(tree, tree + "/sub/loop") == 0)
        #expect(symlink("/nonexistent/target", tree + "/broken") == 0)
        let skipping = try await manager.plan(from: .local(tree), to: .s3(bucket: bucket, key: "t/"))
        #expect(skipping.items.map(\.destination.description) == ["s3://\(bucket)/t/one.txt"])
        #expect(skipping.skipped.filter { $0.reason == .symlink }.count == 3)
        #expect(skipping.skipped.filter { $0.reason.isRefusal }.isEmpty)

        let following = TransferManager(client: aws, options: TransferOptions(followSymlinks: true))
        let followed = try await following.plan(from: .local(tree), to: .s3(bucket: bucket, key: "t/"))
        #expect(
            Set(followed.items.map(\.destination.description)) == [
                "s3://\(bucket)/t/one.txt", "s3://\(bucket)/t/linked.txt",
            ])
        #expect(followed.items.first { $0.destination.description.hasSuffix("linked.txt") }?.size == 100)
        #expect(
            Set(followed.skipped.map(\.reason.description)) == [
                TransferSkip.Reason.brokenLink.description, TransferSkip.Reason.linkLoop.description,
            ])
        let summary = try await following.run(followed)
        #expect(summary.bytes == 103)
    }

    @Test("A sync moves only what is missing or changed")
    func sync() async throws {
        let moto = try await MotoServer.shared()
        let aws = try motoClient(moto)
        let bucket = uniqueName("nimbus-sync")
        _ = try await aws.call("s3", "CreateBucket", ["Bucket": .string(bucket)])
        let temporary = try TemporaryDirectory()
        let site = temporary.path("site")
        try FileManager.default.createDirectory(atPath: site, withIntermediateDirectories: true)
        for name in ["a", "b", "c"] { try Data(name.utf8).write(to: URL(fileURLWithPath: "\(site)/\(name).txt")) }
        let syncing = TransferManager(client: aws, options: TransferOptions(sync: true))
        let first = try await syncing.transfer(from: .local(site), to: .s3(bucket: bucket, key: "site/"))
        #expect(first.plan.items.count == 3)
        let again = try await syncing.plan(from: .local(site), to: .s3(bucket: bucket, key: "site/"))
        #expect(again.items.isEmpty && again.unchanged == 3)
        try Data("bigger b".utf8).write(to: URL(fileURLWithPath: "\(site)/b.txt"))
        let changed = try await syncing.plan(from: .local(site), to: .s3(bucket: bucket, key: "site/"))
        #expect(changed.items.map(\.destination.description) == ["s3://\(bucket)/site/b.txt"])
        let down = temporary.path("down")
        _ = try await syncing.transfer(from: .s3(bucket: bucket, key: "site/"), to: .local(down))
        let downAgain = try await syncing.plan(from: .s3(bucket: bucket, key: "site/"), to: .local(down))
        #expect(downAgain.items.isEmpty && downAgain.unchanged == 3)
    }

    func listing(_ root: String) throws -> Set<String> {
        var paths = Set<String>()
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let path = enumerator?.nextObject() as? String { paths.insert(root + "/" + path) }
        return paths
    }
}

@Suite("What operations do and carry")
struct OperationSecurityTests {
    @Test(
        "Access comes from the operation, however it is spelled",
        arguments: [
            ("s3", "list-buckets", AWSAccess.read), ("s3", "ListBuckets", .read), ("s3", "listbuckets", .read),
            ("s3", "delete-bucket", .delete), ("s3", "DeleteBucket", .delete), ("s3", "delete_objects", .delete),
            ("s3", "put-object", .write), ("s3", "CopyObject", .write), ("s3", "head-object", .read),
            ("ec2", "terminate-instances", .delete), ("ec2", "StopInstances", .write),
            ("ec2", "describe-instances", .read), ("iam", "create-access-key", .write), ("sts", "assume-role", .write),
            ("sts", "get-caller-identity", .read), ("sts", "get-session-token", .write),
            ("ssm", "get-parameter", .read),
            ("ssm", "put-parameter", .write), ("dynamodb", "batch-get-item", .read), ("sqs", "purge-queue", .delete),
            ("lambda", "invoke", .write), ("kms", "revoke-grant", .delete), ("iam", "detach-role-policy", .delete),
        ])
    func access(_ service: String, _ operation: String, _ expected: AWSAccess) throws {
        #expect(try ModelCatalog.model(service).operation(operation).access == expected)
    }

    @Test("IAM actions: S3's multipart parts are PutObject, listings ListBucket, batch deletes DeleteObject")
    func iamActions() throws {
        let s3 = try ModelCatalog.model("s3")
        #expect(try s3.operation("UploadPart").iamActions(service: s3) == ["s3:PutObject"])
        #expect(try s3.operation("ListObjectsV2").iamActions(service: s3) == ["s3:ListBucket"])
        #expect(try s3.operation("DeleteObjects").iamActions(service: s3) == ["s3:DeleteObject"])
        #expect(try s3.operation("CopyObject").iamActions(service: s3) == ["s3:PutObject", "s3:GetObject"])
        #expect(try s3.operation("DeleteBucket").iamActions(service: s3) == ["s3:DeleteBucket"])
        let lambda = try ModelCatalog.model("lambda")
        #expect(try lambda.operation("Invoke").iamActions(service: lambda) == ["lambda:InvokeFunction"])
    }

    @Test("Members the model marks sensitive are masked and handed over, in parameters and in answers")
    func sensitive() throws {
        let put = try ModelCatalog.model("ssm").operation("PutParameter")
        let (parameters, secrets) = put.redactingInput(
            ["Name": "db", "Value": "hunter2-secure-string", "Type": "SecureString"])
        #expect(parameters["Value"] == .string(SecretRedactor.placeholder) && parameters["Name"] == "db")
        #expect(secrets == ["hunter2-secure-string"])
        let get = try ModelCatalog.model("ssm").operation("GetParameter")
        let answer = get.redactingOutput([
            "Parameter": ["Name": "db", "Value": "decrypted-value-42", "Type": "SecureString"]
        ])
        #expect(answer.secrets == ["decrypted-value-42"])
        let key = try ModelCatalog.model("iam").operation("CreateAccessKey")
        let created = key.redactingOutput([
            "AccessKey": ["AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG", "UserName": "u"]
        ])
        #expect(created.secrets == ["wJalrXUtnFEMI/K7MDENG"])
        #expect(created.redacted["AccessKey"]?["AccessKeyId"] == "AKIAEXAMPLE")
    }

    @Test("Keys with control characters list and decode, as boto3 asks for them")
    func encodedKeys() async throws {
        let moto = try await MotoServer.shared()
        let aws = try motoClient(moto)
        let bucket = uniqueName("nimbus-ctl")
        _ = try await aws.call("s3", "CreateBucket", ["Bucket": .string(bucket)])
        let keys = ["a\u{1}b", "tab\there", "bell\u{7}", "plus+space x", "percent%41", "ünï"]
        for key in keys {
            _ = try await aws.call("s3", "PutObject", ["Bucket": .string(bucket), "Key": .string(key), "Body": "eA=="])
        }
        let listed = try await aws.call("s3", "ListObjectsV2", ["Bucket": .string(bucket)])
        let names = (listed["Contents"]?.arrayValue ?? []).compactMap { $0["Key"]?.stringValue }
        #expect(Set(names) == Set(keys))
        #expect(listed["EncodingType"] == nil, "the encoding Nimbus asked for is its own business")
        // Asked for by the caller, the answer stays encoded.
        let raw = try await aws.call("s3", "ListObjectsV2", ["Bucket": .string(bucket), "EncodingType": "url"])
        #expect((raw["Contents"]?.arrayValue ?? []).contains { $0["Key"]?.stringValue == "a%01b" })
    }

    @Test("The guard hears every call of a transfer, each part included, and can refuse one")
    func guardSeesEverything() async throws {
        let moto = try await MotoServer.shared()
        let watcher = WatchingGuard(refuse: "s3:CompleteMultipartUpload")
        let aws = try moto.client(callGuard: watcher)
        let bucket = uniqueName("nimbus-guard")
        _ = try await aws.call("s3", "CreateBucket", ["Bucket": .string(bucket)])
        let temporary = try TemporaryDirectory()
        _ = try writeRandomFile(temporary.path("big.bin"), size: 12 << 20)
        let manager = TransferManager(
            client: aws, options: TransferOptions(partSize: 5 << 20, multipartThreshold: 5 << 20))
        await #expect(throws: (any Error).self) {
            _ = try await manager.transfer(
                from: .local(temporary.path("big.bin")), to: .s3(bucket: bucket, key: "big.bin"))
        }
        let seen = watcher.seen
        #expect(seen.filter { $0 == "s3:UploadPart" }.count == 3)
        #expect(seen.contains("s3:CreateMultipartUpload") && seen.last == "s3:CompleteMultipartUpload")
        #expect(watcher.finished == seen.count - 1, "a refused call is never sent, so it never finishes")
    }
}

/// Records what a client was about to send, and refuses one action.
final class WatchingGuard: AWSCallGuard {
    let refuse: String
    private let calls = Mutex<[String]>([])
    private let done = Mutex(0)
    init(refuse: String) { self.refuse = refuse }
    var seen: [String] { calls.withLock { $0 } }
    var finished: Int { done.withLock { $0 } }

    func willSend(_ call: AWSOperationCall) async throws {
        calls.withLock { $0.append(call.action) }
        if call.action == refuse { throw AWSClientError.notAllowedHere(action: call.action) }
    }

    func didFinish(_ call: AWSOperationCall, _ result: AWSCallResult) async { done.withLock { $0 += 1 } }
}

@Suite("The Nimbus credentials file keeps what it has")
struct CredentialsFileSafetyTests {
    @Test("A file that does not parse is never rewritten; bad names are refused; writes keep a backup, owner-only")
    func neverWipes() throws {
        let temporary = try TemporaryDirectory()
        let file = NimbusCredentialsFile(home: temporary.url)
        try file.store(
            profile: "first", settings: ["aws_access_key_id": "AKIA1", "aws_secret_access_key": "s1-secret-value"])
        try file.store(
            profile: "second", settings: ["aws_access_key_id": "AKIA2", "aws_secret_access_key": "s2-secret-value"])
        #expect(try Set(file.profiles().keys) == ["first", "second"])
        #expect(FileManager.default.fileExists(atPath: file.backupPath.path))
        for path in [file.path.path, file.backupPath.path, file.keyPath.path] {
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(path) is \(String(mode ?? 0, radix: 8))")
        }
        for name in [
            "multi\nline", "", "has space", "-dash", "[bracket]", "a:b", String(repeating: "x", count: 65), "ünï",
        ] {
            #expect(throws: AWSCredentialsError.self) { try file.store(profile: name, settings: [:]) }
        }
        #expect(throws: AWSCredentialsError.self) {
            try file.store(profile: "third", settings: ["region": "eu-west-1\nprofiles:"])
        }
        let broken = try String(contentsOf: file.path, encoding: .utf8) + "  oops: [unclosed\n"
        try Data(broken.utf8).write(to: file.path)
        #expect(throws: AWSCredentialsError.self) {
            try file.store(
                profile: "third", settings: ["aws_access_key_id": "AKIA3", "aws_secret_access_key": "s3-secret"])
        }
        #expect(try String(contentsOf: file.path, encoding: .utf8) == broken, "the unreadable file is left as it was")
    }
}
