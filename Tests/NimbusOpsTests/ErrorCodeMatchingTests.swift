import Foundation
import NimbusAWS
import NimbusCore
import NimbusStore
import NimbusTesting
import Testing

/// Real failures from the real parts (moto, SQLite) carry codes a program can match, of the kind that sets the
/// server's HTTP status and the command's exit code.
@Suite("error codes of real failures")
struct ErrorCodeMatchingTests {
    @Test("AWS's own error code, and a kind from its HTTP status")
    func awsErrors() async throws {
        let aws = try await MotoServer.shared().client()
        await #expect {
            _ = try await aws.call(
                "s3", "GetBucketTagging", ["Bucket": .string("no-such-bucket-\(UInt32.random(in: 0...9999))")])
        } throws: { error in
            let code = ErrorCode.of(error)
            return (error as? AWSError)?.code == "NoSuchBucket" && code.rawValue == "aws.no_such_bucket"
                && code.kind == .notFound && code.kind.httpStatus == 404
        }
        await #expect {
            _ = try await aws.call("s3", "GetBucketTaging", [:])
        } throws: { error in
            ErrorCode.of(error).rawValue == "aws_model.unknown_operation" && ErrorCode.of(error).kind == .invalidInput
        }
    }

    @Test("the store: a path that cannot be opened")
    func storeErrors() throws {
        #expect {
            _ = try SQLiteStore(path: "/proc/nimbus-cannot-be-here/nimbus.sqlite")
        } throws: { error in
            (error as? StoreError)?.code == .cannotOpen && ErrorCode.of(error).kind == .unavailable
        }
    }
}
