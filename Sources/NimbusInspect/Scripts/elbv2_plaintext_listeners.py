# nimbus-script: elbv2-plaintext-listeners
# title: Load balancers with HTTP listeners that do not redirect to HTTPS
# keywords: elbv2 elb alb load balancer balancers listener listeners http https plaintext tls ssl redirect
# actions: elasticloadbalancing:DescribeLoadBalancers elasticloadbalancing:DescribeListeners
import json

import boto3

elbv2 = boto3.client("elbv2")


def redirects_to_https(listener):
    actions = listener.get("DefaultActions", [])
    return bool(actions) and all(
        action.get("Type") == "redirect" and action.get("RedirectConfig", {}).get("Protocol") == "HTTPS"
        for action in actions)


findings = []
balancers = []
for page in elbv2.get_paginator("describe_load_balancers").paginate():
    balancers.extend(page["LoadBalancers"])
for balancer in balancers:
    arn = balancer["LoadBalancerArn"]
    for page in elbv2.get_paginator("describe_listeners").paginate(LoadBalancerArn=arn):
        for listener in page["Listeners"]:
            if listener.get("Protocol") != "HTTP" or redirects_to_https(listener):
                continue
            findings.append({
                "severity": "medium", "resource": arn,
                "title": "listener on port %s serves plain HTTP" % listener.get("Port"),
                "evidence": {"operation": "elasticloadbalancing:DescribeListeners",
                             "load_balancer": balancer.get("LoadBalancerName"),
                             "listener": listener["ListenerArn"], "port": listener.get("Port"),
                             "protocol": "HTTP", "default_actions": listener.get("DefaultActions", [])},
                "recommendation": "make the HTTP listener redirect to HTTPS (HTTP 301), and serve on an HTTPS "
                                  "listener with a certificate",
            })
print(json.dumps({"checked": len(balancers), "findings": findings}))
