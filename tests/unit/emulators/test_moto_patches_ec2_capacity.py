"""The moto patches the EC2 capacity needs behave as the AWS API reference says (in-process moto)."""

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws


@pytest.fixture
def ec2(aws_env):
    with mock_aws():
        yield boto3.client("ec2")


def test_template_tags_are_not_launch_data_and_versions_delete(ec2):
    data = {"ImageId": "ami-12c6146b", "InstanceType": "t3.micro",
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "a", "Value": "1"}]}]}
    ec2.create_launch_template(LaunchTemplateName="lt-one", LaunchTemplateData=data,
                               TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "t", "Value": "x"}]}])
    stored = ec2.describe_launch_template_versions(LaunchTemplateName="lt-one")["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert stored["TagSpecifications"] == data["TagSpecifications"]
    assert ec2.describe_launch_templates(LaunchTemplateNames=["lt-one"])["LaunchTemplates"][0]["Tags"] == [{"Key": "t", "Value": "x"}]

    ec2.create_launch_template_version(LaunchTemplateName="lt-one", LaunchTemplateData=dict(data, InstanceType="t2.micro"))
    ec2.create_launch_template_version(LaunchTemplateName="lt-one", LaunchTemplateData=dict(data, InstanceType="t3.small"))
    answer = ec2.delete_launch_template_versions(LaunchTemplateName="lt-one", Versions=["1", "2"])
    assert [v["VersionNumber"] for v in answer["SuccessfullyDeletedLaunchTemplateVersions"]] == [2]
    assert [v["VersionNumber"] for v in answer["UnsuccessfullyDeletedLaunchTemplateVersions"]] == [1]  # the default
    left = ec2.describe_launch_template_versions(LaunchTemplateName="lt-one", Versions=["3"])["LaunchTemplateVersions"]
    assert left[0]["LaunchTemplateData"]["InstanceType"] == "t3.small"
    # Numbers are never reused.
    assert ec2.create_launch_template_version(LaunchTemplateName="lt-one", LaunchTemplateData=data)["LaunchTemplateVersion"]["VersionNumber"] == 4
    with pytest.raises(ClientError):
        ec2.describe_launch_template_versions(LaunchTemplateName="lt-one", Versions=["2"])


def test_disable_metrics_collection(ec2):
    subnet = ec2.create_subnet(VpcId=ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"], CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    ec2.create_launch_template(LaunchTemplateName="lt-two", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})
    autoscaling = boto3.client("autoscaling")
    autoscaling.create_auto_scaling_group(AutoScalingGroupName="g", LaunchTemplate={"LaunchTemplateName": "lt-two"},
                                          MinSize=0, MaxSize=1, VPCZoneIdentifier=subnet)
    autoscaling.enable_metrics_collection(AutoScalingGroupName="g", Granularity="1Minute",
                                          Metrics=["GroupMinSize", "GroupMaxSize"])
    autoscaling.disable_metrics_collection(AutoScalingGroupName="g", Metrics=["GroupMinSize"])
    enabled = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["g"])["AutoScalingGroups"][0]["EnabledMetrics"]
    assert [m["Metric"] for m in enabled] == ["GroupMaxSize"]
    autoscaling.disable_metrics_collection(AutoScalingGroupName="g")
    assert autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["g"])["AutoScalingGroups"][0].get("EnabledMetrics", []) == []


def test_group_tags_come_back_sorted_by_key(ec2):
    subnet = ec2.create_subnet(VpcId=ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"], CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    ec2.create_launch_template(LaunchTemplateName="lt-three", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})
    autoscaling = boto3.client("autoscaling")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="g", LaunchTemplate={"LaunchTemplateName": "lt-three"}, MinSize=0, MaxSize=1, VPCZoneIdentifier=subnet,
        Tags=[{"Key": k, "Value": "v", "PropagateAtLaunch": True} for k in ("webstack:env", "Name", "AmazonECSManaged")])
    autoscaling.create_or_update_tags(Tags=[{"Key": "b", "Value": "v", "ResourceId": "g", "ResourceType": "auto-scaling-group"}])
    tags = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["g"])["AutoScalingGroups"][0]["Tags"]
    assert [t["Key"] for t in tags] == ["AmazonECSManaged", "Name", "b", "webstack:env"]
