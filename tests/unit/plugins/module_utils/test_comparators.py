"""The comparators in module_utils (one per resource kind) and ensure_tags, the one tag write path."""

import copy

import botocore.exceptions
import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.ecs_webstack.plugins.filter.autoscaling_drift import autoscaling_drift
from ansible_collections.stackops.ecs_webstack.plugins.filter.ecr_settings import ecr_settings_drift
from ansible_collections.stackops.ecs_webstack.plugins.filter.tag_drift import tag_drift
from ansible_collections.stackops.ecs_webstack.plugins.module_utils import aws_common
from ansible_collections.stackops.ecs_webstack.plugins.module_utils import ecs as ecs_utils
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.autoscaling import scaling_drift
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import ComparisonError
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import json_document
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import tag_differences
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecr import settings_drift
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecs_cluster import settings_changes
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.elasticache import subnet_group_differences


# ------------------------------------------------------------------------------------------ ensure_tags

class _Failed(Exception):
    pass


class _Module:
    def __init__(self, check_mode=False):
        self.check_mode = check_mode
        self.failed = None

    def fail_json_aws(self, err, msg):
        self.failed = (err, msg)
        raise _Failed(msg)

    def fail_json(self, **kwargs):
        self.failed = kwargs
        raise _Failed(kwargs.get("msg"))


class _Client:
    """Records every call as (name, kwargs); raises ``error`` on the first call when given."""

    def __init__(self, error=None):
        self.calls = []
        self.error = error

    def __getattr__(self, name):
        def call(**kwargs):
            self.calls.append((name, kwargs))
            if self.error is not None:
                raise self.error
            return {}
        return call


ARN = "arn:aws:ecs:eu-west-1:123456789012:service/stack/backend"


@pytest.mark.parametrize("api, remove, add, arn_key, keys_key, tags_key, key, value, retry", [
    ("ecs", "untag_resource", "tag_resource", "resourceArn", "tagKeys", "tags", "key", "value", False),
    ("ecr", "untag_resource", "tag_resource", "resourceArn", "tagKeys", "tags", "Key", "Value", False),
    ("servicediscovery", "untag_resource", "tag_resource", "ResourceARN", "TagKeys", "Tags", "Key", "Value", False),
    ("elasticache", "remove_tags_from_resource", "add_tags_to_resource", "ResourceName", "TagKeys", "Tags", "Key", "Value",
     True),
])
def test_ensure_tags_removes_then_sets_in_each_services_spelling(api, remove, add, arn_key, keys_key, tags_key, key, value, retry):
    client = _Client()
    current = {"Owner": "old", "Stale": "x", "Kept": "k"}
    result = aws_common.ensure_tags(_Module(), client, api, ARN, current, {"Owner": "new", "Kept": "k"}, True, "no")
    assert result == ({"Owner": "new"}, ["Stale"])
    extra = {"aws_retry": True} if retry else {}
    assert client.calls == [
        (remove, dict({arn_key: ARN, keys_key: ["Stale"]}, **extra)),
        (add, dict({arn_key: ARN, tags_key: [{key: "Owner", value: "new"}]}, **extra)),
    ]


def test_ensure_tags_without_purge_keeps_other_tags():
    client = _Client()
    assert aws_common.ensure_tags(_Module(), client, "ecs", ARN, {"a": "1", "b": "2"}, {"a": "1"}, False, "no") == ({}, [])
    assert client.calls == []
    assert aws_common.ensure_tags(_Module(), client, "ecs", ARN, {"a": "1"}, {"c": "3"}, False, "no") == ({"c": "3"}, [])
    assert client.calls == [("tag_resource", {"resourceArn": ARN, "tags": [{"key": "c", "value": "3"}]})]


def test_ensure_tags_leaves_tags_alone_when_none_are_wanted():
    client = _Client()
    assert aws_common.ensure_tags(_Module(), client, "ecs", ARN, {"a": "1"}, None, True, "no") == ({}, [])
    assert client.calls == []


def test_ensure_tags_writes_nothing_in_check_mode_but_says_what_would_change():
    client = _Client()
    assert aws_common.ensure_tags(_Module(check_mode=True), client, "ecr", ARN, {"a": "1"}, {"b": "2"}, True, "no") == (
        {"b": "2"}, ["a"])
    assert client.calls == []


def test_ensure_tags_compares_values_as_text():
    client = _Client()
    assert aws_common.ensure_tags(_Module(), client, "ecs", ARN, {"port": "80"}, {"port": 80}, True, "no") == ({}, [])
    assert client.calls == []


def test_ensure_tags_fails_the_module_with_its_message():
    error = botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "TagResource")
    module = _Module()
    with pytest.raises(_Failed):
        aws_common.ensure_tags(module, _Client(error), "servicediscovery", ARN, {}, {"a": "1"}, True,
                               "Could not update the tags of x")
    assert module.failed == (error, "Could not update the tags of x")


def test_foreign_tags_names_the_owner_tags_that_differ():
    assert aws_common.foreign_tags({"stack": "a", "env": "dev"}, {"stack": "a", "env": "prod"}) == ["env"]
    assert aws_common.foreign_tags({"stack": "a"}, {"stack": "a"}) == []
    assert aws_common.foreign_tags({}, {"stack": "a", "b": "c"}) == ["b", "stack"]
    assert aws_common.foreign_tags({"x": "y"}, None) == []


# ---------------------------------------------------------------------------------------- tags (filter)

def test_tag_drift_without_purge_matches_a_combine_of_the_wanted_tags():
    current = {"webstack:stack": "s", "Team": "t"}
    assert tag_drift(current, {"webstack:stack": "s"}, purge=False) == []
    assert tag_drift(current, {"webstack:stack": "other"}, purge=False) == ["tag webstack:stack is 's', wants 'other'"]
    assert tag_drift(current, {"webstack:env": "dev"}, purge=False) == ["tag webstack:env is missing"]
    assert tag_drift(current, {"webstack:stack": "s"}) == ["tag Team is not wanted"]
    assert tag_drift({}, None) == []


def test_tag_drift_refuses_what_is_not_tags():
    with pytest.raises(AnsibleFilterError):
        tag_drift(["a"], {})
    with pytest.raises(AnsibleFilterError):
        tag_drift({}, "a=b")


def test_tag_differences_agree_with_tag_diff():
    current, wanted = {"a": "1", "b": "2", "aws:cloudformation:stack-name": "x"}, {"a": "9", "c": "3"}
    to_set, to_remove = aws_common.tag_diff(current, wanted, True)
    lines = tag_differences(current, wanted, True)
    assert sorted(to_set) == ["a", "c"] and to_remove == ["b"]
    assert lines == ["tag a is '1', wants '9'", "tag c is missing", "tag b is not wanted"]


def test_json_document_parses_text_and_refuses_broken_json():
    assert json_document('{"a": 1}', "x") == {"a": 1}
    assert json_document({"a": 1}, "x") == {"a": 1}
    assert json_document("  ", "x") is None
    with pytest.raises(ComparisonError, match="policy_x is not a JSON document"):
        json_document("{", "policy_x")


# ------------------------------------------------------------------------------------------ autoscaling

POLICY_CONFIG = {
    "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
    "TargetValue": 70.0, "ScaleInCooldown": 300, "ScaleOutCooldown": 60, "DisableScaleIn": False,
}
WANTED_POLICIES = [{"name": "stack-dev-backend-cpu", "metric": "cpu", "config": POLICY_CONFIG}]


def _scaling_read(minimum=1, maximum=4, policies=None):
    return {
        "changed": False,
        "scalable_target": {"min_capacity": minimum, "max_capacity": maximum, "role_arn": ""},
        "scaling_policies": [
            {"PolicyName": "stack-dev-backend-cpu", "PolicyType": "TargetTrackingScaling",
             "TargetTrackingScalingPolicyConfiguration": copy.deepcopy(POLICY_CONFIG)}
        ] if policies is None else policies,
    }


def test_scaling_as_wanted_has_no_difference():
    assert scaling_drift(_scaling_read(), 1, 4, WANTED_POLICIES) == []
    # The role passes numbers as the inventory has them (text from extra vars), and AWS answers 70 for 70.0.
    read = _scaling_read()
    read["scaling_policies"][0]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] = 70
    assert scaling_drift(read, "1", "4", WANTED_POLICIES) == []


@pytest.mark.parametrize("read, expected", [
    (_scaling_read(maximum=2), ["capacity 1-2, wanted 1-4"]),
    (_scaling_read(minimum=2), ["capacity 2-4, wanted 1-4"]),
    ({"scalable_target": {}, "scaling_policies": []}, ["capacity none-none, wanted 1-4", "policy stack-dev-backend-cpu"]),
    ({}, ["capacity none-none, wanted 1-4", "policy stack-dev-backend-cpu"]),
    (None, ["capacity none-none, wanted 1-4", "policy stack-dev-backend-cpu"]),
    (_scaling_read(policies=[]), ["policy stack-dev-backend-cpu"]),
    (_scaling_read(policies=[{"PolicyName": "stack-dev-backend-cpu", "PolicyType": "StepScaling",
                              "TargetTrackingScalingPolicyConfiguration": POLICY_CONFIG}]), ["policy stack-dev-backend-cpu"]),
    (_scaling_read(policies=[{"PolicyName": "stack-dev-backend-cpu", "PolicyType": "TargetTrackingScaling",
                              "TargetTrackingScalingPolicyConfiguration": dict(POLICY_CONFIG, TargetValue=60.0)}]),
     ["policy stack-dev-backend-cpu"]),
    (_scaling_read(policies=[{"PolicyName": "other", "PolicyType": "TargetTrackingScaling",
                              "TargetTrackingScalingPolicyConfiguration": POLICY_CONFIG}]), ["policy stack-dev-backend-cpu"]),
])
def test_scaling_differences(read, expected):
    assert scaling_drift(read, 1, 4, WANTED_POLICIES) == expected
    assert autoscaling_drift(read, 1, 4, WANTED_POLICIES) == expected


def test_an_extra_policy_in_aws_is_not_a_difference():
    read = _scaling_read()
    read["scaling_policies"].append({"PolicyName": "hand-made", "PolicyType": "StepScaling"})
    assert scaling_drift(read, 1, 4, WANTED_POLICIES) == []


def test_autoscaling_drift_refuses_bad_input_as_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="minimum"):
        autoscaling_drift(_scaling_read(), "one", 4, WANTED_POLICIES)
    with pytest.raises(AnsibleFilterError, match="needs a name"):
        autoscaling_drift(_scaling_read(), 1, 4, [{"config": {}}])
    with pytest.raises(ComparisonError):
        scaling_drift(_scaling_read(), 1, 4, "policies")


# ------------------------------------------------------------------------------------------------- ECR

ECR_SETTINGS = {"image_tag_mutability": "IMMUTABLE", "scan_on_push": True, "encryption_type": "AES256", "kms_key": None,
                "lifecycle_policy": {"rules": [{"rulePriority": 1}]}, "repository_policy": None}


def test_ecr_settings_module_utils_and_filter_agree():
    wanted = dict(ECR_SETTINGS, lifecycle_policy='{"rules": [{"rulePriority": 1}]}', repository_policy="")
    assert settings_drift(ECR_SETTINGS, wanted) == [] == ecr_settings_drift(ECR_SETTINGS, wanted)
    wanted = dict(wanted, scan_on_push=False, image_tag_mutability="mutable")
    assert settings_drift(ECR_SETTINGS, wanted) == ["image tag mutability", "scan on push"] == ecr_settings_drift(ECR_SETTINGS, wanted)


def test_ecr_settings_bad_input_is_a_filter_error():
    with pytest.raises(ComparisonError):
        settings_drift([], {})
    with pytest.raises(AnsibleFilterError, match="not a JSON document"):
        ecr_settings_drift(ECR_SETTINGS, dict(ECR_SETTINGS, lifecycle_policy="{"))


# ----------------------------------------------------------------------------------- ECS cluster, cache

def test_cluster_settings_changes():
    current = {"container_insights": "enabled", "tags": {"a": "1"}}
    assert settings_changes(current, None, None, True) == (False, {}, [])
    assert settings_changes(current, "enabled", {"a": "1"}, True) == (False, {}, [])
    assert settings_changes(current, "disabled", {"b": "2"}, True) == (True, {"b": "2"}, ["a"])
    assert settings_changes(current, "disabled", {"b": "2"}, False) == (True, {"b": "2"}, [])


def test_subnet_group_differences():
    current = {"description": "cache", "subnet_ids": ["s-1", "s-2"]}
    assert subnet_group_differences(None, "cache", ["s-1"]) == ["missing"]
    assert subnet_group_differences(current, "cache", ["s-2", "s-1"]) == []
    assert subnet_group_differences(current, None, None) == []
    assert subnet_group_differences(current, "other", ["s-1"]) == ["description", "subnets"]


# ----------------------------------------------------------------------------------- the one rollout wait

def _service(state, task_definition="td:2", running=1):
    return {"desiredCount": 1, "runningCount": running,
            "deployments": [{"status": "PRIMARY", "taskDefinition": task_definition, "rolloutState": state}]}


def test_poll_rollout_reads_until_steady_and_sleeps_between_reads():
    answers = [_service("IN_PROGRESS", running=0), _service("IN_PROGRESS"), _service("COMPLETED")]
    slept = []
    state, _reason, service = ecs_utils.poll_rollout(lambda: answers.pop(0), "td:2", 60, 7, slept.append)
    assert state == "steady" and service["deployments"][0]["rolloutState"] == "COMPLETED"
    assert slept == [7, 7] and answers == []


@pytest.mark.parametrize("answer, state", [(_service("FAILED"), "failed"), (_service("COMPLETED", "td:1"), "rolled_back")])
def test_poll_rollout_stops_on_a_failed_or_rolled_back_deployment(answer, state):
    slept = []
    assert ecs_utils.poll_rollout(lambda: answer, "td:2", 60, 1, slept.append)[0] == state
    assert slept == []


def test_poll_rollout_gives_up_after_the_timeout():
    reads = []
    state, _reason, _last = ecs_utils.poll_rollout(lambda: reads.append(1) or _service("IN_PROGRESS"), "td:2", 0, 1,
                                                   lambda _s: None)
    assert state == "in_progress" and reads == [1]
