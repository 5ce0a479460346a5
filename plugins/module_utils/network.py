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

import re
from collections.abc import Mapping

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


def network_sg_rules(rules, group_ids, defer=False):
    """The rules for ec2_security_group, each group_name replaced by that group's ID in this VPC.

    The module would look a name up itself, but it may find a group of that name in another VPC
    and creates a bare group when it finds none; the role creates the groups in order and passes IDs.
    With ``defer``, a group without an ID yet is left out (a rule naming only such groups is dropped): the
    first pass of security_groups.yml, whose second pass sets the whole rules once every group exists."""
    out = []
    for rule in rules or []:
        rule = dict(rule)
        names = _listed(rule.pop("group_name", None))
        if names:
            missing = [n for n in names if n not in (group_ids or {})]
            if missing and not defer:
                raise ComparisonError("network_sg_rules: no security group %s has been created before this rule" % ", ".join(missing))
            known = [group_ids[n] for n in names if n not in missing]
            if not known:
                continue
            rule["group_id"] = known
        out.append(rule)
    return out


# --- Security groups from who may reach whom (network_services) -----------------------------------------------
#
# The role's security groups are derived from a list of services, each {name, port, public, reaches}: one group per
# service plus redis (and alb). A group admits a port only from the groups of the services that reach it, so the
# rules are the graph of "reaches", and nothing is written twice in vars/main.yml.

SERVICE_FIELDS = ("name", "port", "public", "reaches")
# Groups the role makes of its own: a service may not take their names (``redis`` is also a reach target).
RESERVED_SERVICE_NAMES = ("redis", "alb")
_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
SERVICE_NAME_RULE = "lower case letters, digits and '-', starting with a letter, at most 32 characters"


def service_name_problem(name):
    """The one rule for a service's name, for network_services here and webstack_services (plugins/filter/stack_services.py):
    '' when ``name`` can name a service, 'invalid' when it breaks SERVICE_NAME_RULE (it names the ECS service, the image
    repository, the log group, the task role and the security group), 'reserved' when it is a group of the role's own."""
    if not isinstance(name, str) or not _SERVICE_NAME.match(name):
        return "invalid"
    if name in RESERVED_SERVICE_NAMES:
        return "reserved"
    return ""


# EC2 cannot change a group's description: the groups that existed before services became data keep theirs.
_LEGACY_DESCRIPTIONS = {
    "alb": "{prefix} load balancer: HTTP/HTTPS from the internet",
    # One description with or without the ALB.
    "frontend": "{prefix} frontend: web ports (from the ALB where there is one)",
    "backend": "{prefix} backend: its port from the frontend only",
    "redis": "{prefix} redis: {redis_port} from the backend only",
}
_DESCRIPTION_MAX = 255


def _is_bool(value):
    if isinstance(value, bool):
        return True
    return to_text(value).strip().lower() in ("yes", "no", "true", "false", "on", "off", "1", "0", "y", "n")


def _as_bool(value):
    if isinstance(value, bool):
        return value
    return to_text(value).strip().lower() in ("yes", "true", "on", "1", "y")


def _as_port(value):
    """A port as an int, or None (a bool is no port)."""
    if isinstance(value, bool):
        return None
    try:
        port = int(to_text(value).strip())
    except ValueError:
        return None
    return port if 1 <= port <= 65535 else None


def network_services_errors(services, label="network_services"):
    """Why network_services cannot be turned into security groups: one message per problem, [] when it can.

    ``label`` is the name the user set (the role's network_var_names). Every message names it and the entry."""
    label = to_text(label or "network_services")
    if not isinstance(services, (list, tuple)):
        return ["%s must be a list of services, each {name, port, public, reaches} (got %s)." % (label, type(services).__name__)]
    errors = []
    names = []
    first_index = {}
    for index, entry in enumerate(services):
        where = "%s[%d]" % (label, index)
        if not isinstance(entry, Mapping):
            errors.append("%s must be a mapping {name, port, public, reaches} (got %r)." % (where, entry))
            names.append(None)
            continue
        name = entry.get("name")
        name = to_text(name) if isinstance(name, (str, int)) and not isinstance(name, bool) else None
        names.append(name)
        if name:
            where = "%s (%s)" % (where, name)
        unknown = sorted(to_text(key) for key in entry if key not in SERVICE_FIELDS)
        if unknown:
            errors.append("%s has unknown key(s) %s: use %s." % (where, ", ".join(unknown), ", ".join(SERVICE_FIELDS)))
        problem = service_name_problem(name)
        if name is None:
            errors.append("%s needs a name (a string)." % where)
        elif problem == "reserved":
            errors.append(
                "%s: the name %s is the network role's own security group (%s); give the service another name."
                % (where, name, " and ".join(RESERVED_SERVICE_NAMES)))
        elif problem:
            errors.append("%s: the name '%s' must be %s." % (where, name, SERVICE_NAME_RULE))
        elif name in first_index:
            errors.append("%s: the name %s is taken by %s[%d] already; give every service its own name."
                          % (where, name, label, first_index[name]))
        else:
            first_index[name] = index
        if _as_port(entry.get("port")) is None:
            errors.append("%s: port %r is no port: give an integer from 1 to 65535." % (where, entry.get("port")))
        if entry.get("public") is not None and not _is_bool(entry.get("public")):
            errors.append("%s: public must be true or false (got %r)." % (where, entry.get("public")))
        reaches = entry.get("reaches")
        if reaches is not None and not (isinstance(reaches, (list, tuple))
                                        and all(isinstance(r, str) for r in reaches)):
            errors.append("%s: reaches must be a list of service names and/or redis (got %r)." % (where, reaches))
    known = []
    for name in names:
        if name and name not in known and name not in RESERVED_SERVICE_NAMES:
            known.append(name)
    for index, entry in enumerate(services):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("reaches"), (list, tuple)):
            continue
        where = "%s[%d]" % (label, index) + (" (%s)" % names[index] if names[index] else "")
        bad = [to_text(r) for r in entry["reaches"] if isinstance(r, str) and r != "redis" and r not in known]
        if bad:
            errors.append(
                "%s: reaches %s, which %s neither a service of %s (%s) nor redis."
                % (where, ", ".join("'%s'" % b for b in bad), "is" if len(bad) == 1 else "are", label,
                   ", ".join(known) or "none"))
    return errors


def _normalized_services(services):
    errors = network_services_errors(services)
    if errors:
        raise ComparisonError(" ".join(errors))
    out = []
    for entry in services:
        reaches = []
        for target in entry.get("reaches") or []:
            if target not in reaches:
                reaches.append(to_text(target))
        out.append({"name": to_text(entry["name"]), "port": _as_port(entry["port"]),
                    "public": _as_bool(entry.get("public", False)), "reaches": reaches})
    return out


def _creation_order(services, needs):
    """Services so that a group's rules name only groups made before it, where the graph allows (Kahn's algorithm,
    ties in the list's order); a cycle is broken at its first service in the list (security_groups.yml then
    adds, in a second pass, the rules that named a group made after it)."""
    order = []
    left = [s["name"] for s in services]
    while left:
        ready = [name for name in left if not (needs[name] - set(order) - set([name]))]
        pick = ready[0] if ready else left[0]
        order.append(pick)
        left.remove(pick)
    return order


def _sources_text(names):
    names = ["the %s" % n for n in names]
    return names[0] if len(names) == 1 else "%s and %s" % (", ".join(names[:-1]), names[-1])


def _new_description(prefix, service, sources):
    parts = []
    if service["public"]:
        parts.append("web ports (from the ALB where there is one)")
    if sources:
        text = "its port from %s" % _sources_text(sources)
        if len("%s %s: %s" % (prefix, service["name"], text)) > _DESCRIPTION_MAX - 40:
            text = "its port from %d services" % len(sources)
        parts.append(text + ("" if service["public"] else " only"))
    return "%s %s: %s" % (prefix, service["name"], ", ".join(parts) if parts else "no inbound traffic")


def _settings(settings):
    if not isinstance(settings, Mapping):
        raise ComparisonError("network_service_security_groups expects the settings as a mapping, got %s" % type(settings).__name__)
    missing = [key for key in ("prefix", "tags", "frontend_ports", "redis_port") if key not in settings]
    if missing:
        raise ComparisonError("network_service_security_groups: the settings lack %s" % ", ".join(missing))
    ports = [_as_port(p) for p in settings["frontend_ports"] or []]
    redis_port = _as_port(settings["redis_port"])
    if None in ports or redis_port is None:
        raise ComparisonError("network_service_security_groups: frontend_ports %r / redis_port %r are not ports"
                              % (settings["frontend_ports"], settings["redis_port"]))
    return {"prefix": to_text(settings["prefix"]), "tags": dict(settings["tags"] or {}),
            "alb": _as_bool(settings.get("alb", False)),
            "alb_targets_backend": _as_bool(settings.get("alb_targets_backend", False)),
            "frontend_ports": ports, "redis_port": redis_port}


def service_security_groups(services, settings):
    """The security groups the network role makes for ``services`` (network_services), in creation order.

    ``settings``: prefix (network_name_prefix), tags (network_tags), alb, alb_targets_backend, frontend_ports,
    redis_port. Each group is {key, name, description, rules, tags} (redis also rules_egress: []), the rules in
    ec2_security_group's form with other groups named by group_name (network_sg_rules turns names into IDs):

    - alb (with alb): frontend_ports from 0.0.0.0/0;
    - one group per service, <prefix>-<name>: a public service admits frontend_ports from 0.0.0.0/0, or from the
      ALB group with alb; a service admits its port from the group of every service that reaches it ("from the
      <that service>"); with alb_targets_backend, from the ALB group too if a public service reaches it; a service
      nobody reaches that is not public admits nothing;
    - redis: redis_port from every service that reaches redis; no egress.

    The groups of alb, frontend, backend and redis keep the descriptions they had before (EC2 cannot change one).
    Raises ComparisonError (with network_services_errors' messages) on services it cannot use."""
    services = _normalized_services(services)
    conf = _settings(settings)
    prefix = conf["prefix"]

    def group_name(key):
        return "%s-%s" % (prefix, key)

    def rule(ports, source, desc):
        out = {"proto": "tcp", "ports": list(ports)}
        if source is None:
            out["cidr_ip"] = "0.0.0.0/0"
        else:
            out["group_name"] = group_name(source)
        out["rule_desc"] = desc
        return out

    def group(key, description, rules):
        name = group_name(key)
        tags = dict(conf["tags"])
        tags.update({"Name": name, "webstack:purpose": key})
        return {"key": key, "name": name, "description": description, "rules": rules, "tags": tags}

    by_name = dict((s["name"], s) for s in services)
    reached_by = dict((s["name"], [t["name"] for t in services if s["name"] in t["reaches"]]) for s in services)
    behind_alb = set()
    if conf["alb"] and conf["alb_targets_backend"]:
        behind_alb = set(target for s in services if s["public"] for target in s["reaches"] if target in by_name)
    rules_of = {}
    for service in services:
        name = service["name"]
        rules = []
        if service["public"]:
            rules.append(rule(conf["frontend_ports"], "alb", "from the ALB") if conf["alb"]
                         else rule(conf["frontend_ports"], None, "public web traffic"))
        rules.extend(rule([service["port"]], source, "from the %s" % source) for source in reached_by[name])
        if name in behind_alb and not (service["public"] and service["port"] in conf["frontend_ports"]):
            rules.append(rule([service["port"]], "alb", "from the ALB"))
        rules_of[name] = rules
    needs = dict((name, set(r["group_name"][len(prefix) + 1:] for r in rules if "group_name" in r) - set(["alb"]))
                 for name, rules in rules_of.items())

    out = []
    if conf["alb"]:
        out.append(group("alb", _LEGACY_DESCRIPTIONS["alb"].format(prefix=prefix),
                         [rule(conf["frontend_ports"], None, "public web traffic")]))
    for name in _creation_order(services, needs):
        if name in _LEGACY_DESCRIPTIONS:
            description = _LEGACY_DESCRIPTIONS[name].format(prefix=prefix)
        else:
            description = _new_description(prefix, by_name[name], reached_by[name])
        out.append(group(name, description, rules_of[name]))
    redis = group("redis", _LEGACY_DESCRIPTIONS["redis"].format(prefix=prefix, redis_port=conf["redis_port"]),
                  [rule([conf["redis_port"]], s["name"], "from the %s" % s["name"]) for s in services if "redis" in s["reaches"]])
    redis["rules_egress"] = []
    out.append(redis)
    return out


def network_sg_unresolved(rules, group_ids):
    """The group names the rules name that have no ID yet (security_groups.yml sets those rules in a second pass)."""
    out = []
    for rule in rules or []:
        for name in _listed(rule.get("group_name")):
            if name not in (group_ids or {}) and name not in out:
                out.append(name)
    return out


def _references(group, ids):
    """The IDs among ``ids`` that the group's rules (ingress, egress) name, with where they are named."""
    out = {}
    for field in ("ip_permissions", "ip_permissions_egress"):
        for perm in group.get(field) or []:
            for pair in perm.get("user_id_group_pairs") or []:
                target = pair.get("group_id")
                if target in ids:
                    out.setdefault(target, set()).add(field)
    return out


def security_group_delete_plan(groups):
    """How to delete security groups (as ec2_security_group_info returns them) that may name each other.

    EC2 refuses to delete a group that another group's rule names. Returns {'revoke': [...], 'order': [...]}:
    ``order`` holds every group, each after every group whose rules name it (those that name others first); where
    groups name each other in a cycle (a service reaching itself is one), each group of the cycle is in ``revoke``
    as {group_id, group_name, description, vpc_id, ingress, egress}: its ingress rules (and, where they name one of
    the cycle, its egress rules) are to be revoked first, after which the order holds. Without a cycle ``revoke`` is
    empty: the deletes alone, as before."""
    if not isinstance(groups, (list, tuple)):
        raise ComparisonError("network_sg_delete_plan expects the list of security groups ec2_security_group_info returns")
    groups = sorted((g for g in groups if isinstance(g, Mapping) and g.get("group_id")),
                    key=lambda g: (to_text(g.get("group_name") or ""), to_text(g["group_id"])))
    ids = set(g["group_id"] for g in groups)
    refs = dict((g["group_id"], _references(g, ids)) for g in groups)
    # Strongly connected components (Tarjan): a component of more than one group, or one that names itself, is a cycle.
    index = {}
    low = {}
    stack = []
    on_stack = set()
    component = {}
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(refs[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            members = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                members.append(member)
                if member == node:
                    break
            for member in members:
                component[member] = frozenset(members)

    for group in groups:
        if group["group_id"] not in index:
            visit(group["group_id"])
    revoke = []
    for group in groups:
        gid = group["group_id"]
        cycle = component[gid]
        if len(cycle) > 1 or gid in refs[gid]:
            fields = set()
            for target in cycle:
                fields |= refs[gid].get(target, set())
            revoke.append({"group_id": gid, "group_name": group.get("group_name"), "description": group.get("description"),
                           "vpc_id": group.get("vpc_id"), "ingress": True,
                           "egress": "ip_permissions_egress" in fields})
    # After the revocations only references between components are left: delete a group once nothing left names it.
    left_refs = dict((gid, set(t for t in refs[gid] if component[t] != component[gid])) for gid in refs)
    order = []
    pending = [g["group_id"] for g in groups]
    by_id = dict((g["group_id"], g) for g in groups)
    while pending:
        free = [gid for gid in pending if not any(gid in left_refs[other] for other in pending if other != gid)]
        pick = free[0] if free else pending[0]  # cannot happen: the components form no cycle
        order.append(by_id[pick])
        pending.remove(pick)
    return {"revoke": revoke, "order": order}
