"""One moto (in this process, port 5150), the VPC resolver on 169.254.169.250 and the ElastiCache node
reconciler, shared by the module's tests; a VPC with three security groups (frontend -> backend ->
redis), a Cloud Map namespace and a TLS + AUTH replication group made through boto3.

169.254.169.250 rather than the resolver's AWS address 169.254.169.253, so a local deploy serving .253
on this machine is never disturbed; ports 5150-5159 and run dir .run/emulated-network are this suite's.
"""

from __future__ import annotations

import json
import os
import shutil
import time

import boto3
import pytest
from botocore.config import Config

from .launcher import REPO, MotoThread

INSTANCE = "5150"
MOTO_PORT = 5150
DNS_ADDRESS = "169.254.169.250"
RUN_DIR = os.path.join(REPO, ".run", "emulated-network")
NAMESPACE = "webstack-test.internal"
AUTH_TOKEN = "emulated-token-0123456789abcdef"
# Cloud Map applies a custom health status change ~30 s after the request; the suite shortens that.
HEALTH_DELAY = 2.0


def wait_for(predicate, timeout=30.0, interval=0.2, what="condition"):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(interval)


def _podman():
    if not shutil.which("podman") or not shutil.which("runc"):
        raise RuntimeError("podman and runc are required: install podman runc (bash .ci/run does)")
    import images

    return images


def _remove_leftovers(images):
    label = "label=stackops.ecs_webstack.emulator=%s" % INSTANCE
    names = images.podman("ps", "-a", "--format", "{{.Names}}", "--filter", label, check=False).stdout.split()
    if names:
        images.podman("rm", "-f", "-t", "0", *names, check=False)
    networks = json.loads(images.podman("network", "ls", "--format", "json", "--filter", label, check=False).stdout
                          or "[]")
    for network in networks:
        images.podman("network", "rm", "-f", network.get("name") or network.get("Name"), check=False)


@pytest.fixture(scope="module")
def world():
    images = _podman()
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    _remove_leftovers(images)
    os.makedirs(RUN_DIR, exist_ok=True)
    moto = MotoThread(MOTO_PORT).start()
    import elasticache_nodes
    import vpc_dns

    dns = vpc_dns.start(INSTANCE, address=DNS_ADDRESS, port=53, health_change_delay=HEALTH_DELAY)
    nodes = elasticache_nodes.start(INSTANCE, RUN_DIR)
    state = {"images": images, "dns": dns, "nodes": nodes, "moto": moto, "stopped": False}
    try:
        state.update(_build(moto.endpoint))
        # the health changes made by _build have reached DNS
        time.sleep(max(0.0, state["health_updated"] + HEALTH_DELAY + 0.1 - time.time()))
        yield state
    finally:
        if not state["stopped"]:
            nodes.stop()
            dns.stop()
        moto.stop()
        _remove_leftovers(images)


def client(endpoint, service):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))


def _build(endpoint):
    ec2 = client(endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.%d.0/24" % i, AvailabilityZone="us-east-1" + z)["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]

    def group(name):
        return ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]

    frontend, backend, redis = group("frontend"), group("backend"), group("redis")
    ec2.authorize_security_group_ingress(GroupId=backend, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": frontend}]}])
    ec2.authorize_security_group_ingress(GroupId=redis, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379, "UserIdGroupPairs": [{"GroupId": backend}]}])

    sd = client(endpoint, "servicediscovery")
    operation = sd.create_private_dns_namespace(Name=NAMESPACE, Vpc=vpc)["OperationId"]
    namespace_id = sd.get_operation(OperationId=operation)["Operation"]["Targets"]["NAMESPACE"]

    def service(name, policy="MULTIVALUE"):
        return sd.create_service(Name=name, NamespaceId=namespace_id,
                                 DnsConfig={"RoutingPolicy": policy, "DnsRecords": [{"Type": "A", "TTL": 5}]},
                                 HealthCheckCustomConfig={"FailureThreshold": 1})["Service"]["Id"]

    api = service("api")
    sd.register_instance(ServiceId=api, InstanceId="task-healthy", Attributes={"AWS_INSTANCE_IPV4": "10.40.1.10"})
    sd.register_instance(ServiceId=api, InstanceId="task-sick", Attributes={"AWS_INSTANCE_IPV4": "10.40.1.11"})
    sd.register_instance(ServiceId=api, InstanceId="task-starting",
                         Attributes={"AWS_INSTANCE_IPV4": "10.40.1.12", "AWS_INIT_HEALTH_STATUS": "UNHEALTHY"})
    sd.update_instance_custom_health_status(ServiceId=api, InstanceId="task-sick", Status="UNHEALTHY")
    down = service("down")
    for number in (20, 21):
        sd.register_instance(ServiceId=down, InstanceId="t%d" % number,
                             Attributes={"AWS_INSTANCE_IPV4": "10.40.1.%d" % number})
        sd.update_instance_custom_health_status(ServiceId=down, InstanceId="t%d" % number, Status="UNHEALTHY")
    health_updated = time.time()

    # Another VPC's private namespace: invisible from this VPC's tasks.
    other_vpc = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    operation = sd.create_private_dns_namespace(Name="other.internal", Vpc=other_vpc)["OperationId"]
    other_ns = sd.get_operation(OperationId=operation)["Operation"]["Targets"]["NAMESPACE"]
    other = sd.create_service(Name="api", NamespaceId=other_ns,
                              DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 5}]})
    sd.register_instance(ServiceId=other["Service"]["Id"], InstanceId="o1", Attributes={"AWS_INSTANCE_IPV4": "10.41.1.10"})

    cache = client(endpoint, "elasticache")
    cache.create_cache_subnet_group(CacheSubnetGroupName="redis", CacheSubnetGroupDescription="redis",
                                    SubnetIds=subnets)
    created = cache.create_replication_group(
        ReplicationGroupId="webstack-redis", ReplicationGroupDescription="test", Engine="redis",
        CacheNodeType="cache.t4g.micro", NumCacheClusters=1, Port=6379, CacheSubnetGroupName="redis",
        SecurityGroupIds=[redis], TransitEncryptionEnabled=True, AtRestEncryptionEnabled=True,
        AuthToken=AUTH_TOKEN)["ReplicationGroup"]
    return {
        "endpoint": endpoint, "vpc": vpc, "subnets": subnets, "sg": {"frontend": frontend, "backend": backend,
                                                                     "redis": redis},
        "namespace_id": namespace_id, "health_updated": health_updated, "api_service": api, "created_status": created["Status"],
        "primary": created["NodeGroups"][0]["PrimaryEndpoint"]["Address"],
    }
