# nimbus-script: s3-public-buckets
# title: S3 buckets open to the public (bucket policy, ACL, public access block)
# keywords: s3 bucket buckets public exposure exposed open anonymous world policy acl
# actions: s3:ListAllMyBuckets s3:GetBucketPolicy s3:GetBucketAcl s3:GetBucketPublicAccessBlock
# follow-ups: s3-unencrypted-buckets s3-bucket-logging
import json

import boto3
import botocore.exceptions

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
s3 = boto3.client("s3")


def error_code(error):
    return error.response.get("Error", {}).get("Code", "")


def public_statements(policy):
    found = []
    for statement in policy.get("Statement", []):
        if isinstance(statement, dict) and statement.get("Effect") == "Allow" and not statement.get("Condition"):
            principal = statement.get("Principal")
            if principal == "*" or (isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"])):
                found.append(statement)
    return found


findings = []
buckets = [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
for name in buckets:
    blocked = False
    try:
        block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        blocked = block.get("BlockPublicPolicy") and block.get("RestrictPublicBuckets")
    except botocore.exceptions.ClientError as error:
        if error_code(error) != "NoSuchPublicAccessBlockConfiguration":
            raise
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
        statements = public_statements(policy)
    except botocore.exceptions.ClientError as error:
        if error_code(error) != "NoSuchBucketPolicy":
            raise
        statements = []
    if statements and not blocked:
        findings.append({
            "severity": "high", "resource": "arn:aws:s3:::" + name,
            "title": "bucket policy allows anyone",
            "evidence": {"operation": "s3:GetBucketPolicy", "statements": statements},
            "recommendation": "remove the Principal \"*\" statements or turn on the bucket's public access block",
        })
    grants = s3.get_bucket_acl(Bucket=name)["Grants"]
    open_grants = [g for g in grants if g.get("Grantee", {}).get("URI") in (ALL_USERS, AUTHENTICATED)]
    if open_grants:
        findings.append({
            "severity": "high", "resource": "arn:aws:s3:::" + name,
            "title": "bucket ACL grants access to everyone",
            "evidence": {"operation": "s3:GetBucketAcl", "grants": open_grants},
            "recommendation": "remove the AllUsers and AuthenticatedUsers grants and enforce bucket-owner ownership",
        })
print(json.dumps({"checked": len(buckets), "findings": findings}))
