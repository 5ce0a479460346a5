"""Services as data (webstack_services): an inventory written for the per-service variables of earlier releases
deploys exactly what the same services written as a list deploy, the same AWS writes in the same order, and the
same resources down to the security group rules and the task definitions.

Two deploys on freshly reset emulators (instant mode): the legacy inventory (stackrun.legacy_inventory), then the
local inventory with webstack_services set to its frontend and backend alone. Identifiers that AWS makes up (VPC,
subnet and group IDs, secret ARN suffixes) differ from one deploy to the next and are replaced by what they name.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter

import yaml

from .stackrun import REPO, playbook, stack_resources

CLUSTER = "webstack-local"
# Resources whose identifier AWS makes up: compared by count here, by content below.
UNNAMED = ("vpc", "subnet", "sg", "igw", "rtb", "eip", "nat")


def local_services():
    with open(os.path.join(REPO, "inventories", "local", "group_vars", "all", "main.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["webstack_services"]


def stack_shape(emulators):
    """The stack as a user would describe it: resource names, group rules by group name, subnets by CIDR, and each
    ECS service with its task definition (secrets by secret name)."""
    session, url = emulators.boto3_session()
    resources = stack_resources(emulators)
    ec2 = session.client("ec2", endpoint_url=url)
    filters = [{"Name": "tag:webstack:stack", "Values": ["webstack"]}, {"Name": "tag:webstack:env", "Values": ["local"]}]
    groups = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
    group_names = {g["GroupId"]: g["GroupName"] for g in groups}
    subnets = {s["SubnetId"]: s["CidrBlock"] for s in ec2.describe_subnets(Filters=filters)["Subnets"]}

    def rules(permissions):
        return sorted(json.dumps({"proto": p.get("IpProtocol"), "from": p.get("FromPort"), "to": p.get("ToPort"),
                                  "groups": sorted(group_names.get(pair["GroupId"], "?") for pair in p.get("UserIdGroupPairs", [])),
                                  "cidrs": sorted(r["CidrIp"] for r in p.get("IpRanges", []))}, sort_keys=True)
                      for p in permissions)

    ecs = session.client("ecs", endpoint_url=url)
    arns = ecs.list_services(cluster=CLUSTER)["serviceArns"]
    services = {}
    for service in ecs.describe_services(cluster=CLUSTER, services=arns)["services"] if arns else []:
        definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        # The definition's hash label covers the secret ARNs, whose suffix AWS makes up anew in each deploy: the
        # containers are compared field by field instead (ARNs by secret name).
        for container in definition["containerDefinitions"]:
            container.get("dockerLabels", {}).pop("stackops.ecs_webstack.definition-sha256", None)
        awsvpc = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration", {})
        # The secret ARNs' suffixes and the Redis endpoint's cluster ID are AWS's own, new in every deploy.
        fields = ("family", "cpu", "memory", "networkMode", "containerDefinitions", "runtimePlatform",
                  "requiresCompatibilities")
        described = json.dumps({k: definition.get(k) for k in fields}, sort_keys=True)
        described = re.sub(r'(arn:aws:secretsmanager:[^"]+?)-[A-Za-z0-9]{6}"', r'\1"', described)
        described = re.sub(r"\.[a-z0-9]{6}\.([a-z0-9]+\.cache\.amazonaws\.com)", r".<id>.\1", described)
        services[service["serviceName"]] = {
            "desired": service["desiredCount"], "launch": service.get("launchType"),
            "registries": len(service.get("serviceRegistries") or []),
            "subnets": sorted(subnets.get(s, s) for s in awsvpc.get("subnets", [])),
            "groups": sorted(group_names.get(g, g) for g in awsvpc.get("securityGroups", [])),
            "public_ip": awsvpc.get("assignPublicIp"),
            "definition": described,
        }
    return {
        "named": sorted(r for r in resources if r.split(":", 1)[0] not in UNNAMED),
        "counted": dict(Counter(r.split(":", 1)[0] for r in resources if r.split(":", 1)[0] in UNNAMED)),
        "groups": {g["GroupName"]: {"in": rules(g["IpPermissions"]), "out": rules(g["IpPermissionsEgress"])} for g in groups},
        "subnets": sorted(subnets.values()),
        "services": services,
    }


def differences(old, new, path=""):
    """The leaves where two shapes differ, as 'path: old != new' (a task definition compared as parsed JSON)."""
    if isinstance(old, str) and isinstance(new, str) and old.startswith("{") and new.startswith("{"):
        old, new = json.loads(old), json.loads(new)
    if isinstance(old, dict) and isinstance(new, dict):
        return [d for key in sorted(set(old) | set(new)) for d in differences(old.get(key), new.get(key), path + "." + key)]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [d for index, pair in enumerate(zip(old, new)) for d in differences(pair[0], pair[1], "%s[%d]" % (path, index))]
    return [] if old == new else ["%s: %r != %r" % (path, old, new)]


def writes(emulators):
    return [(r["service"], r["action"]) for r in emulators.requests("moto") if r["kind"] == "write"]


def test_an_inventory_of_the_old_variables_deploys_what_the_list_deploys(emulators, legacy):
    emulators.reset()
    old = playbook(emulators, "deploy.yml", inventory=legacy)
    assert old.rc == 0, old.output[-4000:]
    old_shape, old_writes = stack_shape(emulators), writes(emulators)

    emulators.reset()
    listed = playbook(emulators, "deploy.yml", "-e", json.dumps({"webstack_services": local_services()[:2]}))
    assert listed.rc == 0, listed.output[-4000:]
    new_shape, new_writes = stack_shape(emulators), writes(emulators)

    assert sorted(old_shape["services"]) == ["backend", "frontend"]
    assert set(old_shape["groups"]) == {"webstack-local-frontend", "webstack-local-backend", "webstack-local-redis"}
    for key in ("named", "counted", "groups", "subnets"):
        assert new_shape[key] == old_shape[key], key
    for name in ("frontend", "backend"):
        assert new_shape["services"][name] == old_shape["services"][name], (name, differences(
            old_shape["services"][name], new_shape["services"][name]))
    assert new_writes == old_writes


def test_destroy_removes_a_service_the_inventory_no_longer_lists(emulators):
    """The worker, deployed, then taken out of webstack_services: destroy.yml finds it in the cluster and removes it
    with everything of its own (Cloud Map and scaling wherever they exist, task role, log group, repository)."""
    emulators.reset()
    deployed = playbook(emulators, "deploy.yml")
    assert deployed.rc == 0, deployed.output[-4000:]
    assert {"ecs-service:worker", "ecr:webstack-local/worker", "iam-role:webstack-local-worker-task",
            "logs:/ecs/webstack-local/worker"} <= set(stack_resources(emulators))

    without_worker = ["-e", json.dumps({"webstack_services": local_services()[:2]}), "-e", "webstack_destroy_confirm=yes"]
    destroyed = playbook(emulators, "destroy.yml", *without_worker)
    assert destroyed.rc == 0, destroyed.output[-4000:]
    assert stack_resources(emulators) == []
    again = playbook(emulators, "destroy.yml", *without_worker)
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()
