"""Print the emulated account's ECS cluster state for the verify step, read with plain boto3 (not the role's modules).

    python aws_state.py <cluster> <iam prefix> <log group prefix> <namespace> <service>...
"""

import json
import sys

import boto3


def main(cluster, iam_prefix, log_prefix, namespace, services):
    ecs = boto3.client("ecs")
    iam = boto3.client("iam")
    logs = boto3.client("logs")
    sd = boto3.client("servicediscovery")
    out = {"services": services}

    found = ecs.describe_clusters(clusters=[cluster], include=["SETTINGS", "TAGS"])["clusters"]
    out["cluster"] = found[0] if found else {}
    out["cluster_tags"] = {t["key"]: t["value"] for t in out["cluster"].get("tags", [])}
    out["cluster_settings"] = {s["name"]: s["value"] for s in out["cluster"].get("settings", [])}

    out["roles"] = {}
    for name in [f"{iam_prefix}-ecs-execution"] + [f"{iam_prefix}-{s}-task" for s in services]:
        role = iam.get_role(RoleName=name)["Role"]
        inline = {
            p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
            for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
        }
        out["roles"][name] = {
            "arn": role["Arn"],
            "trust": role["AssumeRolePolicyDocument"],
            "tags": {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]},
            "managed": sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]),
            "inline": inline,
        }

    out["log_groups"] = {}
    for service in services:
        name = f"{log_prefix}/{service}"
        group = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name][0]
        out["log_groups"][service] = {
            "name": name,
            "retention": group.get("retentionInDays"),
            "tags": logs.list_tags_log_group(logGroupName=name)["tags"],
        }

    matches = [n for n in sd.list_namespaces()["Namespaces"] if n["Name"] == namespace]
    out["namespaces_named"] = len(matches)
    if matches:
        ns = sd.get_namespace(Id=matches[0]["Id"])["Namespace"]
        out["namespace"] = {
            "id": ns["Id"],
            "type": ns["Type"],
            "tags": {t["Key"]: t["Value"] for t in sd.list_tags_for_resource(ResourceARN=ns["Arn"])["Tags"]},
        }
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
