# nimbus-script: lambda-vpc-rds-reachability
# title: Lambda functions whose security groups keep them from reaching an RDS database in their VPC
# keywords: lambda function functions reach reachability reachable connect connection connectivity rds database databases db vpc network security group groups sg port timeout timeouts
# actions: lambda:ListFunctions rds:DescribeDBInstances ec2:DescribeSecurityGroups
import ipaddress
import json

import boto3

# Engine name prefixes and their default ports, for a database that has no endpoint yet (most specific first).
DEFAULT_PORTS = [("aurora-postgresql", 5432), ("postgres", 5432), ("aurora", 3306), ("mysql", 3306),
                 ("mariadb", 3306), ("oracle", 1521), ("sqlserver", 1433), ("db2", 50000)]
lambda_client = boto3.client("lambda")
rds = boto3.client("rds")
ec2 = boto3.client("ec2")

functions = []
for page in lambda_client.get_paginator("list_functions").paginate():
    functions.extend(f for f in page["Functions"] if (f.get("VpcConfig") or {}).get("SecurityGroupIds"))
databases = []
for page in rds.get_paginator("describe_db_instances").paginate():
    databases.extend(page["DBInstances"])
groups = {}
if functions and databases:
    for page in ec2.get_paginator("describe_security_groups").paginate():
        for group in page["SecurityGroups"]:
            groups[group["GroupId"]] = group


def vpc_of(vpc_id, group_ids):
    """The VPC of the groups (a function's or a database's groups are always in its VPC), else `vpc_id`."""
    return next((groups[g]["VpcId"] for g in group_ids if groups.get(g, {}).get("VpcId")), vpc_id)


def database_port(database):
    port = (database.get("Endpoint") or {}).get("Port") or database.get("DbInstancePort")
    if port:
        return port
    engine = database.get("Engine", "")
    return next((default for prefix, default in DEFAULT_PORTS if engine.startswith(prefix)), None)


def covers(rule, port):
    protocol = str(rule.get("IpProtocol", ""))
    if protocol in ("-1", "all"):
        return True
    return protocol in ("tcp", "6") and rule.get("FromPort", 0) <= port <= rule.get("ToPort", 65535)


# Without ec2:DescribeNetworkInterfaces the function's and the database's private addresses are unknown, so an
# address rule (IpRanges, Ipv6Ranges) counts as allowing unless ipaddress shows it can hold no VPC address
# (loopback, link-local, multicast, reserved); a prefix list counts as allowing too. Only group references are
# judged exactly, so a finding means the groups surely block the path, never that they only might.
def may_hold_vpc_address(cidr):
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return not (network.is_loopback or network.is_link_local or network.is_multicast or network.is_reserved)


def allowing_rule(group_ids, direction, port, peers):
    """The first rule of `group_ids` in `direction` that lets `port` through to or from `peers`, or None."""
    for group_id in group_ids:
        for rule in groups.get(group_id, {}).get(direction, []):
            if not covers(rule, port):
                continue
            if any(pair.get("GroupId") in peers for pair in rule.get("UserIdGroupPairs", [])):
                return {"group": group_id, "by": "security group reference", "rule": rule}
            cidrs = [r.get("CidrIp") for r in rule.get("IpRanges", [])]
            cidrs += [r.get("CidrIpv6") for r in rule.get("Ipv6Ranges", [])]
            if any(may_hold_vpc_address(cidr) for cidr in cidrs if cidr) or rule.get("PrefixListIds"):
                return {"group": group_id, "by": "address range", "rule": rule}
    return None


findings = []
checked = 0
for function in functions:
    config = function["VpcConfig"]
    function_groups = config["SecurityGroupIds"]
    function_vpc = vpc_of(config.get("VpcId"), function_groups)
    for database in databases:
        database_groups = [g["VpcSecurityGroupId"] for g in database.get("VpcSecurityGroups", [])
                           if g.get("Status", "active") not in ("inactive", "removing")]
        database_vpc = vpc_of((database.get("DBSubnetGroup") or {}).get("VpcId"), database_groups)
        port = database_port(database)
        if not function_vpc or function_vpc != database_vpc or not port:
            continue
        checked += 1
        egress = allowing_rule(function_groups, "IpPermissionsEgress", port, set(database_groups))
        ingress = allowing_rule(database_groups, "IpPermissions", port, set(function_groups))
        if egress and ingress:
            continue
        blocked = []
        if not egress:
            blocked.append("egress of the function's security groups")
        if not ingress:
            blocked.append("ingress of the database's security groups")
        findings.append({
            "severity": "high", "resource": function["FunctionArn"],
            "title": "cannot reach the database %s on port %d" % (database["DBInstanceIdentifier"], port),
            "evidence": {"operation": "ec2:DescribeSecurityGroups", "function": function["FunctionName"],
                         "database": database["DBInstanceIdentifier"],
                         "database_arn": database.get("DBInstanceArn"), "vpc": function_vpc, "port": port,
                         "function_security_groups": function_groups, "database_security_groups": database_groups,
                         "blocked_by": blocked, "allowed_egress": egress, "allowed_ingress": ingress},
            "recommendation": "allow TCP %d out of the function's security group to the database's group, and into "
                              "the database's group from the function's group (a group reference, not an address)"
                              % port,
        })
print(json.dumps({"checked": checked, "findings": findings}))
