# nimbus-script: ec2-unencrypted-volumes
# title: EBS volumes that are not encrypted
# keywords: ebs volume volumes disk disks encryption encrypted unencrypted ec2
# actions: ec2:DescribeVolumes
import json

import boto3

ec2 = boto3.client("ec2")
findings = []
volumes = []
for page in ec2.get_paginator("describe_volumes").paginate():
    volumes.extend(page["Volumes"])
for volume in volumes:
    if not volume.get("Encrypted"):
        findings.append({
            "severity": "medium",
            "resource": "arn:aws:ec2:%s::volume/%s" % (ec2.meta.region_name, volume["VolumeId"]),
            "title": "volume is not encrypted",
            "evidence": {"operation": "ec2:DescribeVolumes", "volume": volume["VolumeId"], "encrypted": False,
                         "attachments": [a.get("InstanceId") for a in volume.get("Attachments", [])]},
            "recommendation": "snapshot it, copy the snapshot with encryption, restore, and turn on EBS encryption by default",
        })
print(json.dumps({"checked": len(volumes), "findings": findings}))
