# nimbus-script: logs-retention
# title: CloudWatch log groups that keep their logs forever
# keywords: logs log group groups cloudwatch retention retain expire expiry forever never cost storage
# actions: logs:DescribeLogGroups
import json

import boto3

logs = boto3.client("logs")
findings = []
groups = []
for page in logs.get_paginator("describe_log_groups").paginate():
    groups.extend(page["logGroups"])
for group in groups:
    if group.get("retentionInDays"):
        continue
    arn = group.get("logGroupArn") or group.get("arn", group["logGroupName"])
    if arn.endswith(":*"):
        arn = arn[:-2]
    findings.append({
        "severity": "low", "resource": arn, "title": "logs are kept forever (no retention period)",
        "evidence": {"operation": "logs:DescribeLogGroups", "log_group": group["logGroupName"],
                     "retention_in_days": None, "stored_bytes": group.get("storedBytes")},
        "recommendation": "set a retention period that matches how long these logs are needed",
    })
print(json.dumps({"checked": len(groups), "findings": findings}))
