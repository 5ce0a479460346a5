"""Print the emulated account's EC2 capacity of a cluster, read with plain boto3 (not the role's modules).

    python ec2_state.py <cluster>
"""

import base64
import json
import sys

import boto3


def main(cluster):
    ecs = boto3.client("ecs")
    ec2 = boto3.client("ec2")
    autoscaling = boto3.client("autoscaling")
    iam = boto3.client("iam")
    name = f"{cluster}-ecs-instances"
    out = {"cluster": {}, "capacity_provider": {}, "group": {}, "template": {}, "instance_profile": {}}
    clusters = [c for c in ecs.describe_clusters(clusters=[cluster])["clusters"] if c.get("status") != "INACTIVE"]
    if clusters:
        out["cluster"] = clusters[0]
    providers = ecs.describe_capacity_providers(capacityProviders=[f"{cluster}-ec2"], include=["TAGS"])["capacityProviders"]
    out["capacity_provider"] = next((p for p in providers if p.get("status") != "INACTIVE"), {})
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    out["group"] = groups[0] if groups else {}
    templates = ec2.describe_launch_templates(Filters=[{"Name": "launch-template-name", "Values": [name]}])["LaunchTemplates"]
    if templates:
        version = ec2.describe_launch_template_versions(LaunchTemplateName=name, Versions=["$Latest"])["LaunchTemplateVersions"][0]
        data = version["LaunchTemplateData"]
        data["UserDataText"] = base64.b64decode(data.get("UserData", "")).decode()
        out["template"] = dict(templates[0], Data=data, VersionCount=templates[0]["LatestVersionNumber"])
    profiles = [p for p in iam.list_instance_profiles()["InstanceProfiles"] if p["InstanceProfileName"] == f"{cluster}-ecs-instance"]
    out["instance_profile"] = profiles[0] if profiles else {}
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
