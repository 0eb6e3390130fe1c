# nimbus-script: kms-key-rotation
# title: Customer-managed KMS keys without automatic rotation
# keywords: kms key keys rotation rotate cmk encryption
# actions: kms:ListKeys kms:DescribeKey kms:GetKeyRotationStatus
import json

import boto3

kms = boto3.client("kms")
findings = []
checked = 0
for page in kms.get_paginator("list_keys").paginate():
    for key in page["Keys"]:
        metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if metadata.get("KeyManager") != "CUSTOMER" or metadata.get("KeyState") != "Enabled":
            continue
        if metadata.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
            continue
        checked += 1
        if not kms.get_key_rotation_status(KeyId=key["KeyId"]).get("KeyRotationEnabled"):
            findings.append({
                "severity": "low", "resource": metadata["Arn"], "title": "automatic rotation is off",
                "evidence": {"operation": "kms:GetKeyRotationStatus", "key": key["KeyId"], "rotation": False},
                "recommendation": "turn on automatic key rotation",
            })
print(json.dumps({"checked": checked, "findings": findings}))
