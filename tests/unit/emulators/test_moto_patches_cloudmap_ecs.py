"""Cloud Map ListServices filters and ECS DescribeTaskDefinition by family behave as the AWS API reference says (in-process moto)."""

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws


def _namespace(sd, name, vpc):
    sd.create_private_dns_namespace(Name=name, Vpc=vpc)
    return [n["Id"] for n in sd.list_namespaces()["Namespaces"] if n["Name"] == name][0]


def test_list_services_honours_the_namespace_filter_and_returns_summaries(aws_env):
    with mock_aws():
        sd = boto3.client("servicediscovery")
        ns_a, ns_b = _namespace(sd, "a.local", "vpc-0000000000000000a"), _namespace(sd, "b.local", "vpc-0000000000000000b")
        records = {"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]}
        in_a = sd.create_service(Name="backend", NamespaceId=ns_a, Description="in a", DnsConfig=records,
                                 HealthCheckCustomConfig={"FailureThreshold": 1})["Service"]
        sd.create_service(Name="backend", NamespaceId=ns_b, DnsConfig=records)
        sd.register_instance(ServiceId=in_a["Id"], InstanceId="task-1", Attributes={"AWS_INSTANCE_IPV4": "10.0.0.1"})

        only_a = sd.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [ns_a], "Condition": "EQ"}])["Services"]
        assert [s["Id"] for s in only_a] == [in_a["Id"]]
        summary = only_a[0]
        assert summary["Description"] == "in a" and summary["InstanceCount"] == 1
        assert summary["DnsConfig"]["DnsRecords"] == [{"Type": "A", "TTL": 10}]
        assert summary["DnsConfig"]["RoutingPolicy"] == "MULTIVALUE"
        assert summary["HealthCheckCustomConfig"] == {"FailureThreshold": 1}
        assert "NamespaceId" not in summary and "CreatorRequestId" not in summary  # a ServiceSummary has neither

        both = sd.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [ns_a, ns_b], "Condition": "IN"}])["Services"]
        assert len(both) == 2
        assert len(sd.list_services()["Services"]) == 2
        assert sd.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": ["ns-none"], "Condition": "EQ"}])["Services"] == []


def test_describe_task_definition_by_family_is_the_latest_active_revision(aws_env):
    with mock_aws():
        ecs = boto3.client("ecs")

        def register(image):
            return ecs.register_task_definition(
                family="app", containerDefinitions=[{"name": "app", "image": image, "memory": 128}]
            )["taskDefinition"]["taskDefinitionArn"]

        first, second = register("one"), register("two")
        assert ecs.describe_task_definition(taskDefinition="app")["taskDefinition"]["taskDefinitionArn"] == second
        ecs.deregister_task_definition(taskDefinition=second)
        latest = ecs.describe_task_definition(taskDefinition="app")["taskDefinition"]
        assert latest["taskDefinitionArn"] == first and latest["status"] == "ACTIVE"
        # A revision asked for by number is still described, INACTIVE or not.
        assert ecs.describe_task_definition(taskDefinition="app:2")["taskDefinition"]["status"] == "INACTIVE"
        ecs.deregister_task_definition(taskDefinition=first)
        with pytest.raises(ClientError):
            ecs.describe_task_definition(taskDefinition="app")
