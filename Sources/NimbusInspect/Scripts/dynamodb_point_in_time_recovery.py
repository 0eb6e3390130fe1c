# nimbus-script: dynamodb-point-in-time-recovery
# title: DynamoDB tables without point-in-time recovery
# keywords: dynamodb table tables backup backups point-in-time recovery pitr
# actions: dynamodb:ListTables dynamodb:DescribeContinuousBackups
import json

import boto3

dynamodb = boto3.client("dynamodb")
findings = []
tables = []
for page in dynamodb.get_paginator("list_tables").paginate():
    tables.extend(page["TableNames"])
for name in tables:
    description = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    status = description.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus", "DISABLED")
    if status != "ENABLED":
        findings.append({
            "severity": "medium",
            "resource": "arn:aws:dynamodb:%s::table/%s" % (dynamodb.meta.region_name, name),
            "title": "point-in-time recovery is off",
            "evidence": {"operation": "dynamodb:DescribeContinuousBackups", "table": name, "status": status},
            "recommendation": "turn on point-in-time recovery (35 days of restorable history)",
        })
print(json.dumps({"checked": len(tables), "findings": findings}))
