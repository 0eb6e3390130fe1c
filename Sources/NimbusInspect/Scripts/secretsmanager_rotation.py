# nimbus-script: secretsmanager-rotation
# title: Secrets Manager secrets without automatic rotation
# keywords: secretsmanager secret secrets manager rotation rotate rotated password passwords credentials
# actions: secretsmanager:ListSecrets
import json

import boto3

secretsmanager = boto3.client("secretsmanager")
findings = []
secrets = []
for page in secretsmanager.get_paginator("list_secrets").paginate():
    secrets.extend(page["SecretList"])
for secret in secrets:
    if secret.get("RotationEnabled") is not True:
        findings.append({
            "severity": "medium", "resource": secret["ARN"], "title": "automatic rotation is off",
            "evidence": {"operation": "secretsmanager:ListSecrets", "secret": secret.get("Name"),
                         "rotation_enabled": secret.get("RotationEnabled", False),
                         "last_changed": secret.get("LastChangedDate")},
            "recommendation": "turn on rotation with a rotation function (or a managed rotation)",
        })
print(json.dumps({"checked": len(secrets), "findings": findings}, default=str))
