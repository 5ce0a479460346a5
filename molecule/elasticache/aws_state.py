"""Print the emulated account's Redis state for one stack, read with plain boto3 (not the role's modules).

    python aws_state.py <replication group id> <subnet group> <secret name> < text

The text on stdin (a playbook's output) is searched for the AUTH token; only whether it occurs is printed.
"""

import json
import sys

import boto3
import botocore


def _missing(err, *codes):
    return err.response["Error"]["Code"] in codes


def main(group_id, subnet_group, secret_name):
    text = sys.stdin.read()
    ec = boto3.client("elasticache")
    ec2 = boto3.client("ec2")
    sm = boto3.client("secretsmanager")
    out = {"group": None, "members": [], "subnet_group": None, "route_tables": [], "security_groups": {}, "secret": None}
    try:
        group = ec.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"][0]
        out["group"] = group
        out["group_tags"] = {t["Key"]: t["Value"] for t in ec.list_tags_for_resource(ResourceName=group["ARN"])["TagList"]}
        for member in group["MemberClusters"]:
            out["members"].append(ec.describe_cache_clusters(CacheClusterId=member)["CacheClusters"][0])
    except botocore.exceptions.ClientError as err:
        if not _missing(err, "ReplicationGroupNotFoundFault"):
            raise
    try:
        found = ec.describe_cache_subnet_groups(CacheSubnetGroupName=subnet_group)["CacheSubnetGroups"][0]
        out["subnet_group"] = {"vpc_id": found["VpcId"], "subnets": sorted(s["SubnetIdentifier"] for s in found["Subnets"])}
        out["subnet_group_description"] = found.get("CacheSubnetGroupDescription", "")
        for rt in ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": out["subnet_group"]["subnets"]}])["RouteTables"]:
            out["route_tables"].append(
                {
                    "subnets": sorted(a["SubnetId"] for a in rt["Associations"] if a.get("SubnetId")),
                    "targets": [r.get("GatewayId") or r.get("NatGatewayId") or "" for r in rt["Routes"]],
                }
            )
    except botocore.exceptions.ClientError as err:
        if not _missing(err, "CacheSubnetGroupNotFoundFault"):
            raise
    sg_ids = sorted({sg["SecurityGroupId"] for m in out["members"] for sg in m.get("SecurityGroups", [])})
    groups = ec2.describe_security_groups(GroupIds=sg_ids)["SecurityGroups"] if sg_ids else []
    for sg in groups:
        out["security_groups"][sg["GroupId"]] = [
            {
                "from": p.get("FromPort"),
                "to": p.get("ToPort"),
                "cidrs": [r["CidrIp"] for r in p.get("IpRanges", [])],
                "groups": [g["GroupId"] for g in p.get("UserIdGroupPairs", [])],
            }
            for p in sg["IpPermissions"]
        ]
    try:
        secret = sm.describe_secret(SecretId=secret_name)
        token = sm.get_secret_value(SecretId=secret_name)["SecretString"]
        out["secret"] = {
            "arn": secret["ARN"],
            "tags": {t["Key"]: t["Value"] for t in secret.get("Tags", [])},
            "token_length": len(token),
            "token_in_text": token in text,
            "text_length": len(text),
        }
    except botocore.exceptions.ClientError as err:
        if not _missing(err, "ResourceNotFoundException"):
            raise
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:4])
