"""The emulated VPC resolver and ElastiCache nodes, with real containers (see conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
from dnslib import QTYPE, RCODE, DNSRecord

from .conftest import AUTH_TOKEN, DNS_ADDRESS, HEALTH_DELAY, INSTANCE, NAMESPACE, RUN_DIR, client, wait_for

import elasticache_nodes  # noqa: E402  (tools/emulators on sys.path through .launcher)
import sg_networks  # noqa: E402

# This suite's nodes only (a local deploy on this machine may run its own).
NODE_FILTER = ("--filter", "label=stackops.ecs_webstack.role=elasticache-node",
               "--filter", "label=stackops.ecs_webstack.emulator=%s" % INSTANCE)


def query(name, qtype="A", tcp=False):
    request = DNSRecord.question(name, qtype)
    reply = request.send(DNS_ADDRESS, 53, tcp=tcp, timeout=3)
    return DNSRecord.parse(reply)


def a_records(reply):
    return sorted((str(rr.rdata), rr.ttl) for rr in reply.rr if rr.rtype == QTYPE.A)


def networks_of(world, group):
    """The networks a task in security group ``group`` joins (created if missing, as the ECS emulator does)."""
    groups = sg_networks.groups_from_moto("123456789012", "us-east-1")
    networks = sg_networks.networks_for(INSTANCE, groups, [world["sg"][group]])
    for network in networks:
        sg_networks.ensure_network(world["images"].podman, network, INSTANCE)
    return networks


def run_in(world, group, script, timeout=60):
    """Run ``script`` (sh) in a base-image container on the networks a task of security group ``group``
    joins, with the resolver as its DNS server and the emulator CA in its trust store."""
    images = world["images"]
    bundle = elasticache_nodes.ca_bundle_path(RUN_DIR)
    args = ["run", "--rm", "--dns", DNS_ADDRESS, "--label", "stackops.ecs_webstack.emulator=%s" % INSTANCE,
            "-v", "%s:/etc/ssl/certs/ca-certificates.crt:ro" % bundle, "-e", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"]
    for network in networks_of(world, group):
        args += ["--network", network]
    args += [images.base_ref(), "sh", "-c", script]
    return subprocess.run(["podman", *args], env=images.podman_env(), capture_output=True, text=True, timeout=timeout)


def primary_available(world):
    cache = client(world["endpoint"], "elasticache")
    group = cache.describe_replication_groups(ReplicationGroupId="webstack-redis")["ReplicationGroups"][0]
    return group["Status"] == "available"


# ------------------------------------------------------------------------------------------ Cloud Map

def test_multivalue_answers_healthy_instances_only_with_the_service_ttl(world):
    for tcp in (False, True):
        reply = query("api." + NAMESPACE, tcp=tcp)
        assert reply.header.rcode == RCODE.NOERROR
        # task-sick was set UNHEALTHY, task-starting registered with AWS_INIT_HEALTH_STATUS UNHEALTHY
        assert a_records(reply) == [("10.40.1.10", 5)]


def test_health_status_changes_reach_dns_after_the_cloud_map_delay(world):
    sd = client(world["endpoint"], "servicediscovery")
    name = "API." + NAMESPACE.upper()  # DNS names are case-insensitive

    def update(status):
        sd.update_instance_custom_health_status(ServiceId=world["api_service"], InstanceId="task-starting",
                                                Status=status)

    before = time.time()
    update("HEALTHY")
    assert a_records(query(name)) == [("10.40.1.10", 5)]  # not yet: Cloud Map waits after the request
    time.sleep(HEALTH_DELAY / 3)
    update("HEALTHY")  # asking again does not make it sooner
    assert a_records(query(name)) == [("10.40.1.10", 5)]
    wait_for(lambda: a_records(query(name)) == [("10.40.1.10", 5), ("10.40.1.12", 5)], timeout=HEALTH_DELAY * 4,
             interval=0.1, what="task-starting healthy in DNS")
    assert time.time() - before >= HEALTH_DELAY
    update("UNHEALTHY")
    wait_for(lambda: a_records(query(name)) == [("10.40.1.10", 5)], timeout=HEALTH_DELAY * 3, interval=0.1,
             what="task-starting out of DNS again")


def test_all_unhealthy_fails_open(world):
    assert a_records(query("down." + NAMESPACE)) == [("10.40.1.20", 5), ("10.40.1.21", 5)]


def test_routing_policies_and_srv_records(world):
    sd = client(world["endpoint"], "servicediscovery")

    def service(name, policy, records):
        return sd.create_service(Name=name, NamespaceId=world["namespace_id"],
                                 DnsConfig={"RoutingPolicy": policy, "DnsRecords": records})["Service"]["Id"]

    many = service("many", "MULTIVALUE", [{"Type": "A", "TTL": 7}])
    for number in range(10):
        sd.register_instance(ServiceId=many, InstanceId="m%d" % number,
                             Attributes={"AWS_INSTANCE_IPV4": "10.40.2.%d" % (10 + number)})
    answers = [a_records(query("many." + NAMESPACE)) for _ in range(6)]
    assert all(len(a) == 8 and {ttl for _ip, ttl in a} == {7} for a in answers)  # up to eight records
    assert len({tuple(a) for a in answers}) > 1  # different answers to different queries

    weighted = service("weighted", "WEIGHTED", [{"Type": "A", "TTL": 9}])
    for number in range(3):
        sd.register_instance(ServiceId=weighted, InstanceId="w%d" % number,
                             Attributes={"AWS_INSTANCE_IPV4": "10.40.3.%d" % (10 + number)})
    picks = [a_records(query("weighted." + NAMESPACE)) for _ in range(12)]
    assert all(len(p) == 1 for p in picks)  # one random record
    assert len({p[0] for p in picks}) > 1

    srv = service("_api._tcp", "MULTIVALUE", [{"Type": "SRV", "TTL": 11}, {"Type": "A", "TTL": 11}])
    sd.register_instance(ServiceId=srv, InstanceId="s1", Attributes={"AWS_INSTANCE_IPV4": "10.40.4.10",
                                                                     "AWS_INSTANCE_PORT": "8080"})
    reply = query("_api._tcp." + NAMESPACE, "SRV")
    [record] = [rr for rr in reply.rr if rr.rtype == QTYPE.SRV]
    assert (record.rdata.port, str(record.rdata.target), record.ttl) == (8080, "s1._api._tcp.%s." % NAMESPACE, 11)
    assert a_records(query("s1._api._tcp." + NAMESPACE)) == [("10.40.4.10", 11)]


def test_unknown_names(world):
    missing = query("nothing." + NAMESPACE)
    assert missing.header.rcode == RCODE.NXDOMAIN
    assert [rr.rtype for rr in missing.auth] == [QTYPE.SOA]
    nodata = query("api." + NAMESPACE, "AAAA")
    assert (nodata.header.rcode, nodata.rr) == (RCODE.NOERROR, [])
    outside = query("example.com")
    assert outside.header.rcode == RCODE.REFUSED
    assert query("master.nope.abc123.use1.cache.amazonaws.com").header.rcode == RCODE.NXDOMAIN


def test_a_second_resolver_on_the_same_address_is_refused_clearly(world):
    import vpc_dns

    with pytest.raises(RuntimeError, match="WEBSTACK_VPC_DNS_ADDRESS"):
        vpc_dns.start("5151", address=DNS_ADDRESS, port=53)


# ------------------------------------------------------------------------------------------ ElastiCache

def test_group_is_creating_until_its_node_answers(world):
    assert world["created_status"] == "creating"
    wait_for(lambda: primary_available(world), timeout=30, what="replication group available")
    reply = query(world["primary"])
    [(address, ttl)] = a_records(reply)
    assert ttl == 5
    # the node's address on the redis security group's own network
    inspected = json.loads(world["images"].podman("ps", "-a", "--format", "json", *NODE_FILTER).stdout)
    assert len(inspected) == 1
    details = json.loads(world["images"].podman("inspect", inspected[0]["Names"][0]).stdout)[0]
    assert address == sg_networks.address_for(INSTANCE, details, [world["sg"]["redis"]])
    # the AUTH token is in neither the container's definition nor any file of the run directory
    assert AUTH_TOKEN not in json.dumps(details)
    for folder, _dirs, files in os.walk(RUN_DIR):
        for name in files:
            with open(os.path.join(folder, name), "rb") as handle:
                assert AUTH_TOKEN.encode() not in handle.read(), name
    # a single-node group: the reader endpoint and the node's own endpoint lead to the primary as well
    cache = client(world["endpoint"], "elasticache")
    group = cache.describe_replication_groups(ReplicationGroupId="webstack-redis")["ReplicationGroups"][0]
    node_group = group["NodeGroups"][0]
    for name in (node_group["ReaderEndpoint"]["Address"], node_group["NodeGroupMembers"][0]["ReadEndpoint"]["Address"]):
        assert a_records(query(name)) == [(address, 5)], name
    assert AUTH_TOKEN not in json.dumps(group, default=str)


def test_backend_task_resolves_and_reaches_redis_over_tls_with_auth(world):
    wait_for(lambda: primary_available(world), timeout=30, what="replication group available")
    host = world["primary"]
    cli = "redis-cli --tls -h %s -p 6379 --no-auth-warning" % host
    script = """
python3 -c "import socket; print('api:', sorted({a[4][0] for a in socket.getaddrinfo('api.%(ns)s', 80, socket.AF_INET)}))"
python3 -c "
import socket
try:
    print('other:', socket.getaddrinfo('api.other.internal', 80, socket.AF_INET)[0][4][0])
except socket.gaierror as err:
    print('other: unresolved')
"
echo "auth: $(%(cli)s -a %(token)s PING 2>&1 | head -1)"
echo "wrong: $(%(cli)s -a wrong-token PING 2>&1 | head -1)"
echo "none: $(%(cli)s GET counter 2>&1 | head -1)"
echo "config: $(%(cli)s -a %(token)s CONFIG GET maxmemory 2>&1 | head -1)"
echo "plaintext: $(timeout 5 redis-cli -h %(host)s -p 6379 -a %(token)s --no-auth-warning PING 2>&1 | head -1)"
""" % {"ns": NAMESPACE, "host": host, "token": AUTH_TOKEN, "cli": cli}
    result = run_in(world, "backend", script)
    out = dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "") for line in result.stdout.splitlines()
               if line.strip())
    assert out.get("api") == "['10.40.1.10']", result
    assert out["other"] == "unresolved", result  # another VPC's private namespace
    assert a_records(query("api.other.internal")) == [("10.41.1.10", 5)]  # the host sees every namespace
    assert out["auth"] == "PONG", result
    assert "WRONGPASS" in out["wrong"], result
    assert out["none"].startswith("NOAUTH"), result
    assert "unknown command" in out["config"].lower(), result  # CONFIG is restricted on ElastiCache
    assert out["plaintext"] != "PONG", result  # plaintext on a TLS-only port gets no answer


def test_sample_backend_counts_in_the_emulated_redis(world):
    """The product's backend image, configured as its ECS task is (REDIS_HOST = the primary endpoint, TLS,
    the AUTH token), counts in the node: name resolution, certificate verification and AUTH all real."""
    wait_for(lambda: primary_available(world), timeout=30, what="replication group available")
    images = world["images"]
    name = "webstack-%s-test-backend" % INSTANCE
    args = ["run", "-d", "--name", name, "--replace", "--dns", DNS_ADDRESS,
            "--label", "stackops.ecs_webstack.emulator=%s" % INSTANCE, "--stop-timeout", "1",
            "-v", "%s:/etc/ssl/certs/ca-certificates.crt:ro" % elasticache_nodes.ca_bundle_path(RUN_DIR),
            "-e", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "-e", "REDIS_HOST=" + world["primary"],
            "-e", "REDIS_PORT=6379", "-e", "REDIS_TLS=true", "-e", "REDIS_AUTH_TOKEN=" + AUTH_TOKEN]
    for network in networks_of(world, "backend"):
        args += ["--network", network]
    images.podman(*args, images.local_image("webstack-local/backend", "local-0001"))
    try:
        def post():
            result = images.podman("exec", name, "curl", "-s", "-X", "POST", "http://127.0.0.1:8080/api/counter",
                                   check=False)
            return result.stdout if result.returncode == 0 and result.stdout else None

        first = json.loads(wait_for(post, timeout=20, interval=0.3, what="backend answering"))
        second = json.loads(post())
        assert "error" not in first, first
        counts = [value for key, value in sorted(first.items()) if isinstance(value, int)]
        later = [value for key, value in sorted(second.items()) if isinstance(value, int)]
        assert counts and later == [count + 1 for count in counts], (first, second)
    finally:
        images.podman("rm", "-f", "-t", "0", name, check=False)


def test_frontend_task_cannot_reach_redis(world):
    wait_for(lambda: primary_available(world), timeout=30, what="replication group available")
    script = """
python3 - <<'PY'
import socket

try:
    socket.create_connection(('%s', 6379), timeout=2)
    print('CONNECTED')
except OSError as err:
    print('BLOCKED', type(err).__name__)
PY
""" % world["primary"]
    result = run_in(world, "frontend", script)
    assert result.stdout.startswith("BLOCKED"), result


def test_auth_token_rotation(world):
    wait_for(lambda: primary_available(world), timeout=30, what="replication group available")
    cache = client(world["endpoint"], "elasticache")
    cache.modify_replication_group(ReplicationGroupId="webstack-redis", AuthToken="second-token-0123456789",
                                   AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True)
    cli = "redis-cli --tls -h %s --no-auth-warning" % world["primary"]
    both = 'echo "old: $(%s -a %s PING 2>&1 | head -1)"; echo "new: $(%s -a second-token-0123456789 PING 2>&1 | head -1)"' % (
        cli, AUTH_TOKEN, cli)

    def answers():
        lines = run_in(world, "backend", both).stdout.splitlines()
        return dict(line.split(": ", 1) for line in lines if ": " in line)

    wait_for(lambda: answers() == {"old": "PONG", "new": "PONG"}, timeout=20, interval=1,
             what="both tokens valid after ROTATE")
    cache.modify_replication_group(ReplicationGroupId="webstack-redis", AuthToken="second-token-0123456789",
                                   AuthTokenUpdateStrategy="SET", ApplyImmediately=True)
    wait_for(lambda: (lambda out: "WRONGPASS" in out.get("old", "") and out.get("new") == "PONG")(answers()),
             timeout=20, interval=1, what="old token refused after SET")


def test_security_group_change_moves_the_node(world):
    """ModifyReplicationGroup SecurityGroupIds: the node leaves the old group's network and joins the new
    one's, in place (the data stays), and its endpoint resolves to its address there."""
    wait_for(lambda: primary_available(world), timeout=30, what="replication group available")
    ec2 = client(world["endpoint"], "ec2")
    replacement = ec2.create_security_group(GroupName="redis2", Description="redis2", VpcId=world["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=replacement, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 6379, "ToPort": 6379, "UserIdGroupPairs": [{"GroupId": world["sg"]["backend"]}]}])
    cli = "redis-cli --tls -h %s --no-auth-warning -a second-token-0123456789" % world["primary"]
    assert run_in(world, "backend", cli + " SET kept yes").stdout.strip() == "OK"
    cache = client(world["endpoint"], "elasticache")
    cache.modify_replication_group(ReplicationGroupId="webstack-redis", SecurityGroupIds=[replacement],
                                   ApplyImmediately=True)
    new_network = sg_networks.network_name(INSTANCE, replacement)

    def moved():
        [(address, _ttl)] = a_records(query(world["primary"])) or [(None, None)]
        name = world["images"].podman("ps", "-q", *NODE_FILTER).stdout.split()
        details = json.loads(world["images"].podman("inspect", name[0]).stdout)[0]
        networks = details["NetworkSettings"]["Networks"]
        return (address is not None and set(networks) == {new_network}
                and networks[new_network]["IPAddress"] == address)

    wait_for(moved, timeout=20, what="node on the new security group's network")
    assert run_in(world, "backend", cli + " GET kept").stdout.strip() == "yes"


def test_deleting_the_group_removes_its_node(world):
    images = world["images"]
    cache = client(world["endpoint"], "elasticache")
    cache.delete_replication_group(ReplicationGroupId="webstack-redis")

    def node_count():
        return len(images.podman("ps", "-a", "-q", *NODE_FILTER)
                   .stdout.split())

    wait_for(lambda: node_count() == 0, timeout=20, what="node removed")
    assert query(world["primary"]).header.rcode == RCODE.NXDOMAIN


def test_stop_removes_every_node_and_the_resolver_address(world):
    images = world["images"]
    cache = client(world["endpoint"], "elasticache")
    cache.create_replication_group(ReplicationGroupId="plain", ReplicationGroupDescription="plain",
                                   Engine="redis", CacheNodeType="cache.t4g.micro", NumCacheClusters=1,
                                   CacheSubnetGroupName="redis", SecurityGroupIds=[world["sg"]["redis"]])
    wait_for(lambda: images.podman("ps", "-q", *NODE_FILTER).stdout.split(), timeout=20, what="plain node")
    world["nodes"].stop()
    world["dns"].stop()
    world["stopped"] = True
    assert images.podman("ps", "-a", "-q", *NODE_FILTER).stdout.split() == []
    shown = subprocess.run(["ip", "-o", "addr", "show", "dev", "lo"], capture_output=True, text=True).stdout
    assert DNS_ADDRESS + "/32" not in shown
    # the sockets were released: a new resolver binds the same address and port
    import vpc_dns

    again = vpc_dns.start(INSTANCE, address=DNS_ADDRESS, port=53)
    try:
        assert again.added_address
        assert query("nothing." + NAMESPACE).header.rcode == RCODE.NXDOMAIN
    finally:
        again.stop()
