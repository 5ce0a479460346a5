"""The VPC resolver (Amazon Route 53 Resolver, 169.254.169.253) of the emulated VPC.

On AWS every VPC with enableDnsSupport answers at 169.254.169.253 (and the VPC base + 2) the records of
the private hosted zones associated with it: those AWS Cloud Map creates for a private DNS namespace
(one per service record type, one value per registered instance) and Amazon's names, such as the
ElastiCache endpoints. moto creates none of these records (its namespace zone is even misnamed), so in
"containers" mode the moto process runs this resolver: ``start(instance, address, port)`` answers DNS
over UDP and TCP from moto's in-process backends, read per query (no HTTP call, so the request log
that tests count stays untouched).

What it answers, as Route 53 does for Cloud Map (Cloud Map Developer Guide, "Service DNS configuration";
API reference DnsConfig/DnsRecord; Route 53 Developer Guide, "Multivalue answer routing"):

* ``<service>.<namespace>`` for each DnsRecords type of the service: A = AWS_INSTANCE_IPV4, AAAA =
  AWS_INSTANCE_IPV6, CNAME = AWS_INSTANCE_CNAME, SRV = ``1 1 AWS_INSTANCE_PORT
  <instance-id>.<service>.<namespace>`` (whose A/AAAA records are answered as well), with the TTL of the
  record in DnsConfig.
* Health: with a health check config (custom or Route 53) only healthy instances are answered. A custom
  health status starts as AWS_INIT_HEALTH_STATUS (HEALTHY when absent) and follows
  UpdateInstanceCustomHealthStatus about 30 s after the first request for a new value, as Cloud Map does
  (``health_change_delay``). When no instance is healthy Route 53 answers as if all were
  ("When all records are unhealthy, Route 53 responds to DNS queries with up to eight unhealthy
  records"; weighted: "If no instances are healthy, Route 53 responds to DNS queries as if all the
  instances were healthy"): fail open.
* MULTIVALUE: up to eight records, a different random choice when more are eligible; WEIGHTED: one
  record chosen at random (all weights are equal).
* A name inside a namespace with no record: NXDOMAIN (NOERROR/NODATA if the name has records of another
  type), with the namespace's SOA in the authority section (negative TTL = SOA TTL, DnsProperties.SOA.TTL,
  15 s when unset).
* ElastiCache endpoint names (primary, reader, node) of nodes that answer now
  (elasticache_nodes.endpoint_addresses): their IPv4 with TTL ELASTICACHE_TTL, other names under
  ``cache.amazonaws.com``: NXDOMAIN.
* Any other name: REFUSED at once (there is no internet to recurse to here).
* A private namespace is visible only to its own VPC: a query from a container on the podman network of a
  security group of another VPC does not see it (from the host, every namespace answers).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import random
import socketserver
import struct
import subprocess
import sys
import threading
import time

from dnslib import AAAA, CNAME, QTYPE, RCODE, RR, SOA, SRV, A, DNSRecord

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tools", "containers"))

import sg_networks  # noqa: E402

LOG = logging.getLogger("webstack.vpc_dns")

DEFAULT_ADDRESS = "169.254.169.253"
ADDRESS_ENV = "WEBSTACK_VPC_DNS_ADDRESS"
# ElastiCache endpoint records: short, so a replaced node's new address is picked up soon (a failover
# on AWS repoints the primary endpoint's CNAME; clients must re-resolve).
ELASTICACHE_TTL = 5
ELASTICACHE_DOMAIN = "cache.amazonaws.com"
DEFAULT_SOA_TTL = 15
MULTIVALUE_LIMIT = 8
HEALTHY = "HEALTHY"
CNI_CONFIG_DIR = "/etc/cni/net.d"

HEALTH_DELAY_ENV = "WEBSTACK_CLOUDMAP_HEALTH_DELAY"
AWS_HEALTH_CHANGE_DELAY = 30.0
_HEALTH_ATTR = "_emulator_custom_health"
_HEALTH_LOCK = threading.Lock()
# Seconds between an UpdateInstanceCustomHealthStatus request and the DNS change (set by start()).
_HEALTH_CHANGE_DELAY = [AWS_HEALTH_CHANGE_DELAY]
_HOOK_LOCK = threading.Lock()
_HOOK_INSTALLED = False


# ------------------------------------------------------------------------------------------ records

def _existing(backend_dict):
    """(account, region, backend) for the backends that exist (never creates one)."""
    for account_id, regions in list(dict.items(backend_dict)):
        for region, backend in list(dict.items(regions)):
            yield account_id, region, backend


def _effective_custom_status(instance, now: float | None = None) -> str:
    """The custom health status DNS follows: the registration's AWS_INIT_HEALTH_STATUS, then each
    UpdateInstanceCustomHealthStatus value once HEALTH_CHANGE_DELAY seconds have passed since the first
    request asking for it (HealthCheckCustomConfig: "Cloud Map waits for approximately 30 seconds after
    receiving an UpdateInstanceCustomHealthStatus request before changing the status ... a second or
    subsequent request with the same value before 30 seconds has passed doesn't accelerate the change")."""
    now = time.time() if now is None else now
    with _HEALTH_LOCK:
        state = getattr(instance, _HEALTH_ATTR, None)
        if state is None:
            initial = (instance.attributes.get("AWS_INIT_HEALTH_STATUS") or HEALTHY).upper()
            state = {"effective": initial, "pending": None, "seen": instance.health_status}
            setattr(instance, _HEALTH_ATTR, state)
        if instance.health_status != state["seen"]:
            # Changed in-process without the backend method (e.g. by another emulator): a request now.
            state["seen"] = instance.health_status
            _request_locked(state, instance.health_status, now)
        pending = state["pending"]
        if pending is not None and now >= pending[1] + _HEALTH_CHANGE_DELAY[0]:
            state["effective"], state["pending"] = pending[0], None
        return state["effective"]


def _request_locked(state: dict, status: str, now: float) -> None:
    if status == state["effective"]:
        state["pending"] = None  # back to the current status before the change took effect
    elif state["pending"] is None or state["pending"][0] != status:
        state["pending"] = (status, now)


def _record_custom_status(instance, status: str) -> None:
    """One UpdateInstanceCustomHealthStatus request (moto has already stored ``status``)."""
    _effective_custom_status(instance)
    with _HEALTH_LOCK:
        state = getattr(instance, _HEALTH_ATTR)
        state["seen"] = instance.health_status
        _request_locked(state, status, time.time())


def _instance_healthy(service, instance) -> bool:
    if not service.health_check_config and not service.health_check_custom_config:
        return True  # no health check: Route 53 considers every record healthy
    if service.health_check_custom_config:
        return _effective_custom_status(instance) == HEALTHY
    return instance.health_status == HEALTHY


def _pick(service, instances: list) -> list:
    """The instances one answer carries: healthy ones (all when none is: fail open), up to eight for
    MULTIVALUE, one at random for WEIGHTED."""
    healthy = [i for i in instances if _instance_healthy(service, i)]
    eligible = healthy or instances
    policy = ((service.dns_config or {}).get("RoutingPolicy") or "MULTIVALUE").upper()
    if policy == "WEIGHTED":
        return [random.choice(eligible)] if eligible else []
    if len(eligible) > MULTIVALUE_LIMIT:
        return random.sample(eligible, MULTIVALUE_LIMIT)
    return list(eligible)


class Zone:
    """A snapshot of one namespace's records, built for one query."""

    def __init__(self, name: str, soa_ttl: int):
        self.name = name
        self.soa_ttl = soa_ttl
        self.records: dict = {}  # (owner, qtype) -> [RR]
        self.owners: set = set()

    def add(self, owner: str, rtype: int, rdata, ttl: int):
        self.records.setdefault((owner, rtype), []).append(RR(owner, rtype, rdata=rdata, ttl=int(ttl)))
        self.owners.add(owner)

    def soa(self) -> RR:
        return RR(self.name, QTYPE.SOA, ttl=self.soa_ttl,
                  rdata=SOA("ns-1.awsdns-00.emulated.", "awsdns-hostmaster.amazon.com.",
                            (1, 7200, 900, 1209600, self.soa_ttl)))


def _namespace_zone(backend, namespace, qname: str, qtype: int):
    """Records of ``namespace`` relevant to ``qname`` (every owner name is collected, so NXDOMAIN and
    NODATA can be told apart)."""
    ns_name = namespace.name.lower().rstrip(".")
    soa_ttl = (((namespace.dns_properties or {}).get("SOA") or {}).get("TTL")) or DEFAULT_SOA_TTL
    zone = Zone(ns_name + ".", int(soa_ttl))
    for service in list(backend.services.values()):
        if service.namespace_id != namespace.id or not service.dns_config:
            continue
        owner = "%s.%s." % (service.name.lower(), ns_name)
        instances = list(service.instances)
        if not instances:
            continue
        records = service.dns_config.get("DnsRecords") or []
        types = {(r.get("Type") or "").upper(): int(r.get("TTL") or 60) for r in records}
        # The owner's answer is the routing policy's pick; the SRV targets' names exist for every instance.
        chosen = _pick(service, instances) if qname == owner else instances
        for rtype, ttl in types.items():
            for instance in chosen:
                attrs = instance.attributes or {}
                host = "%s.%s" % (instance.instance_id.lower(), owner)
                if rtype == "A" and attrs.get("AWS_INSTANCE_IPV4"):
                    zone.add(owner, QTYPE.A, A(attrs["AWS_INSTANCE_IPV4"]), ttl)
                elif rtype == "AAAA" and attrs.get("AWS_INSTANCE_IPV6"):
                    zone.add(owner, QTYPE.AAAA, AAAA(attrs["AWS_INSTANCE_IPV6"]), ttl)
                elif rtype == "CNAME" and attrs.get("AWS_INSTANCE_CNAME"):
                    zone.add(owner, QTYPE.CNAME, CNAME(attrs["AWS_INSTANCE_CNAME"].rstrip(".") + "."), ttl)
                elif rtype == "SRV" and attrs.get("AWS_INSTANCE_PORT"):
                    zone.add(owner, QTYPE.SRV, SRV(1, 1, int(attrs["AWS_INSTANCE_PORT"]), host), ttl)
                    # "Cloud Map automatically creates A and/or AAAA records that have the same name as
                    # the value of service-hostname in the SRV record" (DnsRecord, SRV).
                    a_ttl = types.get("A", ttl)
                    if attrs.get("AWS_INSTANCE_IPV4"):
                        zone.add(host, QTYPE.A, A(attrs["AWS_INSTANCE_IPV4"]), a_ttl)
                    if attrs.get("AWS_INSTANCE_IPV6"):
                        zone.add(host, QTYPE.AAAA, AAAA(attrs["AWS_INSTANCE_IPV6"]), types.get("AAAA", ttl))
    return zone


def resolve(instance: str, qname: str, qtype: int, vpc_id: str | None = None):
    """(rcode, answers, authority) for one question, from moto's in-process state. ``vpc_id``: the
    asking container's VPC; a private namespace answers only in the VPC it was created for (Route 53
    private hosted zone association). None (the host, an unknown source): every namespace."""
    from moto.servicediscovery.models import servicediscovery_backends

    qname = qname.lower()
    if not qname.endswith("."):
        qname += "."
    bare = qname.rstrip(".")

    import elasticache_nodes

    endpoints = elasticache_nodes.endpoint_addresses(instance)
    if bare in endpoints:
        if qtype in (QTYPE.A, QTYPE.ANY):
            return RCODE.NOERROR, [RR(qname, QTYPE.A, rdata=A(endpoints[bare]), ttl=ELASTICACHE_TTL)], []
        return RCODE.NOERROR, [], []
    if bare == ELASTICACHE_DOMAIN or bare.endswith("." + ELASTICACHE_DOMAIN):
        return RCODE.NXDOMAIN, [], []

    # The most specific namespace containing the name answers for it.
    best = None
    for _account, _region, backend in _existing(servicediscovery_backends):
        for namespace in list(backend.namespaces.values()):
            if namespace.type not in ("DNS_PRIVATE", "DNS_PUBLIC"):
                continue
            if namespace.type == "DNS_PRIVATE" and vpc_id is not None and namespace.vpc != vpc_id:
                continue
            ns_name = namespace.name.lower().rstrip(".")
            if bare == ns_name or bare.endswith("." + ns_name):
                if best is None or len(ns_name) > len(best[1].name.rstrip(".")):
                    best = (backend, namespace)
    if best is None:
        return RCODE.REFUSED, [], []
    zone = _namespace_zone(best[0], best[1], qname, qtype)
    if qname == zone.name:
        if qtype == QTYPE.SOA:
            return RCODE.NOERROR, [zone.soa()], []
        return RCODE.NOERROR, [], [zone.soa()]
    if qname not in zone.owners:
        return RCODE.NXDOMAIN, [], [zone.soa()]
    answers = []
    if qtype == QTYPE.ANY:
        for (owner, _rtype), rrs in zone.records.items():
            if owner == qname:
                answers += rrs
    else:
        answers = list(zone.records.get((qname, qtype), []))
        if not answers and qtype != QTYPE.CNAME:
            answers = list(zone.records.get((qname, QTYPE.CNAME), []))
    return RCODE.NOERROR, answers, ([] if answers else [zone.soa()])


def answer(instance: str, data: bytes, source: str | None = None) -> bytes | None:
    """The reply to one DNS message from ``source`` (None when it cannot even be parsed)."""
    try:
        request = DNSRecord.parse(data)
    except Exception:  # noqa: BLE001 - garbage in, nothing out
        return None
    reply = request.reply()
    reply.header.aa = 0
    reply.header.ra = 1
    if not request.questions:
        reply.header.rcode = RCODE.FORMERR
        return reply.pack()
    question = request.q
    rcode, answers, authority = RCODE.SERVFAIL, [], []
    for _attempt in range(3):
        try:
            vpc_id = _SOURCES.vpc_of(instance, source) if source else None
            rcode, answers, authority = resolve(instance, str(question.qname), question.qtype, vpc_id)
            break
        except RuntimeError:  # a backend dict changed size while being read: read again
            continue
        except Exception:  # noqa: BLE001
            LOG.exception("resolving %s failed", question.qname)
            break
    reply.header.rcode = rcode
    if rcode in (RCODE.NOERROR, RCODE.NXDOMAIN):
        reply.header.aa = 1  # Route 53 answers authoritatively for its private zones
    for rr in answers:
        reply.add_answer(rr)
    for rr in authority:
        reply.add_auth(rr)
    return reply.pack()


# ------------------------------------------------------------------------------------------ asking VPC

class _SourceVpcs:
    """Which VPC a query comes from: its source address lies in the subnet of a security group's podman
    network (sg_networks.network_name), and a security group belongs to one VPC. Network subnets are
    read from `podman network ls` when an unknown source asks (at most every REFRESH_SECONDS)."""

    REFRESH_SECONDS = 0.5

    def __init__(self):
        self._lock = threading.Lock()
        self._subnets: list = []  # [(ip_network, network name)]
        self._refreshed = 0.0

    def _refresh(self) -> None:
        """The subnets of the project's networks: from the CNI config files podman writes (a file read,
        fast even when podman is slow under load), else from `podman network ls`."""
        import glob
        import json

        subnets = []
        for path in glob.glob(os.path.join(CNI_CONFIG_DIR, sg_networks.NETWORK_PREFIX + "*.conflist")):
            try:
                with open(path, encoding="utf-8") as handle:
                    config = json.load(handle)
                for plugin in config.get("plugins") or []:
                    for ranges in (plugin.get("ipam") or {}).get("ranges") or []:
                        for subnet in ranges:
                            subnets.append((ipaddress.ip_network(subnet["subnet"]), config["name"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        if not subnets:
            import images

            listed = images.podman("network", "ls", "--format", "json", check=False)
            for network in json.loads(listed.stdout or "[]") if listed.returncode == 0 else []:
                for subnet in network.get("subnets") or []:
                    try:
                        subnets.append((ipaddress.ip_network(subnet["subnet"]), network["name"]))
                    except (KeyError, ValueError):
                        continue
        self._subnets = subnets

    def network_of(self, source: str) -> str | None:
        address = ipaddress.ip_address(source)
        if address.is_loopback or address.is_link_local:
            return None  # the host itself
        for attempt in (0, 1):
            for subnet, name in list(self._subnets):
                if address in subnet:
                    return name
            with self._lock:
                if attempt or time.time() - self._refreshed < self.REFRESH_SECONDS:
                    return None
                self._refreshed = time.time()
                self._refresh()
        return None

    def vpc_of(self, instance: str, source: str) -> str | None:
        try:
            name = self.network_of(source)
        except ValueError:
            return None
        prefix = "%s%s-" % (sg_networks.NETWORK_PREFIX, instance)
        if not name or not name.startswith(prefix):
            return None
        group_id = name[len(prefix):]
        from moto.ec2.models import ec2_backends

        for _account, _region, backend in _existing(ec2_backends):
            for vpc_id, groups in list(backend.groups.items()):  # moto: {vpc id: {group id: group}}
                if group_id in groups:
                    return vpc_id
        return None


_SOURCES = _SourceVpcs()


# ------------------------------------------------------------------------------------------ health hook

def _install_health_hook() -> None:
    """Record every UpdateInstanceCustomHealthStatus request with its time (moto applies it at once and
    starts every instance HEALTHY, whatever its AWS_INIT_HEALTH_STATUS)."""
    global _HOOK_INSTALLED
    with _HOOK_LOCK:
        if _HOOK_INSTALLED:
            return
        from moto.servicediscovery import models

        original = models.ServiceDiscoveryBackend.update_instance_custom_health_status

        def update_instance_custom_health_status(self, service_id, instance_id, status):
            result = original(self, service_id, instance_id, status)  # validates first
            _record_custom_status(self.get_instance(service_id, instance_id), status)
            return result

        models.ServiceDiscoveryBackend.update_instance_custom_health_status = update_instance_custom_health_status
        _HOOK_INSTALLED = True


# ------------------------------------------------------------------------------------------ servers

class _UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        reply = answer(self.server.instance, data, self.client_address[0])
        if reply is not None:
            if len(reply) > 512 and not _has_edns(data):
                reply = _truncated(data)
            sock.sendto(reply, self.client_address)


class _TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(5)
        try:
            while True:
                header = _recv_exact(self.request, 2)
                if not header:
                    return
                data = _recv_exact(self.request, struct.unpack("!H", header)[0])
                if not data:
                    return
                reply = answer(self.server.instance, data, self.client_address[0])
                if reply is None:
                    return
                self.request.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return


def _recv_exact(sock, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


def _has_edns(data: bytes) -> bool:
    try:
        return any(rr.rtype == QTYPE.OPT for rr in DNSRecord.parse(data).ar)
    except Exception:  # noqa: BLE001
        return False


def _truncated(data: bytes) -> bytes:
    reply = DNSRecord.parse(data).reply()
    reply.header.tc = 1
    return reply.pack()


class _ThreadedUDP(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True
    allow_reuse_address = False


class _ThreadedTCP(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _lo_has(address: str) -> bool:
    shown = subprocess.run(["ip", "-o", "-4", "addr", "show", "dev", "lo"], capture_output=True, text=True,
                           check=False)
    return any(part.split("/")[0] == address for part in shown.stdout.split())


class Handle:
    def __init__(self, instance: str, address: str, port: int, added_address: bool, servers: list):
        self.instance = instance
        self.address = address
        self.port = port
        self.added_address = added_address
        self._servers = servers

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []
        if self.added_address:
            subprocess.run(["ip", "addr", "del", "%s/32" % self.address, "dev", "lo"], capture_output=True,
                           check=False)
            self.added_address = False


def start(instance: str, address: str | None = None, port: int = 53, health_change_delay: float | None = None) -> Handle:
    """Serve the VPC resolver of emulator ``instance`` on ``address`` (default: env
    WEBSTACK_VPC_DNS_ADDRESS or 169.254.169.253), UDP and TCP ``port``, from threads of this process.
    ``health_change_delay`` (default: env WEBSTACK_CLOUDMAP_HEALTH_DELAY, else AWS's 30 s) is how long a
    custom health status change takes to reach DNS; shorten it only for tests of other behaviour."""
    address = address or os.environ.get(ADDRESS_ENV) or DEFAULT_ADDRESS
    if health_change_delay is None:
        health_change_delay = float(os.environ.get(HEALTH_DELAY_ENV) or AWS_HEALTH_CHANGE_DELAY)
    _HEALTH_CHANGE_DELAY[0] = float(health_change_delay)
    _install_health_hook()
    added = False
    if not _lo_has(address):
        result = subprocess.run(["ip", "addr", "add", "%s/32" % address, "dev", "lo"], capture_output=True,
                                text=True, check=False)
        if result.returncode != 0 and "File exists" not in result.stderr:
            raise RuntimeError("cannot add the VPC resolver address %s to lo: %s" % (address, result.stderr.strip()))
        added = result.returncode == 0
    servers = []
    try:
        for cls, handler in ((_ThreadedUDP, _UDPHandler), (_ThreadedTCP, _TCPHandler)):
            server = cls((address, port), handler)
            server.instance = str(instance)
            servers.append(server)
    except OSError as err:
        for server in servers:
            server.server_close()
        if added:
            subprocess.run(["ip", "addr", "del", "%s/32" % address, "dev", "lo"], capture_output=True, check=False)
        raise RuntimeError(
            "the VPC resolver cannot listen on %s port %d (%s): another emulator instance probably serves it; "
            "choose another address with %s (e.g. 169.254.169.252)" % (address, port, err, ADDRESS_ENV)) from err
    for server in servers:
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                         name="vpc-dns-%s-%s" % (instance, type(server).__name__)).start()
    LOG.info("VPC resolver of instance %s on %s:%d (udp, tcp)", instance, address, port)
    return Handle(str(instance), address, port, added, servers)


__all__ = ["start", "resolve", "answer", "DEFAULT_ADDRESS", "ADDRESS_ENV", "Handle"]
