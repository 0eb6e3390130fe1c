# nimbus-script: cloudtrail-trails
# title: CloudTrail trails that are not logging, and no multi-region trail
# keywords: cloudtrail trail trails audit logging log logs api activity multi-region region regions
# actions: cloudtrail:DescribeTrails cloudtrail:GetTrailStatus
import json

import boto3
import botocore.exceptions

cloudtrail = boto3.client("cloudtrail")
region = cloudtrail.meta.region_name
findings = []
# Shadow trails are the multi-region (and organization) trails of other home regions, which record this one too.
trails = cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", [])
multi_region = []
logging_multi_region = []
for trail in trails:
    try:
        status = cloudtrail.get_trail_status(Name=trail["TrailARN"])
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") != "TrailNotFoundException":
            raise
        continue
    if trail.get("IsMultiRegionTrail"):
        multi_region.append(trail["TrailARN"])
        if status.get("IsLogging"):
            logging_multi_region.append(trail["TrailARN"])
    if not status.get("IsLogging"):
        findings.append({
            "severity": "high", "resource": trail["TrailARN"], "title": "trail is not logging",
            "evidence": {"operation": "cloudtrail:GetTrailStatus", "trail": trail.get("Name"),
                         "is_logging": False, "multi_region": trail.get("IsMultiRegionTrail"),
                         "home_region": trail.get("HomeRegion"), "latest_error": status.get("LatestDeliveryError")},
            "recommendation": "start logging on the trail (StartLogging), or delete it if it is not needed",
        })
if not logging_multi_region:
    findings.append({
        "severity": "high", "resource": "cloudtrail:" + region, "title": "no multi-region trail is logging",
        "evidence": {"operation": "cloudtrail:GetTrailStatus" if multi_region else "cloudtrail:DescribeTrails",
                     "region": region, "trails": len(trails), "multi_region_trails": multi_region},
        "recommendation": "create a multi-region trail (or an organization trail) that logs management events, "
                          "and keep it logging",
    })
print(json.dumps({"checked": len(trails), "findings": findings}))
