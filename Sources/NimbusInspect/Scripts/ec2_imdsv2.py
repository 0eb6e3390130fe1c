# nimbus-script: ec2-imdsv2
# title: EC2 instances that still accept IMDSv1
# keywords: ec2 instance instances imds imdsv1 imdsv2 metadata token
# actions: ec2:DescribeInstances
import json

import boto3

ec2 = boto3.client("ec2")
findings = []
instances = []
for page in ec2.get_paginator("describe_instances").paginate():
    for reservation in page["Reservations"]:
        instances.extend(reservation["Instances"])
for instance in instances:
    if instance.get("State", {}).get("Name") == "terminated":
        continue
    tokens = instance.get("MetadataOptions", {}).get("HttpTokens", "optional")
    if tokens != "required":
        findings.append({
            "severity": "medium",
            "resource": "arn:aws:ec2:%s::instance/%s" % (ec2.meta.region_name, instance["InstanceId"]),
            "title": "instance metadata accepts IMDSv1",
            "evidence": {"operation": "ec2:DescribeInstances", "instance": instance["InstanceId"],
                         "http_tokens": tokens},
            "recommendation": "require IMDSv2 (HttpTokens=required)",
        })
print(json.dumps({"checked": len(instances), "findings": findings}))
