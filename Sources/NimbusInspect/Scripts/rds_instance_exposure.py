# nimbus-script: rds-instance-exposure
# title: RDS instances that are public, unencrypted or without backups
# keywords: rds database databases db instance instances public encryption encrypted unencrypted backup backups
# actions: rds:DescribeDBInstances
import json

import boto3

rds = boto3.client("rds")
findings = []
instances = []
for page in rds.get_paginator("describe_db_instances").paginate():
    instances.extend(page["DBInstances"])
for instance in instances:
    arn = instance.get("DBInstanceArn", instance["DBInstanceIdentifier"])
    checks = [
        (instance.get("PubliclyAccessible"), "high", "publicly accessible", "PubliclyAccessible",
         "turn off public accessibility and reach it from inside the VPC"),
        (not instance.get("StorageEncrypted"), "medium", "storage is not encrypted", "StorageEncrypted",
         "restore an encrypted copy from a snapshot"),
        (instance.get("BackupRetentionPeriod", 0) == 0, "medium", "automated backups are off",
         "BackupRetentionPeriod", "set a backup retention period of at least 7 days"),
    ]
    for failed, severity, title, field, recommendation in checks:
        if failed:
            findings.append({
                "severity": severity, "resource": arn, "title": title,
                "evidence": {"operation": "rds:DescribeDBInstances", "instance": instance["DBInstanceIdentifier"],
                             field: instance.get(field)},
                "recommendation": recommendation,
            })
print(json.dumps({"checked": len(instances), "findings": findings}))
