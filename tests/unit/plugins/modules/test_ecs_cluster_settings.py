"""Unit tests for ecs_cluster_settings (in-process moto) and the Cloud Map modules' owner_tags guard."""

import boto3
import pytest
from moto import mock_aws

from ansible_collections.stackops.ecs_webstack.plugins.modules import cloudmap_namespace
from ansible_collections.stackops.ecs_webstack.plugins.modules import cloudmap_service
from ansible_collections.stackops.ecs_webstack.plugins.modules import ecs_cluster_settings

TAGS = {"webstack:stack": "stack", "webstack:env": "dev"}


@pytest.fixture
def ecs(aws_env):
    with mock_aws():
        client = boto3.client("ecs")
        client.create_cluster(clusterName="stack-dev", capacityProviders=["FARGATE"])
        yield client


def _cluster(ecs):
    return ecs.describe_clusters(clusters=["stack-dev"], include=["SETTINGS", "TAGS"])["clusters"][0]


def test_settings_and_tags_are_set_once(ecs, run_module):
    args = {"cluster": "stack-dev", "container_insights": "enabled", "tags": TAGS}
    result, failed = run_module(ecs_cluster_settings.main, args, check_mode=True, diff=True)
    assert not failed and result["changed"]
    assert result["diff"]["after"]["container_insights"] == "enabled"
    assert _cluster(ecs).get("tags", []) == []

    result, failed = run_module(ecs_cluster_settings.main, args)
    assert not failed and result["changed"]
    cluster = _cluster(ecs)
    assert {s["name"]: s["value"] for s in cluster["settings"]} == {"containerInsights": "enabled"}
    assert {t["key"]: t["value"] for t in cluster["tags"]} == TAGS
    assert result["cluster"]["tags"] == TAGS and result["cluster"]["capacity_providers"] == ["FARGATE"]

    result, failed = run_module(ecs_cluster_settings.main, args)
    assert not failed and not result["changed"]


def test_purge_tags_false_keeps_foreign_tags(ecs, run_module):
    arn = _cluster(ecs)["clusterArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "web"}])
    result, failed = run_module(ecs_cluster_settings.main, {"cluster": "stack-dev", "tags": TAGS, "purge_tags": False})
    assert not failed and result["changed"]
    assert {t["key"] for t in _cluster(ecs)["tags"]} == {"team", "webstack:stack", "webstack:env"}


def test_read_only_on_missing_cluster(ecs, run_module):
    result, failed = run_module(ecs_cluster_settings.main, {"cluster": "nope"})
    assert not failed and result["exists"] is False and result["cluster"] == {}
    result, failed = run_module(ecs_cluster_settings.main, {"cluster": "nope", "container_insights": "enabled"})
    assert failed and "does not exist" in result["msg"]


@pytest.fixture
def sd(aws_env):
    with mock_aws():
        vpc = boto3.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        client = boto3.client("servicediscovery")
        client.vpc_id = vpc
        yield client


def test_owner_tags_protect_foreign_namespace_and_service(sd, run_module):
    result, failed = run_module(
        cloudmap_namespace.main, {"name": "stack-dev.local", "vpc_id": sd.vpc_id, "tags": {"webstack:stack": "other"}}
    )
    assert not failed
    result, failed = run_module(
        cloudmap_service.main, {"name": "backend", "namespace_name": "stack-dev.local", "tags": {"webstack:stack": "other"}}
    )
    assert not failed

    result, failed = run_module(
        cloudmap_service.main,
        {"name": "backend", "namespace_name": "stack-dev.local", "state": "absent", "owner_tags": TAGS},
    )
    assert not failed and not result["changed"] and "left alone" in result["msg"]
    assert len(sd.list_services()["Services"]) == 1
    result, failed = run_module(
        cloudmap_namespace.main, {"name": "stack-dev.local", "state": "absent", "owner_tags": TAGS}
    )
    assert not failed and not result["changed"] and "left alone" in result["msg"]
    assert len(sd.list_namespaces()["Namespaces"]) == 1

    result, failed = run_module(
        cloudmap_service.main,
        {"name": "backend", "namespace_name": "stack-dev.local", "state": "absent", "owner_tags": {"webstack:stack": "other"}},
    )
    assert not failed and result["changed"]
    assert sd.list_services()["Services"] == []
