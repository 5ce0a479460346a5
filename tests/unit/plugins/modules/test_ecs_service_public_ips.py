"""ecs_service_public_ips with botocore Stubber (moto starts no ECS tasks for services)."""

from __future__ import annotations

import os
import sys
from unittest import mock

import boto3
import pytest
from botocore.stub import Stubber

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "atlas"))

from atlas_testlib import run_module  # noqa: E402

from ansible_collections.stackops.ecs_webstack.plugins.modules import ecs_service_public_ips as mod  # noqa: E402

ARN = "arn:aws:ecs:us-east-1:123456789012:task/webstack-local/%s"


def _task(task_id, eni, private_ip, status="RUNNING"):
    return {"taskArn": ARN % task_id, "lastStatus": status, "attachments": [{
        "type": "ElasticNetworkInterface", "status": "ATTACHED",
        "details": [{"name": "subnetId", "value": "subnet-1"}, {"name": "networkInterfaceId", "value": eni},
                    {"name": "privateIPv4Address", "value": private_ip}]}]}


@pytest.fixture
def clients():
    ecs = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    ec2 = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(ecs) as ecs_stub, Stubber(ec2) as ec2_stub:
        yield ecs, ec2, ecs_stub, ec2_stub
        ecs_stub.assert_no_pending_responses()
        ec2_stub.assert_no_pending_responses()


def test_running_tasks_enis_and_public_ips(clients):
    ecs, ec2, ecs_stub, ec2_stub = clients
    ecs_stub.add_response("list_tasks", {"taskArns": [ARN % "a", ARN % "b"], "nextToken": "t"},
                          {"cluster": "c", "serviceName": "backend", "desiredStatus": "RUNNING"})
    ecs_stub.add_response("list_tasks", {"taskArns": [ARN % "c"]},
                          {"cluster": "c", "serviceName": "backend", "desiredStatus": "RUNNING", "nextToken": "t"})
    ecs_stub.add_response("describe_tasks", {"tasks": [
        _task("a", "eni-a", "10.0.1.5"), _task("b", "eni-b", "10.0.2.5"),
        _task("c", "eni-c", "10.0.3.5", status="DEPROVISIONING")]},
        {"cluster": "c", "tasks": [ARN % "a", ARN % "b", ARN % "c"]})
    ec2_stub.add_response("describe_network_interfaces", {"NetworkInterfaces": [
        {"NetworkInterfaceId": "eni-a", "Association": {"PublicIp": "203.0.113.20"}},
        {"NetworkInterfaceId": "eni-b"}]}, {"NetworkInterfaceIds": ["eni-a", "eni-b"]})
    result = mod.collect(ecs, ec2, "c", "backend")
    assert result["service_found"] is True
    assert result["public_ips"] == ["203.0.113.20"]
    assert [(t["eni_id"], t["public_ip"]) for t in result["tasks"]] == [("eni-a", "203.0.113.20"), ("eni-b", None)]


def test_host_mode_tasks_answer_on_their_instance(clients):
    """EC2 host network mode: no ENI of the task's own; the address is the container instance's."""
    ecs, ec2, ecs_stub, ec2_stub = clients
    ci = "arn:aws:ecs:us-east-1:123456789012:container-instance/webstack-local/%s"
    ecs_stub.add_response("list_tasks", {"taskArns": [ARN % "a", ARN % "b"]})
    ecs_stub.add_response("describe_tasks", {"tasks": [
        {"taskArn": ARN % "a", "lastStatus": "RUNNING", "containerInstanceArn": ci % "1", "attachments": []},
        {"taskArn": ARN % "b", "lastStatus": "RUNNING", "containerInstanceArn": ci % "2"}]})
    ecs_stub.add_response("describe_container_instances", {"containerInstances": [
        {"containerInstanceArn": ci % "1", "ec2InstanceId": "i-1"}, {"containerInstanceArn": ci % "2", "ec2InstanceId": "i-2"}]},
        {"cluster": "c", "containerInstances": [ci % "1", ci % "2"]})
    ec2_stub.add_response("describe_instances", {"Reservations": [{"Instances": [
        {"InstanceId": "i-1", "PrivateIpAddress": "10.0.0.7", "PublicIpAddress": "203.0.113.7"},
        {"InstanceId": "i-2", "PrivateIpAddress": "10.0.1.8"}]}]}, {"InstanceIds": ["i-1", "i-2"]})
    result = mod.collect(ecs, ec2, "c", "frontend")
    assert result["public_ips"] == ["203.0.113.7"]
    assert [(t["instance_id"], t["private_ip"], t["public_ip"]) for t in result["tasks"]] == [
        ("i-1", "10.0.0.7", "203.0.113.7"), ("i-2", "10.0.1.8", None)]


def test_vanished_eni_is_skipped(clients):
    ecs, ec2, ecs_stub, ec2_stub = clients
    ecs_stub.add_response("list_tasks", {"taskArns": [ARN % "a", ARN % "b"]})
    ecs_stub.add_response("describe_tasks", {"tasks": [_task("a", "eni-a", "10.0.1.5"), _task("b", "eni-b", "10.0.2.5")]})
    ec2_stub.add_client_error("describe_network_interfaces", "InvalidNetworkInterfaceID.NotFound")
    ec2_stub.add_response("describe_network_interfaces", {"NetworkInterfaces": [
        {"NetworkInterfaceId": "eni-a", "Association": {"PublicIp": "203.0.113.20"}}]}, {"NetworkInterfaceIds": ["eni-a"]})
    ec2_stub.add_client_error("describe_network_interfaces", "InvalidNetworkInterfaceID.NotFound",
                              expected_params={"NetworkInterfaceIds": ["eni-b"]})
    assert mod.collect(ecs, ec2, "c", "backend")["public_ips"] == ["203.0.113.20"]


def test_missing_service_is_not_an_error(clients):
    ecs, ec2, ecs_stub, _ec2_stub = clients
    ecs_stub.add_client_error("list_tasks", "ServiceNotFoundException")
    assert mod.collect(ecs, ec2, "c", "backend") == {"service_found": False, "tasks": [], "public_ips": []}


def test_module_main_in_check_mode_only_reads(clients):
    ecs, ec2, ecs_stub, ec2_stub = clients
    ecs_stub.add_response("list_tasks", {"taskArns": [ARN % "a"]})
    ecs_stub.add_response("describe_tasks", {"tasks": [_task("a", "eni-a", "10.0.1.5")]})
    ec2_stub.add_response("describe_network_interfaces", {"NetworkInterfaces": [
        {"NetworkInterfaceId": "eni-a", "Association": {"PublicIp": "203.0.113.20"}}]})
    by_name = {"ecs": ecs, "ec2": ec2}
    with mock.patch.object(mod.AnsibleAWSModule, "client", lambda self, name, **kw: by_name[name]):
        result, failed = run_module(mod.main, {"cluster": "c", "service": "backend", "region": "us-east-1"},
                                    check=True)
    assert not failed, result
    assert result["changed"] is False and result["public_ips"] == ["203.0.113.20"]
