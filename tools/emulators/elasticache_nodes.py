"""ElastiCache nodes as real redis-server containers (the emulated ElastiCache data plane).

moto keeps replication groups as API records only: nothing answers at the primary endpoint. In
"containers" mode (WEBSTACK_ECS_TASKS=containers) the moto process calls ``start(instance, run_dir)``
and a reconciler thread keeps, for every replication group of moto's in-process ElastiCache backend,
one redis-server container for its primary node:

* on the podman networks of the group's security groups (tools/emulators/sg_networks.py), so only
  containers whose security groups the redis security group admits can reach it, as in a VPC;
* with in-transit encryption when TransitEncryptionEnabled: TLS only on the group's port (``port 0``,
  as ElastiCache with TransitEncryptionMode "required" accepts no plaintext), a server certificate
  signed by an emulator CA (one per run directory, ``ca_bundle_path``) whose SANs are the endpoint
  names moto reports; clients verify it exactly as they verify Amazon's CA on AWS;
* with Redis AUTH when an AuthToken was given: the token moto never stores is captured from
  CreateReplicationGroup (and ModifyReplicationGroup with AuthTokenUpdateStrategy SET/ROTATE/DELETE)
  in this process; the container's config holds only its SHA-256 (ACL ``#<hash>``). ROTATE keeps the
  old and the new token valid, SET keeps only the new one (ElastiCache User Guide, "Authenticating
  with the Redis AUTH command": rotating AUTH tokens);
* with the commands ElastiCache restricts removed (ElastiCache User Guide, "Restricted commands":
  bgrewriteaof, bgsave, config, debug, migrate, replicaof, save, slaveof, shutdown, sync).

Status: a group is ``creating`` on AWS for minutes before it is ``available``. moto says ``available``
at once; while a reconciler runs, a new group starts as ``creating`` and becomes ``available`` only when
its redis-server answers (never sooner than real). A node that does not answer within
CREATE_TIMEOUT_SECONDS makes the group ``create-failed``. A deleted group's container is removed.

The resolver (vpc_dns.py) answers the group's endpoint names with ``endpoint_addresses(instance)``:
the primary's address on the network of the group's own security group, i.e. where a task admitted
by that group reaches it. Replica nodes are not run (moto's NumCacheClusters>1 members stay API
records): their node endpoints do not resolve, and the reader endpoint resolves to the primary only
when the group has no replica (as on AWS, where the reader endpoint follows the primary then).
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import json
import logging
import os
import secrets
import shutil
import socket
import ssl
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tools", "containers"))

import images  # noqa: E402  (tools/containers is not a package)
import sg_networks  # noqa: E402

LOG = logging.getLogger("webstack.elasticache_nodes")

ROLE_LABEL = "stackops.ecs_webstack.role"
ROLE = "elasticache-node"
SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
POLL_SECONDS = 0.5
CREATE_TIMEOUT_SECONDS = 120
# Inside the container: config, certificate, key and CA are mounted here read-only.
CONTAINER_CONF_DIR = "/etc/emulated-elasticache"
# ElastiCache User Guide, "Restricted commands" (Redis OSS).
RESTRICTED_COMMANDS = ("bgrewriteaof", "bgsave", "config", "debug", "migrate", "replicaof", "save", "slaveof",
                       "shutdown", "sync")
SERVED_STATUSES = ("creating", "available", "modifying", "snapshotting")

# instance -> {endpoint name (lower case): IPv4}; replaced whole, read by vpc_dns without a lock.
_ENDPOINTS: dict = {}
# Instances whose reconciler runs: new groups then start "creating" (see _install_hooks).
_ACTIVE: set = set()
_HOOKS_LOCK = threading.Lock()
_HOOKS_INSTALLED = False


# ------------------------------------------------------------------------------------------ public API

def endpoint_addresses(instance: str) -> dict:
    """{endpoint DNS name: IPv4} of the nodes of ``instance`` that answer now (a copy)."""
    return dict(_ENDPOINTS.get(str(instance)) or {})


def ca_bundle_path(run_dir: str) -> str:
    """A PEM file: the system CA bundle plus the emulator CA (created if missing). Task containers mount
    it at /etc/ssl/certs/ca-certificates.crt (and SSL_CERT_FILE), as every image on AWS trusts Amazon's
    CA through its system bundle."""
    tls_dir = _tls_dir(run_dir)
    ca_cert, _ca_key = _ensure_ca(run_dir)
    bundle = os.path.join(tls_dir, "ca-bundle.pem")
    with _locked(tls_dir):
        if not os.path.exists(bundle) or os.path.getmtime(bundle) < os.path.getmtime(ca_cert):
            system = ""
            if os.path.exists(SYSTEM_CA_BUNDLE):
                with open(SYSTEM_CA_BUNDLE, encoding="utf-8") as handle:
                    system = handle.read()
            with open(ca_cert, encoding="utf-8") as handle:
                emulator = handle.read()
            tmp = bundle + ".tmp"
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(system.rstrip("\n") + "\n" + emulator if system else emulator)
            os.chmod(tmp, 0o644)
            os.replace(tmp, bundle)
    return bundle


def ca_cert_path(run_dir: str) -> str:
    """The emulator CA certificate alone (PEM), created if missing."""
    return _ensure_ca(run_dir)[0]


class Handle:
    """The running reconciler of one emulator instance; ``stop()`` removes its redis containers."""

    def __init__(self, instance: str, run_dir: str):
        self.instance = str(instance)
        self.run_dir = run_dir
        self.nodes_dir = os.path.join(run_dir, "elasticache-nodes")
        self._stop = threading.Event()
        # container name -> {"group", "spec", "ip", "ready", "started", "published" (endpoint names)}
        self._nodes: dict = {}
        self._create_failures: dict = {}  # container name -> time of the first failed `podman run`
        self._thread = threading.Thread(target=self._run, name="elasticache-nodes-%s" % instance, daemon=True)

    # -- lifecycle
    def start(self) -> "Handle":
        os.makedirs(self.nodes_dir, exist_ok=True)
        _ensure_ca(self.run_dir)
        # A previous moto of this instance may have left nodes behind; its state is gone, so are they.
        self._remove_all_containers()
        _ACTIVE.add(self.instance)
        _ENDPOINTS[self.instance] = {}
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        _ACTIVE.discard(self.instance)
        _ENDPOINTS.pop(self.instance, None)
        self._remove_all_containers()
        self._nodes.clear()

    # -- reconciler
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile()
            except Exception:  # noqa: BLE001 - one bad pass must not end the data plane
                LOG.exception("elasticache reconcile pass failed")
            self._stop.wait(POLL_SECONDS)

    def reconcile(self) -> None:
        wanted = {}
        for account_id, region, group in _replication_groups():
            if getattr(group, "cluster_mode", "disabled") == "enabled":
                continue  # cluster mode (shards) is not emulated; the project uses cluster mode disabled
            if group.status not in SERVED_STATUSES:
                continue
            wanted[self._container_name(account_id, region, group)] = (account_id, region, group)

        gone = [n for n in self._nodes if n not in wanted]
        if gone:
            # The names go first: a deleted group's endpoint stops resolving before its node is removed.
            _ENDPOINTS[self.instance] = {
                endpoint: ip for endpoint, ip in (_ENDPOINTS.get(self.instance) or {}).items()
                if not any(endpoint in (self._nodes[n]["published"]) for n in gone)}
        for name in gone:
            LOG.info("replication group of %s is gone: removing its node", name)
            self._remove_container(name)
            self._nodes.pop(name, None)

        endpoints = {}
        for name, (account_id, region, group) in wanted.items():
            try:
                self._reconcile_node(name, account_id, region, group, endpoints)
            except Exception:  # noqa: BLE001 - one group's trouble must not stall the others
                LOG.exception("reconciling %s failed", name)
        _ENDPOINTS[self.instance] = endpoints

    def _reconcile_node(self, name: str, account_id: str, region: str, group, endpoints: dict) -> None:
        node = self._nodes.get(name)
        spec = self._spec(account_id, region, group)
        if node is not None and (node["group"] is not group or node["spec"]["recreate_key"] != spec["recreate_key"]):
            self._remove_container(name)
            node = None
        if node is None:
            node = self._create(name, group, spec)
            if node is None:
                first_failure = self._create_failures.setdefault(name, time.time())
                if time.time() - first_failure > CREATE_TIMEOUT_SECONDS and group.status == "creating":
                    _set_status(group, "create-failed")
                return
            self._create_failures.pop(name, None)
            self._nodes[name] = node
        elif node["spec"] != spec:
            self._update(name, node, spec)
        if node["ip"] is None or not node["ready"]:
            self._probe(name, node)
        if node["ready"]:
            if group.status == "creating":
                _set_status(group, "available")
            node["published"] = [endpoint.lower() for endpoint in spec["endpoint_names"]]
            for endpoint in node["published"]:
                endpoints[endpoint] = node["ip"]
        elif time.time() - node["started"] > CREATE_TIMEOUT_SECONDS and group.status == "creating":
            LOG.error("node %s did not answer within %ss: create-failed\n%s", name, CREATE_TIMEOUT_SECONDS,
                      _logs_tail(name))
            _set_status(group, "create-failed")

    # -- one node
    def _container_name(self, account_id: str, region: str, group) -> str:
        scope = hashlib.sha256(("%s/%s" % (account_id, region)).encode()).hexdigest()[:6]
        return "webstack-%s-cache-%s-%s" % (self.instance, group.replication_group_id, scope)

    def _spec(self, account_id: str, region: str, group) -> dict:
        security_groups = list(group.security_group_ids or []) or _default_security_group(account_id, region, group)
        groups = sg_networks.groups_from_moto(account_id, region)
        node_group = (group.node_groups or [{}])[0]
        members = node_group.get("node_group_members") or []
        primary_name = node_group.get("primary_endpoint_address")
        names = [primary_name] if primary_name else []
        primary = next((m for m in members if m.get("current_role") == "primary"), members[0] if members else {})
        if (primary.get("read_endpoint") or {}).get("address"):
            names.append(primary["read_endpoint"]["address"])
        if len(members) <= 1 and node_group.get("reader_endpoint_address"):
            names.append(node_group["reader_endpoint_address"])
        tokens = list(getattr(group, "_emulator_auth_tokens", None) or [])
        if group.auth_token_enabled and not tokens:
            # A token moto holds but this process never saw (the group predates the hooks): nobody may
            # know the password, which is stricter than AWS, never softer.
            tokens = [secrets.token_urlsafe(32)]
            group._emulator_auth_tokens = tokens
            LOG.warning("AUTH token of %s was not captured: its node accepts no client", group.replication_group_id)
        return {
            "networks": sg_networks.networks_for(self.instance, groups, security_groups),
            "own_groups": security_groups,
            "port": int(group.port or 6379),
            "tls": bool(group.transit_encryption_enabled),
            "token_hashes": [hashlib.sha256(t.encode()).hexdigest() for t in tokens],
            "endpoint_names": names,
            # What only a new container can change (the port, TLS and the certificate's names).
            "recreate_key": (int(group.port or 6379), bool(group.transit_encryption_enabled), tuple(names)),
        }

    def _create(self, name: str, group, spec: dict):
        node_dir = os.path.join(self.nodes_dir, name)
        os.makedirs(node_dir, exist_ok=True)
        os.chmod(node_dir, 0o700)
        if spec["tls"]:
            _write_server_cert(self.run_dir, node_dir, spec["endpoint_names"])
        _write_private(os.path.join(node_dir, "redis.conf"), _redis_conf(spec))
        for network in spec["networks"]:
            sg_networks.ensure_network(images.podman, network, self.instance)
        args = ["run", "-d", "--name", name, "--replace",
                "--label", "%s=%s" % (sg_networks.OWNER_LABEL, self.instance),
                "--label", "%s=%s" % (ROLE_LABEL, ROLE),
                "--label", "stackops.ecs_webstack.replication_group=%s" % group.replication_group_id,
                "--stop-timeout", "1", "--volume", "%s:%s:ro" % (node_dir, CONTAINER_CONF_DIR)]
        for network in spec["networks"]:
            args += ["--network", network]
        args += [images.base_ref(), "redis-server", CONTAINER_CONF_DIR + "/redis.conf"]
        result = images.podman(*args, check=False)
        if result.returncode != 0:
            LOG.error("could not start node %s: %s", name, (result.stderr or "").strip()[-2000:])
            return None
        LOG.info("started node %s for replication group %s on %s", name, group.replication_group_id,
                 ", ".join(spec["networks"]))
        return {"group": group, "spec": spec, "ip": None, "ready": False, "started": time.time(),
                "published": []}

    def _update(self, name: str, node: dict, spec: dict) -> None:
        """Apply what changes in place on AWS too: security groups (ModifyReplicationGroup
        SecurityGroupIds) and AUTH tokens (AuthTokenUpdateStrategy)."""
        old = node["spec"]
        for network in spec["networks"]:
            if network not in old["networks"]:
                sg_networks.ensure_network(images.podman, network, self.instance)
                images.podman("network", "connect", network, name, check=False)
        for network in old["networks"]:
            if network not in spec["networks"]:
                images.podman("network", "disconnect", network, name, check=False)
        if spec["own_groups"] != old["own_groups"]:
            node["ip"], node["ready"] = None, False  # the address on the group's own network changed
        if spec["token_hashes"] != old["token_hashes"]:
            if not node["ready"] or not self._apply_tokens(node, old, spec):
                return  # retried next pass
            node_dir = os.path.join(self.nodes_dir, name)
            _write_private(os.path.join(node_dir, "redis.conf"), _redis_conf(spec))
        node["spec"] = spec

    def _apply_tokens(self, node: dict, old: dict, spec: dict) -> bool:
        """ACL SETUSER default with the new token hashes, authenticated with a still-valid old token."""
        tokens = list(getattr(node["group"], "_emulator_auth_tokens", None) or [])
        old_tokens = list(getattr(node["group"], "_emulator_previous_tokens", None) or [])
        rule = ["resetpass"] + (["#" + h for h in spec["token_hashes"]] or ["nopass"])
        for auth in old_tokens + tokens + [None]:
            try:
                reply = _resp_call(node["ip"], old["port"], old["tls"], self.run_dir, old["endpoint_names"][0],
                                   auth, ["ACL", "SETUSER", "default"] + rule)
            except OSError:
                continue
            if reply.startswith("+OK"):
                return True
        LOG.error("could not change the AUTH tokens of %s", node["group"].replication_group_id)
        return False

    def _probe(self, name: str, node: dict) -> None:
        spec = node["spec"]
        if node["ip"] is None:
            inspected = images.podman("inspect", name, check=False)
            if inspected.returncode != 0:
                return
            data = json.loads(inspected.stdout or "[]")
            if not data:
                return
            if data[0].get("State", {}).get("Status") == "exited":
                return
            node["ip"] = sg_networks.address_for(self.instance, data[0], spec["own_groups"])
            if node["ip"] is None:
                return
        try:
            reply = _resp_call(node["ip"], spec["port"], spec["tls"], self.run_dir,
                               (spec["endpoint_names"] or [None])[0], None, ["PING"], timeout=1.0)
        except OSError:
            return
        # Unauthenticated PING: +PONG without AUTH, -NOAUTH with it; both mean the server is serving.
        node["ready"] = reply.startswith(("+PONG", "-NOAUTH"))

    # -- containers
    def _remove_container(self, name: str) -> None:
        images.podman("rm", "-f", "-t", "1", name, check=False)
        shutil.rmtree(os.path.join(self.nodes_dir, name), ignore_errors=True)  # its key and config

    def _remove_all_containers(self) -> None:
        listed = images.podman("ps", "-a", "--format", "{{.Names}}",
                               "--filter", "label=%s=%s" % (sg_networks.OWNER_LABEL, self.instance),
                               "--filter", "label=%s=%s" % (ROLE_LABEL, ROLE), check=False)
        names = [n for n in (listed.stdout or "").split() if n]
        if names:
            images.podman("rm", "-f", "-t", "1", *names, check=False)
        prefix = "webstack-%s-cache-" % self.instance
        if os.path.isdir(self.nodes_dir):
            for entry in os.listdir(self.nodes_dir):
                if entry.startswith(prefix):
                    shutil.rmtree(os.path.join(self.nodes_dir, entry), ignore_errors=True)


def start(instance: str, run_dir: str) -> Handle:
    """Start the reconciler of emulator ``instance`` (its moto port) in this (the moto) process."""
    _install_hooks()
    return Handle(str(instance), run_dir).start()


# ------------------------------------------------------------------------------------------ moto state

def _replication_groups():
    """(account, region, group) for every replication group of the in-process backend. Reads existing
    backends only (dict.items: BackendDict.__getitem__ would create them) and copies each level, so a
    request mutating the backend meanwhile cannot break the pass."""
    from moto.elasticache.models import elasticache_backends

    out = []
    for account_id, regions in list(dict.items(elasticache_backends)):
        for region, backend in list(dict.items(regions)):
            for group in list(backend.replication_groups.values()):
                out.append((account_id, region, group))
    return out


def _default_security_group(account_id: str, region: str, group) -> list:
    """A group made without SecurityGroupIds gets the VPC's default security group (of the cache subnet
    group's VPC), as on AWS."""
    try:
        from moto.ec2.models import ec2_backends
        from moto.elasticache.models import elasticache_backends

        subnet_group = elasticache_backends[account_id][region].cache_subnet_groups.get(group.cache_subnet_group_name)
        ec2 = ec2_backends[account_id][region]
        vpc_id = None
        if subnet_group is not None and subnet_group.subnet_ids:
            vpc_id = ec2.describe_subnets(subnet_ids=[subnet_group.subnet_ids[0]])[0].vpc_id
        for sg in ec2.describe_security_groups(filters={"group-name": ["default"]}):
            if vpc_id is None or sg.vpc_id == vpc_id:
                return [sg.id]
    except Exception:  # noqa: BLE001
        LOG.exception("no default security group for %s", group.replication_group_id)
    return []


def _set_status(group, status: str) -> None:
    group.status = status
    for node_group in group.node_groups or []:
        node_group["status"] = status


def _install_hooks() -> None:
    """Capture the AUTH token (moto keeps only AuthTokenEnabled) and start new groups as "creating"
    while a reconciler runs. Wraps whatever is installed (moto_patches' patches included)."""
    global _HOOKS_INSTALLED
    with _HOOKS_LOCK:
        if _HOOKS_INSTALLED:
            return
        from moto.elasticache import models, responses

        original_init = models.ReplicationGroup.__init__

        def init(self, *args, **kwargs):
            original_init(self, *args, **kwargs)
            token = kwargs.get("auth_token")
            self._emulator_auth_tokens = [token] if token else []
            if _ACTIVE and self.cluster_mode != "enabled":
                _set_status(self, "creating")

        original_modify = responses.ElastiCacheResponse.modify_replication_group

        def modify_replication_group(self):
            token = self._get_param("AuthToken")
            strategy = (self._get_param("AuthTokenUpdateStrategy") or "SET").upper()
            group = self.elasticache_backend.replication_groups.get(self._get_param("ReplicationGroupId"))
            result = original_modify(self)  # raises on invalid input: then nothing changes
            if group is not None and (token is not None or strategy == "DELETE"):
                current = list(getattr(group, "_emulator_auth_tokens", None) or [])
                group._emulator_previous_tokens = current
                if strategy == "ROTATE" and token:
                    group._emulator_auth_tokens = [t for t in current if t != token][-1:] + [token]
                elif strategy == "DELETE":
                    group._emulator_auth_tokens = []
                    group.auth_token_enabled = False
                elif token:
                    group._emulator_auth_tokens = [token]
            return result

        models.ReplicationGroup.__init__ = init
        responses.ElastiCacheResponse.modify_replication_group = modify_replication_group
        _HOOKS_INSTALLED = True


# ------------------------------------------------------------------------------------------ redis

def _redis_conf(spec: dict) -> str:
    lines = ["bind 0.0.0.0", "protected-mode no", 'save ""', "appendonly no", "daemonize no", "loglevel notice"]
    if spec["tls"]:
        lines += ["port 0", "tls-port %d" % spec["port"],
                  "tls-cert-file %s/server.crt" % CONTAINER_CONF_DIR,
                  "tls-key-file %s/server.key" % CONTAINER_CONF_DIR,
                  "tls-ca-cert-file %s/ca.crt" % CONTAINER_CONF_DIR,
                  "tls-auth-clients no"]
    else:
        lines += ["port %d" % spec["port"]]
    passwords = " ".join("#" + h for h in spec["token_hashes"]) or "nopass"
    lines.append("user default on %s ~* &* +@all" % passwords)
    lines += ['rename-command %s ""' % command for command in RESTRICTED_COMMANDS]
    return "\n".join(lines) + "\n"


def _resp_call(ip: str, port: int, tls: bool, run_dir: str, server_name, auth, command: list,
               timeout: float = 3.0) -> str:
    """Send (AUTH and) one command in RESP from the host (which reaches every project network); return
    the first line of the last reply."""
    raw = socket.create_connection((ip, port), timeout=timeout)
    try:
        conn = raw
        if tls:
            context = ssl.create_default_context(cafile=ca_cert_path(run_dir))
            conn = context.wrap_socket(raw, server_hostname=server_name)
        conn.settimeout(timeout)
        commands = ([["AUTH", auth]] if auth else []) + [command]
        payload = b"".join(_resp_encode(c) for c in commands)
        conn.sendall(payload)
        buffer = b""
        while buffer.count(b"\r\n") < len(commands):
            chunk = conn.recv(4096)
            if not chunk:
                break
            buffer += chunk
        lines = buffer.split(b"\r\n")
        return lines[len(commands) - 1].decode("utf-8", "replace") if len(lines) >= len(commands) else ""
    finally:
        raw.close()


def _resp_encode(args: list) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode() if isinstance(arg, str) else arg
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _logs_tail(name: str) -> str:
    result = images.podman("logs", "--tail", "20", name, check=False)
    return (result.stdout or "") + (result.stderr or "")


# ------------------------------------------------------------------------------------------ TLS

def _tls_dir(run_dir: str) -> str:
    path = os.path.join(run_dir, "elasticache-tls")
    os.makedirs(path, exist_ok=True)
    return path


class _locked:
    def __init__(self, directory: str):
        self.path = os.path.join(directory, ".lock")

    def __enter__(self):
        self.handle = open(self.path, "a")
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _ensure_ca(run_dir: str):
    """The emulator CA of this run directory (made once): (certificate path, key path)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    tls_dir = _tls_dir(run_dir)
    cert_path, key_path = os.path.join(tls_dir, "ca.crt"), os.path.join(tls_dir, "ca.key")
    with _locked(tls_dir):
        if os.path.exists(cert_path) and os.path.exists(key_path):
            return cert_path, key_path
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "stackops.ecs_webstack emulator"),
                          x509.NameAttribute(NameOID.COMMON_NAME, "Emulated ElastiCache CA")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                             crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        _write_private(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()).decode())
        tmp = cert_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(cert.public_bytes(serialization.Encoding.PEM).decode())
        os.chmod(tmp, 0o644)
        os.replace(tmp, cert_path)
        return cert_path, key_path


def _write_server_cert(run_dir: str, node_dir: str, names: list) -> None:
    """server.crt/server.key/ca.crt in ``node_dir``: a certificate for the endpoint names (and, as
    Amazon's certificates do, the wildcard of their domain) signed by the emulator CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_cert_file, ca_key_file = _ensure_ca(run_dir)
    with open(ca_cert_file, "rb") as handle:
        ca_cert = x509.load_pem_x509_certificate(handle.read())
    with open(ca_key_file, "rb") as handle:
        ca_key = serialization.load_pem_private_key(handle.read(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    sans = []
    for name in names:
        for candidate in (name, "*." + name.split(".", 1)[1] if "." in name else None):
            if candidate and candidate not in sans:
                sans.append(candidate)
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, (sans or ["redis"])[0][:64])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write_private(os.path.join(node_dir, "server.key"),
                   key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode())
    with open(os.path.join(node_dir, "server.crt"), "w", encoding="utf-8") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM).decode())
    with open(ca_cert_file, encoding="utf-8") as src, open(os.path.join(node_dir, "ca.crt"), "w",
                                                             encoding="utf-8") as dst:
        dst.write(src.read())


def _write_private(path: str, text: str) -> None:
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


__all__ = ["start", "ca_bundle_path", "ca_cert_path", "endpoint_addresses", "Handle", "ROLE_LABEL", "ROLE"]
