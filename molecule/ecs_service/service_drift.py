"""Change a service's task definition and its Cloud Map service by hand, with plain boto3.

    python service_drift.py <cluster> <service> <family> <namespace name>

Registers a new revision of the family copied from the one the service runs (as the console's "create
new revision" does: the role's definition-hash label is copied too) with one environment value
changed, deploys it, and sets another TTL and description on the Cloud Map service. The verify step
then runs the role and proves both are put back: the role skips community.aws.ecs_taskdefinition and
changes nothing in Cloud Map when its reads find nothing different, so this is the case it must not skip.
Prints the hand-made revision's ARN.
"""

import sys

import boto3

REGISTRABLE = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
               "placementConstraints", "requiresCompatibilities", "cpu", "memory", "runtimePlatform")


def main(cluster, service, family, namespace):
    ecs = boto3.client("ecs")
    running = ecs.describe_services(cluster=cluster, services=[service])["services"][0]["taskDefinition"]
    definition = ecs.describe_task_definition(taskDefinition=running)["taskDefinition"]
    copied = dict((k, definition[k]) for k in REGISTRABLE if definition.get(k))
    container = copied["containerDefinitions"][0]
    container["environment"] = [dict(e, value="edited-by-hand") if e["name"] == "NODE_ENV" else e
                                for e in container.get("environment", [])]
    assert family == copied["family"]
    arn = ecs.register_task_definition(**copied)["taskDefinition"]["taskDefinitionArn"]
    ecs.update_service(cluster=cluster, service=service, taskDefinition=arn)

    sd = boto3.client("servicediscovery")
    namespace_id = [n["Id"] for n in sd.list_namespaces()["Namespaces"] if n["Name"] == namespace][0]
    found = sd.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}])["Services"]
    service_id = [s["Id"] for s in found if s["Name"] == service][0]
    sd.update_service(Id=service_id, Service={"Description": "edited by hand",
                                              "DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 99}]}})
    print(arn)


if __name__ == "__main__":
    main(*sys.argv[1:5])
