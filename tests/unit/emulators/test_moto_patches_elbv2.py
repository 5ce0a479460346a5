"""The ALB in moto answers its attributes with AWS's defaults (in-process moto)."""

import boto3
from moto import mock_aws


def test_alb_attributes_have_aws_defaults(aws_env):
    with mock_aws():
        ec2 = boto3.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
                   for cidr, az in (("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b"))]
        elb = boto3.client("elbv2")
        arn = elb.create_load_balancer(Name="alb-defaults", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
        assert attrs["idle_timeout.timeout_seconds"] == "60"
        assert attrs["routing.http2.enabled"] == "true"
        assert attrs["deletion_protection.enabled"] == "false"
        elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "30"}])
        attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
        assert attrs["idle_timeout.timeout_seconds"] == "30"
