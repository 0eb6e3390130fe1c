# nimbus-script: rds-public-snapshots
# title: RDS snapshots shared with everyone
# keywords: rds database databases db snapshot snapshots public shared everyone exposure restore
# actions: rds:DescribeDBSnapshots rds:DescribeDBSnapshotAttributes
import json

import boto3

rds = boto3.client("rds")
findings = []
snapshots = []
for page in rds.get_paginator("describe_db_snapshots").paginate(SnapshotType="manual"):
    snapshots.extend(page["DBSnapshots"])
for snapshot in snapshots:
    name = snapshot["DBSnapshotIdentifier"]
    result = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=name)["DBSnapshotAttributesResult"]
    restore = [value for attribute in result.get("DBSnapshotAttributes", [])
               if attribute.get("AttributeName") == "restore" for value in attribute.get("AttributeValues", [])]
    if "all" in restore:
        findings.append({
            "severity": "high", "resource": snapshot.get("DBSnapshotArn", name),
            "title": "snapshot can be restored by any AWS account",
            "evidence": {"operation": "rds:DescribeDBSnapshotAttributes", "snapshot": name,
                         "restore": restore},
            "recommendation": "remove 'all' from the snapshot's restore attribute and share it with named "
                              "accounts only",
        })
print(json.dumps({"checked": len(snapshots), "findings": findings}))
