# -*- coding: utf-8 -*-
# Copyright: ecs_webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network the network role makes (VPC, subnets, internet and NAT gateways, route tables, security
groups): the one comparison with what amazon.aws's info modules read.

The filter of the same name (plugins/filter/network_drift.py) hands these comparators to the roles:

    {{ network_read | stackops.ecs_webstack.network_drift(network_desired) }}
      -> {'vpc': [differences], 'security_groups': [differences], 'facts': {...}}

Why: the network role's create modules (ec2_vpc_net, ec2_vpc_subnet, ec2_vpc_route_table,
ec2_security_group...) each read their resource again, tag by tag, on every run: 76 EC2 reads
for a network that has not changed. Seven info reads give the whole network at once; this
filter says whether the create modules would change anything. The role runs them only for the
part (VPC or security groups) that differs, so they stay the single place where the network
is changed, and a no-op run costs a handful of reads.

The comparison follows what those modules, called as the role calls them, would do:
tags are compared exactly (the modules purge tags they were not given; ``aws:`` tags are
AWS's own and never purged), except the NAT gateway's Elastic IP, which ec2_tag tags without
purging; route tables are found by their tags and must hold exactly the wanted non-local routes
and subnet associations; security groups are found by name and must hold exactly the wanted
ingress rules, with their descriptions, and no egress rule where the role removes egress.
Anything it cannot prove equal is a difference: a false difference costs one full run of the
modules, a false match would leave the account wrong.

``facts`` holds what the role returns when nothing differs: vpc_id, vpc_cidr,
public_subnet_ids and private_subnet_ids (in the order of the subnet plan), nat_public_ip and
security_group_ids (purpose -> group ID).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import ComparisonError
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import tag_differences
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import tags_carry


def _tag_difference(what, current, wanted):
    """The ec2 modules purge tags they were not given: compared as compare_aws_tags, with purge."""
    return ["%s %s" % (what, line) for line in tag_differences(current, wanted, purge=True)]


def _ports(value):
    """A rule's ports as (from, to) pairs: 80, '80', '8000-8010'."""
    out = []
    for port in value if isinstance(value, (list, tuple)) else [value]:
        text = to_text(port).strip()
        low, _sep, high = text.partition("-")
        try:
            out.append((int(low), int(high or low)))
        except ValueError:
            raise ComparisonError("network_drift: rule port %r is not a port or a range" % (port,))
    return out


def _listed(value):
    """A rule's target option as a list: the modules take one string or a list."""
    if value in (None, ""):
        return []
    return [value] if isinstance(value, str) else list(value)


def _wanted_rules(rules, group_ids):
    """The desired rules as a set of (proto, from, to, kind, target, description).

    A rule naming a group that does not exist yet resolves to None and so never matches."""
    out = set()
    for rule in rules or []:
        proto = to_text(rule.get("proto", "tcp"))
        desc = to_text(rule.get("rule_desc") or "")
        targets = [("cidr", to_text(cidr)) for cidr in _listed(rule.get("cidr_ip"))]
        targets.extend(("group", group_ids.get(to_text(name))) for name in _listed(rule.get("group_name")))
        targets.extend(("group", to_text(group_id)) for group_id in _listed(rule.get("group_id")))
        if not targets:
            raise ComparisonError("network_drift: rule %r names no cidr_ip, group_name or group_id" % (rule,))
        for low, high in _ports(rule.get("ports", [])):
            for kind, target in targets:
                out.add((proto, low, high, kind, target, desc))
    return out


def _current_rules(permissions):
    out = set()
    for perm in permissions or []:
        proto = to_text(perm.get("ip_protocol"))
        low, high = perm.get("from_port"), perm.get("to_port")
        for entry in perm.get("ip_ranges") or []:
            out.add((proto, low, high, "cidr", entry.get("cidr_ip"), to_text(entry.get("description") or "")))
        for entry in perm.get("ipv6_ranges") or []:
            out.add((proto, low, high, "cidr6", entry.get("cidr_ipv6"), to_text(entry.get("description") or "")))
        for entry in perm.get("prefix_list_ids") or []:
            out.add((proto, low, high, "prefix", entry.get("prefix_list_id"), to_text(entry.get("description") or "")))
        for entry in perm.get("user_id_group_pairs") or []:
            out.add((proto, low, high, "group", entry.get("group_id"), to_text(entry.get("description") or "")))
    return out


def _rule_text(rule):
    proto, low, high, _kind, target, desc = rule
    ports = low if low == high else "%s-%s" % (low, high)
    return "%s %s from %s (%s)" % (proto, ports, target or "a missing group", desc or "no description")


def _security_group_drift(current_groups, wanted_groups, stale_names, stack_tags):
    changes = []
    by_name = {}
    for group in current_groups or []:
        by_name.setdefault(to_text(group.get("group_name")), []).append(group)
    group_ids = dict((name, groups[0].get("group_id")) for name, groups in by_name.items() if len(groups) == 1)
    found = {}
    for wanted in wanted_groups or []:
        name = to_text(wanted["name"])
        what = "security group %s" % name
        groups = by_name.get(name, [])
        if len(groups) != 1:
            changes.append("%s is missing" % what if not groups else "%s exists %d times" % (what, len(groups)))
            continue
        group = groups[0]
        found[to_text(wanted.get("key", name))] = group.get("group_id")
        # No description is compared: EC2 cannot change a group's description (ec2_security_group only
        # warns), so a difference would make every run "drift" without ever converging.
        changes.extend(_tag_difference(what, group.get("tags"), wanted.get("tags")))
        want_in = _wanted_rules(wanted.get("rules"), group_ids)
        have_in = _current_rules(group.get("ip_permissions"))
        changes.extend("%s lacks ingress %s" % (what, _rule_text(r)) for r in sorted(want_in - have_in, key=repr))
        changes.extend("%s has ingress %s to remove" % (what, _rule_text(r)) for r in sorted(have_in - want_in, key=repr))
        if wanted.get("rules_egress") is not None:
            want_out = _wanted_rules(wanted.get("rules_egress"), group_ids)
            have_out = _current_rules(group.get("ip_permissions_egress"))
            if want_out != have_out:
                changes.append("%s has other egress rules" % what)
    for name in stale_names or []:
        if any(tags_carry(group.get("tags"), stack_tags) for group in by_name.get(to_text(name), [])):
            changes.append("security group %s is no longer wanted" % name)
    return changes, found


def _route_set(routes):
    """Non-local routes as (destination, target) pairs; the VPC's own local route is AWS's."""
    out = set()
    for route in routes or []:
        if route.get("origin") not in (None, "CreateRoute"):
            continue
        dest = route.get("destination_cidr_block") or route.get("destination_ipv6_cidr_block") or route.get("destination_prefix_list_id")
        target = route.get("nat_gateway_id") or route.get("gateway_id") or route.get("network_interface_id") or route.get("instance_id")
        out.add((to_text(dest), to_text(target)))
    return out


def _vpc_drift(current, desired):
    changes = []
    facts = {}
    wanted_vpc = desired["vpc"]
    vpcs = current.get("vpcs") or []
    if len(vpcs) != 1:
        return ["VPC %s is missing" % wanted_vpc.get("name") if not vpcs else "%d VPCs match %s" % (len(vpcs), wanted_vpc.get("name"))], facts
    vpc = vpcs[0]
    vpc_id = vpc.get("id") or vpc.get("vpc_id")
    facts.update(vpc_id=vpc_id, vpc_cidr=vpc.get("cidr_block"))
    if vpc.get("cidr_block") != wanted_vpc["cidr"]:
        changes.append("VPC %s has CIDR %s, not %s" % (vpc_id, vpc.get("cidr_block"), wanted_vpc["cidr"]))
    if not (vpc.get("enable_dns_support") and vpc.get("enable_dns_hostnames")):
        changes.append("VPC %s needs DNS support and DNS hostnames on" % vpc_id)
    changes.extend(_tag_difference("VPC %s" % vpc_id, vpc.get("tags"), wanted_vpc["tags"]))

    # Subnets: ec2_vpc_subnet finds each by VPC and CIDR.
    subnets = dict((s.get("cidr_block"), s) for s in current.get("subnets") or [] if s.get("vpc_id", vpc_id) == vpc_id)
    tiers = {"public": [], "private": []}
    for plan in desired.get("subnets") or []:
        subnet = subnets.get(plan["cidr"])
        what = "subnet %s (%s)" % (plan.get("name"), plan["cidr"])
        if subnet is None:
            changes.append("%s is missing" % what)
            continue
        tiers.setdefault(plan["tier"], []).append(subnet.get("id") or subnet.get("subnet_id"))
        if subnet.get("availability_zone") != plan["az"]:
            changes.append("%s is in %s, not %s" % (what, subnet.get("availability_zone"), plan["az"]))
        if bool(subnet.get("map_public_ip_on_launch")) != (plan["tier"] == "public"):
            changes.append("%s maps public IPs %s" % (what, "on" if subnet.get("map_public_ip_on_launch") else "off"))
        changes.extend(_tag_difference(what, subnet.get("tags"), plan["tags"]))
    facts.update(public_subnet_ids=tiers["public"], private_subnet_ids=tiers["private"])

    # Internet gateway: ec2_vpc_igw finds the one attached to the VPC.
    igws = [g for g in current.get("internet_gateways") or []
            if any(a.get("vpc_id") == vpc_id for a in g.get("attachments") or [])]
    igw_id = None
    if len(igws) != 1:
        changes.append("internet gateway is missing" if not igws else "%d internet gateways are attached" % len(igws))
    else:
        igw_id = igws[0].get("internet_gateway_id")
        changes.extend(_tag_difference("internet gateway %s" % igw_id, igws[0].get("tags"), desired["igw_tags"]))

    # NAT gateway: ec2_vpc_nat_gateway (if_exist_do_not_create) finds one in the first public subnet.
    nat = desired["nat"]
    live_nats = [n for n in current.get("nat_gateways") or [] if n.get("state") in ("pending", "available")]
    nat_id = None
    facts["nat_public_ip"] = ""
    if nat["enabled"]:
        first_public = tiers["public"][0] if tiers["public"] else None
        mine = [n for n in live_nats if n.get("subnet_id") == first_public]
        if not mine:
            changes.append("NAT gateway is missing")
        elif mine[0].get("state") != "available":
            changes.append("NAT gateway %s is %s" % (mine[0].get("nat_gateway_id"), mine[0].get("state")))
        else:
            nat_id = mine[0].get("nat_gateway_id")
            changes.extend(_tag_difference("NAT gateway %s" % nat_id, mine[0].get("tags"), nat["tags"]))
            addresses = mine[0].get("nat_gateway_addresses") or [{}]
            facts["nat_public_ip"] = addresses[0].get("public_ip") or ""
            allocation = addresses[0].get("allocation_id")
            eips = [a for a in current.get("addresses") or [] if a.get("allocation_id") == allocation]
            if not eips or not tags_carry(eips[0].get("tags"), nat["tags"]):
                changes.append("NAT gateway's Elastic IP %s wants its tags" % allocation)
    else:
        stale = [n for n in live_nats if tags_carry(n.get("tags"), desired.get("stack_tags"))]
        changes.extend("NAT gateway %s is no longer wanted" % n.get("nat_gateway_id") for n in stale)

    # Route tables: ec2_vpc_route_table (lookup: tag) finds the one whose tags include the wanted ones.
    # A route to a gateway that is itself missing cannot be right (None never equals a route set).
    wanted_routes = {
        "public": set([("0.0.0.0/0", igw_id)]) if igw_id else None,
        "private": (set([("0.0.0.0/0", nat_id)]) if nat_id else None) if nat["enabled"] else set(),
    }
    for tier in ("public", "private"):
        tags = desired["route_tables"][tier]
        tables = [t for t in current.get("route_tables") or [] if tags_carry(t.get("tags"), tags)]
        what = "%s route table" % tier
        if len(tables) != 1:
            changes.append("%s is missing" % what if not tables else "%s matches %d tables" % (what, len(tables)))
            continue
        table = tables[0]
        changes.extend(_tag_difference(what, table.get("tags"), tags))
        if _route_set(table.get("routes")) != wanted_routes[tier]:
            changes.append("%s has other routes" % what)
        associated = set(a.get("subnet_id") for a in table.get("associations") or [] if not a.get("main") and a.get("subnet_id"))
        if associated != set(tiers[tier]):
            changes.append("%s has other subnet associations" % what)
    return changes, facts


def network_drift(current, desired):
    """What the network role would change, and the facts it returns when the answer is nothing."""
    if not isinstance(current, dict) or not isinstance(desired, dict):
        raise ComparisonError("network_drift expects two dicts: the network read and the network wanted")
    facts = {}
    vpc_changes = []
    if desired.get("vpc"):
        vpc_changes, facts = _vpc_drift(current, desired)
    sg_changes, group_ids = _security_group_drift(
        current.get("security_groups"), desired.get("security_groups"), desired.get("stale_security_groups"),
        desired.get("stack_tags"))
    facts["security_group_ids"] = group_ids
    return {"vpc": vpc_changes, "security_groups": sg_changes, "facts": facts}


def network_sg_rules(rules, group_ids):
    """The rules for ec2_security_group, each group_name replaced by that group's ID in this VPC.

    The module would look a name up itself, but it may find a group of that name in another VPC
    and creates a bare group when it finds none; the role creates the groups in order and passes IDs."""
    out = []
    for rule in rules or []:
        rule = dict(rule)
        names = _listed(rule.pop("group_name", None))
        if names:
            missing = [n for n in names if n not in (group_ids or {})]
            if missing:
                raise ComparisonError("network_sg_rules: no security group %s has been created before this rule" % ", ".join(missing))
            rule["group_id"] = [group_ids[n] for n in names]
        out.append(rule)
    return out
