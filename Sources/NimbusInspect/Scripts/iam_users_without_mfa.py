# nimbus-script: iam-users-without-mfa
# title: IAM users with a console password but no MFA device
# keywords: iam user users mfa multi-factor console password login
# actions: iam:ListUsers iam:GetLoginProfile iam:ListMFADevices
# follow-ups: iam-old-access-keys
import json

import boto3
import botocore.exceptions

iam = boto3.client("iam")
findings = []
users = []
for page in iam.get_paginator("list_users").paginate():
    users.extend(page["Users"])
for user in users:
    name = user["UserName"]
    try:
        iam.get_login_profile(UserName=name)
        console = True
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise
        console = False
    devices = iam.list_mfa_devices(UserName=name)["MFADevices"]
    if console and not devices:
        findings.append({
            "severity": "high", "resource": user["Arn"], "title": "console access without MFA",
            "evidence": {"operation": "iam:ListMFADevices", "user": name, "mfa_devices": []},
            "recommendation": "require an MFA device for this user, or remove the console password",
        })
print(json.dumps({"checked": len(users), "findings": findings}))
