# nimbus-script: lambda-deprecated-runtimes
# title: Lambda functions on deprecated runtimes
# keywords: lambda function functions runtime runtimes deprecated old python node
# actions: lambda:ListFunctions
import json

import boto3

DEPRECATED = {"python2.7", "python3.6", "python3.7", "python3.8", "nodejs", "nodejs4.3", "nodejs6.10",
              "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x", "dotnetcore2.1",
              "dotnetcore3.1", "ruby2.5", "ruby2.7", "java8", "go1.x"}
client = boto3.client("lambda")
findings = []
functions = []
for page in client.get_paginator("list_functions").paginate():
    functions.extend(page["Functions"])
for function in functions:
    runtime = function.get("Runtime")
    if runtime in DEPRECATED:
        findings.append({
            "severity": "medium", "resource": function["FunctionArn"],
            "title": "runs on the deprecated runtime " + runtime,
            "evidence": {"operation": "lambda:ListFunctions", "function": function["FunctionName"],
                         "runtime": runtime},
            "recommendation": "move the function to a supported runtime",
        })
print(json.dumps({"checked": len(functions), "findings": findings}))
