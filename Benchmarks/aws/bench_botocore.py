"""botocore's SigV4 signer on the same request as Benchmarks/Sources/aws-sign: prints signatures per second."""
import datetime
import json
import sys
import time
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token-for-the-benchmark")
body = b'{"TableName":"orders","Key":{"pk":{"S":"customer#42"},"sk":{"S":"order#2024-05-01"}}}'
signer = SigV4Auth(credentials, "dynamodb", "us-east-1")


def sign():
    request = AWSRequest(
        method="POST",
        url="https://dynamodb.us-east-1.amazonaws.com/",
        data=body,
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem"},
    )
    signer.add_auth(request)
    return request.headers["Authorization"]


for _ in range(200):
    sign()
began = time.perf_counter()
for _ in range(count):
    sign()
seconds = time.perf_counter() - began
print(json.dumps({"signatures": count, "seconds": round(seconds, 4), "per_second": round(count / seconds)}))
