import Foundation
import NimbusAWS

// Signs the same request botocore's side signs (Benchmarks/aws/bench_botocore.py): a DynamoDB-style JSON POST
// with a session token, a fresh canonical request each time. Prints signatures per second.
let count = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 200_000
let credentials = AWSCredentials(
    accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    sessionToken: "session-token-for-the-benchmark")
let body = Array(#"{"TableName":"orders","Key":{"pk":{"S":"customer#42"},"sk":{"S":"order#2024-05-01"}}}"#.utf8)
let options = SigningOptions(service: "dynamodb", region: "us-east-1")
let headers: [(name: String, value: String)] = [
    ("Host", "dynamodb.us-east-1.amazonaws.com"), ("Content-Type", "application/x-amz-json-1.0"),
    ("X-Amz-Target", "DynamoDB_20120810.GetItem"), ("Content-Length", String(body.count)),
]
let start = Date(timeIntervalSince1970: 1_714_550_400)
var checksum = 0
// Warm up caches and the signing key.
for index in 0..<1000 {
    checksum &+=
        SigV4Signer.sign(
            method: "POST", path: "/", query: "", headers: headers, body: body, credentials: credentials,
            date: start.addingTimeInterval(Double(index % 60)), options: options
        ).signature.utf8.count
}
let clock = ContinuousClock()
let began = clock.now
for index in 0..<count {
    checksum &+=
        SigV4Signer.sign(
            method: "POST", path: "/", query: "", headers: headers, body: body, credentials: credentials,
            date: start.addingTimeInterval(Double(index % 60)), options: options
        ).signature.utf8.count
}
let elapsed = clock.now - began
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print(
    String(
        format: "{\"signatures\": %d, \"seconds\": %.4f, \"per_second\": %.0f, \"check\": %d}", count, seconds,
        Double(count) / seconds, checksum))
