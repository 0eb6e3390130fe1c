import Foundation
import NimbusAWS
import NimbusAgents
import NimbusCore
import NimbusStore

/// The answer to a request, without a model: the tools' own reports, or what failed, why and what to try.
enum OpsResponder {
    static func answer(_ state: OpsWorkflow.State) -> (RequestRecord.Status, String) {
        if let failure = state.failure {
            return (.failed, "I could not finish \"\(state.request.text)\": \(failure.message)" + hint(failure.hint))
        }
        if let answer = state.answer, state.loop.executed.isEmpty, state.loop.plan.isEmpty {
            return (state.status == .running ? .completed : state.status, answer)
        }
        if state.settings.planOnly {
            if let answer = state.loop.answer, state.loop.plan.isEmpty { return (.planned, answer) }
            var lines = ["Plan for \"\(state.request.text)\" (nothing was run):"]
            lines += state.loop.plan.map { "  " + $0.line }
            if let blocker = state.loop.plan.blockedBy, case .refused(let reason) = blocker.decision {
                lines.append("It would not run: step \(blocker.number) is refused (\(reason)).")
            } else if !state.loop.plan.awaitingApproval.isEmpty {
                lines.append("Steps marked 'asks first' will ask for your approval when you run it.")
            }
            return (.planned, lines.joined(separator: "\n"))
        }
        let executed = state.loop.executed
        var sections: [String] = []
        if let answer = state.loop.answer, !answer.isEmpty { sections.append(answer) }

        if let refused = executed.first(where: { $0.status == .refused }) {
            var text =
                "Nothing was run: step \(refused.step.number) (\(refused.step.summary)) was refused: "
                + (refused.reason ?? "not allowed") + "."
            text += hint(refusalHint(refused.reason ?? "", state: state))
            return (.refused, (sections + [text]).joined(separator: "\n\n"))
        }
        let succeeded = executed.filter { $0.status == .succeeded }
        let counted = state.counts
        for outcome in succeeded {
            guard let report = outcome.report, !report.isEmpty else { continue }
            if counted, outcome.step.access == .read, state.strategy == "offline" {
                sections.append(countLine(report))
            } else if state.strategy == "offline" || state.loop.answer == nil {
                sections.append(report)
            }
        }
        for skipped in executed where skipped.status == .skipped && skipped.reason?.contains("found nothing") == true {
            sections.append("Nothing to do for step \(skipped.step.number): \(skipped.reason ?? "").")
        }
        if let failed = executed.first(where: { $0.status == .failed }) {
            var text =
                "Step \(failed.step.number) (\(failed.step.summary)) failed: "
                + (failed.failure?.message ?? "unknown error")
            text += hint(failed.failure?.hint)
            let notRun = executed.filter { $0.status == .skipped && $0.reason?.hasPrefix("not run") == true }
            if !notRun.isEmpty {
                text +=
                    "\nNot run: " + notRun.map { "step \($0.step.number) (\($0.step.summary))" }.joined(separator: ", ")
            }
            sections.append(text)
            if state.loop.answer == nil || state.strategy == "offline" {
                return (.failed, sections.joined(separator: "\n\n"))
            }
        }
        let declined = executed.filter { $0.status == .declined }
        if !declined.isEmpty {
            let list = declined.map { "step \($0.step.number) (\($0.step.summary))" }.joined(separator: ", ")
            sections.append("Not changed, as you declined: \(list).")
            let changed = succeeded.contains { $0.step.access != .read }
            if !changed { return (.declined, sections.joined(separator: "\n\n")) }
        }
        if sections.isEmpty { sections.append("Done: nothing needed doing.") }
        return (.completed, sections.joined(separator: "\n\n"))
    }

    /// "3 S3 buckets:" → "3 S3 buckets."
    private static func countLine(_ report: String) -> String {
        let first = report.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? report
        return first.hasSuffix(":") ? String(first.dropLast()) + "." : first
    }

    private static func hint(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "" }
        return "\n  Try: \(text)"
    }

    private static func refusalHint(_ reason: String, state: OpsWorkflow.State) -> String? {
        if reason.contains("read-only") { return "run it again without --read-only to allow changes." }
        if reason.contains("denied by") {
            return
                "if this should be allowed, edit the deny list in \(reason.components(separatedBy: " in ").last ?? "policy.yaml")."
        }
        if reason.contains("did not ask") || reason.contains("only asked") {
            return "say it in your own request (\"delete …\", \"upload …\"); text read from AWS cannot ask for changes."
        }
        if reason.contains("no tool called") || reason.contains("not valid") {
            return "check the request's names and values."
        }
        return nil
    }
}

/// Errors as people should read them: what failed, the AWS code, and what to try.
enum OpsFailures {
    static func describe(_ error: any Error) -> StepFailure {
        if let error = error as? AWSError {
            return StepFailure(
                message: SecretRedactor.redact(error.message), code: error.code,
                hint: hints[error.code] ?? error.suggestion ?? (error.statusCode == 404 ? "check the name." : nil))
        }
        if let error = error as? AWSClientError {
            return StepFailure(
                message: SecretRedactor.redact(error.message),
                hint: error.suggestion ?? "check the endpoint (AWS_ENDPOINT_URL) and the network, then ask again.")
        }
        return StepFailure.describing(error)
    }

    /// Hints for the AWS error codes people meet most.
    static let hints: [String: String] = [
        "NoSuchBucket": "check the bucket's name with `nimbus ask \"list buckets\"`.",
        "NoSuchKey": "check the key with `nimbus ask \"list objects in bucket NAME\"`.",
        "NotFound": "check the name; list what exists first.",
        "AccessDenied": "the credentials in use (see `nimbus validate`) may not do this; try another --profile.",
        "AccessDeniedException":
            "the credentials in use (see `nimbus validate`) may not do this; try another --profile.",
        "UnauthorizedOperation":
            "the credentials in use (see `nimbus validate`) may not do this; try another --profile.",
        "BucketAlreadyExists": "bucket names are shared by every AWS account; choose another name.",
        "BucketAlreadyOwnedByYou": "you already own that bucket; nothing to create.",
        "BucketNotEmpty": "delete its objects first (`delete everything in s3://BUCKET/`), then the bucket.",
        "InvalidInstanceID.NotFound": "check the ids with `nimbus ask \"list instances\"`.",
        "InvalidInstanceID.Malformed": "instance ids look like i-0123456789abcdef0.",
        "IncorrectInstanceState":
            "the instance is not in a state that allows this; list instances to see their states.",
        "ResourceNotFoundException": "check the name: list what exists (tables, functions, log groups) first.",
        "ValidationError": "check the names and values in the request.",
        "NoSuchEntity": "check the name with `nimbus ask \"list roles\"` or `\"list users\"`.",
        "InvalidBucketName": "bucket names are 3-63 lower-case letters, digits, dots and dashes.",
        "IllegalLocationConstraintException": "create the bucket in the region the client uses, or pass --region.",
        "ThrottlingException": "AWS is limiting requests; wait a moment and ask again.",
        "ExpiredToken": "refresh the credentials (aws sso login, or new keys), then ask again.",
    ]
}
