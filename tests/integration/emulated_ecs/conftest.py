"""Emulators in containers mode (WEBSTACK_ECS_TASKS=containers) for the emulated-ECS tests, and an account with
a VPC, security groups, a secret, an ECR repository, a Cloud Map service and an ECS cluster in it.

The emulators run on their own ports and run directory (5100, 5101, .run/emulated-ecs), set in the env dict
handed to ctl, not in os.environ: under pytest-xdist tests/integration/conftest.py rewrites the WEBSTACK_*
variables per worker, and these containers and networks must not be mixed with another instance's.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
import time
import urllib.request

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(REPO, "tools", "emulators"))
sys.path.insert(0, os.path.join(REPO, "tools", "containers"))

import ctl  # noqa: E402
import images  # noqa: E402

ENV = {
    "WEBSTACK_MOTO_PORT": "5100",
    "WEBSTACK_ATLAS_PORT": "5101",
    "WEBSTACK_RUN_DIR": os.path.join(REPO, ".run", "emulated-ecs"),
    "WEBSTACK_ECS_TASKS": "containers",
    # Not the default 169.254.169.253: another instance in containers mode may serve that one.
    "WEBSTACK_VPC_DNS_ADDRESS": "169.254.169.251",
}
ACCOUNT = "123456789012"
REGION = "us-east-1"
REGISTRY = "%s.dkr.ecr.%s.amazonaws.com" % (ACCOUNT, REGION)
BACKEND_REPOSITORY = "webstack-local/backend"
LABEL = "%s=%s" % (ctl.OWNER_LABEL, ENV["WEBSTACK_MOTO_PORT"])
MONGODB_URI = "mongodb+srv://app:not-a-real-password@cluster0.example.mongodb.net/app"


def load_product_ecs():
    """plugins/module_utils/ecs.py, the product's reading of a deployment (steady_state), imported as the collection
    imports it (it imports the collection's other module_utils): through the checkout's link under .build/collections,
    which make's collection-link (and tests/unit/conftest.py) create."""
    collections = os.path.join(REPO, ".build", "collections")
    link = os.path.join(collections, "ansible_collections", "stackops", "ecs_webstack")
    if not os.path.islink(link) and not os.path.isdir(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)
    if collections not in sys.path:
        sys.path.insert(0, collections)
    return importlib.import_module("ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecs")


def labelled(kind="containers"):
    """IDs of this instance's podman containers or networks."""
    if kind == "containers":
        out = images.podman("ps", "-aq", "--filter", "label=" + LABEL, check=False).stdout
    else:
        out = images.podman("network", "ls", "-q", "--filter", "label=" + LABEL, check=False).stdout
    return (out or "").split()


def wait_for(what, probe, timeout=60.0, delay=0.5):
    """Poll probe() until it returns something truthy; fail with the last value after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(delay)
    raise AssertionError("%s: not within %.0f s (last: %r)" % (what, timeout, last))


def http_json(url, timeout=3.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - a task's address
        return json.loads(response.read())


def seed_manifest(tag):
    """A synthetic image index, as roles/ecr seeds one for an image built locally (no registry here)."""
    seed = "%s:%s" % (BACKEND_REPOSITORY, tag)
    return json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 480,
                       "digest": "sha256:" + hashlib.sha256(("manifest:amd64:" + seed).encode()).hexdigest(),
                       "platform": {"architecture": "amd64", "os": "linux"}}]})


@pytest.fixture(scope="module")
def emulators():
    if not shutil.which("podman") or not shutil.which("runc"):
        raise RuntimeError("podman and runc are needed for the emulated ECS: install podman runc (bash .ci/run does)")
    for tag in ("local-0001", "local-0002", "local-broken"):
        if not images.image_exists(images.local_image(BACKEND_REPOSITORY, tag)):
            raise RuntimeError("no local image %s: run python tools/containers/images.py all" % tag)
    cfg = ctl.settings(ENV)
    ctl.stop(cfg)  # a previous run's leftovers
    ctl.start(cfg)
    try:
        yield cfg
    finally:
        ctl.stop(cfg)


@pytest.fixture(scope="module")
def aws(emulators):
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    endpoint = "http://127.0.0.1:%d" % emulators["moto_port"]

    def client(name, **kwargs):
        return session.client(name, endpoint_url=endpoint, **kwargs)

    class Clients:
        ec2 = client("ec2")
        ecs = client("ecs")
        ecr = client("ecr")
        secrets = client("secretsmanager")
        discovery = client("servicediscovery", config=Config(inject_host_prefix=False))

    return Clients


@pytest.fixture(scope="module")
def account(aws):
    """Network, secret, images, Cloud Map service and cluster shared by the module's services."""
    ec2 = aws.ec2
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % n, AvailabilityZone=REGION + zone)["Subnet"]["SubnetId"]
               for n, zone in ((1, "a"), (2, "b"))]
    frontend = ec2.create_security_group(GroupName="frontend", Description="frontend", VpcId=vpc)["GroupId"]
    backend = ec2.create_security_group(GroupName="backend", Description="backend", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=backend, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": frontend}]}])
    secret_arn = aws.secrets.create_secret(Name="webstack/mongodb", SecretString=json.dumps({"uri": MONGODB_URI}))["ARN"]
    aws.ecr.create_repository(repositoryName=BACKEND_REPOSITORY)
    digests = {}
    for tag in ("local-0001", "local-0002", "local-broken"):
        pushed = aws.ecr.put_image(repositoryName=BACKEND_REPOSITORY, imageManifest=seed_manifest(tag), imageTag=tag,
                                   imageManifestMediaType="application/vnd.oci.image.index.v1+json")
        digests[tag] = pushed["image"]["imageId"]["imageDigest"]
    namespace_op = aws.discovery.create_private_dns_namespace(Name="webstack.local", Vpc=vpc)["OperationId"]
    namespace = aws.discovery.get_operation(OperationId=namespace_op)["Operation"]["Targets"]["NAMESPACE"]
    registry = aws.discovery.create_service(
        Name="backend", NamespaceId=namespace,
        DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]},
        HealthCheckCustomConfig={"FailureThreshold": 1})["Service"]
    aws.ecs.create_cluster(clusterName="webstack")
    return {"vpc": vpc, "subnets": subnets, "frontend_sg": frontend, "backend_sg": backend, "secret_arn": secret_arn,
            "digests": digests, "registry": registry, "cluster": "webstack"}


def backend_task_definition(aws, image, secret_arn, family="backend"):
    """The sample backend's task definition (as roles/ecs_service writes it), with short health check
    intervals to keep the tests fast."""
    return aws.ecs.register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{
            "name": "backend", "image": image, "essential": True, "memory": 512,
            "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
            "environment": [{"name": "PORT", "value": "8080"}, {"name": "REDIS_HOST", "value": ""},
                            {"name": "LAME_DUCK_SECONDS", "value": "0"}],  # stopTimeout 2: no lame duck
            "secrets": [{"name": "MONGODB_URI", "valueFrom": secret_arn}],
            "healthCheck": {"command": ["CMD-SHELL", "curl -fsS http://127.0.0.1:8080/health || exit 1"],
                            "interval": 2, "timeout": 2, "retries": 2, "startPeriod": 0},
            "stopTimeout": 2,
        }])["taskDefinition"]["taskDefinitionArn"]


def running_tasks(aws, cluster, service):
    arns = aws.ecs.list_tasks(cluster=cluster, serviceName=service, desiredStatus="RUNNING")["taskArns"]
    if not arns:
        return []
    return [t for t in aws.ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if t["lastStatus"] == "RUNNING"]


def task_address(task):
    for attachment in task.get("attachments") or []:
        for detail in attachment.get("details") or []:
            if detail["name"] == "privateIPv4Address":
                return detail["value"]
    return None


def describe_service(aws, cluster, service):
    return aws.ecs.describe_services(cluster=cluster, services=[service])["services"][0]


def registered(aws, registry_id):
    """{instance id: (IPv4, health status)} of a Cloud Map service."""
    instances = aws.discovery.list_instances(ServiceId=registry_id)["Instances"]
    health = aws.discovery.get_instances_health_status(ServiceId=registry_id)["Status"] if instances else {}
    return dict((i["Id"], (i["Attributes"].get("AWS_INSTANCE_IPV4"), health.get(i["Id"]))) for i in instances)
