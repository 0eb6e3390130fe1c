# nimbus-script: s3-bucket-versioning
# title: S3 buckets without versioning
# keywords: s3 bucket buckets versioning version versions versioned unversioned recovery overwrite delete deleted
# actions: s3:ListAllMyBuckets s3:GetBucketVersioning
import json

import boto3

s3 = boto3.client("s3")
findings = []
buckets = [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
for name in buckets:
    # A bucket that never had versioning answers without a Status; a paused one answers "Suspended".
    status = s3.get_bucket_versioning(Bucket=name).get("Status")
    if status != "Enabled":
        findings.append({
            "severity": "low", "resource": "arn:aws:s3:::" + name,
            "title": "versioning is suspended" if status == "Suspended" else "versioning was never turned on",
            "evidence": {"operation": "s3:GetBucketVersioning", "bucket": name, "status": status},
            "recommendation": "turn on versioning (with a lifecycle rule expiring old versions) so overwritten "
                              "and deleted objects can be recovered",
        })
print(json.dumps({"checked": len(buckets), "findings": findings}))
