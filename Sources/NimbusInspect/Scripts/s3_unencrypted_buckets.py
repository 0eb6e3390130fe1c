# nimbus-script: s3-unencrypted-buckets
# title: S3 buckets without default encryption
# keywords: s3 bucket buckets encryption encrypted unencrypted sse kms
# actions: s3:ListAllMyBuckets s3:GetEncryptionConfiguration
import json

import boto3
import botocore.exceptions

s3 = boto3.client("s3")
findings = []
buckets = [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
for name in buckets:
    try:
        rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ServerSideEncryptionConfigurationNotFoundError":
            raise
        rules = []
    if not rules:
        findings.append({
            "severity": "medium", "resource": "arn:aws:s3:::" + name,
            "title": "no default encryption configured",
            "evidence": {"operation": "s3:GetEncryptionConfiguration", "rules": []},
            "recommendation": "set default encryption (SSE-KMS with a customer-managed key, or SSE-S3)",
        })
print(json.dumps({"checked": len(buckets), "findings": findings}))
