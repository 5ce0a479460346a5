"""Print the emulated account's ALB, listeners, target group and Route 53 records, read with plain boto3.

    python alb_state.py <alb name> <zone>
"""

import json
import sys

import boto3


def main(name, zone):
    elb = boto3.client("elbv2")
    route53 = boto3.client("route53")
    out = {"alb": {}, "listeners": [], "target_group": {}, "records": []}
    balancers = [b for b in elb.describe_load_balancers()["LoadBalancers"] if b["LoadBalancerName"] == name]
    if balancers:
        alb = balancers[0]
        alb["Tags"] = {t["Key"]: t["Value"] for t in elb.describe_tags(ResourceArns=[alb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]}
        out["alb"] = alb
        out["listeners"] = elb.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
    groups = [g for g in elb.describe_target_groups()["TargetGroups"] if g["TargetGroupName"] == name + "-fe"]
    if groups:
        out["target_group"] = groups[0]
        out["target_group"]["Attributes"] = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(
            TargetGroupArn=groups[0]["TargetGroupArn"])["Attributes"]}
    zones = [z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == zone.rstrip(".") + "."]
    if zones:
        out["records"] = [r for r in route53.list_resource_record_sets(HostedZoneId=zones[0]["Id"])["ResourceRecordSets"]
                          if r["Type"] == "A"]
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
