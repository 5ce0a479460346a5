"""Print the emulated account's ECS service state for the verify step, read with plain boto3 (not the role's modules).

    python aws_state.py <cluster> <namespace> <service>...
"""

import json
import sys

import boto3


def main(cluster, namespace, services):
    ecs = boto3.client("ecs")
    sd = boto3.client("servicediscovery")
    scaling = boto3.client("application-autoscaling")
    out = {"services": {}, "task_definitions": {}, "latest_task_definitions": {}, "cloudmap": {}, "autoscaling": {}}
    for svc in ecs.describe_services(cluster=cluster, services=services, include=["TAGS"])["services"]:
        out["services"][svc["serviceName"]] = svc
        out["task_definitions"][svc["serviceName"]] = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
        family = out["task_definitions"][svc["serviceName"]]["family"]
        arns = ecs.list_task_definitions(familyPrefix=family)["taskDefinitionArns"]  # ACTIVE ones
        out["latest_task_definitions"][svc["serviceName"]] = max(arns, key=lambda arn: int(arn.rsplit(":", 1)[1]))
        resource = f"service/{cluster}/{svc['serviceName']}"
        out["autoscaling"][svc["serviceName"]] = {
            "targets": scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])["ScalableTargets"],
            "policies": scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource)["ScalingPolicies"],
        }
    ns = [n for n in sd.list_namespaces()["Namespaces"] if n["Name"] == namespace]
    if ns:
        for summary in sd.list_services()["Services"]:
            service = sd.get_service(Id=summary["Id"])["Service"]
            if service["NamespaceId"] != ns[0]["Id"]:
                continue
            service["Instances"] = sd.list_instances(ServiceId=service["Id"])["Instances"]
            out["cloudmap"][service["Name"]] = service
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
