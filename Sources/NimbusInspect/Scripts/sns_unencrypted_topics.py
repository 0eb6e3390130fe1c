# nimbus-script: sns-unencrypted-topics
# title: SNS topics without server-side encryption
# keywords: sns topic topics notification notifications message messages encryption encrypted unencrypted sse kms
# actions: sns:ListTopics sns:GetTopicAttributes
import json

import boto3
import botocore.exceptions

sns = boto3.client("sns")
findings = []
topics = []
for page in sns.get_paginator("list_topics").paginate():
    topics.extend(topic["TopicArn"] for topic in page.get("Topics", []))
checked = 0
for arn in topics:
    try:
        attributes = sns.get_topic_attributes(TopicArn=arn).get("Attributes", {})
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NotFound":
            raise
        continue
    checked += 1
    if not attributes.get("KmsMasterKeyId"):
        findings.append({
            "severity": "medium", "resource": arn, "title": "messages are stored unencrypted",
            "evidence": {"operation": "sns:GetTopicAttributes", "topic": arn, "kms_master_key_id": None},
            "recommendation": "turn on server-side encryption with a KMS key (KmsMasterKeyId)",
        })
print(json.dumps({"checked": checked, "findings": findings}))
