# nimbus-script: sqs-unencrypted-queues
# title: SQS queues without server-side encryption
# keywords: sqs queue queues message messages encryption encrypted unencrypted sse kms
# actions: sqs:ListQueues sqs:GetQueueAttributes
import json

import boto3
import botocore.exceptions

sqs = boto3.client("sqs")
findings = []
urls = []
for page in sqs.get_paginator("list_queues").paginate():
    # ListQueues leaves QueueUrls out when there are no queues.
    urls.extend(page.get("QueueUrls", []))
checked = 0
for url in urls:
    try:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]).get("Attributes", {})
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") not in (
                "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
            raise
        continue
    checked += 1
    key = attributes.get("KmsMasterKeyId")
    managed = attributes.get("SqsManagedSseEnabled")
    if not key and managed != "true":
        findings.append({
            "severity": "medium", "resource": attributes.get("QueueArn", url),
            "title": "messages are stored unencrypted",
            "evidence": {"operation": "sqs:GetQueueAttributes", "queue": url, "kms_master_key_id": key,
                         "sqs_managed_sse_enabled": managed},
            "recommendation": "turn on server-side encryption (SSE-SQS, or SSE-KMS with a customer-managed key)",
        })
print(json.dumps({"checked": checked, "findings": findings}))
