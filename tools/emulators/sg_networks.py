"""Security groups as podman networks: who may reach whom in the emulated VPC.

A real VPC lets a packet in when a security group of the receiver admits one of the sender's groups (or its
address). Locally every security group G is a podman network; a container (an ECS task, an ElastiCache
node) joins

* the network of each of its own groups, and
* the network of every group whose ingress admits one of its groups by group ID (UserIdGroupPairs),

so a backend task (SG backend) joins "backend" and "redis" (redis admits backend), a frontend task joins
"frontend" and "backend" (backend admits frontend), and nothing but backend tasks is on "redis". A
container is reached at its address on the network of the receiver's group: ``address_for``.

Ingress by CIDR (the frontend's 0.0.0.0/0) is the host's published port on 127.0.0.1, not a network.
Networks are made with isolate=true, so podman's firewall drops traffic between two project networks
(without it the host routes between bridges and every container reaches every other).

Shared by the emulated ECS (ecs_tasks.py) and the emulated ElastiCache nodes (elasticache_nodes.py); the
logic works on DescribeSecurityGroups-shaped dicts, ``groups_from_moto`` adapts moto's in-process backend.
"""

from __future__ import annotations

import json
import subprocess

NETWORK_PREFIX = "webstack-"
# A label on every network and container the emulators start, so `ctl stop` removes exactly its own.
OWNER_LABEL = "stackops.ecs_webstack.emulator"


def network_name(instance: str, group_id: str) -> str:
    """The podman network of security group ``group_id`` for the emulator instance ``instance`` (its moto
    port: two emulators on one machine never share a network)."""
    return "%s%s-%s" % (NETWORK_PREFIX, instance, group_id)


def admitted_by(groups: list, member_of: list) -> list:
    """IDs of the groups (of ``groups``, DescribeSecurityGroups shape) whose ingress admits any group in
    ``member_of`` by group ID, sorted."""
    member_of = set(member_of)
    found = set()
    for group in groups:
        for permission in group.get("IpPermissions") or []:
            if any(pair.get("GroupId") in member_of for pair in permission.get("UserIdGroupPairs") or []):
                found.add(group["GroupId"])
    return sorted(found)


def networks_for(instance: str, groups: list, member_of: list) -> list:
    """The networks a container in security groups ``member_of`` joins: its own first (its primary
    address, the one registered in Cloud Map, is on the first), then those of the groups admitting it."""
    own = [g for g in member_of]
    others = [g for g in admitted_by(groups, member_of) if g not in own]
    return [network_name(instance, g) for g in own + others]


def address_for(instance: str, inspected: dict, group_ids: list) -> str | None:
    """The address of a container (``podman inspect`` output) on the network of one of ``group_ids``, the
    receiver's groups: where a sender admitted by those groups reaches it."""
    networks = (inspected.get("NetworkSettings") or {}).get("Networks") or {}
    for group_id in group_ids:
        found = networks.get(network_name(instance, group_id))
        if found and found.get("IPAddress"):
            return found["IPAddress"]
    return None


def groups_from_moto(account_id: str, region: str, group_ids=None) -> list:
    """The security groups of moto's in-process EC2 backend in DescribeSecurityGroups shape (GroupId and
    IpPermissions[].UserIdGroupPairs[].GroupId only: what the network model reads)."""
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[account_id][region]
    out = []
    for group in backend.describe_security_groups(group_ids=list(group_ids) if group_ids else None):
        pairs = [{"GroupId": rule.source_group["GroupId"]} for rule in group.ingress_rules
                 if (rule.source_group or {}).get("GroupId")]
        out.append({"GroupId": group.id, "IpPermissions": [{"UserIdGroupPairs": pairs}] if pairs else []})
    return out


def ensure_network(podman, name: str, instance: str) -> None:
    """Create the podman network ``name`` unless it exists. ``podman`` is a callable running
    `podman ARGS` (tools/containers/images.podman)."""
    found = podman("network", "ls", "--format", "json", "--filter", "name=^%s$" % name, check=False)
    if found.returncode == 0 and json.loads(found.stdout or "[]"):
        return
    created = podman("network", "create", "--opt", "isolate=true", "--label", "%s=%s" % (OWNER_LABEL, instance), name,
                     check=False)
    if created.returncode != 0 and "already exists" not in (created.stderr or ""):
        raise subprocess.CalledProcessError(created.returncode, "podman network create " + name, created.stdout,
                                            created.stderr)
