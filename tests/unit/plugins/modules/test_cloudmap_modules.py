"""Unit tests for cloudmap_namespace, cloudmap_service and cloudmap_instance_info.

Happy paths run against in-process moto; the paths moto cannot show (an existing service whose routing
policy or record type differs, the exact UpdateService call of a TTL change, the discovery client's
host prefix) use botocore's Stubber or inspect the client the module builds.
"""

import boto3
import pytest
from botocore.stub import ANY
from moto import mock_aws

from cloudmap_testlib import namespace_filters

from ansible_collections.stackops.ecs_webstack.plugins.module_utils import cloudmap
from ansible_collections.stackops.ecs_webstack.plugins.modules import cloudmap_instance_info
from ansible_collections.stackops.ecs_webstack.plugins.modules import cloudmap_namespace
from ansible_collections.stackops.ecs_webstack.plugins.modules import cloudmap_service

TAGS = {"webstack:stack": "stack", "webstack:env": "dev"}


@pytest.fixture
def sd(aws_env):
    with mock_aws():
        vpc = boto3.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        client = boto3.client("servicediscovery")
        client.vpc_id = vpc
        yield client


def _namespace(sd, run_module, name="stack-dev.local"):
    result, failed = run_module(cloudmap_namespace.main, {"name": name, "vpc_id": sd.vpc_id, "tags": TAGS})
    assert not failed, result
    return result["namespace"]


# ---------------------------------------------------------------- namespace


def test_namespace_create_is_idempotent_and_check_mode_writes_nothing(sd, run_module):
    args = {"name": "stack-dev.local", "vpc_id": sd.vpc_id, "description": "discovery", "tags": TAGS}
    result, failed = run_module(cloudmap_namespace.main, args, check_mode=True, diff=True)
    assert not failed and result["changed"]
    assert result["diff"]["before"] == {} and result["diff"]["after"]["name"] == "stack-dev.local"
    assert sd.list_namespaces()["Namespaces"] == []

    result, failed = run_module(cloudmap_namespace.main, args)
    assert not failed and result["changed"]
    namespaces = sd.list_namespaces()["Namespaces"]
    assert [n["Name"] for n in namespaces] == ["stack-dev.local"]
    assert result["namespace"]["id"] == namespaces[0]["Id"]
    assert result["namespace"]["type"] == "DNS_PRIVATE"
    assert result["namespace"]["tags"] == TAGS

    result, failed = run_module(cloudmap_namespace.main, args)
    assert not failed and not result["changed"]
    assert len(sd.list_namespaces()["Namespaces"]) == 1


def test_namespace_updates_description_and_tags(sd, run_module):
    created = _namespace(sd, run_module)
    result, failed = run_module(
        cloudmap_namespace.main,
        {"name": "stack-dev.local", "description": "new", "tags": {"webstack:stack": "stack"}, "purge_tags": True},
    )
    assert not failed and result["changed"]
    assert sd.get_namespace(Id=created["id"])["Namespace"]["Description"] == "new"
    tags = sd.list_tags_for_resource(ResourceARN=created["arn"])["Tags"]
    assert tags == [{"Key": "webstack:stack", "Value": "stack"}]


def test_namespace_create_needs_a_vpc(sd, run_module):
    result, failed = run_module(cloudmap_namespace.main, {"name": "stack-dev.local"})
    assert failed and "vpc_id is required" in result["msg"]


def test_namespace_absent_refuses_while_services_remain_then_deletes(sd, run_module):
    created = _namespace(sd, run_module)
    sd.create_service(Name="backend", NamespaceId=created["id"], DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]})
    result, failed = run_module(cloudmap_namespace.main, {"name": "stack-dev.local", "state": "absent"})
    assert failed and "still has services (backend)" in result["msg"]
    assert len(sd.list_namespaces()["Namespaces"]) == 1
    # Check mode: the services' own removal was only reported, so the namespace's is reported too.
    result, failed = run_module(cloudmap_namespace.main, {"name": "stack-dev.local", "state": "absent"}, check_mode=True)
    assert not failed and result["changed"] and "once its services (backend) are gone" in result["msg"]
    assert len(sd.list_namespaces()["Namespaces"]) == 1

    service_id = sd.list_services()["Services"][0]["Id"]
    sd.delete_service(Id=service_id)
    result, failed = run_module(cloudmap_namespace.main, {"name": "stack-dev.local", "state": "absent"})
    assert not failed and result["changed"]
    assert sd.list_namespaces()["Namespaces"] == []
    result, failed = run_module(cloudmap_namespace.main, {"name": "stack-dev.local", "state": "absent"})
    assert not failed and not result["changed"]


# ---------------------------------------------------------------- service (moto)


def test_service_create_multivalue_a_ttl_and_custom_health_check(sd, run_module):
    namespace = _namespace(sd, run_module)
    args = {"name": "backend", "namespace_name": "stack-dev.local", "tags": TAGS}
    result, failed = run_module(cloudmap_service.main, args)
    assert not failed and result["changed"]
    service = sd.get_service(Id=result["service"]["id"])["Service"]
    assert service["NamespaceId"] == namespace["id"]
    assert service["DnsConfig"]["RoutingPolicy"] == "MULTIVALUE"
    assert service["DnsConfig"]["DnsRecords"] == [{"Type": "A", "TTL": 10}]
    assert service["HealthCheckCustomConfig"] == {"FailureThreshold": 1}
    assert result["service"]["dns_name"] == "backend.stack-dev.local"
    assert result["service"]["arn"] == service["Arn"]

    result, failed = run_module(cloudmap_service.main, args)
    assert not failed and not result["changed"]
    assert len(sd.list_services()["Services"]) == 1


def test_service_ttl_change_is_made_in_place(sd, run_module):
    _namespace(sd, run_module)
    args = {"name": "backend", "namespace_name": "stack-dev.local", "ttl": 10}
    created, _failed = run_module(cloudmap_service.main, args)

    result, failed = run_module(cloudmap_service.main, dict(args, ttl=30), check_mode=True, diff=True)
    assert not failed and result["changed"]
    assert result["diff"]["before"]["ttl"] == 10 and result["diff"]["after"]["ttl"] == 30
    assert sd.get_service(Id=created["service"]["id"])["Service"]["DnsConfig"]["DnsRecords"][0]["TTL"] == 10

    result, failed = run_module(cloudmap_service.main, dict(args, ttl=30))
    assert not failed and result["changed"]
    service = sd.get_service(Id=created["service"]["id"])["Service"]
    assert service["Id"] == created["service"]["id"]  # same service, not recreated
    assert service["DnsConfig"]["DnsRecords"] == [{"Type": "A", "TTL": 30}]
    assert service["DnsConfig"]["RoutingPolicy"] == "MULTIVALUE"


def test_service_in_missing_namespace_fails_naming_it(sd, run_module):
    result, failed = run_module(cloudmap_service.main, {"name": "backend", "namespace_name": "nowhere.local"})
    assert failed and "nowhere.local (namespace_name) does not exist" in result["msg"]


def test_service_absent_refuses_with_instances_unless_deregistering(sd, run_module):
    _namespace(sd, run_module)
    created, _failed = run_module(cloudmap_service.main, {"name": "backend", "namespace_name": "stack-dev.local"})
    service_id = created["service"]["id"]
    sd.register_instance(ServiceId=service_id, InstanceId="task-1", Attributes={"AWS_INSTANCE_IPV4": "10.0.1.5"})

    args = {"name": "backend", "namespace_name": "stack-dev.local", "state": "absent"}
    result, failed = run_module(cloudmap_service.main, args)
    assert failed and "task-1" in result["msg"] and "deregister_instances" in result["msg"]

    result, failed = run_module(cloudmap_service.main, dict(args, deregister_instances=True))
    assert not failed and result["changed"]
    assert sd.list_services()["Services"] == []
    result, failed = run_module(cloudmap_service.main, dict(args, deregister_instances=True))
    assert not failed and not result["changed"]


def test_service_rejects_negative_ttl(sd, run_module):
    result, failed = run_module(cloudmap_service.main, {"name": "b", "namespace_name": "x.local", "ttl": -1})
    assert failed and "ttl must be between" in result["msg"]


# ---------------------------------------------------------------- service (Stubber)

NS_ID = "ns-0123456789abcdef"
SRV_ID = "srv-0123456789abcdef"
SRV_ARN = "arn:aws:servicediscovery:us-east-1:123456789012:service/" + SRV_ID


@pytest.fixture
def stubbed(cloudmap_stubber):
    return cloudmap_stubber


def _stub_existing_service(stubber, routing="MULTIVALUE", records=None, custom=True, ttl=10):
    stubber.add_response(
        "list_namespaces",
        {"Namespaces": [{"Id": NS_ID, "Name": "stack-dev.local", "Type": "DNS_PRIVATE", "Arn": "arn:ns"}]},
        namespace_filters("stack-dev.local"),
    )
    # A ServiceSummary (what ListServices answers on AWS) has no NamespaceId; it is all the module reads.
    summary = {
        "Id": SRV_ID,
        "Arn": SRV_ARN,
        "Name": "backend",
        "DnsConfig": {"RoutingPolicy": routing, "DnsRecords": records or [{"Type": "A", "TTL": ttl}]},
    }
    if custom:
        summary["HealthCheckCustomConfig"] = {"FailureThreshold": 1}
    stubber.add_response(
        "list_services",
        {"Services": [summary]},
        {"Filters": [{"Name": "NAMESPACE_ID", "Values": [NS_ID], "Condition": "EQ"}]},
    )
    stubber.add_response("list_tags_for_resource", {"Tags": []}, {"ResourceARN": SRV_ARN})


@pytest.mark.parametrize(
    "routing, records, custom, expected",
    [
        ("WEIGHTED", None, True, "routing_policy: WEIGHTED -> MULTIVALUE"),
        ("MULTIVALUE", [{"Type": "CNAME", "TTL": 10}], True, "record_type: CNAME -> A"),
        ("MULTIVALUE", None, False, "health_check_custom: False -> True"),
    ],
)
def test_service_mismatch_fails_and_says_what_to_do(stubbed, run_module, routing, records, custom, expected):
    _stub_existing_service(stubbed, routing=routing, records=records, custom=custom)
    # No update_service / delete_service response is queued: any write would fail the Stubber.
    result, failed = run_module(cloudmap_service.main, {"name": "backend", "namespace_name": "stack-dev.local"})
    assert failed
    assert expected in result["msg"]
    assert "delete it" in result["msg"] and "new name" in result["msg"]
    assert "backend.stack-dev.local" in result["msg"]


def test_service_ttl_update_sends_every_record_and_waits(stubbed, run_module):
    _stub_existing_service(stubbed, ttl=10)
    stubbed.add_response(
        "update_service",
        {"OperationId": "op-1"},
        {"Id": SRV_ID, "Service": {"DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 45}]}}},
    )
    stubbed.add_response("get_operation", {"Operation": {"Id": "op-1", "Status": "PENDING"}}, {"OperationId": "op-1"})
    stubbed.add_response("get_operation", {"Operation": {"Id": "op-1", "Status": "SUCCESS"}}, {"OperationId": "op-1"})
    updated = {
        "Id": SRV_ID,
        "Arn": SRV_ARN,
        "Name": "backend",
        "NamespaceId": NS_ID,
        "DnsConfig": {"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 45}]},
        "HealthCheckCustomConfig": {"FailureThreshold": 1},
    }
    stubbed.add_response("get_service", {"Service": updated}, {"Id": SRV_ID})
    stubbed.add_response("list_tags_for_resource", {"Tags": []}, {"ResourceARN": SRV_ARN})
    result, failed = run_module(cloudmap_service.main, {"name": "backend", "namespace_name": "stack-dev.local", "ttl": 45})
    assert not failed and result["changed"]
    assert result["service"]["ttl"] == 45
    assert result["operation_id"] == "op-1"


def test_failed_operation_fails_the_module(stubbed, run_module):
    _stub_existing_service(stubbed, ttl=10)
    stubbed.add_response("update_service", {"OperationId": "op-2"}, {"Id": SRV_ID, "Service": ANY})
    stubbed.add_response(
        "get_operation",
        {"Operation": {"Id": "op-2", "Status": "FAIL", "Type": "UPDATE_SERVICE", "ErrorCode": "X", "ErrorMessage": "boom"}},
        {"OperationId": "op-2"},
    )
    result, failed = run_module(cloudmap_service.main, {"name": "backend", "namespace_name": "stack-dev.local", "ttl": 20})
    assert failed and "op-2" in result["msg"] and "boom" in result["msg"]


# ---------------------------------------------------------------- instance info


def test_instance_info_lists_instances_with_health(sd, run_module):
    _namespace(sd, run_module)
    created, _failed = run_module(cloudmap_service.main, {"name": "backend", "namespace_name": "stack-dev.local"})
    service_id = created["service"]["id"]
    for task, ip in (("task-1", "10.0.1.5"), ("task-2", "10.0.2.7")):
        sd.register_instance(ServiceId=service_id, InstanceId=task, Attributes={"AWS_INSTANCE_IPV4": ip, "AWS_INSTANCE_PORT": "8080"})
    sd.update_instance_custom_health_status(ServiceId=service_id, InstanceId="task-2", Status="UNHEALTHY")

    result, failed = run_module(
        cloudmap_instance_info.main, {"service_name": "backend", "namespace_name": "stack-dev.local"}
    )
    assert not failed and not result["changed"] and result["service_exists"]
    by_id = {i["id"]: i for i in result["instances"]}
    assert by_id["task-1"]["ipv4"] == "10.0.1.5" and by_id["task-1"]["port"] == "8080"
    assert by_id["task-2"]["health"] == "UNHEALTHY"
    assert result["ips"] == ["10.0.1.5", "10.0.2.7"]
    assert result["healthy_ips"] == ["10.0.1.5"]
    assert result["service"]["dns_name"] == "backend.stack-dev.local"

    by_service_id, failed = run_module(cloudmap_instance_info.main, {"service_id": service_id})
    assert not failed and by_service_id["ips"] == result["ips"]


def test_instance_info_discover_filters_healthy(sd, run_module):
    _namespace(sd, run_module)
    created, _failed = run_module(cloudmap_service.main, {"name": "backend", "namespace_name": "stack-dev.local"})
    service_id = created["service"]["id"]
    for task, ip in (("task-1", "10.0.1.5"), ("task-2", "10.0.2.7")):
        sd.register_instance(ServiceId=service_id, InstanceId=task, Attributes={"AWS_INSTANCE_IPV4": ip})
    sd.update_instance_custom_health_status(ServiceId=service_id, InstanceId="task-2", Status="UNHEALTHY")

    result, failed = run_module(
        cloudmap_instance_info.main, {"service_name": "backend", "namespace_name": "stack-dev.local", "mode": "discover"}
    )
    assert not failed
    assert result["ips"] == ["10.0.1.5"] and result["count"] == 1


def test_instance_info_on_missing_service_is_not_an_error(sd, run_module):
    result, failed = run_module(cloudmap_instance_info.main, {"service_name": "backend", "namespace_name": "none.local"})
    assert not failed and result["service_exists"] is False and result["instances"] == []


@pytest.mark.parametrize(
    "env, expect_prefix_off", [({"AWS_ENDPOINT_URL": "http://127.0.0.1:5073"}, True), ({}, False)]
)
def test_discovery_client_drops_host_prefix_only_with_an_endpoint_override(aws_env, monkeypatch, env, expect_prefix_off):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    calls = []

    class FakeModule:
        params = {"endpoint_url": None, "aws_config": None}

        def client(self, service, retry_decorator=None, **extra):
            calls.append((service, extra))
            return object()

    cloudmap.cloudmap_client(FakeModule(), discovery=True)
    cloudmap.cloudmap_client(FakeModule())
    (service, discovery_extra), (_s, plain_extra) = calls
    assert service == "servicediscovery"
    # Both clients carry the collection's retry policy; only the discovery one drops the prefix.
    assert plain_extra["config"].retries == {"mode": "standard", "total_max_attempts": 10}
    assert plain_extra["config"].inject_host_prefix is not False
    assert discovery_extra["config"].retries == {"mode": "standard", "total_max_attempts": 10}
    assert (discovery_extra["config"].inject_host_prefix is False) is expect_prefix_off
