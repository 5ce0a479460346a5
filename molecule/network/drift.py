"""Change the scenario's converged network by hand, as someone in the console would, with plain boto3.

    python drift.py <webstack:stack> <webstack:env>

Prints what it changed (JSON). The side effect then proves that the role's next run puts every
part back, although its quick read-and-compare path skips the create modules when nothing differs.
"""

import json
import sys

import boto3


def tagged(ec2, describe, key, stack, env):
    flt = [{"Name": "tag:webstack:stack", "Values": [stack]}, {"Name": "tag:webstack:env", "Values": [env]}]
    return getattr(ec2, describe)(Filters=flt)[key]


def main(stack, env):
    ec2 = boto3.client("ec2")
    vpc = tagged(ec2, "describe_vpcs", "Vpcs", stack, env)[0]
    groups = {g["GroupName"]: g for g in tagged(ec2, "describe_security_groups", "SecurityGroups", stack, env)}
    prefix = "%s-%s" % (stack, env)
    done = []

    # A hand-made tag on the VPC (the role purges tags it did not set).
    ec2.create_tags(Resources=[vpc["VpcId"]], Tags=[{"Key": "Owner", "Value": "by-hand"}])
    done.append("vpc tag Owner")

    # A public subnet that no longer gives its tasks public IPs.
    public = [s for s in tagged(ec2, "describe_subnets", "Subnets", stack, env)
              if {"Key": "webstack:tier", "Value": "public"} in s["Tags"]][0]
    ec2.modify_subnet_attribute(SubnetId=public["SubnetId"], MapPublicIpOnLaunch={"Value": False})
    done.append("public subnet map_public off")

    # The public route table loses its default route.
    table = [t for t in tagged(ec2, "describe_route_tables", "RouteTables", stack, env)
             if {"Key": "Name", "Value": prefix + "-public"} in t["Tags"]][0]
    ec2.delete_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock="0.0.0.0/0")
    done.append("public default route deleted")

    # The backend group loses its rule from the frontend; the frontend group gains SSH from anywhere.
    backend = groups[prefix + "-backend"]
    ec2.revoke_security_group_ingress(GroupId=backend["GroupId"], IpPermissions=backend["IpPermissions"])
    done.append("backend ingress revoked")
    ec2.authorize_security_group_ingress(
        GroupId=groups[prefix + "-frontend"]["GroupId"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    done.append("frontend ssh opened")
    print(json.dumps(done))


if __name__ == "__main__":
    main(*sys.argv[1:3])
