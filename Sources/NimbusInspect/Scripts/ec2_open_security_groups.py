# nimbus-script: ec2-open-security-groups
# title: Security groups open to the world on administrative or any ports
# keywords: security group groups sg open world internet 0.0.0.0/0 ingress ssh rdp 22 3389 port ports firewall
# actions: ec2:DescribeSecurityGroups
import json

import boto3

SENSITIVE = {22: "SSH", 3389: "RDP", 3306: "MySQL", 5432: "PostgreSQL", 1433: "SQL Server", 6379: "Redis",
             27017: "MongoDB", 9200: "Elasticsearch"}
ec2 = boto3.client("ec2")
findings = []
groups = []
for page in ec2.get_paginator("describe_security_groups").paginate():
    groups.extend(page["SecurityGroups"])
for group in groups:
    arn = "arn:aws:ec2:%s:%s:security-group/%s" % (ec2.meta.region_name, group.get("OwnerId", ""), group["GroupId"])
    for rule in group.get("IpPermissions", []):
        world = [r["CidrIp"] for r in rule.get("IpRanges", []) if r.get("CidrIp") == "0.0.0.0/0"]
        world += [r["CidrIpv6"] for r in rule.get("Ipv6Ranges", []) if r.get("CidrIpv6") == "::/0"]
        if not world:
            continue
        low, high = rule.get("FromPort", 0), rule.get("ToPort", 65535)
        if rule.get("IpProtocol") == "-1":
            low, high = 0, 65535
        exposed = [port for port in SENSITIVE if low <= port <= high]
        if exposed or high - low >= 1000:
            names = ", ".join("%d (%s)" % (port, SENSITIVE[port]) for port in sorted(exposed)) or "%d-%d" % (low, high)
            findings.append({
                "severity": "high" if exposed else "medium", "resource": arn,
                "title": "open to the world on " + names,
                "evidence": {"operation": "ec2:DescribeSecurityGroups", "group": group["GroupId"],
                             "group_name": group.get("GroupName"), "rule": rule},
                "recommendation": "allow these ports only from known ranges, or reach hosts through SSM Session Manager",
            })
print(json.dumps({"checked": len(groups), "findings": findings}))
