"""Unit tests for application_autoscaling_info, against in-process moto."""

import boto3
import pytest
from moto import mock_aws

from ansible_collections.stackops.ecs_webstack.plugins.modules import application_autoscaling_info

RESOURCE = "service/stack-dev/backend"
CONFIG = {
    "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
    "TargetValue": 60.0,
    "ScaleInCooldown": 120,
    "ScaleOutCooldown": 60,
    "DisableScaleIn": False,
}


@pytest.fixture
def scaling(aws_env):
    with mock_aws():
        # moto registers a target only for a service that exists.
        ecs = boto3.client("ecs")
        ecs.create_cluster(clusterName="stack-dev")
        ecs.register_task_definition(family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}])
        for name in ("backend", "frontend"):
            ecs.create_service(cluster="stack-dev", serviceName=name, taskDefinition="app", desiredCount=1)
        yield boto3.client("application-autoscaling")


def test_an_unregistered_resource_reads_empty(scaling, run_module):
    result, failed = run_module(application_autoscaling_info.main, {"resource_id": RESOURCE})
    assert not failed and not result["changed"]
    assert result["scalable_target"] == {} and result["scaling_policies"] == []


def test_target_and_policies_are_read_as_the_policy_module_takes_them(scaling, run_module):
    scaling.register_scalable_target(ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension="ecs:service:DesiredCount",
                                     MinCapacity=2, MaxCapacity=5)
    scaling.put_scaling_policy(PolicyName="stack-dev-backend-cpu", ServiceNamespace="ecs", ResourceId=RESOURCE,
                               ScalableDimension="ecs:service:DesiredCount", PolicyType="TargetTrackingScaling",
                               TargetTrackingScalingPolicyConfiguration=CONFIG)
    # Another service's target and policy are not this resource's.
    scaling.register_scalable_target(ServiceNamespace="ecs", ResourceId="service/stack-dev/frontend",
                                     ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=2)
    result, failed = run_module(application_autoscaling_info.main, {"resource_id": RESOURCE}, check_mode=True)
    assert not failed and not result["changed"]
    assert result["scalable_target"]["min_capacity"] == 2 and result["scalable_target"]["max_capacity"] == 5
    assert result["scaling_policies"] == [
        {"PolicyName": "stack-dev-backend-cpu", "PolicyType": "TargetTrackingScaling", "TargetTrackingScalingPolicyConfiguration": CONFIG}
    ]


def test_an_api_error_says_what_was_read(scaling, run_module):
    result, failed = run_module(application_autoscaling_info.main, {"resource_id": RESOURCE, "service_namespace": "nonsense"})
    assert failed
    assert "Could not read the Application Auto Scaling target of service/stack-dev/backend" in result["msg"]
