# nimbus-script: ec2-public-snapshots
# title: EBS snapshots shared with everyone
# keywords: ebs snapshot snapshots public shared everyone exposure
# actions: ec2:DescribeSnapshots ec2:DescribeSnapshotAttribute
import json

import boto3

ec2 = boto3.client("ec2")
findings = []
snapshots = []
for page in ec2.get_paginator("describe_snapshots").paginate(OwnerIds=["self"]):
    snapshots.extend(page["Snapshots"])
for snapshot in snapshots:
    attribute = ec2.describe_snapshot_attribute(SnapshotId=snapshot["SnapshotId"], Attribute="createVolumePermission")
    groups = [p.get("Group") for p in attribute.get("CreateVolumePermissions", [])]
    if "all" in groups:
        findings.append({
            "severity": "high",
            "resource": "arn:aws:ec2:%s::snapshot/%s" % (ec2.meta.region_name, snapshot["SnapshotId"]),
            "title": "snapshot can be copied by any AWS account",
            "evidence": {"operation": "ec2:DescribeSnapshotAttribute", "snapshot": snapshot["SnapshotId"],
                         "create_volume_permissions": attribute.get("CreateVolumePermissions", [])},
            "recommendation": "remove the 'all' group from the snapshot's create-volume permissions",
        })
print(json.dumps({"checked": len(snapshots), "findings": findings}))
