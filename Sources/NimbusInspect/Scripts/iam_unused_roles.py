# nimbus-script: iam-unused-roles
# title: IAM roles not used for a long time
# keywords: iam role roles unused stale old inactive idle last used cleanup
# actions: iam:ListRoles iam:GetRole
# parameters: max_unused_days=90
import datetime
import json
import sys

import boto3

max_unused = int(sys.argv[1]) if len(sys.argv) > 1 else 90
iam = boto3.client("iam")
now = datetime.datetime.now(datetime.timezone.utc)
findings = []
roles = []
for page in iam.get_paginator("list_roles").paginate():
    roles.extend(page["Roles"])
checked = 0
for role in roles:
    # Service-linked roles belong to their service, and a young role that was never used is given time.
    if role.get("Path", "/").startswith("/aws-service-role/"):
        continue
    checked += 1
    if (now - role["CreateDate"]).days <= max_unused:
        continue
    # ListRoles does not return RoleLastUsed; GetRole does.
    last_used = iam.get_role(RoleName=role["RoleName"])["Role"].get("RoleLastUsed", {}).get("LastUsedDate")
    idle = (now - last_used).days if last_used else None
    if idle is None or idle > max_unused:
        findings.append({
            "severity": "low", "resource": role["Arn"],
            "title": "never used" if idle is None else "not used for %d days" % idle,
            "evidence": {"operation": "iam:GetRole", "role": role["RoleName"], "created": role["CreateDate"],
                         "last_used": last_used, "max_unused_days": max_unused},
            "recommendation": "delete the role if nothing needs it, or remove its policies first and watch for "
                              "failures",
        })
print(json.dumps({"checked": checked, "findings": findings}, default=str))
