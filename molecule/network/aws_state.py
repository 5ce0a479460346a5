"""Print the emulated account's network state for one stack, read with plain boto3 (not the role's modules).

    python aws_state.py <webstack:stack> <webstack:env>

Everything is selected by the stack's two tags, so the output is also the list of what is left to clean up.
"""

import json
import sys

import boto3


def tags(item):
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


def main(stack, env):
    ec2 = boto3.client("ec2")
    flt = [{"Name": "tag:webstack:stack", "Values": [stack]}, {"Name": "tag:webstack:env", "Values": [env]}]
    vpcs = ec2.describe_vpcs(Filters=flt)["Vpcs"]
    out = {"vpcs": [], "subnets": [], "route_tables": [], "igws": [], "nat_gateways": [], "eips": [], "security_groups": []}
    for vpc in vpcs:
        vid = vpc["VpcId"]
        out["vpcs"].append(
            {
                "id": vid,
                "cidr": vpc["CidrBlock"],
                "name": tags(vpc).get("Name"),
                "tags": tags(vpc),
                "dns_support": ec2.describe_vpc_attribute(VpcId=vid, Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"],
                "dns_hostnames": ec2.describe_vpc_attribute(VpcId=vid, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"],
            }
        )
    for sub in ec2.describe_subnets(Filters=flt)["Subnets"]:
        out["subnets"].append(
            {
                "id": sub["SubnetId"],
                "vpc_id": sub["VpcId"],
                "cidr": sub["CidrBlock"],
                "az": sub["AvailabilityZone"],
                "tier": tags(sub).get("webstack:tier"),
                "map_public_ip": sub["MapPublicIpOnLaunch"],
            }
        )
    for rt in ec2.describe_route_tables(Filters=flt)["RouteTables"]:
        out["route_tables"].append(
            {
                "id": rt["RouteTableId"],
                "name": tags(rt).get("Name"),
                "subnets": sorted(a["SubnetId"] for a in rt["Associations"] if a.get("SubnetId")),
                "routes": [
                    {k: v for k, v in r.items() if k in ("DestinationCidrBlock", "GatewayId", "NatGatewayId")}
                    for r in rt["Routes"]
                ],
            }
        )
    for igw in ec2.describe_internet_gateways(Filters=flt)["InternetGateways"]:
        out["igws"].append({"id": igw["InternetGatewayId"], "vpcs": [a["VpcId"] for a in igw["Attachments"]]})
    for nat in ec2.describe_nat_gateways(Filters=flt)["NatGateways"]:
        if nat["State"] in ("deleted", "deleting"):
            continue
        out["nat_gateways"].append(
            {
                "id": nat["NatGatewayId"],
                "state": nat["State"],
                "subnet_id": nat["SubnetId"],
                "addresses": [{"allocation_id": a["AllocationId"], "public_ip": a["PublicIp"]} for a in nat["NatGatewayAddresses"]],
            }
        )
    for eip in ec2.describe_addresses(Filters=flt)["Addresses"]:
        out["eips"].append({"allocation_id": eip["AllocationId"], "public_ip": eip["PublicIp"]})
    for sg in ec2.describe_security_groups(Filters=flt)["SecurityGroups"]:
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg["GroupId"]]}])
        out["security_groups"].append(
            {
                "id": sg["GroupId"],
                "name": sg["GroupName"],
                "vpc_id": sg["VpcId"],
                "description": sg["Description"],
                "purpose": tags(sg).get("webstack:purpose"),
                "ingress": [
                    {
                        "from": r["FromPort"],
                        "to": r["ToPort"],
                        "cidr": r.get("CidrIpv4", ""),
                        "group": r.get("ReferencedGroupInfo", {}).get("GroupId", ""),
                    }
                    for r in rules["SecurityGroupRules"]
                    if not r["IsEgress"]
                ],
                "egress_count": len([r for r in rules["SecurityGroupRules"] if r["IsEgress"]]),
            }
        )
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:3])
