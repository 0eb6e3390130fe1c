import Foundation
import NimbusCore
import Testing

@Suite("error codes")
struct ErrorCodeTests {
    @Test("one table: each kind's HTTP status and exit code")
    func table() {
        let expected: [ErrorKind: (Int, Int32)] = [
            .invalidInput: (400, 1), .unauthorized: (401, 1), .forbidden: (403, 1), .approvalRequired: (403, 2),
            .notFound: (404, 1), .conflict: (409, 1), .throttled: (429, 1), .internal: (500, 1),
            .upstream: (502, 1), .unavailable: (503, 1), .timeout: (504, 1),
        ]
        #expect(Set(expected.keys) == Set(ErrorKind.allCases), "every kind is in the table")
        for kind in ErrorKind.allCases {
            #expect(kind.httpStatus == expected[kind]?.0, "\(kind)")
            #expect(kind.exitCode == expected[kind]?.1, "\(kind)")
        }
    }

    @Test("codes are snake case, equal by name, and matched on the error's own public code")
    func codes() throws {
        #expect(ErrorCode("aws_gate", "notApproved", .approvalRequired).rawValue == "aws_gate.not_approved")
        #expect(ErrorCode("x", "a", .internal) == ErrorCode("x", "a", .conflict))
        #expect(ErrorCode.snakeCase("AWSTransfer") == "aws_transfer")

        #expect {
            _ = try JSONValue(parsing: "{nope")
        } throws: { error in
            (error as? JSONValueError)?.code == .invalidJSON
                && ErrorCode.of(error).rawValue == "json_value.invalid_json"
                && ErrorCode.of(error).kind == .invalidInput
        }
        let missing = ConfigurationError.missingFile("/nowhere.toml")
        #expect(missing.code == .missingFile)
        #expect(ErrorCode.of(missing).rawValue == "configuration.missing_file")
        #expect(ErrorCode.of(missing).kind.httpStatus == 404)
    }

    @Test("errors from outside Nimbus: file errors by what happened, cancellation, anything else internal")
    func foreign() throws {
        #expect {
            _ = try Data(contentsOf: URL(fileURLWithPath: "/nonexistent/nimbus/file"))
        } throws: { error in
            ErrorCode.of(error).rawValue == "file.not_found" && ErrorReport(error).message.contains("/nonexistent")
        }
        #expect(ErrorCode.of(POSIXError(.EACCES)).rawValue == "file.permission_denied")
        #expect(ErrorCode.of(CancellationError()).rawValue == "task.cancelled")
        struct Strange: Error {}
        #expect(ErrorCode.of(Strange()) == ErrorCode("internal", "error", .internal))
        #expect(ErrorCode.of(Strange()).kind.exitCode == 1)
    }

    @Test("the report a program reads names code and kind, and never carries a secret")
    func report() throws {
        let error = ConfigurationError.malformedFile(
            "/etc/nimbus.toml", detail: "line 3: aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        let report = ErrorReport(error)
        #expect(report.code == "configuration.malformed_file")
        #expect(report.kind == .invalidInput)
        #expect(!report.message.contains("wJalrXUtnFEMI"), "\(report.message)")
        #expect(report.json["hint"]?.stringValue == error.suggestion)
        let decoded = try JSONDecoder().decode(ErrorReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)
    }
}
