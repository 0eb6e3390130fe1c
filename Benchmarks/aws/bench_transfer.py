"""boto3's transfer manager uploading a directory and a file to the same moto server as `nimbus transfer`.

    bench_transfer.py ENDPOINT BUCKET DIRECTORY LARGE_FILE [PREFIX] [--only dir|large]

Prints the seconds each upload took inside this process (after Python has started and imported boto3, with the
client made). With --only, it uploads just one of the two, so scripts/bench-aws.sh can also time boto3 as a whole
command, the way it times `nimbus transfer` and `aws s3 cp`.
"""
import json
import os
import sys
import time

arguments = [a for a in sys.argv[1:] if not a.startswith("--only")]
only = None
if "--only" in sys.argv:
    only = sys.argv[sys.argv.index("--only") + 1]
    arguments.remove(only)
endpoint, bucket, directory, large = arguments[:4]
prefix = arguments[4] if len(arguments) > 4 else "boto3"

import boto3
from boto3.s3.transfer import TransferConfig

s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
config = TransferConfig(max_concurrency=10, multipart_chunksize=8 << 20, multipart_threshold=8 << 20)
result = {}

if only in (None, "dir"):
    began = time.perf_counter()
    from concurrent.futures import ThreadPoolExecutor
    files = []
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            files.append((path, prefix + "/dir/" + os.path.relpath(path, directory)))
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(lambda item: s3.upload_file(item[0], bucket, item[1], Config=config), files))
    result["directory_seconds"] = round(time.perf_counter() - began, 3)

if only in (None, "large"):
    began = time.perf_counter()
    s3.upload_file(large, bucket, prefix + "/large.bin", Config=config)
    result["large_seconds"] = round(time.perf_counter() - began, 3)
print(json.dumps(result))
