"""ecs_taskdefinition_drift: the latest ACTIVE revision (as ecs_taskdefinition_info returns it) against the role's definition."""

import copy

import boto3
import pytest
from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from moto import mock_aws

from ansible_collections.stackops.ecs_webstack.plugins.filter.ecs_taskdefinition_drift import ecs_taskdefinition_drift

ROLE = "arn:aws:iam::123456789012:role/"
CONTAINER = {
    "name": "backend",
    "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "1" * 64,
    "essential": True,
    "cpu": 256,
    "memory": 512,
    "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
    "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
    "secrets": [{"name": "S", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf"}],
    "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/app", "awslogs-stream-prefix": "backend"}},
    "dockerLabels": {"stackops.ecs_webstack.definition-sha256": "abc"},
}
WANTED = {"container": CONTAINER, "launch_type": "FARGATE", "network_mode": "awsvpc", "cpu": "256", "memory": "512",
          "task_role_arn": ROLE + "task", "execution_role_arn": ROLE + "exec"}


def _described(**changes):
    """A DescribeTaskDefinition answer as AWS gives it, converted as ecs_taskdefinition_info converts it."""
    container = dict(copy.deepcopy(CONTAINER), mountPoints=[], volumesFrom=[], systemControls=[])
    container.update(changes.pop("container", {}))
    td = {
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/app:3", "family": "app", "revision": 3,
        "status": "ACTIVE", "containerDefinitions": [container], "networkMode": "awsvpc", "cpu": "256", "memory": "512",
        "taskRoleArn": ROLE + "task", "executionRoleArn": ROLE + "exec", "requiresCompatibilities": ["FARGATE"],
        "compatibilities": ["EC2", "FARGATE"], "volumes": [], "placementConstraints": [],
        "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
    }
    td.update(changes)
    return dict(camel_dict_to_snake_dict(td), changed=False)


def test_the_same_definition_is_no_drift():
    assert ecs_taskdefinition_drift(_described(), WANTED) == []


def test_reordered_lists_and_a_default_protocol_are_the_same():
    described = _described(container={"environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]})
    wanted = copy.deepcopy(WANTED)
    wanted["container"]["portMappings"] = [{"containerPort": 8080, "hostPort": 8080}]
    assert ecs_taskdefinition_drift(described, wanted) == []


def test_no_revision_is_drift():
    assert ecs_taskdefinition_drift({"changed": False}, WANTED) == ["no ACTIVE revision of the family"]


@pytest.mark.parametrize("changes, expected", [
    # A revision copied by hand keeps the hash label: the value itself must be compared.
    ({"container": {"environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "changed"}]}}, "differs in environment"),
    ({"container": {"image": "other@sha256:" + "2" * 64}}, "differs in image"),
    ({"container": {"dockerLabels": {"stackops.ecs_webstack.definition-sha256": "other"}}}, "differs in docker_labels"),
    ({"container": {"user": "root"}}, "differs in user"),
    ({"container": {"secrets": []}}, "differs in secrets"),
    ({"cpu": "512"}, "cpu 512, wanted 256"),
    ({"memory": "1024"}, "memory 1024, wanted 512"),
    ({"networkMode": "bridge"}, "network_mode bridge, wanted awsvpc"),
    ({"taskRoleArn": ROLE + "other"}, "task_role_arn " + ROLE + "other"),
    ({"executionRoleArn": ROLE + "other"}, "execution_role_arn " + ROLE + "other"),
    ({"requiresCompatibilities": ["EC2"]}, "requires EC2, wanted FARGATE"),
    ({"status": "INACTIVE"}, "revision 3 is INACTIVE"),
    ({"volumes": [{"name": "data"}]}, "has volumes"),
])
def test_each_difference_is_named(changes, expected):
    drift = ecs_taskdefinition_drift(_described(**changes), WANTED)
    assert len(drift) == 1 and expected in drift[0], drift


def test_two_containers_is_drift():
    described = _described()
    described["container_definitions"].append(dict(described["container_definitions"][0], name="sidecar"))
    assert ecs_taskdefinition_drift(described, WANTED) == ["revision 3: 2 containers, wanted 1"]


def test_wanted_needs_a_container():
    with pytest.raises(AnsibleFilterError):
        ecs_taskdefinition_drift({}, {"container": None})


def test_a_definition_registered_in_moto_round_trips(aws_env):
    """What community.aws.ecs_taskdefinition registers, described back, is no drift (moto in-process)."""
    with mock_aws():
        ecs = boto3.client("ecs")
        ecs.register_task_definition(
            family="app", taskRoleArn=ROLE + "task", executionRoleArn=ROLE + "exec", networkMode="awsvpc",
            containerDefinitions=[CONTAINER], requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            runtimePlatform={"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
        )
        described = ecs.describe_task_definition(taskDefinition="app")["taskDefinition"]
    assert ecs_taskdefinition_drift(camel_dict_to_snake_dict(described), WANTED) == []


PLATFORM = {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}


def test_the_same_runtime_platform_is_no_drift():
    assert ecs_taskdefinition_drift(_described(), dict(WANTED, runtime_platform=PLATFORM)) == []


@pytest.mark.parametrize("described, wanted, expected", [
    # The inventory switched to Graviton: the X86_64 revision must be replaced.
    (PLATFORM, dict(PLATFORM, cpuArchitecture="ARM64"), "runtime platform LINUX/X86_64, wanted LINUX/ARM64"),
    # Someone registered an ARM64 revision by hand.
    (dict(PLATFORM, cpuArchitecture="ARM64"), PLATFORM, "runtime platform LINUX/ARM64, wanted LINUX/X86_64"),
    # A revision without runtimePlatform runs wherever ECS places it: not proven equal.
    (None, PLATFORM, "runtime platform none, wanted LINUX/X86_64"),
])
def test_a_changed_architecture_is_drift(described, wanted, expected):
    changes = {"runtimePlatform": described} if described else {}
    current = _described(**changes)
    if not described:
        current.pop("runtime_platform")
    drift = ecs_taskdefinition_drift(current, dict(WANTED, runtime_platform=wanted))
    assert drift == ["revision 3: " + expected], drift


def test_without_a_wanted_runtime_platform_it_is_not_compared():
    assert ecs_taskdefinition_drift(_described(runtimePlatform=dict(PLATFORM, cpuArchitecture="ARM64")), WANTED) == []


def test_an_arm64_definition_registered_in_moto_round_trips(aws_env):
    arm = dict(PLATFORM, cpuArchitecture="ARM64")
    with mock_aws():
        ecs = boto3.client("ecs")
        ecs.register_task_definition(
            family="app", taskRoleArn=ROLE + "task", executionRoleArn=ROLE + "exec", networkMode="awsvpc",
            containerDefinitions=[CONTAINER], requiresCompatibilities=["FARGATE"], cpu="256", memory="512", runtimePlatform=arm,
        )
        described = camel_dict_to_snake_dict(ecs.describe_task_definition(taskDefinition="app")["taskDefinition"])
    assert ecs_taskdefinition_drift(described, dict(WANTED, runtime_platform=arm)) == []
    assert ecs_taskdefinition_drift(described, dict(WANTED, runtime_platform=PLATFORM)) == [
        "revision 1: runtime platform LINUX/ARM64, wanted LINUX/X86_64"]
