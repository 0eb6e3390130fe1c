# nimbus-script: s3-bucket-logging
# title: S3 buckets without server access logging
# keywords: s3 bucket buckets logging log logs access audit server requests
# actions: s3:ListAllMyBuckets s3:GetBucketLogging
import json

import boto3

s3 = boto3.client("s3")
findings = []
buckets = [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
for name in buckets:
    logging = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled")
    if not logging:
        findings.append({
            "severity": "low", "resource": "arn:aws:s3:::" + name,
            "title": "server access logging is off",
            "evidence": {"operation": "s3:GetBucketLogging", "bucket": name, "logging_enabled": None},
            "recommendation": "turn on server access logging to a separate log bucket (or record data events "
                              "with CloudTrail)",
        })
print(json.dumps({"checked": len(buckets), "findings": findings}))
