# nimbus-script: ec2-vpc-flow-logs
# title: VPCs without flow logs
# keywords: ec2 vpc vpcs flow flowlog flowlogs log logs logging network traffic audit
# actions: ec2:DescribeVpcs ec2:DescribeFlowLogs
import json

import boto3

ec2 = boto3.client("ec2")
findings = []
vpcs = []
for page in ec2.get_paginator("describe_vpcs").paginate():
    vpcs.extend(page["Vpcs"])
logged = set()
for page in ec2.get_paginator("describe_flow_logs").paginate():
    logged.update(flow_log.get("ResourceId") for flow_log in page["FlowLogs"])
for vpc in vpcs:
    if vpc["VpcId"] not in logged:
        findings.append({
            "severity": "medium",
            "resource": "arn:aws:ec2:%s:%s:vpc/%s" % (ec2.meta.region_name, vpc.get("OwnerId", ""), vpc["VpcId"]),
            "title": "no flow log records the VPC's traffic",
            "evidence": {"operation": "ec2:DescribeFlowLogs", "vpc": vpc["VpcId"], "default": vpc.get("IsDefault"),
                         "flow_logs": []},
            "recommendation": "create a flow log for the VPC (to CloudWatch Logs or S3)",
        })
print(json.dumps({"checked": len(vpcs), "findings": findings}))
