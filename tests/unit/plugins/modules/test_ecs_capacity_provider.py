"""Unit tests for ecs_capacity_provider (in-process moto; Stubber for the delete-refused path)."""

import boto3
import pytest
from moto import mock_aws

from ansible_collections.stackops.ecs_webstack.plugins.modules import ecs_capacity_provider

TAGS = {"webstack:stack": "stack", "webstack:env": "dev"}


@pytest.fixture
def groups(aws_env):
    """Two Auto Scaling groups (the provider's and another) and an ECS client."""
    with mock_aws():
        ec2 = boto3.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        ec2.create_launch_template(LaunchTemplateName="stack-dev-ecs", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})
        autoscaling = boto3.client("autoscaling")
        arns = []
        for name in ("stack-dev-ecs", "other-ecs"):
            autoscaling.create_auto_scaling_group(
                AutoScalingGroupName=name, LaunchTemplate={"LaunchTemplateName": "stack-dev-ecs", "Version": "$Latest"},
                MinSize=0, MaxSize=2, DesiredCapacity=0, VPCZoneIdentifier=subnet,
            )
            arns.append(autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]["AutoScalingGroupARN"])
        yield boto3.client("ecs"), arns


def _provider(ecs, name="stack-dev-ec2"):
    found = ecs.describe_capacity_providers(capacityProviders=[name], include=["TAGS"])["capacityProviders"]
    return [p for p in found if p.get("status") != "INACTIVE"]


def test_create_is_checked_then_done_once(groups, run_module):
    ecs, (asg_arn, _other) = groups
    args = {"name": "stack-dev-ec2", "auto_scaling_group_arn": asg_arn, "managed_scaling": {"target_capacity": 90}, "tags": TAGS}
    result, failed = run_module(ecs_capacity_provider.main, args, check_mode=True, diff=True)
    assert not failed and result["changed"] and result["diff"]["after"]["managed_scaling"]["target_capacity"] == 90
    assert _provider(ecs) == []

    result, failed = run_module(ecs_capacity_provider.main, args)
    assert not failed and result["changed"]
    provider = _provider(ecs)[0]
    group = provider["autoScalingGroupProvider"]
    assert group["autoScalingGroupArn"] == asg_arn
    assert group["managedScaling"]["status"] == "ENABLED" and group["managedScaling"]["targetCapacity"] == 90
    assert group["managedTerminationProtection"] == "DISABLED"
    assert result["capacity_provider"]["arn"] == provider["capacityProviderArn"]
    assert result["capacity_provider"]["tags"] == TAGS

    result, failed = run_module(ecs_capacity_provider.main, args)
    assert not failed and not result["changed"] and result["changes"] == {}


def test_scaling_and_tags_update_in_place(groups, run_module):
    ecs, (asg_arn, _other) = groups
    run_module(ecs_capacity_provider.main, {"name": "stack-dev-ec2", "auto_scaling_group_arn": asg_arn, "tags": TAGS})
    args = {"name": "stack-dev-ec2", "auto_scaling_group_arn": asg_arn, "managed_scaling": {"target_capacity": 80, "instance_warmup_period": 120},
            "tags": dict(TAGS, team="web")}
    result, failed = run_module(ecs_capacity_provider.main, args, check_mode=True)
    assert not failed and result["changed"] and set(result["changes"]) == {"managed_scaling", "tags"}
    assert _provider(ecs)[0]["autoScalingGroupProvider"]["managedScaling"]["targetCapacity"] == 100

    result, failed = run_module(ecs_capacity_provider.main, args)
    assert not failed and result["changed"]
    scaling = _provider(ecs)[0]["autoScalingGroupProvider"]["managedScaling"]
    assert scaling["targetCapacity"] == 80 and scaling["instanceWarmupPeriod"] == 120
    assert {t["key"]: t["value"] for t in _provider(ecs)[0]["tags"]}["team"] == "web"
    result, failed = run_module(ecs_capacity_provider.main, args)
    assert not failed and not result["changed"]


def test_another_group_is_refused_with_what_to_do(groups, run_module):
    ecs, (asg_arn, other_arn) = groups
    run_module(ecs_capacity_provider.main, {"name": "stack-dev-ec2", "auto_scaling_group_arn": asg_arn})
    result, failed = run_module(ecs_capacity_provider.main, {"name": "stack-dev-ec2", "auto_scaling_group_arn": other_arn})
    assert failed and "cannot change" in result["msg"] and "another name" in result["msg"]
    assert _provider(ecs)[0]["autoScalingGroupProvider"]["autoScalingGroupArn"] == asg_arn


@pytest.mark.parametrize(
    "args, words",
    [
        ({"name": "ecs-mine"}, "may not start with"),
        ({"name": "ok", "managed_scaling": {"target_capacity": 0}}, "target_capacity is 0"),
        ({"name": "ok", "managed_scaling": {"minimum_scaling_step_size": 5, "maximum_scaling_step_size": 2}}, "step sizes"),
        ({"name": "ok", "managed_scaling": {"status": "DISABLED"}, "managed_termination_protection": "ENABLED"}, "needs managed_scaling"),
        ({"name": "ok", "auto_scaling_group_arn": None}, "auto_scaling_group_arn is required"),
    ],
)
def test_bad_input_fails_before_any_call(groups, run_module, args, words):
    ecs, (asg_arn, _other) = groups
    full = dict({"auto_scaling_group_arn": asg_arn}, **args)
    result, failed = run_module(ecs_capacity_provider.main, full)
    assert failed and words in result["msg"]
    assert _provider(ecs, full["name"]) == []


def test_absent_deletes_once(groups, run_module):
    ecs, (asg_arn, _other) = groups
    run_module(ecs_capacity_provider.main, {"name": "stack-dev-ec2", "auto_scaling_group_arn": asg_arn})
    result, failed = run_module(ecs_capacity_provider.main, {"name": "stack-dev-ec2", "state": "absent"}, check_mode=True)
    assert not failed and result["changed"] and _provider(ecs)
    result, failed = run_module(ecs_capacity_provider.main, {"name": "stack-dev-ec2", "state": "absent"})
    assert not failed and result["changed"] and _provider(ecs) == []
    result, failed = run_module(ecs_capacity_provider.main, {"name": "stack-dev-ec2", "state": "absent"})
    assert not failed and not result["changed"]


def test_absent_leaves_a_provider_of_another_stack(groups, run_module):
    ecs, (asg_arn, _other) = groups
    run_module(ecs_capacity_provider.main, {"name": "stack-dev-ec2", "auto_scaling_group_arn": asg_arn, "tags": {"webstack:stack": "other"}})
    result, failed = run_module(ecs_capacity_provider.main, {"name": "stack-dev-ec2", "state": "absent", "owner_tags": TAGS})
    assert not failed and not result["changed"] and "left alone" in result["msg"]
    assert _provider(ecs)
    result, failed = run_module(ecs_capacity_provider.main, {"name": "stack-dev-ec2", "state": "absent", "owner_tags": {"webstack:stack": "other"}})
    assert not failed and result["changed"] and _provider(ecs) == []


def test_delete_refused_while_a_cluster_uses_it_says_what_to_do(aws_env, run_module, monkeypatch):
    """AWS refuses to delete a provider a cluster lists (moto does not): the message says how to free it."""
    from botocore.stub import Stubber

    client = boto3.client("ecs")
    stubber = Stubber(client)
    provider = {"name": "stack-dev-ec2", "capacityProviderArn": "arn:aws:ecs:us-east-1:123456789012:capacity-provider/stack-dev-ec2",
                "status": "ACTIVE", "autoScalingGroupProvider": {"autoScalingGroupArn": "arn:asg", "managedTerminationProtection": "DISABLED"}}
    stubber.add_response("describe_capacity_providers", {"capacityProviders": [provider]})
    stubber.add_client_error("delete_capacity_provider", "ResourceInUseException",
                             "The specified capacity provider is in use and cannot be removed.")
    stubber.activate()
    monkeypatch.setattr(ecs_capacity_provider.AnsibleAWSModule, "client", lambda self, *a, **kw: client)
    result, failed = run_module(ecs_capacity_provider.main, {"name": "stack-dev-ec2", "state": "absent"})
    assert failed and "purge_capacity_providers" in result["msg"]
    stubber.assert_no_pending_responses()
