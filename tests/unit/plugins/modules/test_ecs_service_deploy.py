"""Unit tests for ecs_service_deploy and module_utils/ecs.py.

The update paths moto 5.2.5 drops or cannot show (deploymentConfiguration and capacityProviderStrategy
changes, a launch type moving to a capacity provider strategy, a circuit breaker rollback, autoscaling owning
the desired count) run against botocore's Stubber: each test queues exactly the calls AWS should see, so an
extra write or a missing field fails the test.
"""

import copy

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.stackops.ecs_webstack.plugins.module_utils import ecs as ecs_utils
from ansible_collections.stackops.ecs_webstack.plugins.module_utils import ecs_taskdefinition
from ansible_collections.stackops.ecs_webstack.plugins.modules import ecs_service_deploy

TD1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/stack-dev-backend:1"
TD2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/stack-dev-backend:2"
REG = "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-0123456789abcdef"
SVC_ARN = "arn:aws:ecs:us-east-1:123456789012:service/stack-dev/backend"

ARGS = {
    "cluster": "stack-dev",
    "name": "backend",
    "task_definition": TD1,
    "desired_count": 2,
    "capacity_provider_strategy": [{"capacity_provider": "FARGATE", "base": 1, "weight": 1}],
    "network": {"subnets": ["subnet-b", "subnet-a"], "security_groups": ["sg-1"]},
    "service_registries": [{"registry_arn": REG}],
    "deployment": {"minimum_healthy_percent": 100, "maximum_percent": 200},
    "wait_delay": 0,
    "wait_timeout": 5,
}


def steady_service(**overrides):
    service = {
        "serviceArn": SVC_ARN,
        "serviceName": "backend",
        "status": "ACTIVE",
        "taskDefinition": TD1,
        "desiredCount": 2,
        "runningCount": 2,
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "base": 1, "weight": 1}],
        "deploymentConfiguration": {
            "minimumHealthyPercent": 100,
            "maximumPercent": 200,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        },
        "networkConfiguration": {
            "awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}
        },
        "serviceRegistries": [{"registryArn": REG}],
        "loadBalancers": [],
        "propagateTags": "SERVICE",
        "enableExecuteCommand": False,
        "deployments": [
            {"id": "ecs-svc/1", "status": "PRIMARY", "taskDefinition": TD1, "rolloutState": "COMPLETED", "runningCount": 2}
        ],
        "events": [],
        "tags": [],
    }
    service.update(overrides)
    return service


@pytest.fixture
def scaling_stub():
    """Stubber of the application-autoscaling client (delete deregisters the scalable target)."""
    return Stubber(boto3.client("application-autoscaling", region_name="us-east-1"))


@pytest.fixture
def stub(aws_env, monkeypatch, scaling_stub):
    client = boto3.client("ecs", region_name="us-east-1")
    stubber = Stubber(client)
    clients = {"ecs": client, "application-autoscaling": scaling_stub.client}
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, *a, **k: clients[service])
    monkeypatch.setattr(ecs_service_deploy.time, "sleep", lambda _s: None)
    with stubber, scaling_stub:
        yield stubber
        stubber.assert_no_pending_responses()
        scaling_stub.assert_no_pending_responses()


def expect_describe(stub, service):
    stub.add_response(
        "describe_services",
        {"services": [service] if service else [], "failures": []},
        {"cluster": "stack-dev", "services": ["backend"], "include": ["TAGS"]},
    )


# ---------------------------------------------------------------- module_utils/ecs.py


def _params(**overrides):
    params = dict(
        desired_count=2,
        launch_type=None,
        capacity_provider_strategy=[{"capacity_provider": "FARGATE", "base": 1, "weight": 1}],
        network={"subnets": ["subnet-b", "subnet-a"], "security_groups": ["sg-1"], "assign_public_ip": False},
        service_registries=[{"registry_arn": REG, "container_name": None, "container_port": None, "port": None}],
        load_balancers=[],
        deployment={"minimum_healthy_percent": 100, "maximum_percent": 200, "circuit_breaker": True, "rollback": True},
        health_check_grace_period=None,
        propagate_tags="SERVICE",
        enable_execute_command=False,
        platform_version=None,
    )
    params.update(overrides)
    return params


def test_same_settings_in_another_order_are_no_change():
    wanted = ecs_utils.wanted_fields(_params(), TD1)
    assert ecs_utils.field_changes(ecs_utils.current_fields(steady_service()), wanted) == {}


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"deployment": {"minimum_healthy_percent": 50, "maximum_percent": 200, "circuit_breaker": True, "rollback": True}}, "deploymentConfiguration"),
        ({"deployment": {"minimum_healthy_percent": 100, "maximum_percent": 200, "circuit_breaker": True, "rollback": False}}, "deploymentConfiguration"),
        ({"capacity_provider_strategy": [{"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": 1}]}, "capacityProviderStrategy"),
        ({"service_registries": []}, "serviceRegistries"),
        ({"network": {"subnets": ["subnet-a"], "security_groups": ["sg-1"], "assign_public_ip": False}}, "networkConfiguration"),
        ({"network": {"subnets": ["subnet-a", "subnet-b"], "security_groups": ["sg-1"], "assign_public_ip": True}}, "networkConfiguration"),
        ({"desired_count": 3}, "desiredCount"),
        ({"enable_execute_command": True}, "enableExecuteCommand"),
        ({"health_check_grace_period": 30}, "healthCheckGracePeriodSeconds"),
        ({"propagate_tags": "TASK_DEFINITION"}, "propagateTags"),
    ],
)
def test_each_managed_field_is_compared(overrides, field):
    wanted = ecs_utils.wanted_fields(_params(**overrides), TD1)
    changes = ecs_utils.field_changes(ecs_utils.current_fields(steady_service()), wanted)
    assert list(changes) == [field]


def test_autoscaling_owns_the_desired_count():
    wanted = ecs_utils.wanted_fields(_params(desired_count=5), TD1)
    assert ecs_utils.field_changes(ecs_utils.current_fields(steady_service()), wanted, autoscaling=True) == {}


@pytest.mark.parametrize(
    "service, state",
    [
        (steady_service(), "steady"),
        (steady_service(runningCount=1), "in_progress"),
        (
            steady_service(
                deployments=[
                    {"id": "ecs-svc/2", "status": "PRIMARY", "taskDefinition": TD1, "rolloutState": "IN_PROGRESS"},
                    {"id": "ecs-svc/1", "status": "ACTIVE", "taskDefinition": TD1, "rolloutState": "COMPLETED"},
                ]
            ),
            "in_progress",
        ),
        (steady_service(deployments=[{"id": "d", "status": "PRIMARY", "taskDefinition": TD2, "rolloutState": "FAILED"}]), "failed"),
        (steady_service(taskDefinition=TD1,
                        deployments=[{"id": "d", "status": "PRIMARY", "taskDefinition": TD1, "rolloutState": "IN_PROGRESS"}]),
         "rolled_back"),
    ],
)
def test_steady_state_classification(service, state):
    assert ecs_utils.steady_state(service, TD2 if state == "rolled_back" else service["deployments"][0]["taskDefinition"])[0] == state


# ---------------------------------------------------------------- module, Stubber


def test_no_change_makes_no_write(stub, run_module):
    expect_describe(stub, steady_service())
    result, failed = run_module(ecs_service_deploy.main, ARGS)
    assert not failed, result
    assert not result["changed"] and result["changes"] == {}


def test_circuit_breaker_change_is_updated_and_waited_for(stub, run_module):
    before = steady_service(
        deploymentConfiguration={"minimumHealthyPercent": 100, "maximumPercent": 200, "deploymentCircuitBreaker": {"enable": False, "rollback": False}}
    )
    expect_describe(stub, before)
    stub.add_response(
        "update_service",
        {"service": steady_service()},
        {
            "cluster": "stack-dev",
            "service": "backend",
            "deploymentConfiguration": {
                "minimumHealthyPercent": 100,
                "maximumPercent": 200,
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            },
        },
    )
    expect_describe(stub, steady_service())
    result, failed = run_module(ecs_service_deploy.main, ARGS)
    assert not failed, result
    assert result["changed"] and list(result["changes"]) == ["deploymentConfiguration"]
    assert result["rollout"] == "steady"


def test_launch_type_to_capacity_provider_strategy_forces_a_new_deployment(stub, run_module):
    before = steady_service(launchType="FARGATE")
    del before["capacityProviderStrategy"]
    expect_describe(stub, before)
    stub.add_response(
        "update_service",
        {"service": steady_service()},
        {
            "cluster": "stack-dev",
            "service": "backend",
            "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}],
            "forceNewDeployment": True,
        },
    )
    expect_describe(stub, steady_service())
    result, failed = run_module(ecs_service_deploy.main, ARGS)
    assert not failed, result
    assert list(result["changes"]) == ["capacityProviderStrategy"]


def test_new_service_registry_and_task_definition_in_one_update(stub, run_module):
    expect_describe(stub, steady_service(serviceRegistries=[]))
    after = steady_service(taskDefinition=TD2, deployments=[{"id": "d2", "status": "PRIMARY", "taskDefinition": TD2, "rolloutState": "COMPLETED"}])
    stub.add_response(
        "update_service",
        {"service": after},
        {"cluster": "stack-dev", "service": "backend", "taskDefinition": TD2, "serviceRegistries": [{"registryArn": REG}]},
    )
    in_progress = copy.deepcopy(after)
    in_progress["deployments"] = [
        {"id": "d2", "status": "PRIMARY", "taskDefinition": TD2, "rolloutState": "IN_PROGRESS"},
        {"id": "d1", "status": "ACTIVE", "taskDefinition": TD1, "rolloutState": "COMPLETED"},
    ]
    expect_describe(stub, in_progress)
    expect_describe(stub, after)
    result, failed = run_module(ecs_service_deploy.main, dict(ARGS, task_definition=TD2))
    assert not failed, result
    assert sorted(result["changes"]) == ["serviceRegistries", "taskDefinition"]
    assert result["rollout"] == "steady"


def test_circuit_breaker_rollback_fails_with_the_events(stub, run_module):
    expect_describe(stub, steady_service())
    stub.add_response("update_service", {"service": steady_service(taskDefinition=TD2)}, {"cluster": "stack-dev", "service": "backend", "taskDefinition": TD2})
    rolled_back = steady_service(
        taskDefinition=TD1,
        deployments=[{"id": "d3", "status": "PRIMARY", "taskDefinition": TD1, "rolloutState": "IN_PROGRESS"}],
        events=[
            {"id": "e2", "message": "(service backend) rolling back to deployment ecs-svc/1.", "createdAt": "2026-11-28T00:10:00Z"},
            {"id": "e1", "message": "(service backend) deployment ecs-svc/2 deployment failed: tasks failed to start.", "createdAt": "2026-11-28T00:09:00Z"},
        ],
    )
    expect_describe(stub, rolled_back)
    result, failed = run_module(ecs_service_deploy.main, dict(ARGS, task_definition=TD2))
    assert failed
    assert result["rollout"] == "rolled_back"
    assert "circuit breaker rolled back" in result["msg"]
    assert "tasks failed to start" in result["msg"]
    assert len(result["events"]) == 2


def test_timeout_fails_with_the_events(stub, run_module):
    expect_describe(stub, steady_service())
    stub.add_response("update_service", {"service": steady_service(desiredCount=3)}, {"cluster": "stack-dev", "service": "backend", "desiredCount": 3})
    expect_describe(
        stub, steady_service(desiredCount=3, runningCount=2, events=[{"id": "e", "message": "unable to place a task", "createdAt": "2026-11-28T00:11:00Z"}])
    )
    result, failed = run_module(ecs_service_deploy.main, dict(ARGS, desired_count=3, wait_timeout=0))
    assert failed and result["rollout"] == "in_progress"
    assert "not steady after 0s" in result["msg"] and "unable to place a task" in result["msg"]


def test_autoscaled_service_keeps_its_desired_count(stub, run_module):
    expect_describe(stub, steady_service(desiredCount=4, runningCount=4))
    result, failed = run_module(ecs_service_deploy.main, dict(ARGS, desired_count=2, autoscaling=True))
    assert not failed and not result["changed"]


def test_launch_type_change_fails_with_advice(stub, run_module):
    before = steady_service(launchType="EC2")
    del before["capacityProviderStrategy"]
    expect_describe(stub, before)
    args = dict(ARGS, launch_type="FARGATE")
    del args["capacity_provider_strategy"]
    result, failed = run_module(ecs_service_deploy.main, args)
    assert failed and "cannot change the launch type" in result["msg"]


def test_create_sends_every_field(stub, run_module):
    expect_describe(stub, None)
    stub.add_response(
        "create_service",
        {"service": steady_service()},
        {
            "cluster": "stack-dev",
            "serviceName": "backend",
            "taskDefinition": TD1,
            "desiredCount": 2,
            "deploymentConfiguration": {
                "minimumHealthyPercent": 100,
                "maximumPercent": 200,
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            },
            "propagateTags": "SERVICE",
            "enableExecuteCommand": False,
            "schedulingStrategy": "REPLICA",
            "deploymentController": {"type": "ECS"},
            "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}],
            "networkConfiguration": {
                "awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}
            },
            "serviceRegistries": [{"registryArn": REG}],
            "tags": [{"key": "webstack:env", "value": "dev"}],
        },
    )
    expect_describe(stub, steady_service())
    result, failed = run_module(ecs_service_deploy.main, dict(ARGS, tags={"webstack:env": "dev"}))
    assert not failed, result
    assert result["changed"] and result["rollout"] == "steady"


def test_check_mode_makes_no_write(stub, run_module):
    expect_describe(stub, None)
    result, failed = run_module(ecs_service_deploy.main, ARGS, check_mode=True)
    assert not failed and result["changed"] and result["rollout"] == "not_waited"


def test_delete_scales_to_zero_then_waits_for_inactive(stub, scaling_stub, run_module):
    scaling_stub.add_response(
        "describe_scalable_targets",
        {"ScalableTargets": [{"ServiceNamespace": "ecs", "ResourceId": "service/stack-dev/backend",
                              "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 2, "MaxCapacity": 4,
                              "RoleARN": "arn:aws:iam::123456789012:role/x", "CreationTime": "2026-01-01T00:00:00Z"}]},
        {"ServiceNamespace": "ecs", "ResourceIds": ["service/stack-dev/backend"]})
    scaling_stub.add_response(
        "deregister_scalable_target", {},
        {"ServiceNamespace": "ecs", "ResourceId": "service/stack-dev/backend", "ScalableDimension": "ecs:service:DesiredCount"})
    expect_describe(stub, steady_service())
    stub.add_response("update_service", {"service": steady_service(desiredCount=0)}, {"cluster": "stack-dev", "service": "backend", "desiredCount": 0})
    stub.add_response("delete_service", {"service": steady_service(status="DRAINING")}, {"cluster": "stack-dev", "service": "backend", "force": True})
    expect_describe(stub, steady_service(status="DRAINING", desiredCount=0))
    expect_describe(stub, steady_service(status="INACTIVE", desiredCount=0))
    result, failed = run_module(ecs_service_deploy.main, {"cluster": "stack-dev", "name": "backend", "state": "absent", "wait_delay": 0})
    assert not failed and result["changed"]


def test_delete_leaves_a_service_of_another_stack_alone(stub, run_module):
    expect_describe(stub, steady_service(tags=[{"key": "webstack:stack", "value": "other"}]))
    # No update_service / delete_service queued: a write would fail the Stubber.
    result, failed = run_module(
        ecs_service_deploy.main,
        {"cluster": "stack-dev", "name": "backend", "state": "absent", "owner_tags": {"webstack:stack": "stack"}},
    )
    assert not failed and not result["changed"]
    assert "left alone" in result["msg"] and "webstack:stack" in result["msg"]


# ---------------------------------------------------------------- state=absent, task_definition_family

FAMILY = "stack-dev-backend"
ABSENT = {"cluster": "stack-dev", "name": "backend", "state": "absent", "wait_delay": 0,
          "owner_tags": {"webstack:stack": "stack"}, "task_definition_family": FAMILY}


def td_arn(family, revision):
    return "arn:aws:ecs:us-east-1:123456789012:task-definition/{0}:{1}".format(family, revision)


def expect_list(stub, status, pages):
    """Queue ListTaskDefinitions pages (each a list of ARNs) for FAMILY in status."""
    for index, arns in enumerate(pages):
        params = {"familyPrefix": FAMILY, "status": status, "sort": "ASC"}
        answer = {"taskDefinitionArns": arns}
        if index:
            params["nextToken"] = "page-%d" % index
        if index + 1 < len(pages):
            answer["nextToken"] = "page-%d" % (index + 1)
        stub.add_response("list_task_definitions", answer, params)


def expect_delete(stub, arns, failures=()):
    deleted = [{"taskDefinitionArn": arn, "family": FAMILY, "status": "DELETE_IN_PROGRESS"} for arn in arns if arn not in failures]
    stub.add_response(
        "delete_task_definitions",
        {"taskDefinitions": deleted, "failures": [{"arn": arn, "reason": "TASK_DEFINITION_IN_USE"} for arn in failures]},
        {"taskDefinitions": arns},
    )


def test_family_of_an_arn_or_a_family_revision():
    assert ecs_taskdefinition.task_definition_family(td_arn("stack-dev-backend", 12)) == "stack-dev-backend"
    assert ecs_taskdefinition.task_definition_family("stack-dev-backend2:1") == "stack-dev-backend2"
    assert ecs_taskdefinition.batches(list(range(23))) == [list(range(10)), list(range(10, 20)), [20, 21, 22]]
    assert ecs_taskdefinition.batches([]) == []


def test_absent_deregisters_then_deletes_every_revision_of_exactly_the_family(stub, run_module):
    active = [td_arn(FAMILY, n) for n in range(3, 14)]  # 11 ACTIVE revisions, over two pages
    inactive = [td_arn(FAMILY, 1)]  # left by an interrupted run
    expect_describe(stub, None)  # the service is already gone
    # ListTaskDefinitions may answer another family sharing the prefix: it is never touched.
    expect_list(stub, "ACTIVE", [active[:6] + [td_arn(FAMILY + "2", 1)], active[6:]])
    expect_list(stub, "INACTIVE", [inactive + [td_arn(FAMILY + "-old", 4)]])
    for arn in active:
        stub.add_response("deregister_task_definition", {"taskDefinition": {"taskDefinitionArn": arn, "status": "INACTIVE"}},
                          {"taskDefinition": arn})
    expect_delete(stub, (active + inactive)[:10])
    expect_delete(stub, (active + inactive)[10:])
    result, failed = run_module(ecs_service_deploy.main, ABSENT, diff=True)
    assert not failed, result
    assert result["changed"] and result["task_definitions_removed"] == active + inactive
    assert result["diff"] == {"before": {"task_definitions": active + inactive}, "after": {"task_definitions": []}}


def test_absent_in_check_mode_reports_the_revisions_and_writes_nothing(stub, run_module):
    expect_describe(stub, steady_service(tags=[{"key": "webstack:stack", "value": "stack"}]))
    expect_list(stub, "ACTIVE", [[td_arn(FAMILY, 2)]])
    expect_list(stub, "INACTIVE", [[]])
    # No update/delete of the service, no deregister/delete queued: a write would fail the Stubber.
    result, failed = run_module(ecs_service_deploy.main, ABSENT, check_mode=True)
    assert not failed, result
    assert result["changed"] and result["task_definitions_removed"] == [td_arn(FAMILY, 2)]


def test_absent_again_changes_nothing(stub, run_module):
    expect_describe(stub, None)
    expect_list(stub, "ACTIVE", [[]])
    expect_list(stub, "INACTIVE", [[]])
    result, failed = run_module(ecs_service_deploy.main, ABSENT)
    assert not failed and not result["changed"], result
    assert result["task_definitions_removed"] == []


def test_absent_without_a_family_leaves_task_definitions_alone(stub, run_module):
    expect_describe(stub, None)
    args = dict(ABSENT)
    del args["task_definition_family"]
    result, failed = run_module(ecs_service_deploy.main, args)
    assert not failed and not result["changed"] and "task_definitions_removed" not in result


def test_a_service_left_alone_keeps_the_revisions_it_runs(stub, run_module):
    running = td_arn(FAMILY, 5)
    expect_describe(stub, steady_service(taskDefinition=running, tags=[{"key": "webstack:stack", "value": "other"}],
                                         deployments=[{"id": "ecs-svc/1", "status": "PRIMARY", "taskDefinition": running}]))
    expect_list(stub, "ACTIVE", [[td_arn(FAMILY, 4), running]])
    expect_list(stub, "INACTIVE", [[]])
    stub.add_response("deregister_task_definition", {"taskDefinition": {"taskDefinitionArn": td_arn(FAMILY, 4)}},
                      {"taskDefinition": td_arn(FAMILY, 4)})
    expect_delete(stub, [td_arn(FAMILY, 4)])
    result, failed = run_module(ecs_service_deploy.main, ABSENT)
    assert not failed, result
    assert "left alone" in result["msg"] and result["task_definitions_removed"] == [td_arn(FAMILY, 4)]


def test_a_revision_ecs_refuses_to_delete_fails_with_the_reason(stub, run_module):
    expect_describe(stub, None)
    expect_list(stub, "ACTIVE", [[]])
    expect_list(stub, "INACTIVE", [[td_arn(FAMILY, 1), td_arn(FAMILY, 2)]])
    expect_delete(stub, [td_arn(FAMILY, 1), td_arn(FAMILY, 2)], failures=[td_arn(FAMILY, 2)])
    result, failed = run_module(ecs_service_deploy.main, ABSENT)
    assert failed and "TASK_DEFINITION_IN_USE" in result["msg"] and td_arn(FAMILY, 2) in result["msg"]
    assert result["task_definitions_removed"] == [td_arn(FAMILY, 1)]
