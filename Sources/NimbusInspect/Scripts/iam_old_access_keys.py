# nimbus-script: iam-old-access-keys
# title: IAM access keys older than the rotation limit
# keywords: iam access key keys old stale rotation rotate age credentials
# actions: iam:ListUsers iam:ListAccessKeys
# parameters: max_age_days=90
import datetime
import json
import sys

import boto3

max_age = int(sys.argv[1]) if len(sys.argv) > 1 else 90
iam = boto3.client("iam")
now = datetime.datetime.now(datetime.timezone.utc)
findings = []
users = []
for page in iam.get_paginator("list_users").paginate():
    users.extend(page["Users"])
for user in users:
    for key in iam.list_access_keys(UserName=user["UserName"])["AccessKeyMetadata"]:
        age = (now - key["CreateDate"]).days
        if key.get("Status") == "Active" and age > max_age:
            findings.append({
                "severity": "medium", "resource": user["Arn"],
                "title": "active access key %s is %d days old" % (key["AccessKeyId"], age),
                "evidence": {"operation": "iam:ListAccessKeys", "key": key["AccessKeyId"], "age_days": age},
                "recommendation": "rotate the key (create a new one, move its users, deactivate and delete this one)",
            })
print(json.dumps({"checked": len(users), "findings": findings}, default=str))
