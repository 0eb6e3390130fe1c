"""boto3's transfer manager uploading a directory and a file to the same moto server as `nimbus transfer`."""
import json
import os
import sys
import time

import boto3
from boto3.s3.transfer import TransferConfig

endpoint, bucket, directory, large = sys.argv[1:5]
prefix = sys.argv[5] if len(sys.argv) > 5 else "boto3"
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
config = TransferConfig(max_concurrency=10, multipart_chunksize=8 << 20, multipart_threshold=8 << 20)

began = time.perf_counter()
from concurrent.futures import ThreadPoolExecutor
files = []
for root, _, names in os.walk(directory):
    for name in names:
        path = os.path.join(root, name)
        files.append((path, prefix + "/dir/" + os.path.relpath(path, directory)))
with ThreadPoolExecutor(max_workers=10) as pool:
    list(pool.map(lambda item: s3.upload_file(item[0], bucket, item[1], Config=config), files))
directory_seconds = time.perf_counter() - began

began = time.perf_counter()
s3.upload_file(large, bucket, prefix + "/large.bin", Config=config)
large_seconds = time.perf_counter() - began
print(json.dumps({"directory_seconds": round(directory_seconds, 3), "large_seconds": round(large_seconds, 3)}))
