"""Helpers for the end-to-end tests: run the playbooks against the emulators, read their logs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(REPO, "tools", "emulators"))

import ctl  # noqa: E402  (tools/emulators/ctl.py)

_RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)


class Emulators:
    """The emulators a test session uses (started here when `make test` did not)."""

    def __init__(self, env=None):
        """``env``: the WEBSTACK_* settings to use (ctl.settings); None, those of this process."""
        self.cfg = ctl.settings(env)
        self.started_here = False

    def __enter__(self):
        if not ctl.status(self.cfg):
            ctl.start(self.cfg)
            self.started_here = True
        return self

    def __exit__(self, *exc):
        if self.started_here:
            ctl.stop(self.cfg)

    def reset(self):
        ctl.reset(self.cfg)

    def env(self):
        env = dict(os.environ)
        env.update(
            WEBSTACK_MOTO_PORT=str(self.cfg["moto_port"]),
            WEBSTACK_ATLAS_PORT=str(self.cfg["atlas_port"]),
            WEBSTACK_RUN_DIR=self.cfg["run_dir"],
            ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, ".build", "collections"),
            ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_NOCOLOR="1",
        )
        return env

    def boto3_session(self, region="us-east-1"):
        import boto3

        return boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
        ), "http://127.0.0.1:%d" % self.cfg["moto_port"]

    def requests(self, which="moto"):
        """Every request the emulator logged so far (JSON lines)."""
        path = os.path.join(self.cfg["run_dir"], "%s-requests.jsonl" % which)
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]


class Run:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr
        self.recap = {m.group(1): dict(ok=int(m.group(2)), changed=int(m.group(3)), failed=int(m.group(5)))
                      for m in _RECAP.finditer(proc.stdout)}

    @property
    def changed(self):
        return sum(host["changed"] for host in self.recap.values())

    def changed_tasks(self):
        """Names of the tasks that reported a change (from the default callback's output)."""
        tasks, current = [], None
        for line in self.output.splitlines():
            if line.startswith("TASK ["):
                current = line[6:line.rfind("]")]
            elif line.startswith("changed:") and current and current not in tasks:
                tasks.append(current)
        return tasks


def legacy_inventory(directory):
    """inventories/local as an inventory of earlier releases says it: the frontend and the backend through the
    per-service variables (webstack_backend_cpu, ...), no webstack_services, so no worker. Written under
    ``directory``; returns its path. The shipped list's first two entries must be what those variables' defaults
    describe, or the copy would not be the same stack (checked here)."""
    import shutil

    import yaml

    source = os.path.join(REPO, "inventories", "local")
    target = os.path.join(directory, "legacy")
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    main = os.path.join(target, "group_vars", "all", "main.yml")
    with open(main, encoding="utf-8") as handle:
        settings = yaml.safe_load(handle)
    frontend, backend = settings.pop("webstack_services")[:2]
    assert (frontend["name"], backend["name"]) == ("frontend", "backend")
    settings.update(webstack_frontend_image_tag=frontend["image_tag"], webstack_backend_image_tag=backend["image_tag"])
    with open(main, "w", encoding="utf-8") as handle:
        yaml.safe_dump(settings, handle, default_flow_style=False, sort_keys=False)
    return target


def playbook(emulators, name, *args, inventory="inventories/local", timeout=900):
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory,
           os.path.join("playbooks", name)] + list(args)
    proc = subprocess.run(cmd, cwd=REPO, env=emulators.env(), capture_output=True, text=True,
                          timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    return Run(proc)


def stack_resources(emulators, stack="webstack", env="local", region="us-east-1", session=None, url=None):
    """Everything in the account that belongs to the stack (by tag or by name): the emulated one, or
    the one of ``session`` (``url`` None for a real account)."""
    if session is None:
        session, url = emulators.boto3_session(region)
    prefix = "%s-%s" % (stack, env)
    found = []
    ecr = session.client("ecr", endpoint_url=url)
    for repo in ecr.describe_repositories()["repositories"]:
        if repo["repositoryName"].startswith(prefix + "/"):
            found.append("ecr:" + repo["repositoryName"])
    ec2 = session.client("ec2", endpoint_url=url)
    filters = [{"Name": "tag:webstack:stack", "Values": [stack]}, {"Name": "tag:webstack:env", "Values": [env]}]
    for kind, call, key, ident in (
        ("vpc", ec2.describe_vpcs, "Vpcs", "VpcId"),
        ("subnet", ec2.describe_subnets, "Subnets", "SubnetId"),
        ("sg", ec2.describe_security_groups, "SecurityGroups", "GroupId"),
        ("igw", ec2.describe_internet_gateways, "InternetGateways", "InternetGatewayId"),
        ("rtb", ec2.describe_route_tables, "RouteTables", "RouteTableId"),
        ("eip", ec2.describe_addresses, "Addresses", "AllocationId"),
    ):
        found += ["%s:%s" % (kind, item[ident]) for item in call(Filters=filters)[key]]
    found += ["nat:" + n["NatGatewayId"] for n in ec2.describe_nat_gateways(Filters=filters)["NatGateways"]
              if n["State"] not in ("deleted", "deleting")]
    ecs = session.client("ecs", endpoint_url=url)
    for cluster in ecs.describe_clusters(clusters=[prefix]).get("clusters", []):
        if cluster["status"] == "ACTIVE":
            found.append("ecs-cluster:" + cluster["clusterName"])
            for arn in ecs.list_services(cluster=prefix).get("serviceArns", []):
                found.append("ecs-service:" + arn.rsplit("/", 1)[-1])
    # Task definitions carry no tags: the family names carry the stack (webstack-local-backend:3). INACTIVE
    # revisions count too (deregistered, not deleted); DELETE_IN_PROGRESS ones are neither and are gone.
    for status, kind in (("ACTIVE", "task-definition"), ("INACTIVE", "task-definition-inactive")):
        for page in ecs.get_paginator("list_task_definitions").paginate(status=status):
            found += ["%s:%s" % (kind, arn.rsplit("/", 1)[-1]) for arn in page["taskDefinitionArns"]
                      if arn.rsplit("/", 1)[-1].startswith(prefix + "-")]
    elasticache = session.client("elasticache", endpoint_url=url)
    found += ["redis:" + g["ReplicationGroupId"] for g in elasticache.describe_replication_groups()["ReplicationGroups"]
              if g["ReplicationGroupId"].startswith(prefix)]
    found += ["redis-subnets:" + g["CacheSubnetGroupName"] for g in elasticache.describe_cache_subnet_groups()["CacheSubnetGroups"]
              if g["CacheSubnetGroupName"].startswith(prefix)]
    cloudmap = session.client("servicediscovery", endpoint_url=url)
    namespaces = {n["Id"]: n["Name"] for n in cloudmap.list_namespaces()["Namespaces"] if n["Name"].startswith(prefix)}
    found += ["namespace:" + name for name in namespaces.values()]
    # (ListServices gives no namespace, and moto ignores its NAMESPACE_ID filter: GetService says.)
    services = [cloudmap.get_service(Id=svc["Id"])["Service"] for svc in cloudmap.list_services()["Services"]]
    found += ["cloudmap-service:%s.%s" % (svc["Name"], namespaces[svc["NamespaceId"]]) for svc in services
              if svc.get("NamespaceId") in namespaces]
    logs = session.client("logs", endpoint_url=url)
    found += ["logs:" + g["logGroupName"] for g in logs.describe_log_groups()["logGroups"] if prefix in g["logGroupName"]]
    iam = session.client("iam", endpoint_url=url)
    found += ["iam-role:" + r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(prefix)]
    autoscaling = session.client("application-autoscaling", endpoint_url=url)
    found += ["scaling:" + t["ResourceId"] for t in autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
              if "/%s/" % prefix in t["ResourceId"]]
    found += ["scaling-policy:" + p["PolicyName"] for p in autoscaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
              if "/%s/" % prefix in p["ResourceId"]]
    found += ["instance-profile:" + p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]
              if p["InstanceProfileName"].startswith(prefix)]
    groups = session.client("autoscaling", endpoint_url=url).describe_auto_scaling_groups()["AutoScalingGroups"]
    found += ["asg:" + g["AutoScalingGroupName"] for g in groups if g["AutoScalingGroupName"].startswith(prefix)]
    found += ["launch-template:" + t["LaunchTemplateName"] for t in ec2.describe_launch_templates()["LaunchTemplates"]
              if t["LaunchTemplateName"].startswith(prefix)]
    found += ["instance:" + i["InstanceId"] for r in ec2.describe_instances(Filters=filters)["Reservations"] for i in r["Instances"]
              if i["State"]["Name"] not in ("terminated", "shutting-down")]
    # (moto cannot list every provider: DescribeCapacityProviders without names is a 500 there.)
    found += ["capacity-provider:" + p["name"] for p in ecs.describe_capacity_providers(capacityProviders=[prefix + "-ec2"])["capacityProviders"]
              if p.get("status") != "INACTIVE"]
    elb = session.client("elbv2", endpoint_url=url)
    found += ["alb:" + b["LoadBalancerName"] for b in elb.describe_load_balancers()["LoadBalancers"]
              if b["LoadBalancerName"].startswith(prefix)]
    found += ["target-group:" + g["TargetGroupName"] for g in elb.describe_target_groups()["TargetGroups"]
              if g["TargetGroupName"].startswith(prefix)]
    # The Atlas sync of task_ips mode: its function and the EventBridge rule that invokes it.
    functions = session.client("lambda", endpoint_url=url).list_functions()["Functions"]
    found += ["lambda:" + f["FunctionName"] for f in functions if f["FunctionName"].startswith(prefix)]
    found += ["rule:" + r["Name"] for r in session.client("events", endpoint_url=url).list_rules(NamePrefix=prefix)["Rules"]]
    sm = session.client("secretsmanager", endpoint_url=url)
    for secret in sm.list_secrets()["SecretList"]:
        if secret["Name"].startswith(prefix + "/"):
            found.append("secret:" + secret["Name"])
    return found


def atlas_entries(emulators):
    import json
    import urllib.request

    url = "http://127.0.0.1:%d/_standin/state" % emulators.cfg["atlas_port"]
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback stand-in
        state = json.loads(response.read())
    return [entry for project in state.get("projects", {}).values() for entry in project.get("entries", [])]
