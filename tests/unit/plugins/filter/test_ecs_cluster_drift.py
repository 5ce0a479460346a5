"""Unit tests for the ecs_cluster_drift filters: would iam_role, iam_policy, ecs_cluster, ecs_cluster_settings or
cloudwatchlogs_log_group change anything?"""

import copy
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.ecs_webstack.plugins.filter.ecs_cluster_drift import FilterModule
from ansible_collections.stackops.ecs_webstack.plugins.filter.ecs_cluster_drift import ecs_cluster_drift
from ansible_collections.stackops.ecs_webstack.plugins.filter.ecs_cluster_drift import iam_inline_policy_drift
from ansible_collections.stackops.ecs_webstack.plugins.filter.ecs_cluster_drift import iam_role_drift
from ansible_collections.stackops.ecs_webstack.plugins.filter.ecs_cluster_drift import log_group_drift

TAGS = {"webstack:stack": "stack", "webstack:env": "dev"}
EXEC_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Sid": "EcsTasksOfThisAccount", "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
    "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]}
SECRETS = {"Version": "2012-10-17", "Statement": [{"Sid": "ReadStackSecrets", "Effect": "Allow",
                                                   "Action": ["secretsmanager:GetSecretValue"], "Resource": ["arn:b", "arn:a"]}]}


def read_role(**changes):
    """A role as iam_roles_info returns it."""
    role = {"exists": True, "arn": "arn:aws:iam::123456789012:role/exec", "path": "/", "description": "execution",
            "max_session_duration": 3600, "permissions_boundary": "", "assume_role_policy_document": copy.deepcopy(TRUST),
            "tags": dict(TAGS, team="web"), "managed_policies": [EXEC_POLICY], "inline_policies": {"read": copy.deepcopy(SECRETS)}}
    role.update(changes)
    return {"exec": role}


def wanted_role(**changes):
    """As the role's vars give it: the trust policy as rendered JSON text."""
    role = {"name": "exec", "description": "execution", "assume_role_policy_document": json.dumps(TRUST, indent=2),
            "managed_policies": [EXEC_POLICY], "purge_policies": True, "tags": TAGS, "purge_tags": False}
    role.update(changes)
    return [role]


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"iam_role_drift", "iam_inline_policy_drift", "ecs_cluster_drift", "log_group_drift"}


# ---------------------------------------------------------------- iam_role_drift


def test_an_unchanged_role_has_no_drift_whatever_the_key_and_list_order():
    reordered = json.loads(json.dumps(TRUST))
    reordered["Statement"][0] = dict(reversed(list(reordered["Statement"][0].items())))
    assert iam_role_drift(read_role(assume_role_policy_document=reordered), wanted_role()) == {}
    # A dict trust policy compares the same as its JSON text.
    assert iam_role_drift(read_role(), wanted_role(assume_role_policy_document=TRUST)) == {}


@pytest.mark.parametrize("current, wanted, expected", [
    ({"exists": False}, {}, ["role is missing"]),
    ({"assume_role_policy_document": {"Version": "2012-10-17", "Statement": []}}, {}, ["trust policy differs"]),
    ({"description": None}, {}, ["description is None, wants 'execution'"]),
    ({"tags": {"webstack:stack": "stack", "webstack:env": "prod"}}, {}, ["tag webstack:env is 'prod', wants 'dev'"]),
    ({"tags": {"webstack:stack": "stack"}}, {}, ["tag webstack:env is missing"]),
    ({"managed_policies": [EXEC_POLICY, "arn:aws:iam::aws:policy/AdministratorAccess"]}, {},
     ["managed policy arn:aws:iam::aws:policy/AdministratorAccess is attached but not wanted"]),
    ({"managed_policies": []}, {}, ["managed policy %s is not attached" % EXEC_POLICY]),
    ({}, {"max_session_duration": 7200}, ["maximum session duration is 3600, wants 7200"]),
    ({}, {"boundary": "arn:aws:iam::123456789012:policy/limit"}, ["permissions boundary is '', wants 'arn:aws:iam::123456789012:policy/limit'"]),
    ({}, {"tags": dict(TAGS, team="web", extra="1")}, ["tag extra is missing"]),
], ids=["missing", "trust", "description", "tag value", "tag missing", "extra managed", "managed missing", "max session",
        "boundary", "new tag"])
def test_each_difference_iam_role_acts_on_is_named(current, wanted, expected):
    assert iam_role_drift(read_role(**current), wanted_role(**wanted)) == {"exec": expected}


def test_what_iam_role_leaves_alone_is_no_drift():
    # purge_tags false keeps foreign tags (read_role has team=web); purge_policies false keeps extra policies;
    # options the role does not set (max session, boundary, path) are not compared.
    extra = read_role(managed_policies=[EXEC_POLICY, "arn:aws:iam::aws:policy/ReadOnlyAccess"], max_session_duration=43200,
                      path="/other/")
    assert iam_role_drift(extra, wanted_role(purge_policies=False)) == {}
    assert iam_role_drift(read_role(), wanted_role(tags=None, description=None, assume_role_policy_document=None)) == {}


def test_a_role_not_read_is_missing_and_only_differing_roles_are_listed():
    wanted = wanted_role() + [dict(wanted_role()[0], name="task", managed_policies=[])]
    assert iam_role_drift(read_role(), wanted) == {"task": ["role is missing"]}


def test_purge_tags_true_names_foreign_tags():
    assert iam_role_drift(read_role(), wanted_role(purge_tags=True)) == {"exec": ["tag team is not wanted"]}


# ---------------------------------------------------------------- iam_inline_policy_drift


def test_inline_policy_same_missing_or_changed():
    reordered = dict(SECRETS, Statement=[dict(SECRETS["Statement"][0], Resource=["arn:a", "arn:b"])])
    assert iam_inline_policy_drift(read_role(), "exec", "read", json.dumps(reordered)) == []
    assert iam_inline_policy_drift(read_role(inline_policies={"read": None}), "exec", "read", SECRETS) == ["inline policy read is missing"]
    assert iam_inline_policy_drift({}, "exec", "read", SECRETS) == ["inline policy read is missing"]
    widened = dict(SECRETS, Statement=[dict(SECRETS["Statement"][0], Resource=["*"])])
    assert iam_inline_policy_drift(read_role(inline_policies={"read": widened}), "exec", "read", SECRETS) == [
        "inline policy read differs"]


def test_bad_input_is_a_filter_error():
    with pytest.raises(AnsibleFilterError):
        iam_role_drift([], wanted_role())
    with pytest.raises(AnsibleFilterError, match="not a JSON document"):
        iam_inline_policy_drift(read_role(), "exec", "read", "{not json")


# ---------------------------------------------------------------- ecs_cluster_drift

STRATEGY = [{"capacity_provider": "FARGATE", "base": 1, "weight": 1}, {"capacity_provider": "FARGATE_SPOT", "weight": 3}]


def cluster(**changes):
    """A cluster as ecs_cluster_settings returns it."""
    out = {"name": "stack-dev", "arn": "arn:aws:ecs:us-east-1:123456789012:cluster/stack-dev", "status": "ACTIVE",
           "container_insights": "enabled", "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
           "default_capacity_provider_strategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0},
                                                  {"capacityProvider": "FARGATE", "weight": 1, "base": 1}],
           "tags": dict(TAGS, team="web")}
    out.update(changes)
    return out


def wanted_cluster(**changes):
    out = {"capacity_providers": ["FARGATE", "FARGATE_SPOT"], "capacity_provider_strategy": STRATEGY,
           "purge_capacity_providers": True, "container_insights": "enabled", "tags": TAGS, "purge_tags": False}
    out.update(changes)
    return out


def test_an_unchanged_cluster_has_no_drift_whatever_the_strategy_order():
    assert ecs_cluster_drift(cluster(), wanted_cluster()) == {"capacity": [], "settings": []}


def test_a_missing_or_inactive_cluster_needs_both_modules():
    assert ecs_cluster_drift({}, wanted_cluster()) == {"capacity": ["cluster is missing"], "settings": ["cluster is missing"]}
    assert ecs_cluster_drift(cluster(status="PROVISIONING"), wanted_cluster())["capacity"] == ["cluster is PROVISIONING"]


@pytest.mark.parametrize("current, wanted, capacity, settings", [
    ({"capacity_providers": ["FARGATE"]}, {}, 1, 0),
    # community.aws.ecs_cluster compares the provider list in order.
    ({"capacity_providers": ["FARGATE_SPOT", "FARGATE"]}, {}, 1, 0),
    ({"default_capacity_provider_strategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]}, {}, 1, 0),
    ({"default_capacity_provider_strategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0},
                                             {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0}]}, {}, 1, 0),
    ({}, {"capacity_provider_strategy": None}, 1, 0),
    ({"container_insights": "disabled"}, {}, 0, 1),
    ({"tags": {"webstack:stack": "stack"}}, {}, 0, 1),
    # purge_capacity_providers false: the module changes neither providers nor strategy.
    ({"capacity_providers": ["FARGATE"], "default_capacity_provider_strategy": []}, {"purge_capacity_providers": False}, 0, 0),
], ids=["provider removed", "provider order", "strategy entry removed", "base changed", "no strategy wanted",
        "insights", "tag removed", "no purge"])
def test_each_cluster_difference_goes_to_its_module(current, wanted, capacity, settings):
    drift = ecs_cluster_drift(cluster(**current), wanted_cluster(**wanted))
    assert (len(drift["capacity"]), len(drift["settings"])) == (capacity, settings), drift


# ---------------------------------------------------------------- log_group_drift


def groups(**changes):
    """Log groups as cloudwatchlogs_log_group_info returns them (a prefix read: other groups may come too)."""
    backend = {"log_group_name": "/ecs/stack-dev/backend", "retention_in_days": 7, "tags": dict(TAGS)}
    backend.update(changes)
    return [backend, {"log_group_name": "/ecs/stack-dev/frontend", "retention_in_days": 7, "tags": dict(TAGS)},
            {"log_group_name": "/ecs/stack-dev/backend-old", "tags": {}}]


WANTED_GROUPS = [{"service": s, "name": "/ecs/stack-dev/" + s, "retention": 7, "tags": TAGS, "purge_tags": False}
                 for s in ("backend", "frontend")]


def test_unchanged_log_groups_have_no_drift():
    assert log_group_drift(groups(tags=dict(TAGS, team="web")), WANTED_GROUPS) == {}


def test_log_group_differences():
    assert log_group_drift(groups(retention_in_days=30), WANTED_GROUPS) == {
        "/ecs/stack-dev/backend": ["retention is 30 days, wants 7"]}
    assert log_group_drift(groups(retention_in_days=None, tags={}), WANTED_GROUPS) == {"/ecs/stack-dev/backend": [
        "tag webstack:env is missing", "tag webstack:stack is missing", "retention is None days, wants 7"]}
    assert log_group_drift(groups()[1:], WANTED_GROUPS) == {"/ecs/stack-dev/backend": ["log group is missing"]}
    # No retention wanted: cloudwatchlogs_log_group leaves it alone.
    assert log_group_drift(groups(retention_in_days=30), [dict(WANTED_GROUPS[0], retention=None)]) == {}
