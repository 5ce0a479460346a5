"""Unit tests for ecs_image_rollout: real flow against in-process moto, rollback and failure paths
with botocore's Stubber (moto never rolls back a deployment)."""

import datetime

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from ansible_collections.stackops.ecs_webstack.plugins.module_utils import ecs as ecs_rollout
from ansible_collections.stackops.ecs_webstack.plugins.modules import ecs_image_rollout

OLD = "123456789012.dkr.ecr.us-east-1.amazonaws.com/s/backend@sha256:" + "1" * 64
NEW = "123456789012.dkr.ecr.us-east-1.amazonaws.com/s/backend@sha256:" + "2" * 64


@pytest.fixture
def ecs(aws_env):
    with mock_aws():
        client = boto3.client("ecs")
        client.create_cluster(clusterName="stack")
        td = client.register_task_definition(
            family="stack-backend",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[
                {"name": "backend", "image": OLD, "memory": 512, "essential": True,
                 "secrets": [{"name": "MONGODB_URI", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"}]},
                {"name": "sidecar", "image": "busybox", "memory": 64, "essential": False},
            ],
            tags=[{"key": "webstack:stack", "value": "stack"}],
        )["taskDefinition"]
        client.create_service(cluster="stack", serviceName="backend", taskDefinition=td["taskDefinitionArn"], desiredCount=0)
        yield client


def test_new_image_registers_one_revision_changing_only_the_image(ecs, run_module):
    args = {"cluster": "stack", "service": "backend", "container_name": "backend", "image": NEW}
    result, failed = run_module(ecs_image_rollout.main, args)
    assert not failed, result
    assert result["changed"] and result["task_definition_arn"].endswith(":2")
    described = ecs.describe_task_definition(taskDefinition=result["task_definition_arn"], include=["TAGS"])
    containers = {c["name"]: c for c in described["taskDefinition"]["containerDefinitions"]}
    assert containers["backend"]["image"] == NEW
    assert containers["sidecar"]["image"] == "busybox"
    assert containers["backend"]["secrets"][0]["name"] == "MONGODB_URI"
    assert described["tags"] == [{"key": "webstack:stack", "value": "stack"}]
    service = ecs.describe_services(cluster="stack", services=["backend"])["services"][0]
    assert service["taskDefinition"] == result["task_definition_arn"]

    again, failed = run_module(ecs_image_rollout.main, args)
    assert not failed and not again["changed"]
    assert again["task_definition_arn"] == result["task_definition_arn"]


def test_check_mode_registers_nothing(ecs, run_module):
    result, failed = run_module(ecs_image_rollout.main, {"cluster": "stack", "service": "backend", "image": NEW}, check_mode=True, diff=True)
    assert not failed and result["changed"]
    assert result["diff"] == {"before": {"image": OLD}, "after": {"image": NEW}}
    arns = ecs.list_task_definitions(familyPrefix="stack-backend")["taskDefinitionArns"]
    assert len(arns) == 1


def test_unknown_container_and_missing_service_say_what_to_do(ecs, run_module):
    result, failed = run_module(ecs_image_rollout.main, {"cluster": "stack", "service": "backend", "container_name": "web", "image": NEW})
    assert failed and "backend, sidecar" in result["msg"]
    result, failed = run_module(ecs_image_rollout.main, {"cluster": "stack", "service": "frontend", "image": NEW})
    assert failed and "run playbooks/deploy.yml" in result["msg"]
    result, failed = run_module(ecs_image_rollout.main, {"cluster": "nocluster", "service": "backend", "image": NEW})
    assert failed and "run playbooks/deploy.yml" in result["msg"]


def _service(deployments, running=1, desired=1, events=()):
    return {
        "serviceName": "backend",
        "deployments": deployments,
        "runningCount": running,
        "desiredCount": desired,
        "events": [{"createdAt": datetime.datetime(2026, 1, 1, 0, 0, i), "message": m} for i, m in enumerate(events)],
    }


class _Failed(Exception):
    pass


class _Module:
    def fail_json(self, **kwargs):
        raise _Failed(kwargs)


def test_circuit_breaker_rollback_fails_with_the_events():
    client = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    rolled_back = _service(
        [{"status": "PRIMARY", "taskDefinition": "td:1"}, {"status": "ACTIVE", "taskDefinition": "td:2", "rolloutState": "FAILED"}],
        events=["(service backend) deployment failed: tasks failed to start.", "(service backend) rolling back to td:1"],
    )
    stub.add_response("describe_services", {"services": [_service([{"status": "PRIMARY", "taskDefinition": "td:2", "rolloutState": "IN_PROGRESS"},
                                                                  {"status": "ACTIVE", "taskDefinition": "td:1"}])]},
                      {"cluster": "stack", "services": ["backend"]})
    stub.add_response("describe_services", {"services": [rolled_back]}, {"cluster": "stack", "services": ["backend"]})
    with stub, pytest.raises(_Failed) as failure:
        ecs_rollout.wait_for_rollout(_Module(), client, "stack", "backend", "td:2", timeout=60, delay=0, sleep=lambda _s: None)
    details = failure.value.args[0]
    # The new revision's deployment is FAILED and the PRIMARY one runs the previous revision.
    assert details["rollout"] == "failed"
    assert "Service backend in cluster stack" in details["msg"] and "deploy again" in details["msg"]
    assert any("tasks failed to start" in line for line in details["events"])
    stub.assert_no_pending_responses()


def test_rollback_without_a_failed_marker_is_reported_as_rolled_back():
    client = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_response("describe_services", {"services": [_service([{"status": "PRIMARY", "taskDefinition": "td:1"}],
                                                                  events=["(service backend) rolling back to td:1"])]})
    with stub, pytest.raises(_Failed) as failure:
        ecs_rollout.wait_for_rollout(_Module(), client, "stack", "backend", "td:2", timeout=60, delay=0, sleep=lambda _s: None)
    assert failure.value.args[0]["rollout"] == "rolled_back"
    assert "circuit breaker rolled back" in failure.value.args[0]["msg"]


def test_rollout_that_never_finishes_times_out():
    client = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_response("describe_services", {"services": [_service([{"status": "PRIMARY", "taskDefinition": "td:2"}], running=0)]})
    with stub, pytest.raises(_Failed) as failure:
        ecs_rollout.wait_for_rollout(_Module(), client, "stack", "backend", "td:2", timeout=0, delay=0, sleep=lambda _s: None)
    assert failure.value.args[0]["rollout"] == "in_progress"


def test_the_new_revision_keeps_the_runtime_platform(ecs, run_module):
    """update_image.yml on a Graviton service: the revision that changes the image stays ARM64 (a copy without
    runtimePlatform would run on Fargate's default X86_64, where the arm64 image cannot start)."""
    arm = {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
    td = ecs.register_task_definition(
        family="stack-frontend", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        runtimePlatform=arm,
        containerDefinitions=[{"name": "frontend", "image": OLD, "memory": 512, "essential": True,
                               "healthCheck": {"command": ["CMD-SHELL", "curl -fsS -o /dev/null http://127.0.0.1/healthz || exit 1"],
                                               "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 15}}],
    )["taskDefinition"]
    ecs.create_service(cluster="stack", serviceName="frontend", taskDefinition=td["taskDefinitionArn"], desiredCount=0)
    result, failed = run_module(ecs_image_rollout.main, {"cluster": "stack", "service": "frontend", "image": NEW})
    assert not failed, result
    described = ecs.describe_task_definition(taskDefinition=result["task_definition_arn"])["taskDefinition"]
    assert described["revision"] == 2 and described["containerDefinitions"][0]["image"] == NEW
    assert described["runtimePlatform"] == arm
    assert described["containerDefinitions"][0]["healthCheck"] == td["containerDefinitions"][0]["healthCheck"]
    assert described["cpu"] == "256" and described["requiresCompatibilities"] == ["FARGATE"]
