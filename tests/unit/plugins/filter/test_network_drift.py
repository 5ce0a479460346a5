"""Unit tests for network_drift: the network role's "would the create modules change anything?" check.

network_read.json is what the role's info reads returned (amazon.aws 10 against moto) for the local
inventory's network after a deploy: VPC, four subnets, internet gateway, NAT gateway with its
Elastic IP, two route tables and the frontend, backend and redis security groups.
"""

import copy
import json
import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.ecs_webstack.plugins.filter.network_drift import FilterModule
from ansible_collections.stackops.ecs_webstack.plugins.filter.network_drift import network_drift
from ansible_collections.stackops.ecs_webstack.plugins.filter.network_drift import network_sg_rules
from ansible_collections.stackops.ecs_webstack.plugins.filter.network_drift import network_sg_unresolved
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.network import service_security_groups

HERE = os.path.dirname(os.path.abspath(__file__))
STACK = {"ManagedBy": "stackops.ecs_webstack", "webstack:env": "local", "webstack:stack": "webstack"}
PREFIX = "webstack-local"


def tagged(**extra):
    out = dict(STACK)
    out.update(extra)
    return out


def subnet(tier, index, cidr, az):
    name = "%s-%s-%d" % (PREFIX, tier, index)
    return {"tier": tier, "cidr": cidr, "az": az, "name": name, "tags": tagged(**{"Name": name, "webstack:tier": tier})}


def group(key, description, rules, **extra):
    name = "%s-%s" % (PREFIX, key)
    spec = {"key": key, "name": name, "description": description, "rules": rules,
            "tags": tagged(**{"Name": name, "webstack:purpose": key})}
    spec.update(extra)
    return spec


def wanted():
    """What the role's vars make of the local inventory (NAT on, no ALB, backend on 8080)."""
    return {
        "vpc": {"name": PREFIX + "-vpc", "cidr": "10.20.0.0/16", "tags": tagged(Name=PREFIX + "-vpc")},
        "subnets": [
            subnet("public", 1, "10.20.0.0/24", "us-east-1a"),
            subnet("public", 2, "10.20.1.0/24", "us-east-1b"),
            subnet("private", 1, "10.20.10.0/24", "us-east-1a"),
            subnet("private", 2, "10.20.11.0/24", "us-east-1b"),
        ],
        "igw_tags": tagged(Name=PREFIX + "-igw"),
        "nat": {"enabled": True, "tags": tagged(Name=PREFIX + "-nat")},
        "route_tables": {"public": tagged(Name=PREFIX + "-public"), "private": tagged(Name=PREFIX + "-private")},
        "stack_tags": dict(STACK),
        "security_groups": [
            group("frontend", PREFIX + " frontend: web ports from the internet",
                  [{"proto": "tcp", "ports": [80, 443], "cidr_ip": "0.0.0.0/0", "rule_desc": "public web traffic"}]),
            group("backend", PREFIX + " backend: its port from the frontend only",
                  [{"proto": "tcp", "ports": [8080], "group_name": PREFIX + "-frontend", "rule_desc": "from the frontend"}]),
            group("redis", PREFIX + " redis: 6379 from the backend only",
                  [{"proto": "tcp", "ports": ["6379"], "group_name": PREFIX + "-backend", "rule_desc": "from the backend"}],
                  rules_egress=[]),
        ],
        "stale_security_groups": [PREFIX + "-alb"],
    }


@pytest.fixture()
def read():
    with open(os.path.join(HERE, "network_read.json"), encoding="utf-8") as handle:
        return json.load(handle)


def by(items, key, value):
    return next(item for item in items if item.get(key) == value)


def sg(read_, key):
    return by(read_["security_groups"], "group_name", "%s-%s" % (PREFIX, key))


def test_filters_are_registered_under_their_names():
    assert sorted(FilterModule().filters()) == ["network_drift", "network_sg_rules", "network_sg_unresolved"]


def test_the_deployed_network_matches_and_gives_the_role_its_facts(read):
    drift = network_drift(read, wanted())
    assert drift["vpc"] == [] and drift["security_groups"] == []
    facts = drift["facts"]
    assert facts["vpc_id"] == read["vpcs"][0]["id"] and facts["vpc_cidr"] == "10.20.0.0/16"
    # In the order of the subnet plan, as vpc.yml returns them.
    cidr_of = dict((s["id"], s["cidr_block"]) for s in read["subnets"])
    assert [cidr_of[i] for i in facts["public_subnet_ids"]] == ["10.20.0.0/24", "10.20.1.0/24"]
    assert [cidr_of[i] for i in facts["private_subnet_ids"]] == ["10.20.10.0/24", "10.20.11.0/24"]
    assert facts["nat_public_ip"] == read["nat_gateways"][0]["nat_gateway_addresses"][0]["public_ip"]
    assert facts["security_group_ids"] == {k: sg(read, k)["group_id"] for k in ("frontend", "backend", "redis")}


def test_aws_own_tags_are_not_a_difference(read):
    read["vpcs"][0]["tags"]["aws:cloudformation:stack-name"] = "x"
    sg(read, "backend")["tags"]["aws:created-by"] = "y"
    drift = network_drift(read, wanted())
    assert drift["vpc"] == [] and drift["security_groups"] == []


def test_no_vpc_means_everything_is_to_make(read):
    empty = {"vpcs": [], "security_groups": []}
    drift = network_drift(empty, wanted())
    assert drift["vpc"] == ["VPC webstack-local-vpc is missing"]
    assert drift["security_groups"] == ["security group webstack-local-%s is missing" % k for k in ("frontend", "backend", "redis")]
    assert drift["facts"]["security_group_ids"] == {}


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda r: r["vpcs"][0]["tags"].update(Owner="someone"), "VPC %(vpc)s tag Owner is not wanted"),
        (lambda r: r["vpcs"][0]["tags"].pop("webstack:env"), "VPC %(vpc)s tag webstack:env is missing"),
        (lambda r: r["vpcs"][0].update(enable_dns_hostnames=False), "VPC %(vpc)s needs DNS support and DNS hostnames on"),
        (lambda r: r["subnets"].pop(0), "subnet webstack-local-public-1 (10.20.0.0/24) is missing"),
        (lambda r: by(r["subnets"], "cidr_block", "10.20.10.0/24").update(map_public_ip_on_launch=True),
         "subnet webstack-local-private-1 (10.20.10.0/24) maps public IPs on"),
        (lambda r: by(r["subnets"], "cidr_block", "10.20.11.0/24").update(availability_zone="us-east-1c"),
         "subnet webstack-local-private-2 (10.20.11.0/24) is in us-east-1c, not us-east-1b"),
        (lambda r: r["internet_gateways"].clear(), "internet gateway is missing"),
        (lambda r: r["nat_gateways"].clear(), "NAT gateway is missing"),
        (lambda r: r["nat_gateways"][0].update(state="pending"), "NAT gateway %(nat)s is pending"),
        (lambda r: r["addresses"][0]["tags"].clear(), "NAT gateway's Elastic IP %(eip)s wants its tags"),
    ],
)
def test_each_vpc_difference_is_named(read, change, expected):
    ids = {"vpc": read["vpcs"][0]["id"], "nat": read["nat_gateways"][0]["nat_gateway_id"],
           "eip": read["nat_gateways"][0]["nat_gateway_addresses"][0]["allocation_id"]}
    change(read)
    drift = network_drift(read, wanted())
    assert expected % ids in drift["vpc"]
    assert drift["security_groups"] == []


def test_extra_eip_tags_are_kept_because_ec2_tag_does_not_purge(read):
    read["addresses"][0]["tags"]["CostCentre"] = "42"
    assert network_drift(read, wanted())["vpc"] == []


def route_table(read_, tier):
    return by(read_["route_tables"], "tags", tagged(Name="%s-%s" % (PREFIX, tier)))


def test_a_route_to_another_gateway_or_an_extra_route_is_a_difference(read):
    routes = route_table(read, "private")["routes"]
    by(routes, "destination_cidr_block", "0.0.0.0/0")["nat_gateway_id"] = "nat-0ld"
    assert network_drift(read, wanted())["vpc"] == ["private route table has other routes"]
    by(routes, "destination_cidr_block", "0.0.0.0/0")["nat_gateway_id"] = read["nat_gateways"][0]["nat_gateway_id"]
    routes.append({"destination_cidr_block": "192.168.0.0/16", "gateway_id": "vgw-1", "origin": "CreateRoute"})
    assert network_drift(read, wanted())["vpc"] == ["private route table has other routes"]


def test_propagated_routes_are_not_the_roles(read):
    route_table(read, "public")["routes"].append(
        {"destination_cidr_block": "172.16.0.0/12", "gateway_id": "vgw-1", "origin": "EnableVgwRoutePropagation"})
    assert network_drift(read, wanted())["vpc"] == []


def test_a_subnet_associated_elsewhere_is_a_difference(read):
    table = route_table(read, "public")
    table["associations"] = [a for a in table["associations"] if a.get("main") or a is not table["associations"][0]]
    assert network_drift(read, wanted())["vpc"] == ["public route table has other subnet associations"]


def test_without_a_nat_the_private_table_has_no_default_route_and_a_live_nat_is_stale(read):
    want = wanted()
    want["nat"]["enabled"] = False
    drift = network_drift(read, want)
    nat_id = read["nat_gateways"][0]["nat_gateway_id"]
    assert drift["vpc"] == ["NAT gateway %s is no longer wanted" % nat_id, "private route table has other routes"]
    assert drift["facts"]["nat_public_ip"] == ""
    # A NAT gateway that is not the stack's (no stack tags) is left alone, as the role's cleanup does.
    read["nat_gateways"][0]["tags"] = {"Name": "theirs"}
    route_table(read, "private")["routes"] = [r for r in route_table(read, "private")["routes"] if r["gateway_id"] == "local"]
    assert network_drift(read, want)["vpc"] == []


def test_two_tables_with_the_wanted_tags_are_a_difference(read):
    read["route_tables"].append(copy.deepcopy(route_table(read, "public")))
    assert "public route table matches 2 tables" in network_drift(read, wanted())["vpc"]


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda r: sg(r, "backend")["ip_permissions"].clear(),
         "security group webstack-local-backend lacks ingress tcp 8080 from %(frontend)s (from the frontend)"),
        (lambda r: sg(r, "frontend")["ip_permissions"][0]["ip_ranges"][0].update(description="old words"),
         "security group webstack-local-frontend lacks ingress tcp 80 from 0.0.0.0/0 (public web traffic)"),
        (lambda r: sg(r, "frontend")["ip_permissions"].append(
            {"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}]}),
         "security group webstack-local-frontend has ingress tcp 22 from 0.0.0.0/0 (no description) to remove"),
        (lambda r: sg(r, "redis")["ip_permissions_egress"].append(
            {"ip_protocol": "-1", "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}]}),
         "security group webstack-local-redis has other egress rules"),
        (lambda r: sg(r, "redis")["tags"].pop("webstack:purpose"),
         "security group webstack-local-redis tag webstack:purpose is missing"),
        (lambda r: r["security_groups"].remove(sg(r, "frontend")),
         "security group webstack-local-frontend is missing"),
        (lambda r: r["security_groups"].append(dict(sg(r, "frontend"), group_name=PREFIX + "-alb")),
         "security group webstack-local-alb is no longer wanted"),
    ],
)
def test_each_security_group_difference_is_named(read, change, expected):
    ids = {"frontend": sg(read, "frontend")["group_id"]}
    change(read)
    drift = network_drift(read, wanted())
    assert expected % ids in drift["security_groups"]
    assert drift["vpc"] == []


def test_a_description_is_no_drift_ec2_cannot_change_it(read):
    sg(read, "backend").update(description="hand made")
    assert network_drift(read, wanted())["security_groups"] == []


def test_the_frontend_groups_description_does_not_depend_on_the_alb():
    """Switching network_alb must not ask EC2 for a new description (it cannot change one)."""
    services = [{"name": "frontend", "port": 80, "public": True, "reaches": ["backend"]},
                {"name": "backend", "port": 8080, "reaches": ["redis"]},
                {"name": "web2", "port": 80, "public": True}]
    settings = {"prefix": PREFIX, "tags": STACK, "frontend_ports": [80, 443], "redis_port": 6379}
    described = []
    for alb, to_backend in ((False, False), (True, False), (True, True)):
        groups = service_security_groups(services, dict(settings, alb=alb, alb_targets_backend=to_backend))
        described.append(dict((g["key"], g["description"]) for g in groups if g["key"] != "alb"))
    assert described[0] == described[1] == described[2]


def test_egress_of_groups_the_role_leaves_egress_alone_is_not_compared(read):
    sg(read, "backend")["ip_permissions_egress"] = []
    assert network_drift(read, wanted())["security_groups"] == []


def test_a_rule_naming_a_missing_group_never_matches(read):
    read["security_groups"].remove(sg(read, "frontend"))
    changes = network_drift(read, wanted())["security_groups"]
    assert "security group webstack-local-backend lacks ingress tcp 8080 from a missing group (from the frontend)" in changes


def test_an_alb_group_that_is_not_the_stacks_is_not_stale(read):
    read["security_groups"].append(dict(sg(read, "frontend"), group_name=PREFIX + "-alb", tags={"Name": "theirs"}))
    assert network_drift(read, wanted())["security_groups"] == []


def test_existing_vpc_mode_compares_only_the_security_groups(read):
    want = wanted()
    want["vpc"] = {}
    drift = network_drift({"security_groups": read["security_groups"], "vpcs": []}, want)
    assert drift["vpc"] == [] and drift["security_groups"] == []
    assert set(drift["facts"]) == {"security_group_ids"}


def test_bad_input_is_refused_with_the_filter_named():
    with pytest.raises(AnsibleFilterError, match="network_drift expects two dicts"):
        network_drift([], wanted())
    bad = wanted()
    bad["security_groups"][0]["rules"][0]["ports"] = ["http"]
    with pytest.raises(AnsibleFilterError, match="network_drift: rule port 'http'"):
        network_drift({"security_groups": [{"group_name": PREFIX + "-frontend"}]}, bad)


def test_sg_rules_turn_group_names_into_this_vpcs_ids():
    rules = [{"proto": "tcp", "ports": [8080], "group_name": "a", "rule_desc": "x"},
             {"proto": "tcp", "ports": [80], "cidr_ip": "0.0.0.0/0"}]
    assert network_sg_rules(rules, {"a": "sg-1"}) == [
        {"proto": "tcp", "ports": [8080], "group_id": ["sg-1"], "rule_desc": "x"},
        {"proto": "tcp", "ports": [80], "cidr_ip": "0.0.0.0/0"},
    ]
    assert rules[0]["group_name"] == "a"  # the spec itself is not changed
    with pytest.raises(AnsibleFilterError, match="no security group a has been created before this rule"):
        network_sg_rules(rules, {})


def test_sg_rules_in_the_first_pass_leave_out_groups_still_to_be_made():
    rules = [{"proto": "tcp", "ports": [8080], "group_name": "a", "rule_desc": "from a"},
             {"proto": "tcp", "ports": [8080], "group_name": ["a", "b"], "rule_desc": "from a or b"},
             {"proto": "tcp", "ports": [80], "cidr_ip": "0.0.0.0/0"}]
    assert network_sg_rules(rules, {"b": "sg-2"}, defer=True) == [
        {"proto": "tcp", "ports": [8080], "group_id": ["sg-2"], "rule_desc": "from a or b"},
        {"proto": "tcp", "ports": [80], "cidr_ip": "0.0.0.0/0"},
    ]
    assert network_sg_unresolved(rules, {"b": "sg-2"}) == ["a"]
    assert network_sg_unresolved(rules, {"a": "sg-1", "b": "sg-2"}) == []
    with pytest.raises(AnsibleFilterError, match="no security group a has been created"):
        network_sg_rules(rules, {"b": "sg-2"})
