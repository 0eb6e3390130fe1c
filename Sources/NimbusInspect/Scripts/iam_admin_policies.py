# nimbus-script: iam-admin-policies
# title: Customer managed IAM policies that allow every action on every resource
# keywords: iam policy policies admin administrator administrative wildcard star full access privilege privileges least
# actions: iam:ListPolicies iam:GetPolicyVersion
import json
import urllib.parse

import boto3

iam = boto3.client("iam")


def as_list(value):
    return value if isinstance(value, list) else [value]


def admin_statements(document):
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    found = []
    for statement in as_list(document.get("Statement", [])):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = as_list(statement.get("Action", []))
        resources = as_list(statement.get("Resource", []))
        if any(action in ("*", "*:*") for action in actions) and "*" in resources:
            found.append(statement)
    return found


findings = []
policies = []
for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
    policies.extend(page["Policies"])
for policy in policies:
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    statements = admin_statements(version["Document"])
    if statements:
        findings.append({
            "severity": "high", "resource": policy["Arn"],
            "title": "allows every action on every resource",
            "evidence": {"operation": "iam:GetPolicyVersion", "policy": policy["PolicyName"],
                         "version": policy["DefaultVersionId"], "attachments": policy.get("AttachmentCount"),
                         "statements": statements},
            "recommendation": "replace Action \"*\" with the actions its users need, on the resources they need",
        })
print(json.dumps({"checked": len(policies), "findings": findings}))
