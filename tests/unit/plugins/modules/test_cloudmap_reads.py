"""What cloudmap_service and cloudmap_instance_info read when the play already knows the namespace or service.

botocore's Stubber fails on any call that is not queued, so each test proves the exact reads (and no
others); one moto test proves a service in another namespace with the same name is never taken.
"""

import boto3
import pytest
from moto import mock_aws

from cloudmap_testlib import namespace_filters

from ansible_collections.stackops.ecs_webstack.plugins.modules import cloudmap_instance_info
from ansible_collections.stackops.ecs_webstack.plugins.modules import cloudmap_namespace
from ansible_collections.stackops.ecs_webstack.plugins.modules import cloudmap_service

NS_ID = "ns-0123456789abcdef"
SRV_ID = "srv-0123456789abcdef"
SRV_ARN = "arn:aws:servicediscovery:us-east-1:123456789012:service/" + SRV_ID
TAGS = {"webstack:stack": "stack", "webstack:env": "dev"}
KNOWN = {"name": "backend", "namespace_id": NS_ID, "namespace_name": "stack-dev.local", "ttl": 10,
         "description": "tasks", "tags": TAGS, "purge_tags": False}


@pytest.fixture
def stubbed(cloudmap_stubber):
    return cloudmap_stubber


def _summary(ttl=10, description="tasks"):
    return {
        "Id": SRV_ID, "Arn": SRV_ARN, "Name": "backend", "Description": description, "InstanceCount": 2,
        "DnsConfig": {"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": ttl}]},
        "HealthCheckCustomConfig": {"FailureThreshold": 1},
    }


def _stub_reads(stubber, summary):
    stubber.add_response("list_services", {"Services": [summary]},
                         {"Filters": [{"Name": "NAMESPACE_ID", "Values": [NS_ID], "Condition": "EQ"}]})
    stubber.add_response("list_tags_for_resource", {"Tags": [{"Key": k, "Value": v} for k, v in TAGS.items()]},
                         {"ResourceARN": SRV_ARN})


def test_service_with_known_namespace_reads_list_services_and_tags_only(stubbed, run_module):
    _stub_reads(stubbed, _summary())
    result, failed = run_module(cloudmap_service.main, KNOWN)
    assert not failed and not result["changed"], result
    assert result["service"]["namespace_id"] == NS_ID
    assert result["service"]["dns_name"] == "backend.stack-dev.local"
    assert result["service"]["ttl"] == 10 and result["service"]["health_check_custom"] is True


@pytest.mark.parametrize("summary, changes", [
    (_summary(ttl=99), {"ttl": 10}),
    (_summary(description="edited by hand"), {"description": "tasks"}),
])
def test_service_drift_seen_in_the_summary_is_repaired(stubbed, run_module, summary, changes):
    _stub_reads(stubbed, summary)
    stubbed.add_response("update_service", {"OperationId": "op-1"}, {
        "Id": SRV_ID,
        "Service": dict({"DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 10}]}},
                        **({"Description": "tasks"} if "description" in changes else {})),
    })
    stubbed.add_response("get_operation", {"Operation": {"Id": "op-1", "Status": "SUCCESS"}}, {"OperationId": "op-1"})
    stubbed.add_response("get_service", {"Service": dict(_summary(), NamespaceId=NS_ID)}, {"Id": SRV_ID})
    stubbed.add_response("list_tags_for_resource", {"Tags": [{"Key": k, "Value": v} for k, v in TAGS.items()]},
                         {"ResourceARN": SRV_ARN})
    result, failed = run_module(cloudmap_service.main, KNOWN, diff=True)
    assert not failed and result["changed"], result
    for key, value in changes.items():
        assert result["diff"]["after"][key] == value and result["diff"]["before"][key] != value


def test_service_drift_in_check_mode_writes_nothing(stubbed, run_module):
    _stub_reads(stubbed, _summary(ttl=99))
    result, failed = run_module(cloudmap_service.main, KNOWN, check_mode=True)
    assert not failed and result["changed"] and result["service"]["ttl"] == 10


def test_service_with_a_namespace_name_alone_still_looks_it_up(stubbed, run_module):
    stubbed.add_response("list_namespaces",
                         {"Namespaces": [{"Id": NS_ID, "Name": "stack-dev.local", "Type": "DNS_PRIVATE", "Arn": "arn:ns"}]},
                         namespace_filters("stack-dev.local"))
    _stub_reads(stubbed, _summary())
    args = dict(KNOWN)
    args.pop("namespace_id")
    result, failed = run_module(cloudmap_service.main, args)
    assert not failed and not result["changed"] and result["service"]["namespace_id"] == NS_ID


def test_instance_info_with_a_known_service_reads_health_and_instances_only(stubbed, run_module):
    stubbed.add_response("get_instances_health_status", {"Status": {"t1": "HEALTHY", "t2": "UNHEALTHY"}}, {"ServiceId": SRV_ID})
    stubbed.add_response("list_instances", {"Instances": [
        {"Id": "t1", "Attributes": {"AWS_INSTANCE_IPV4": "10.0.1.5"}},
        {"Id": "t2", "Attributes": {"AWS_INSTANCE_IPV4": "10.0.2.7"}},
    ]}, {"ServiceId": SRV_ID})
    result, failed = run_module(cloudmap_instance_info.main,
                                {"service_id": SRV_ID, "service_name": "backend", "namespace_name": "stack-dev.local"})
    assert not failed and result["service_exists"]
    assert result["ips"] == ["10.0.1.5", "10.0.2.7"] and result["healthy_ips"] == ["10.0.1.5"]
    assert result["service"]["dns_name"] == "backend.stack-dev.local"


def test_instance_info_with_a_service_deleted_since_is_not_an_error(stubbed, run_module):
    stubbed.add_client_error("get_instances_health_status", "ServiceNotFound", expected_params={"ServiceId": SRV_ID})
    result, failed = run_module(cloudmap_instance_info.main,
                                {"service_id": SRV_ID, "service_name": "backend", "namespace_name": "stack-dev.local"})
    assert not failed and result["service_exists"] is False and result["instances"] == [] and result["ips"] == []


def test_service_in_another_namespace_with_the_same_name_is_never_taken(aws_env, run_module):
    with mock_aws():
        ec2 = boto3.client("ec2")
        sd = boto3.client("servicediscovery")
        ids = {}
        for name, cidr in (("a.local", "10.1.0.0/16"), ("b.local", "10.2.0.0/16")):
            vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
            result, failed = run_module(cloudmap_namespace.main, {"name": name, "vpc_id": vpc, "tags": TAGS})
            assert not failed, result
            ids[name] = result["namespace"]["id"]
        other = sd.create_service(Name="backend", NamespaceId=ids["b.local"],
                                  DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 60}]},
                                  HealthCheckCustomConfig={"FailureThreshold": 1})["Service"]
        args = dict(KNOWN, namespace_id=ids["a.local"], namespace_name="a.local")
        created, failed = run_module(cloudmap_service.main, args)
        assert not failed and created["changed"] and created["service"]["id"] != other["Id"]
        again, failed = run_module(cloudmap_service.main, args)
        assert not failed and not again["changed"] and again["service"]["id"] == created["service"]["id"]
        assert sd.get_service(Id=other["Id"])["Service"]["DnsConfig"]["DnsRecords"][0]["TTL"] == 60
