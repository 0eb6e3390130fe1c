# nimbus-script: ec2-ebs-default-encryption
# title: EBS encryption by default is off in the region
# keywords: ec2 ebs volume volumes encryption encrypted unencrypted default region account
# actions: ec2:GetEbsEncryptionByDefault
import json

import boto3

ec2 = boto3.client("ec2")
region = ec2.meta.region_name
findings = []
enabled = ec2.get_ebs_encryption_by_default().get("EbsEncryptionByDefault", False)
if not enabled:
    findings.append({
        "severity": "medium", "resource": "ebs-encryption-by-default:" + region,
        "title": "new EBS volumes in %s are not encrypted by default" % region,
        "evidence": {"operation": "ec2:GetEbsEncryptionByDefault", "region": region,
                     "ebs_encryption_by_default": enabled},
        "recommendation": "turn on EBS encryption by default in every region you use",
    })
print(json.dumps({"checked": 1, "findings": findings}))
