import Foundation
import NimbusCore

/// The formats an inspection's report is written in.
public enum InspectionReportFormat: String, Sendable, CaseIterable, Codable {
    case markdown = "md"
    case html
    case json
    case csv
    /// AWS Security Finding Format (Security Hub's `BatchImportFindings` shape).
    case asff

    /// The format a file name asks for (`report.md`, `findings.csv`), if it names one.
    public init?(fileName: String) {
        let ext = (fileName as NSString).pathExtension.lowercased()
        switch ext {
        case "md", "markdown": self = .markdown
        case "htm", "html": self = .html
        case "json": self = .json
        case "csv": self = .csv
        case "asff": self = .asff
        default: return nil
        }
    }
}

extension InspectProduct.Outcome {
    /// The report in `format`. `account` and `region` fill ASFF's required fields.
    public func report(
        _ format: InspectionReportFormat, account: String = "000000000000", region: String = "us-east-1"
    )
        -> String
    {
        switch format {
        case .json:
            return ((try? JSONValue(encoding: self))?.prettyJSONText ?? "{}") + "\n"
        case .markdown:
            var lines = ["# Inspection: \(question)", "", answer, ""]
            lines.append("## Findings")
            lines.append("")
            if findings.isEmpty { lines.append("None.") }
            for finding in findings {
                lines.append("### [\(finding.severity)] \(finding.title)")
                lines.append("")
                lines.append("- Resource: `\(finding.resource)`")
                lines.append("- Recommendation: \(finding.recommendation)")
                lines.append("- Found by `\(finding.script)` in iteration \(finding.iteration)")
                lines.append("- AWS requests: " + finding.requests.map { "`\($0)`" }.joined(separator: ", "))
                lines.append("- Evidence: `\(finding.evidence.jsonText)`")
                lines.append("")
            }
            lines.append("## Evidence trail")
            lines.append("")
            for iteration in iterations {
                let execution = iteration.execution
                lines.append(
                    "\(iteration.number). `\(iteration.script)` — \(iteration.outcome), \(iteration.attempts) attempt(s)"
                        + (execution.map {
                            String(
                                format: ", %@ in %.2f s, CPU %.2f s, %d AWS call(s)", $0.summary, $0.wallSeconds,
                                $0.cpuSeconds, $0.calls.count)
                        } ?? ""))
                lines.append("   - Task: \(iteration.task)")
                lines.append("   - Policy: " + iteration.policy.map { "`\($0)`" }.joined(separator: ", "))
                for call in execution?.calls ?? [] {
                    lines.append(
                        "   - `\(call.service):\(call.operation)` \(call.allowed ? "HTTP \(call.status)" : "refused")"
                            + " request id `\(call.requestID ?? "-")`")
                }
            }
            if !gaps.isEmpty {
                lines.append("")
                lines.append("## Gaps")
                lines.append("")
                lines += gaps.map { "- \($0)" }
            }
            return lines.joined(separator: "\n") + "\n"
        case .csv:
            var rows = ["severity,resource,title,recommendation,script,requests"]
            for finding in findings {
                rows.append(
                    [
                        finding.severity, finding.resource, finding.title, finding.recommendation, finding.script,
                        finding.requests.joined(separator: " "),
                    ].map(Self.csvField).joined(separator: ","))
            }
            return rows.joined(separator: "\n") + "\n"
        case .html:
            func escape(_ text: String) -> String {
                text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                    .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            }
            var html = [
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Inspection</title>",
                "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}",
                "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}",
                ".high{color:#b00020}.medium{color:#a15c00}</style></head><body>",
                "<h1>\(escape(question))</h1>", "<p>\(escape(answer).replacingOccurrences(of: "\n", with: "<br>"))</p>",
                "<table><tr><th>Severity</th><th>Resource</th><th>Finding</th><th>Recommendation</th><th>AWS requests</th></tr>",
            ]
            for finding in findings {
                html.append(
                    "<tr><td class=\"\(escape(finding.severity))\">\(escape(finding.severity))</td>"
                        + "<td><code>\(escape(finding.resource))</code></td><td>\(escape(finding.title))</td>"
                        + "<td>\(escape(finding.recommendation))</td>"
                        + "<td>\(finding.requests.map { "<code>\(escape($0))</code>" }.joined(separator: "<br>"))</td></tr>"
                )
            }
            html.append("</table></body></html>")
            return html.joined(separator: "\n") + "\n"
        case .asff:
            let now = ISO8601DateFormatter().string(from: Date())
            let items: [JSONValue] = findings.enumerated().map { index, finding in
                let label =
                    finding.severity.uppercased() == "HIGH"
                    ? "HIGH" : finding.severity.uppercased() == "LOW" ? "LOW" : "MEDIUM"
                return [
                    "SchemaVersion": "2018-10-08",
                    "Id": .string("nimbus/\(threadID)/\(index)"),
                    "ProductArn": .string("arn:aws:securityhub:\(region):\(account):product/\(account)/default"),
                    "GeneratorId": .string("nimbus-inspect/\(finding.script)"),
                    "AwsAccountId": .string(account),
                    "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
                    "CreatedAt": .string(now), "UpdatedAt": .string(now),
                    "Severity": ["Label": .string(label)],
                    "Title": .string(finding.title),
                    "Description": .string(
                        "\(finding.title) (\(finding.resource)). AWS requests: \(finding.requests.joined(separator: ", "))"
                    ),
                    "Remediation": ["Recommendation": ["Text": .string(finding.recommendation)]],
                    "Resources": [["Type": "Other", "Id": .string(finding.resource), "Region": .string(region)]],
                ]
            }
            return (JSONValue.object(["Findings": .array(items)]).prettyJSONText) + "\n"
        }
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
